// Limits: the process-wide gates every connector call passes through, shared by all runs:
// a global cap on calls in flight, and per connection `max_in_flight`, a token bucket for `rate`,
// and a pause (a 429 with Retry-After on one task pauses the connection for every task).
//
// Design: waiters queue FIFO per resource (global slots, each connection's slots) and a release
// wakes one waiter of that resource; a woken waiter that cannot use what it was woken for passes
// the wake-up on, so no free slot is ever left with waiters asleep. Rate and pause waits sleep on
// the Clock.
// Connections are identified by name: two playbooks that name different tenants alike share
// limits (conservative, never over the limit).
// Threading: engine executor only (one io_context thread).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "engine/clock.h"

namespace tenure::engine {

// Coroutines wait here until NotifyOne wakes them, oldest first.
class WaitQueue {
 public:
  explicit WaitQueue(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  // Completes at a NotifyOne, or when the awaiting operation is cancelled (no exception either way).
  boost::asio::awaitable<void> Wait();
  // Wakes the oldest waiter; returns false when nobody waits.
  bool NotifyOne();
  void NotifyAll();
  std::size_t size() const { return waiters_.size(); }  // may count waiters destroyed mid-wait

 private:
  boost::asio::any_io_executor ex_;
  std::list<std::weak_ptr<boost::asio::steady_timer>> waiters_;  // owned by the waiting frames
};

struct ConnectionLimits {
  double rate_per_second = 0;  // 0 = unlimited
  int max_in_flight = 0;       // 0 = unlimited
};

class Limiter;

// A held slot: releasing it (destruction) wakes the next waiter. Move-only.
class Permit {
 public:
  Permit() = default;
  Permit(Limiter* owner, std::string connection) : owner_(owner), connection_(std::move(connection)) {}
  Permit(Permit&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), connection_(std::move(o.connection_)) {}
  Permit& operator=(Permit&& o) noexcept;
  ~Permit() { Release(); }
  void Release();

 private:
  Limiter* owner_ = nullptr;
  std::string connection_;
};

class Limiter {
 public:
  // `global_max_in_flight` <= 0 means unlimited. The clock must outlive the Limiter.
  Limiter(boost::asio::any_io_executor ex, Clock& clock, int global_max_in_flight);

  // Waits until a global slot, a slot of `connection`, a rate token and the end of any pause are
  // all available, then takes them. Every call for a connection passes the same limits.
  // Cancellation: a cancelled pause/rate sleep throws system_error(operation_aborted); a
  // cancelled slot wait loops, so callers cancel through the `||` operator, not a bare slot.
  boost::asio::awaitable<Permit> Acquire(const std::string& connection, ConnectionLimits limits);
  // No call on `connection` starts before `until` (the later of this and any earlier pause).
  void Pause(const std::string& connection, SteadyTime until);

  int in_flight() const { return in_flight_; }
  int in_flight(const std::string& connection) const;
  int peak_in_flight(const std::string& connection) const;

 private:
  friend class Permit;
  struct Conn {
    ConnectionLimits limits;
    int in_flight = 0;
    int peak = 0;
    double tokens = 0;
    SteadyTime refilled{};
    SteadyTime paused_until{};
    std::unique_ptr<WaitQueue> queue;
  };
  Conn& Get(const std::string& connection, const ConnectionLimits& limits);
  void Release(const std::string& connection);

  boost::asio::any_io_executor ex_;
  Clock& clock_;
  const int global_max_;
  int in_flight_ = 0;
  WaitQueue global_queue_;
  std::map<std::string, Conn> conns_;
};

}  // namespace tenure::engine
