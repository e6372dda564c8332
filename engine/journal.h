// Journal: group commit in front of a StateStore.
//
// Design: coroutines on the engine's io_context thread call Commit(transition) and await it. A
// writer thread takes everything queued so far and applies it in ONE store transaction (one
// fsync), then completes each waiter on the io_context. While a transaction is in flight, the
// io thread keeps running tasks and their new transitions queue up for the next transaction:
// under load, many tasks share each fsync, and a task's intent is still durable before its
// connector is called (the caller awaits Commit before invoking).
//
// Reads and claims go the same road (Run): a function run against the store on the writer thread,
// in order with the transitions queued before it (it sees them committed), completed on the io
// thread. So 10,000 runs starting together never make the io thread wait for SQLite: the store's
// work happens on the writer's core while the io thread executes the runs already loaded.
//
// A database failure (kIo) is sticky: after it, that batch and every later Commit complete with
// the same error, and Failed() reports it; the executor then starts no new side effects. A
// transition the store refuses without failing (kConflict, kNotFound) fails its own batch only.
//
// Threading: Commit, Failed: io thread. The destructor drains the queue and joins the writer.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "engine/state_store.h"

namespace tenure::engine {

class Journal {
 public:
  // `store` must outlive the Journal; completions are posted to `io`. `linger` bounds how long a
  // batch holding only Submit()ted transitions waits for an awaited Commit to join it.
  Journal(StateStore& store, boost::asio::any_io_executor io,
          std::chrono::microseconds linger = std::chrono::microseconds(1000));
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Durably records `t`. Completes (always on `io`, never inline) once the transaction holding it
  // committed, or with the error that made it fail.
  boost::asio::awaitable<Result<void>> Commit(Transition t);
  // The same without waiting: `done` runs on `io` once the transaction holding `t` committed or
  // failed. Transitions are applied in submission order (Commit and Submit alike), so anything
  // submitted later is durable only if `t` is. A batch of only Submit()ted transitions lingers
  // (at most `linger`) for a Commit to share its transaction: `t` may become durable that much
  // later, which is safe for what the executor submits (results: a crash before they are durable
  // re-sends the attempt with the same idempotency key).
  void Submit(Transition t, std::function<void(Result<void>)> done);

  // Runs `op` against the store on the writer thread, after every transition queued before it has
  // been applied (it may see some queued after it: a batch's transitions go first, in one
  // transaction), and completes on `io` (never inline) with what it returned. `op` must not
  // capture references to the caller's frame (it runs on another thread while the caller waits,
  // but a cancelled caller may be gone): capture copies. It runs even after a sticky failure (the
  // store's own methods then report it). Pass a named std::function (moved), never a lambda
  // written inside the co_await expression: GCC 12 mis-destroys such a temporary.
  template <class T>
  boost::asio::awaitable<Result<T>> Run(std::function<Result<T>(StateStore&)> op) {
    // Not a coroutine itself (like Commit): `op` moves straight into the initiation.
    auto initiate = [this, op = std::move(op)](auto handler) mutable {
      auto shared = std::make_shared<decltype(handler)>(std::move(handler));
      auto slot = std::make_shared<std::optional<Result<T>>>();
      auto io = boost::asio::prefer(io_, boost::asio::execution::outstanding_work.tracked);
      EnqueueOp([slot, op = std::move(op)](StateStore& store) { slot->emplace(op(store)); },
                [shared, io, slot] {
                  boost::asio::post(io, [shared, slot]() mutable { (*shared)(std::move(**slot)); });
                });
    };
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Result<T>)>(
        std::move(initiate), boost::asio::use_awaitable);
  }

  // The sticky write error, if any.
  std::optional<Error> Failed() const;
  // Blocks until every queued transition has been applied and its completion posted (tests and
  // benchmarks use it to reach a quiescent point; never called on a coroutine).
  void WaitIdle();

  std::uint64_t transactions() const;
  std::uint64_t transitions() const;

 private:
  struct Pending {
    Transition transition;
    std::function<void(Result<void>)> done;
    bool awaited = false;  // Commit or Run (someone waits for it), not Submit
    std::function<void(StateStore&)> op;  // set: a Run, not a transition
  };
  void Enqueue(Pending p);
  void EnqueueOp(std::function<void(StateStore&)> op, std::function<void()> done);
  // Applies `batch` (transitions only) in one transaction and completes them.
  void ApplyGroup(std::deque<Pending>& batch);
  void WriterLoop();

  StateStore& store_;
  boost::asio::any_io_executor io_;
  const std::chrono::microseconds linger_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;        // guarded by mu_
  std::size_t awaited_queued_ = 0;   // guarded by mu_: Commit()s in queue_
  bool busy_ = false;                // guarded by mu_: a batch is being applied
  bool stop_ = false;                // guarded by mu_
  std::optional<Error> failed_;      // guarded by mu_
  std::uint64_t transactions_ = 0;   // guarded by mu_
  std::uint64_t transitions_ = 0;    // guarded by mu_
  std::thread writer_;               // last: started after every field above
};

}  // namespace tenure::engine
