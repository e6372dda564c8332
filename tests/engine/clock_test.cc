#include "engine/clock.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "engine/timer.h"
#include "tests/engine/support/manual_clock.h"

namespace tenure::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("ManualClock wakes sleepers only when advanced past their deadline", "[clock]") {
  boost::asio::io_context io;
  testing::ManualClock clock;
  int woke = 0;
  auto sleeper = [&](milliseconds d) -> boost::asio::awaitable<void> {
    co_await clock.SleepFor(d);
    ++woke;
  };
  boost::asio::co_spawn(io, sleeper(seconds(5)), boost::asio::detached);
  boost::asio::co_spawn(io, sleeper(seconds(10)), boost::asio::detached);
  io.poll();
  CHECK(clock.sleepers() == 2);
  clock.Advance(seconds(4));
  io.poll();
  CHECK(woke == 0);
  clock.Advance(seconds(1));
  io.poll();
  CHECK(woke == 1);
  clock.Advance(seconds(60));
  io.poll();
  CHECK(woke == 2);
  CHECK(clock.sleepers() == 0);
}

TEST_CASE("a sleep loses a race and is cancelled", "[clock]") {
  using namespace boost::asio::experimental::awaitable_operators;
  boost::asio::io_context io;
  testing::ManualClock clock;
  int winner = -1;
  auto race = [&]() -> boost::asio::awaitable<void> {
    auto r = co_await (clock.SleepFor(seconds(1)) || clock.SleepFor(seconds(9)));
    winner = static_cast<int>(r.index());
  };
  boost::asio::co_spawn(io, race(), boost::asio::detached);
  io.poll();
  clock.Advance(seconds(1));
  io.poll();
  CHECK(winner == 0);
  CHECK(clock.sleepers() == 0);  // the 9 s sleep was cancelled
}

TEST_CASE("RFC 3339 formatting and instants", "[clock][timer]") {
  CHECK(FormatRfc3339(FromUnixMillis(1767603600123)) == "2026-01-05T09:00:00.123Z");
  CHECK(ToUnixMillis(*ParseInstant("2026-01-05T09:00:00Z", "")) == 1767603600000);
  CHECK(ToUnixMillis(*ParseInstant("2026-01-05T10:30:00+01:30", "")) == 1767603600000);
  CHECK(ToUnixMillis(*ParseInstant("2026-07-01T12:00:00", "Europe/Paris")) == 1782900000000);  // CEST
  CHECK(ParseInstant("2026-13-01T00:00:00Z", "").error().message ==
        "timer.wait: `until` '2026-13-01T00:00:00Z' is not an RFC 3339 instant");
  CHECK(ToUnixMillis(*ParseInstant("2026-01-05T09:00:00", "America/New_York")) == 1767621600000);  // EST
  CHECK(ParseInstant("2026-07-01T12:00:00", "Europe/Pari").error().message ==
        "timer.wait: unknown time zone 'Europe/Pari' (expected an IANA name like Europe/Paris)");
  CHECK(ParseInstant("2026-01-05T09:00:00", "").error().message ==
        "timer.wait: `until` '2026-01-05T09:00:00' has no UTC offset; add one (Z, +01:00) or give `time_zone`");
}

TEST_CASE("timer due times", "[timer]") {
  const SystemTime now = FromUnixMillis(1767603600000);
  Map args;
  args.Set("for", "30d");
  CHECK(*TimerDue(args, now) - now == std::chrono::hours(24 * 30));
  CHECK(TimerDue(Map(), now).error().message == "timer.wait needs `until` or `for`");
}

}  // namespace
}  // namespace tenure::engine
