// Scheduler: the pure part of schedules (no I/O, no coroutines), as Plan is to the executor. When a
// schedule is added: its first instant. When it is due: whether to fire or skip (catch-up policy),
// the instant after, and the words for the audit log. The daemon does the effects.
#pragma once

#include <chrono>
#include <string>

#include "engine/clock.h"
#include "engine/state_store.h"
#include "workflows/error.h"

namespace tenure::engine {

// How late a fire may be before the catch-up policy calls it missed (a restart of a few seconds
// is not "downtime").
inline constexpr std::chrono::milliseconds kCatchUpGrace{std::chrono::minutes(1)};

// The first instant of a schedule added at `now`: a one-shot's local `at` in `zone` (a past instant
// is allowed: it is due at once), or a cron rule's next instant after `now`. Errors
// (kInvalidArgument) name what is wrong: the zone, the date-time, the cron field.
Result<std::int64_t> FirstFire(const std::string& cron, const std::string& at, const std::string& zone,
                               SystemTime now);

struct FireDecision {
  bool fire = true;          // false: skipped (catch_up: skip, missed by more than the grace)
  std::int64_t fire_ms = 0;  // the instant that was due
  std::int64_t next_ms = 0;  // the instant after (0: a one-shot is done)
  int missed = 0;            // cron instants passed while nobody fired them, including this one
  std::string detail;        // "due 2026-12-18 16:00 CET (2026-12-18T15:00:00.000Z), fired 2.1 s late"
};

// What to do with `s`, due at `now` (s.next_ms <= now):
// - one-shot: fire (next 0); with catch_up: skip and more than `grace` late: skip.
// - cron, fire_once: one fire for every instant missed, next = the first instant after now.
// - cron, skip: fire when on time, else skip; next = the first instant after now.
// - cron, fire_all: fire for this instant; next = the instant after it (still due: fired next).
Result<FireDecision> DecideFire(const ScheduleRecord& s, SystemTime now,
                                std::chrono::milliseconds grace = kCatchUpGrace);

// "2.1 s", "3 min 5 s", "2 h 10 min", "3 d 4 h".
std::string FormatLateness(std::chrono::milliseconds late);

}  // namespace tenure::engine
