#include "engine/people.h"

#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "engine/timer.h"
#include "workflows/loader.h"

namespace tenure::engine {
namespace {

const date::time_zone* Zone(const std::string& name) {
  try {
    return date::locate_zone(name.empty() ? "UTC" : name);
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::string DayText(date::local_days d) {
  const date::year_month_day ymd(d);
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return out;
}

bool WorkingDay(date::local_days d, const Calendar& c) {
  const date::weekday wd(d);
  if (wd == date::Saturday || wd == date::Sunday) return false;
  return c.holidays.count(DayText(d)) == 0;
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::int64_t Ms(workflows::Duration d) { return static_cast<std::int64_t>(d.count()); }

}  // namespace

bool IsEmail(std::string_view s) {
  const auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size() || s.size() > 254) return false;
  if (s.find('@', at + 1) != std::string_view::npos || s.find('.', at) == std::string_view::npos) return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',' ||
           c == 0x7f;
  });
}

Result<SystemTime> AddWorkingDays(SystemTime start, int days, const Calendar& calendar) {
  const date::time_zone* tz = Zone(calendar.time_zone);
  if (tz == nullptr) return Error::InvalidArgument("unknown time zone '" + calendar.time_zone + "'");
  const auto local = tz->to_local(std::chrono::time_point_cast<std::chrono::seconds>(start));
  date::local_days day = date::floor<date::days>(local);
  const auto time_of_day = local - day;
  // A start on a weekend or holiday counts from the next working day (Saturday + 1 working day is
  // Tuesday: the person gets all of Monday).
  while (!WorkingDay(day, calendar)) day += date::days{1};
  for (int left = days; left > 0;) {
    day += date::days{1};
    if (WorkingDay(day, calendar)) --left;
  }
  const auto utc = tz->to_sys(day + time_of_day, date::choose::earliest);
  return SystemTime(std::chrono::duration_cast<SystemTime::duration>(utc.time_since_epoch()));
}

Result<SystemTime> DueFrom(std::string_view due_text, SystemTime start, const Calendar& calendar) {
  const std::string due = Trim(due_text);
  const auto bad = [&] {
    return Error::InvalidArgument("`due` '" + due +
                                  "' is neither a duration (24h), N working days, nor an instant (2026-12-18T16:00)");
  };
  if (due.empty()) return bad();
  if (due.find("working day") != std::string::npos) {
    int n = 0, used = 0;
    if (std::sscanf(due.c_str(), "%d working day%n", &n, &used) < 1 || n < 0 || used == 0) return bad();
    const std::string rest = due.substr(static_cast<std::size_t>(used));
    if (!rest.empty() && rest != "s") return bad();
    return AddWorkingDays(start, n, calendar);
  }
  if (due.find('T') != std::string::npos && due.find('-') != std::string::npos) {
    auto at = ParseInstant(due, calendar.time_zone.empty() ? "UTC" : calendar.time_zone);
    if (!at) return bad();
    return *at;
  }
  auto d = workflows::ParseDuration(due);
  if (!d) return bad();
  return start + *d;
}

Result<PeoplePolicy> ReadPeoplePolicy(const Value& args, SystemTime started, const std::string& path) {
  PeoplePolicy p;
  if (!args.IsMap()) return p;
  const Map& m = args.AsMap();
  const auto text = [&](const char* k) -> std::string {
    const Value* v = m.Find(k);
    return v != nullptr && v->IsString() ? v->AsString() : std::string();
  };
  if (const Value* a = m.Find("approvers"); a != nullptr && a->IsList()) {
    for (const Value& v : a->AsList()) {
      if (v.IsString()) p.approvers.push_back(v.AsString());
    }
  }
  p.notify = text("notify");
  Calendar cal;
  if (const Value* h = m.Find("holidays"); h != nullptr && h->IsList()) {
    for (const Value& v : h->AsList()) cal.holidays.insert(v.ToText());
  }
  if (auto tz = text("time_zone"); !tz.empty()) cal.time_zone = tz;
  const std::int64_t start_ms = ToUnixMillis(started);
  if (auto due = text("due"); !due.empty()) {
    auto at = DueFrom(due, started, cal);
    if (!at) return Error::InvalidArgument(path + ".due: " + at.error().message);
    p.due_ms = ToUnixMillis(*at);
  }
  if (auto remind = Trim(text("remind")); !remind.empty()) {
    auto d = remind.rfind("every ", 0) == 0 ? workflows::ParseDuration(Trim(remind.substr(6)))
                                             : Result<workflows::Duration>(Error::InvalidArgument(""));
    if (!d || d->count() <= 0) {
      return Error::InvalidArgument(path + ".remind: expected `every <duration>` (every 1d), got '" + remind + "'");
    }
    p.remind_every_ms = Ms(*d);
  }
  if (const Value* e = m.Find("escalate"); e != nullptr && !e->IsNull()) {
    const Value* after = e->IsMap() ? e->AsMap().Find("after") : nullptr;
    const Value* to = e->IsMap() ? e->AsMap().Find("to") : nullptr;
    if (after == nullptr || to == nullptr || !to->IsList()) {
      return Error::InvalidArgument(path + ".escalate: expected {after: <duration>, to: [people]}");
    }
    auto d = workflows::ParseDuration(after->ToText());
    if (!d) return Error::InvalidArgument(path + ".escalate.after: " + d.error().message);
    p.escalate_ms = start_ms + Ms(*d);
    for (const Value& v : to->AsList()) p.escalate_to.push_back(v.ToText());
  }
  if (auto o = text("on_overdue"); !o.empty()) {
    if (o != "fail" && o != "continue") {
      return Error::InvalidArgument(path + ".on_overdue: expected fail or continue, got '" + o + "'");
    }
    p.fail_when_overdue = o == "fail";
  }
  return p;
}

Value PeopleState::ToValue() const {
  Map m;
  m.Set("due_ms", due_ms);
  m.Set("next_remind_ms", next_remind_ms);
  m.Set("escalate_ms", escalate_ms);
  m.Set("escalated", escalated);
  m.Set("overdue", overdue);
  m.Set("notified", notified);
  return Value(std::move(m));
}

PeopleState PeopleState::FromValue(const Value& v) {
  PeopleState s;
  if (!v.IsMap()) return s;
  const Map& m = v.AsMap();
  const auto i = [&](const char* k) {
    const Value* x = m.Find(k);
    return x != nullptr && x->IsInt() ? x->AsInt() : std::int64_t{0};
  };
  const auto b = [&](const char* k) {
    const Value* x = m.Find(k);
    return x != nullptr && x->IsBool() && x->AsBool();
  };
  s.due_ms = i("due_ms");
  s.next_remind_ms = i("next_remind_ms");
  s.escalate_ms = i("escalate_ms");
  s.escalated = b("escalated");
  s.overdue = b("overdue");
  s.notified = b("notified");
  return s;
}

std::int64_t PeopleState::NextInstant(bool) const {
  std::int64_t next = 0;
  const auto take = [&](std::int64_t t) {
    if (t > 0 && (next == 0 || t < next)) next = t;
  };
  take(next_remind_ms);
  if (!escalated) take(escalate_ms);
  if (!overdue) take(due_ms);
  return next;
}

PeopleDue WhatIsDue(const PeopleState& s, std::int64_t now_ms) {
  PeopleDue d;
  d.remind = s.next_remind_ms > 0 && s.next_remind_ms <= now_ms;
  d.escalate = !s.escalated && s.escalate_ms > 0 && s.escalate_ms <= now_ms;
  d.overdue = !s.overdue && s.due_ms > 0 && s.due_ms <= now_ms;
  return d;
}

void Advance(PeopleState& s, const PeopleDue& due, const PeoplePolicy& policy, std::int64_t now_ms) {
  if (due.remind && policy.remind_every_ms > 0) {
    // The next reminder after now, on the original cadence (a daemon down for a week sends one).
    while (s.next_remind_ms <= now_ms) s.next_remind_ms += policy.remind_every_ms;
  }
  if (due.escalate) s.escalated = true;
  if (due.overdue) s.overdue = true;
}

std::int64_t DueMsOf(const Value& r) {
  if (!r.IsMap()) return 0;
  const Value* p = r.AsMap().Find("_people");
  return p == nullptr ? 0 : PeopleState::FromValue(*p).due_ms;
}

bool IsOverdue(const Value& r, std::int64_t now_ms) {
  const std::int64_t due = DueMsOf(r);
  return due > 0 && due <= now_ms;
}

}  // namespace tenure::engine
