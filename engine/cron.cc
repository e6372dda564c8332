#include "engine/cron.h"

#include <date/tz.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "engine/timer.h"

namespace tenure::engine {
namespace {

struct Field {
  const char* name;
  int lo;
  int hi;
  const char* const* names;  // nullptr or hi-lo+1 names for lo..hi
};

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};

constexpr std::array<Field, 5> kFields = {{{"minute", 0, 59, nullptr},
                                           {"hour", 0, 23, nullptr},
                                           {"day of month", 1, 31, nullptr},
                                           {"month", 1, 12, kMonthNames},
                                           {"day of week", 0, 7, kDayNames}}};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// One value of a field: a number or a name. Returns -1 with `why` set when invalid.
int Value1(std::string_view s, const Field& f, std::string& why) {
  if (s.empty()) {
    why = "a value is missing";
    return -1;
  }
  if (f.names != nullptr && std::isalpha(static_cast<unsigned char>(s[0]))) {
    const std::string u = Upper(s);
    for (int i = 0; i <= f.hi - f.lo; ++i) {
      if (u == f.names[i]) return f.lo + i;
    }
    why = "'" + std::string(s) + "' is not a " + f.name + " name";
    return -1;
  }
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || v > 1000) {
      why = "'" + std::string(s) + "' is not a number";
      return -1;
    }
    v = v * 10 + (c - '0');
  }
  if (v < f.lo || v > f.hi) {
    why = std::string(s) + " is out of range " + std::to_string(f.lo) + "-" + std::to_string(f.hi);
    return -1;
  }
  return v;
}

// Parses one field into `bits` (indexed by value). Returns "" or why not.
std::string ParseField(std::string_view text, const Field& f, std::vector<bool>& bits, bool& star) {
  bits.assign(static_cast<std::size_t>(f.hi + 1), false);
  star = text == "*";
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view part = text.substr(start, comma - start);
    start = comma + 1;
    if (part.empty()) return "an empty list item";
    std::string_view range = part;
    int step = 1;
    if (const auto slash = part.find('/'); slash != std::string_view::npos) {
      range = part.substr(0, slash);
      const std::string_view s = part.substr(slash + 1);
      step = 0;
      for (char c : s) {
        if (!std::isdigit(static_cast<unsigned char>(c)) || step > 1000) return "step '" + std::string(s) + "' is not a number";
        step = step * 10 + (c - '0');
      }
      if (s.empty() || step == 0) return "step '" + std::string(s) + "' must be a positive number";
    }
    int lo = f.lo, hi = f.hi;
    std::string why;
    if (range != "*") {
      const auto dash = range.find('-');
      lo = Value1(range.substr(0, dash), f, why);
      if (lo < 0) return why;
      if (dash != std::string_view::npos) {
        hi = Value1(range.substr(dash + 1), f, why);
        if (hi < 0) return why;
        if (hi < lo) return "range " + std::string(range) + " goes backwards";
      } else if (part.find('/') == std::string_view::npos) {
        hi = lo;
      }  // "a/n": from a to the end of the field
    }
    for (int v = lo; v <= hi; v += step) bits[static_cast<std::size_t>(v)] = true;
    if (comma == text.size()) break;
  }
  return "";
}

Result<const date::time_zone*> Zone(std::string_view zone) {
  try {
    return date::locate_zone(std::string(zone));
  } catch (const std::exception&) {
    return Error::InvalidArgument("unknown time zone '" + std::string(zone) +
                                  "' (expected an IANA name like Europe/Berlin)");
  }
}

// The instant of local time `local` in `tz` under the documented DST rules.
date::sys_seconds ToSys(const date::time_zone* tz, date::local_seconds local) {
  const date::local_info info = tz->get_info(local);
  switch (info.result) {
    case date::local_info::nonexistent: return info.first.end;  // the end of the gap
    case date::local_info::ambiguous:                             // the first occurrence
    case date::local_info::unique: break;
  }
  return date::sys_seconds{local.time_since_epoch()} - info.first.offset;
}

}  // namespace

Result<CronSpec> ParseCron(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return Error::InvalidArgument("cron \"" + std::string(text) + "\": " + why);
  };
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    const std::size_t start = i;
    while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    if (i > start) fields.push_back(text.substr(start, i - start));
  }
  if (fields.size() != 5) {
    return bad("expected 5 fields (minute hour day-of-month month day-of-week), got " + std::to_string(fields.size()));
  }
  CronSpec spec;
  spec.text = std::string(text);
  std::vector<bool> bits;
  for (std::size_t f = 0; f < 5; ++f) {
    bool star = false;
    if (std::string why = ParseField(fields[f], kFields[f], bits, star); !why.empty()) {
      return bad(std::string(kFields[f].name) + ": " + why);
    }
    for (std::size_t v = 0; v < bits.size(); ++v) {
      if (!bits[v]) continue;
      switch (f) {
        case 0: spec.minutes.set(v); break;
        case 1: spec.hours.set(v); break;
        case 2: spec.days.set(v); break;
        case 3: spec.months.set(v); break;
        case 4: spec.weekdays.set(v % 7); break;  // 7 = Sunday
      }
    }
    if (f == 2) spec.any_day = star;
    if (f == 4) spec.any_weekday = star;
  }
  return spec;
}

Result<void> CheckTimeZone(std::string_view zone) {
  auto tz = Zone(zone);
  if (!tz) return tz.error();
  return {};
}

Result<SystemTime> NextCronFire(const CronSpec& cron, std::string_view zone, SystemTime after) {
  auto tz = Zone(zone);
  if (!tz) return tz.error();
  using namespace std::chrono;
  const date::sys_seconds after_s = date::floor<seconds>(after);
  const date::local_seconds local_after = (*tz)->to_local(after_s);
  date::local_days day = date::floor<date::days>(local_after);
  // Eight years cover every leap-day and weekday combination that can fire at all.
  for (int n = 0; n < 8 * 366 + 1; ++n, day += date::days{1}) {
    const date::year_month_day ymd{day};
    if (!cron.months.test(static_cast<unsigned>(ymd.month()))) continue;
    const bool dom = cron.days.test(static_cast<unsigned>(ymd.day()));
    const bool dow = cron.weekdays.test(date::weekday{day}.c_encoding());
    const bool match = (cron.any_day || cron.any_weekday) ? (dom && dow) : (dom || dow);
    if (!match) continue;
    for (int h = 0; h < 24; ++h) {
      if (!cron.hours.test(static_cast<std::size_t>(h))) continue;
      for (int m = 0; m < 60; ++m) {
        if (!cron.minutes.test(static_cast<std::size_t>(m))) continue;
        const date::local_seconds local = day + hours{h} + minutes{m};
        const date::sys_seconds at = ToSys(*tz, local);
        if (SystemTime(at) > after) return SystemTime(at);
      }
    }
  }
  return Error::InvalidArgument("cron \"" + cron.text + "\" never fires (no matching day within 8 years)");
}

Result<SystemTime> LocalInstant(std::string_view text, std::string_view zone) {
  auto tz = Zone(zone);
  if (!tz) return tz.error();
  auto t = ParseInstant(text, zone);
  if (!t) {
    if (t.error().message.find("unknown time zone") != std::string::npos ||
        t.error().message.find("out of range") != std::string::npos) {
      return t.error();
    }
    return Error::InvalidArgument("'" + std::string(text) +
                                  "' is not a local date and time (expected YYYY-MM-DDTHH:MM, e.g. 2026-12-18T16:00)");
  }
  return *t;
}

std::string FormatLocal(SystemTime t, std::string_view zone) {
  auto tz = Zone(zone);
  if (!tz) return FormatRfc3339(t);
  const auto zt = date::make_zoned(*tz, date::floor<std::chrono::seconds>(t));
  const bool seconds = date::floor<std::chrono::seconds>(t).time_since_epoch().count() % 60 != 0;
  return date::format(seconds ? "%Y-%m-%d %H:%M:%S %Z" : "%Y-%m-%d %H:%M %Z", zt);
}

}  // namespace tenure::engine
