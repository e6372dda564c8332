// People in the loop: who may decide a manual task, and its deadline machinery (due, remind,
// escalate, on_overdue), computed from the task's rendered arguments. Pure: no I/O, no clock of
// its own (the caller passes `now`), so tests drive it across weekends and holidays.
//
// A working-day calendar lives here on purpose, small and self-contained: weekends (Saturday,
// Sunday) and a list of holiday dates, in one time zone. (The expression language may grow its own
// calendar; the two can be unified later.)
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/clock.h"
#include "workflows/error.h"
#include "workflows/value.h"

namespace tenure::engine {

// True for "name@domain.tld" (no spaces, quotes, angle brackets or commas).
bool IsEmail(std::string_view s);

// Weekends plus holidays ("YYYY-MM-DD"), in an IANA time zone ("UTC" by default).
struct Calendar {
  std::set<std::string> holidays;
  std::string time_zone = "UTC";
};

// `start` plus `days` working days, at the same local time of day: 5 working days from Friday
// 10:00 is the next Friday 10:00; a holiday on Wednesday makes it Monday. A start on a weekend or
// holiday counts from the next working day. Errors: kInvalidArgument for an unknown time zone.
Result<SystemTime> AddWorkingDays(SystemTime start, int days, const Calendar& calendar);

// The deadline of `due` from `start`: a duration ("24h", "2d"), "N working days" (or "N working
// day"), or an instant ("2026-12-18T16:00", in the calendar's zone unless it has an offset).
// Errors (kInvalidArgument) quote the value.
Result<SystemTime> DueFrom(std::string_view due, SystemTime start, const Calendar& calendar);

// What a manual task's arguments ask of the people machinery, with instants resolved from the time
// the task started waiting.
struct PeoplePolicy {
  std::vector<std::string> approvers;  // as rendered: e-mails and OS users
  std::string notify;                  // connection name, "" = none
  std::int64_t due_ms = 0;             // 0 = no deadline
  std::int64_t remind_every_ms = 0;    // 0 = no reminders
  std::int64_t escalate_ms = 0;        // the instant of escalation, 0 = none
  std::vector<std::string> escalate_to;
  bool fail_when_overdue = false;      // on_overdue: fail
};

// Reads approvers, notify, due (+ holidays, time_zone), remind ("every 1d"), escalate ({after,
// to}) and on_overdue from rendered `args`. Errors name the field under `path`
// ("tasks.forward.with.remind: expected `every <duration>`, got 'daily'").
Result<PeoplePolicy> ReadPeoplePolicy(const Value& args, SystemTime started, const std::string& path);

// The bookkeeping a waiting manual task keeps in its row (result["_people"]).
struct PeopleState {
  std::int64_t due_ms = 0;
  std::int64_t next_remind_ms = 0;  // 0 = none pending
  std::int64_t escalate_ms = 0;     // 0 = none, or done
  bool escalated = false;
  bool overdue = false;             // the deadline passed (an `overdue` event was recorded)
  bool notified = false;            // the first notices went out
  Value ToValue() const;
  static PeopleState FromValue(const Value& v);
  // The earliest instant at which something is to be done, 0 = none (row.due_ms: the daemon wakes
  // the run then).
  std::int64_t NextInstant(bool fail_when_overdue) const;
};

// What is due at `now_ms` for a waiting task in `state`.
struct PeopleDue {
  bool remind = false;
  bool escalate = false;
  bool overdue = false;  // the deadline passed just now (first time seen)
};
PeopleDue WhatIsDue(const PeopleState& state, std::int64_t now_ms);

// The state after acting on `due` at `now_ms`.
void Advance(PeopleState& state, const PeopleDue& due, const PeoplePolicy& policy, std::int64_t now_ms);

// Whether the waiting row's result (its rendered arguments) makes `row_result` overdue at `now_ms`:
// for `tenure status`, `tenure runs --overdue`, the console and reports.
bool IsOverdue(const Value& waiting_result, std::int64_t now_ms);
std::int64_t DueMsOf(const Value& waiting_result);

}  // namespace tenure::engine
