// Cron expressions and local wall-clock instants in IANA time zones: when a schedule fires next.
// Pure (no I/O besides the system's tz database, read through date-tz); the daemon and
// `tenure schedule` call it with their clock's "now".
//
// Cron: five fields, minute hour day-of-month month day-of-week, each `*`, a number, a range
// `a-b`, a step `*/n` or `a-b/n` or `a/n`, or a comma list of those. Months take JAN-DEC and
// weekdays SUN-SAT (any case); weekday 7 is Sunday too. As in Vixie cron, when both day-of-month
// and day-of-week are restricted (neither is `*`), a day matches if either matches.
//
// Daylight-saving time (documented in docs/schedules.md):
// - A local time that does not exist (skipped when clocks go forward, e.g. 02:30 in Europe/Berlin
//   on the last Sunday of March) fires at the moment the gap ends (03:00 local), once, however many
//   skipped minutes matched.
// - A local time that occurs twice (clocks go back, e.g. 02:30 on the last Sunday of October)
//   fires once, at its first occurrence.
#pragma once

#include <bitset>
#include <string>
#include <string_view>

#include "engine/clock.h"
#include "workflows/error.h"

namespace tenure::engine {

struct CronSpec {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;      // 1..31
  std::bitset<13> months;    // 1..12
  std::bitset<7> weekdays;   // 0 = Sunday
  bool any_day = true;       // day-of-month was `*`
  bool any_weekday = true;   // day-of-week was `*`
  std::string text;          // as written
};

// Parses a five-field cron expression. Errors (kInvalidArgument) name the field, quote it and say
// what was expected, e.g. "cron \"0 25 * * *\": hour: 25 is out of range 0-23".
Result<CronSpec> ParseCron(std::string_view text);

// Whether `zone` is an IANA time zone name this machine's tz database knows. Errors:
// kInvalidArgument "unknown time zone 'EMEA' (expected an IANA name like Europe/Berlin)".
Result<void> CheckTimeZone(std::string_view zone);

// The first instant strictly after `after` at which `cron` fires in `zone`. Errors:
// kInvalidArgument for an unknown zone, or when the expression never fires within 8 years
// (e.g. "0 0 31 2 *": February 31st).
Result<SystemTime> NextCronFire(const CronSpec& cron, std::string_view zone, SystemTime after);

// A local wall-clock time "YYYY-MM-DDTHH:MM[:SS]" in `zone` as an instant, with the DST rules
// above (a skipped time maps to the end of the gap; a repeated one to its first occurrence). An
// explicit offset or Z is accepted too (then `zone` only names where the person is).
Result<SystemTime> LocalInstant(std::string_view text, std::string_view zone);

// "2026-12-18 16:00 CET" : `t` as local time in `zone` with its abbreviation.
std::string FormatLocal(SystemTime t, std::string_view zone);

}  // namespace tenure::engine
