// ManualClock: a Clock that only moves when a test calls Advance. Sleepers never really sleep:
// each waits on a steady_timer that Advance (or cancellation) completes.
#pragma once

#include <memory>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "engine/clock.h"

namespace tenure::engine::testing {

class ManualClock final : public Clock {
 public:
  // Starts at 2026-01-05T09:00:00Z.
  ManualClock();
  SystemTime Now() const override { return system_start_ + offset_; }
  SteadyTime SteadyNow() const override { return steady_start_ + offset_; }
  boost::asio::awaitable<void> SleepUntil(SteadyTime t) override;

  // Moves time forward by `d` and completes every sleep that is now due (run the io_context
  // afterwards to let the sleepers continue).
  void Advance(std::chrono::milliseconds d);
  // Sleeps not yet due and not cancelled.
  std::size_t sleepers() const;
  // The earliest pending deadline, or SteadyTime::max().
  SteadyTime NextDeadline() const;

 private:
  struct Sleeper {
    SteadyTime deadline;
    std::unique_ptr<boost::asio::steady_timer> timer;
    bool fired = false;
    bool done = false;
  };
  SystemTime system_start_;
  SteadyTime steady_start_{};
  std::chrono::steady_clock::duration offset_{0};
  // Weak: a sleeper belongs to its coroutine frame, which the io_context may destroy first.
  std::vector<std::weak_ptr<Sleeper>> sleepers_;
};

}  // namespace tenure::engine::testing
