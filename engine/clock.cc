#include "engine/clock.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <ctime>

namespace tenure::engine {

boost::asio::awaitable<void> Clock::SleepFor(std::chrono::milliseconds d) {
  co_await SleepUntil(SteadyNow() + d);
}

SteadyTime Clock::SteadyAt(SystemTime t) const {
  return SteadyNow() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(t - Now());
}

boost::asio::awaitable<void> SystemClock::SleepUntil(SteadyTime t) {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, t);
  co_await timer.async_wait(boost::asio::use_awaitable);
}

std::int64_t ToUnixMillis(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

SystemTime FromUnixMillis(std::int64_t ms) { return SystemTime(std::chrono::milliseconds(ms)); }

std::string FormatRfc3339(SystemTime t) {
  const std::int64_t ms = ToUnixMillis(t);
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms % 1000));
  return out;
}

}  // namespace tenure::engine
