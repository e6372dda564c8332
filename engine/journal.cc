#include "engine/journal.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace tenure::engine {

Journal::Journal(StateStore& store, boost::asio::any_io_executor io, std::chrono::microseconds linger,
                 std::chrono::milliseconds max_defer)
    : store_(store), io_(std::move(io)), linger_(linger), max_defer_(max_defer), writer_([this] { WriterLoop(); }) {}

Journal::~Journal() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  writer_.join();
}

boost::asio::awaitable<Result<void>> Journal::Commit(Transition t, Urgency urgency) {
  auto initiate = [this, t = std::move(t), urgency](auto handler) mutable {
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    // Tracked: the io_context must not run out of work while a commit is in flight.
    auto io = boost::asio::prefer(io_, boost::asio::execution::outstanding_work.tracked);
    Enqueue({std::move(t),
             [shared, io](Result<void> r) {
               boost::asio::post(io, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
             },
             /*urgent=*/urgency == Urgency::kUrgent,
             /*independent=*/false,
             /*op=*/{},
             {}});
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
           /*urgent=*/false,
           /*independent=*/false,
           /*op=*/{},
           {}});
}

void Journal::Enqueue(Pending p) {
  std::unique_lock lock(mu_);
  if (failed_) {
    const Error e = *failed_;
    lock.unlock();
    p.done(e);
    return;
  }
  if (p.urgent) ++urgent_queued_;
  else p.queued = std::chrono::steady_clock::now();
  queue_.push_back(std::move(p));
  lock.unlock();
  cv_.notify_all();
}

void Journal::EnqueueOp(std::function<void(StateStore&)> op, std::function<void()> done, bool independent) {
  Pending p;
  p.op = std::move(op);
  p.done = [done = std::move(done)](Result<void>) { done(); };
  p.urgent = true;
  p.independent = independent;
  {
    std::lock_guard lock(mu_);
    ++urgent_queued_;
    queue_.push_back(std::move(p));
  }
  cv_.notify_all();
}

void Journal::ApplyGroup(std::vector<Pending>& batch, std::vector<Transition>& transitions) {
  std::optional<Error> already;
  {
    std::lock_guard lock(mu_);
    already = failed_;
  }
  Result<void> r = already ? Result<void>(*already) : Result<void>();
  if (!already) {
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

std::vector<Journal::Pending> Journal::TakeBatch() {
  std::vector<Pending> batch;
  if (stop_ || urgent_queued_ == 0) {  // draining, or only lazy work: all of it
    batch.swap(queue_);
    urgent_queued_ = 0;
    return batch;
  }
  // Urgent work waits: take it, and of the lazy transitions only those that must go first (an
  // urgent transition of the same run, or an op that must see them, queued after them) or that
  // waited max_defer. Marked from the back, so "queued after" is what has been seen so far.
  const auto overdue = std::chrono::steady_clock::now() - max_defer_;
  std::vector<char> take(queue_.size(), 0);
  std::unordered_set<std::string_view> urgent_runs;
  bool barrier_after = false;
  for (std::size_t i = queue_.size(); i-- > 0;) {
    const Pending& p = queue_[i];
    if (p.op) {
      take[i] = 1;
      barrier_after = barrier_after || !p.independent;
    } else if (p.urgent) {
      take[i] = 1;
      urgent_runs.insert(p.transition.run_id);
    } else if (barrier_after || p.queued <= overdue || urgent_runs.count(p.transition.run_id) != 0) {
      take[i] = 1;
      // Its own run's earlier lazy transitions go with it (per-run order).
      urgent_runs.insert(p.transition.run_id);
    }
  }
  std::vector<Pending> rest;
  rest.reserve(queue_.size());
  for (std::size_t i = 0; i < queue_.size(); ++i) {
    (take[i] ? batch : rest).push_back(std::move(queue_[i]));
  }
  queue_.swap(rest);
  urgent_queued_ = 0;
  return batch;
}

void Journal::WriterLoop() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and drained
    // Only lazy transitions (results): the next intent, usually microseconds behind on the io
    // thread, may share this transaction and its fsync. A sequential chain then pays one fsync
    // per task instead of two.
    if (urgent_queued_ == 0 && !stop_) {
      cv_.wait_for(lock, linger_, [&] { return stop_ || urgent_queued_ > 0; });
    }
    std::vector<Pending> batch = TakeBatch();
    busy_ = true;
    lock.unlock();

    // Every transition of the batch in one transaction (one fsync), then the Run ops in queue
    // order: each sees at least every transition queued before it.
    std::vector<std::size_t> ops;
    std::vector<Pending> pending;
    pending.reserve(batch.size());
    std::vector<Transition> transitions;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].op) ops.push_back(i);
      else pending.push_back(std::move(batch[i]));
    }
    if (!pending.empty()) ApplyGroup(pending, transitions);
    for (std::size_t i : ops) {
      batch[i].op(store_);
      batch[i].done(Result<void>());
    }
    // What the io thread allocated (transitions, completion handlers) is freed there too: glibc's
    // malloc is slow when one thread frees what another allocates (the allocating thread's cache
    // runs dry and every allocation goes to the shared arena), which measured a third of both
    // threads' time with thousands of runs starting at once.
    boost::asio::post(io_, [spent = std::make_shared<Spent>(Spent{std::move(batch), std::move(pending),
                                                                 std::move(transitions)})] {});

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
