#include "tests/engine/support/manual_clock.h"

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace tenure::engine::testing {

ManualClock::ManualClock() : system_start_(FromUnixMillis(1767603600000)) {}  // 2026-01-05T09:00:00Z

boost::asio::awaitable<void> ManualClock::SleepUntil(SteadyTime t) {
  if (t <= SteadyNow()) co_return;
  auto s = std::make_shared<Sleeper>();
  s->deadline = t;
  s->timer = std::make_unique<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor, SteadyTime::max());
  sleepers_.push_back(s);
  boost::system::error_code ec;
  co_await s->timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
  s->done = true;
  std::erase_if(sleepers_, [&](const std::weak_ptr<Sleeper>& w) { return w.expired() || w.lock() == s; });
  if (!s->fired) throw boost::system::system_error(boost::asio::error::operation_aborted);
}

void ManualClock::Advance(std::chrono::milliseconds d) {
  offset_ += d;
  for (const auto& w : std::vector(sleepers_)) {
    auto s = w.lock();
    if (s && !s->done && !s->fired && s->deadline <= SteadyNow()) {
      s->fired = true;
      s->timer->cancel();
    }
  }
}

std::size_t ManualClock::sleepers() const {
  return static_cast<std::size_t>(std::count_if(sleepers_.begin(), sleepers_.end(), [](const auto& w) {
    auto s = w.lock();
    return s && !s->fired && !s->done;
  }));
}

SteadyTime ManualClock::NextDeadline() const {
  SteadyTime next = SteadyTime::max();
  for (const auto& w : sleepers_) {
    auto s = w.lock();
    if (s && !s->fired && !s->done) next = std::min(next, s->deadline);
  }
  return next;
}

}  // namespace tenure::engine::testing
