// Durable timers: the due time of a `timer.wait` from its arguments. Pure except for the system
// time-zone database (read through the C library for `time_zone`).
#pragma once

#include "engine/clock.h"
#include "workflows/error.h"
#include "workflows/value.h"

namespace tenure::engine {

// `args` holds `for` (a duration such as "30d") or `until` (RFC 3339; without an offset it needs
// `time_zone`, an IANA name such as "Europe/Paris"). Errors (kInvalidArgument) quote the value:
// "timer.wait: `until` '2026-13-01T00:00:00Z' is not an RFC 3339 instant".
Result<SystemTime> TimerDue(const Map& args, SystemTime now);

// Parses "YYYY-MM-DDTHH:MM[:SS[.frac]]" with "Z"/"+HH:MM"/"-HH:MM", or without an offset when
// `time_zone` is given (then local time in that zone). Years outside 1970..2200 are refused
// (the clock's nanoseconds would overflow near 2262).
inline constexpr int kMinInstantYear = 1970;
inline constexpr int kMaxInstantYear = 2200;
Result<SystemTime> ParseInstant(std::string_view text, std::string_view time_zone);

}  // namespace tenure::engine
