#include "engine/limits.h"

#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/system/system_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace tenure::engine {

boost::asio::awaitable<void> WaitQueue::Wait() {
  // The frame owns the timer; the queue only points at it, so a frame destroyed mid-wait (an
  // io_context torn down with coroutines suspended) takes its timer along, and a queue that
  // outlives the io_context holds no timer of a destroyed timer service.
  auto timer = std::make_shared<boost::asio::steady_timer>(ex_, SteadyTime::max());
  auto it = waiters_.insert(waiters_.end(), timer);
  boost::system::error_code ec;
  co_await timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  // NotifyOne removed it already unless the wait itself was cancelled from outside.
  if (timer->expiry() == SteadyTime::max()) waiters_.erase(it);
  (void)ec;
}

void WaitQueue::NotifyAll() {
  while (NotifyOne()) {
  }
}

bool WaitQueue::NotifyOne() {
  while (!waiters_.empty()) {
    std::shared_ptr<boost::asio::steady_timer> t = waiters_.front().lock();
    waiters_.pop_front();
    if (!t) continue;  // its coroutine was destroyed without resuming
    t->expires_at(SteadyTime::min());  // marks it notified; also completes the wait
    return true;
  }
  return false;
}

Permit& Permit::operator=(Permit&& o) noexcept {
  if (this != &o) {
    Release();
    owner_ = std::exchange(o.owner_, nullptr);
    connection_ = std::move(o.connection_);
  }
  return *this;
}

void Permit::Release() {
  if (owner_ != nullptr) std::exchange(owner_, nullptr)->Release(connection_);
}

Limiter::Limiter(boost::asio::any_io_executor ex, Clock& clock, int global_max_in_flight)
    : ex_(ex), clock_(clock), global_max_(global_max_in_flight), global_queue_(ex) {}

Limiter::Conn& Limiter::Get(const std::string& connection, const ConnectionLimits& limits) {
  auto [it, inserted] = conns_.try_emplace(connection);
  if (inserted) {
    it->second.limits = limits;
    it->second.tokens = 1.0;  // a burst of one: the first call never waits for the bucket
    it->second.refilled = clock_.SteadyNow();
    it->second.queue = std::make_unique<WaitQueue>(ex_);
  }
  return it->second;
}

boost::asio::awaitable<Permit> Limiter::Acquire(const std::string& connection, ConnectionLimits limits) {
  Conn& c = Get(connection, limits);
  c.limits = limits;
  bool woken_by_global = false;
  for (;;) {
    // A cancelled waiter must not loop back into a queue.
    if ((co_await boost::asio::this_coro::cancellation_state).cancelled() != boost::asio::cancellation_type::none) {
      throw boost::system::system_error(boost::asio::error::operation_aborted);
    }
    const SteadyTime now = clock_.SteadyNow();
    if (c.paused_until > now) {
      co_await clock_.SleepUntil(c.paused_until);
      continue;
    }
    if (c.limits.max_in_flight > 0 && c.in_flight >= c.limits.max_in_flight) {
      // Woken for a global slot we cannot use: hand the wake-up on.
      if (std::exchange(woken_by_global, false)) global_queue_.NotifyOne();
      co_await c.queue->Wait();
      continue;
    }
    if (global_max_ > 0 && in_flight_ >= global_max_) {
      co_await global_queue_.Wait();
      woken_by_global = true;
      continue;
    }
    if (c.limits.rate_per_second > 0) {
      const double elapsed = std::chrono::duration<double>(now - c.refilled).count();
      c.tokens = std::min(1.0, c.tokens + elapsed * c.limits.rate_per_second);
      c.refilled = now;
      if (c.tokens < 1.0) {
        const auto wait = std::chrono::duration<double>((1.0 - c.tokens) / c.limits.rate_per_second);
        co_await clock_.SleepUntil(now + std::chrono::ceil<std::chrono::milliseconds>(wait));
        continue;
      }
      c.tokens -= 1.0;
    }
    ++c.in_flight;
    ++in_flight_;
    c.peak = std::max(c.peak, c.in_flight);
    co_return Permit(this, connection);
  }
}

void Limiter::Release(const std::string& connection) {
  Conn& c = conns_.at(connection);
  --c.in_flight;
  --in_flight_;
  c.queue->NotifyOne();
  global_queue_.NotifyOne();
}

void Limiter::Pause(const std::string& connection, SteadyTime until) {
  Conn& c = Get(connection, {});
  c.paused_until = std::max(c.paused_until, until);
}

int Limiter::in_flight(const std::string& connection) const {
  auto it = conns_.find(connection);
  return it == conns_.end() ? 0 : it->second.in_flight;
}

int Limiter::peak_in_flight(const std::string& connection) const {
  auto it = conns_.find(connection);
  return it == conns_.end() ? 0 : it->second.peak;
}

}  // namespace tenure::engine
