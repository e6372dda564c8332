#include "engine/journal.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <vector>

namespace tenure::engine {

Journal::Journal(StateStore& store, boost::asio::any_io_executor io, std::chrono::microseconds linger)
    : store_(store), io_(std::move(io)), linger_(linger), writer_([this] { WriterLoop(); }) {}

Journal::~Journal() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

boost::asio::awaitable<Result<void>> Journal::Commit(Transition t) {
  auto initiate = [this, t = std::move(t)](auto handler) mutable {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    // Tracked: the io_context must not run out of work while a commit is in flight.
    auto io = boost::asio::prefer(io_, boost::asio::execution::outstanding_work.tracked);
    Enqueue({std::move(t),
             [shared, io](Result<void> r) {
               boost::asio::post(io, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
             },
             /*awaited=*/true,
             /*op=*/{}});
  };
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void(Result<void>)>(
      std::move(initiate), boost::asio::use_awaitable);
}

void Journal::Submit(Transition t, std::function<void(Result<void>)> done) {
  auto io = boost::asio::prefer(io_, boost::asio::execution::outstanding_work.tracked);
  Enqueue({std::move(t),
           [done = std::move(done), io](Result<void> r) {
             boost::asio::post(io, [done, r = std::move(r)]() mutable { done(std::move(r)); });
           },
           /*awaited=*/false,
           /*op=*/{}});
}

void Journal::Enqueue(Pending p) {
  std::unique_lock lock(mu_);
  if (failed_) {
    const Error e = *failed_;
    lock.unlock();
    p.done(e);
    return;
  }
  if (p.awaited) ++awaited_queued_;
  queue_.push_back(std::move(p));
  lock.unlock();
  cv_.notify_all();
}

void Journal::EnqueueOp(std::function<void(StateStore&)> op, std::function<void()> done) {
  Pending p;
  p.op = std::move(op);
  p.done = [done = std::move(done)](Result<void>) { done(); };
  p.awaited = true;
  {
    std::lock_guard lock(mu_);
    ++awaited_queued_;
    queue_.push_back(std::move(p));
  }
  cv_.notify_all();
}

void Journal::ApplyGroup(std::deque<Pending>& batch) {
  std::optional<Error> already;
  {
    std::lock_guard lock(mu_);
    already = failed_;
  }
  Result<void> r = already ? Result<void>(*already) : Result<void>();
  if (!already) {
    std::vector<Transition> transitions;
    transitions.reserve(batch.size());
    for (Pending& p : batch) transitions.push_back(std::move(p.transition));
    r = store_.Apply(transitions);
  }
  for (Pending& p : batch) p.done(r);
  std::lock_guard lock(mu_);
  if (!already) {
    ++transactions_;
    transitions_ += batch.size();
  }
  // Only a database failure is sticky: afterwards the store's state is unknown. A refused
  // transition (a conflict, a run that does not exist) fails its batch and nothing else.
  if (!r && !failed_ && r.error().Is(Errc::kIo)) failed_ = r.error();
}

void Journal::WriterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and drained
    // Only transitions nobody awaits (results): the next intent, usually microseconds behind on
    // the io thread, may share this transaction and its fsync. A sequential chain then pays one
    // fsync per task instead of two.
    if (awaited_queued_ == 0 && !stop_) {
      cv_.wait_for(lock, linger_, [&] { return stop_ || awaited_queued_ > 0; });
    }
    std::deque<Pending> batch;
    batch.swap(queue_);
    awaited_queued_ = 0;
    busy_ = true;
    lock.unlock();

    // Every transition of the batch in one transaction (one fsync), then the Run ops in queue
    // order: each sees at least every transition queued before it.
    std::vector<std::size_t> ops;
    std::deque<Pending> transitions;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].op) ops.push_back(i);
      else transitions.push_back(std::move(batch[i]));
    }
    if (!transitions.empty()) ApplyGroup(transitions);
    for (std::size_t i : ops) {
      batch[i].op(store_);
      batch[i].done(Result<void>());
    }

    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

std::optional<Error> Journal::Failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

void Journal::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

std::uint64_t Journal::transactions() const {
  std::lock_guard lock(mu_);
  return transactions_;
}

std::uint64_t Journal::transitions() const {
  std::lock_guard lock(mu_);
  return transitions_;
}

}  // namespace tenure::engine
