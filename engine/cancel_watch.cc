#include "engine/cancel_watch.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>

namespace tenure::engine {

CancelWatch::CancelWatch(boost::asio::any_io_executor io, Clock& clock, StateStore& store, std::string owner,
                         std::chrono::milliseconds poll)
    : io_(io), clock_(clock), store_(store), owner_(std::move(owner)), poll_(poll), wake_(io), idle_(io) {}

void CancelWatch::Join(const std::string& run_id, std::function<void()> on_cancel) {
  runs_[run_id] = std::move(on_cancel);
  if (watching_) return;
  watching_ = true;
  boost::asio::co_spawn(io_, Watch(), [](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);  // a bug: surface it from io_context::run
  });
}

boost::asio::awaitable<void> CancelWatch::Leave(const std::string& run_id) {
  runs_.erase(run_id);
  if (!runs_.empty()) co_return;
  wake_.NotifyAll();
  // Another run may join meanwhile: then the watcher goes on, for it, and this run need not wait.
  while (watching_ && runs_.empty()) co_await idle_.Wait();
}

boost::asio::awaitable<void> CancelWatch::Watch() {
  using namespace boost::asio::experimental::awaitable_operators;
  while (!runs_.empty()) {
    co_await (clock_.SleepFor(poll_) || wake_.Wait());
    if (runs_.empty()) break;
    auto requested = store_.CancelRequests(owner_);
    if (requested) {
      for (const std::string& id : *requested) {
        auto it = runs_.find(id);
        if (it == runs_.end() || !it->second) continue;
        auto on_cancel = std::exchange(it->second, nullptr);  // once
        on_cancel();
      }
    }
    idle_.NotifyAll();
  }
  watching_ = false;
  idle_.NotifyAll();
}

}  // namespace tenure::engine
