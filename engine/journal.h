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
#include <vector>
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
  // batch holding only lazy transitions waits for an urgent one to join it; `max_defer` how long a
  // lazy transition may be held back while urgent work keeps the writer busy.
  Journal(StateStore& store, boost::asio::any_io_executor io,
          std::chrono::microseconds linger = std::chrono::microseconds(1000),
          std::chrono::milliseconds max_defer = std::chrono::milliseconds(1000));
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Urgent: something waits for it before it acts on the world (a run start, an intent before
  // its call, a fire). Lazy: nothing outside waits for it (a result, a run's last write); while
  // urgent work is queued, lazy transitions are held back (at most `max_defer`), so that under a
  // burst (10,000 schedules due at once) every run reaches its first call before the writer
  // spends time on the bookkeeping of runs already done.
  enum class Urgency { kUrgent, kLazy };

  // Durably records `t`. Completes (always on `io`, never inline) once the transaction holding it
  // committed, or with the error that made it fail.
  //
  // Order: the transitions of one run are applied in submission order (Commit and Submit alike):
  // a lazy transition is applied no later than any transition of the same run queued after it,
  // so anything submitted later for a run is durable only if `t` is. Across runs, an urgent
  // transition may be applied before a lazy one queued earlier. A Run op sees every transition
  // queued before it (a fire chunk, RunThen(..., independent), need not).
  boost::asio::awaitable<Result<void>> Commit(Transition t, Urgency urgency = Urgency::kUrgent);
  // A lazy commit without waiting: `done` runs on `io` once the transaction holding `t` committed
  // or failed. Alone, a lazy transition lingers (at most `linger`) for an urgent one to share its
  // transaction; behind urgent work, up to `max_defer`. Either way it becomes durable that much
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
      RunThen<T>(std::move(op), [shared](Result<T> r) { (*shared)(std::move(r)); });
    };
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Result<T>)>(
        std::move(initiate), boost::asio::use_awaitable);
  }

  // Run without waiting: `op` is queued now (before this returns), and `done` runs on `io` with
  // what it returned. The daemon uses it to queue the next fire chunk while it still starts the
  // runs of the previous one. Same rules for `op` as Run. `independent`: `op` touches nothing a
  // queued transition writes (a fire creates new runs), so lazy transitions need not go first.
  template <class T>
  void RunThen(std::function<Result<T>(StateStore&)> op, std::function<void(Result<T>)> done,
               bool independent = false) {
    auto slot = std::make_shared<std::optional<Result<T>>>();
    auto io = boost::asio::prefer(io_, boost::asio::execution::outstanding_work.tracked);
    EnqueueOp([slot, op = std::move(op)](StateStore& store) { slot->emplace(op(store)); },
              [done = std::move(done), io, slot] {
                boost::asio::post(io, [done, slot] { done(std::move(**slot)); });
              },
              independent);
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
    bool urgent = false;                  // see Urgency; every op is urgent
    bool independent = false;             // an op that need not see lazy transitions queued before it
    std::function<void(StateStore&)> op;  // set: a Run, not a transition
    std::chrono::steady_clock::time_point queued;  // lazy: when (max_defer)
  };
  struct Spent {  // a batch once applied, destroyed on the io thread that allocated it
    std::vector<Pending> batch, pending;
    std::vector<Transition> transitions;
  };
  void Enqueue(Pending p);
  void EnqueueOp(std::function<void(StateStore&)> op, std::function<void()> done, bool independent = false);
  // Moves the next batch out of queue_ (REQUIRES mu_ held): see Urgency.
  std::vector<Pending> TakeBatch();
  // Applies `batch` (transitions only) in one transaction and completes them.
  // The transitions moved out of `batch` go to `transitions` (freed later on the io thread).
  void ApplyGroup(std::vector<Pending>& batch, std::vector<Transition>& transitions);
  void WriterLoop();

  StateStore& store_;
  boost::asio::any_io_executor io_;
  const std::chrono::microseconds linger_;
  const std::chrono::milliseconds max_defer_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Pending> queue_;        // guarded by mu_
  std::size_t urgent_queued_ = 0;    // guarded by mu_: urgent entries in queue_
  bool busy_ = false;                // guarded by mu_: a batch is being applied
  bool stop_ = false;                // guarded by mu_
  std::optional<Error> failed_;      // guarded by mu_
  std::uint64_t transactions_ = 0;   // guarded by mu_
  std::uint64_t transitions_ = 0;    // guarded by mu_
  std::thread writer_;               // last: started after every field above
};

}  // namespace tenure::engine
