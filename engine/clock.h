// Clock: the engine's only source of time. Records carry system time (Now); waits use the steady
// clock (SteadyNow, SleepUntil, SleepFor) so a wall-clock jump never stretches a backoff.
//
// Threading: engine executor only (one io_context thread). SleepUntil/SleepFor complete on the
// awaiting coroutine's executor.
// Cancellation: a sleep supports per-operation cancellation (the losing branch of `||`, or a bound
// cancellation slot); a cancelled sleep throws boost::system::system_error(operation_aborted).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <string>

namespace tenure::engine {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime Now() const = 0;
  virtual SteadyTime SteadyNow() const = 0;
  // Completes when SteadyNow() >= t (at once when t has passed).
  virtual boost::asio::awaitable<void> SleepUntil(SteadyTime t) = 0;
  boost::asio::awaitable<void> SleepFor(std::chrono::milliseconds d);
  // The steady time at which system time `t` will be reached, assuming no wall-clock jump.
  SteadyTime SteadyAt(SystemTime t) const;
};

// Real time: system_clock and a steady_timer on the awaiting coroutine's executor.
class SystemClock final : public Clock {
 public:
  SystemTime Now() const override { return std::chrono::system_clock::now(); }
  SteadyTime SteadyNow() const override { return std::chrono::steady_clock::now(); }
  boost::asio::awaitable<void> SleepUntil(SteadyTime t) override;
};

// Milliseconds since the Unix epoch (the store's time encoding).
std::int64_t ToUnixMillis(SystemTime t);
SystemTime FromUnixMillis(std::int64_t ms);
// RFC 3339 in UTC with milliseconds: "2026-11-23T07:45:00.123Z".
std::string FormatRfc3339(SystemTime t);

}  // namespace tenure::engine
