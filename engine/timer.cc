#include "engine/timer.h"

#include <date/tz.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "workflows/loader.h"
#include "workflows/civil_date.h"

namespace tenure::engine {
namespace {

// Seconds since the epoch of a local wall-clock time in IANA zone `zone` (the system's tz
// database, through Howard Hinnant's date-tz). In a DST gap or overlap the earlier instant wins.
Result<std::int64_t> LocalToUtc(int y, int mo, int d, int h, int mi, int sec, const std::string& zone) {
  const date::time_zone* tz = nullptr;
  try {
    tz = date::locate_zone(zone);
  } catch (const std::exception&) {
    return Error::InvalidArgument("timer.wait: unknown time zone '" + zone + "' (expected an IANA name like Europe/Paris)");
  }
  const date::local_seconds local = date::local_days{date::year{y} / mo / d} + std::chrono::hours{h} +
                                    std::chrono::minutes{mi} + std::chrono::seconds{sec};
  const auto utc = tz->to_sys(local, date::choose::earliest);
  return static_cast<std::int64_t>(utc.time_since_epoch().count());
}

}  // namespace

Result<SystemTime> ParseInstant(std::string_view text, std::string_view time_zone) {
  const std::string s(text);
  const auto bad = [&] { return Error::InvalidArgument("timer.wait: `until` '" + s + "' is not an RFC 3339 instant"); };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, consumed = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d%n", &y, &mo, &d, &h, &mi, &consumed) != 5) return bad();
  double sec = 0;
  std::size_t pos = static_cast<std::size_t>(consumed);
  if (pos < s.size() && s[pos] == ':') {
    int n = 0;
    if (std::sscanf(s.c_str() + pos + 1, "%lf%n", &sec, &n) != 1) return bad();
    pos += 1 + static_cast<std::size_t>(n);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec < 0 || sec >= 61) return bad();
  // The clock counts nanoseconds in 64 bits (1677 to 2262): keep well inside that range.
  if (y < kMinInstantYear || y > kMaxInstantYear) {
    return Error::InvalidArgument("'" + s + "' is out of range (years " + std::to_string(kMinInstantYear) + " to " +
                                  std::to_string(kMaxInstantYear) + ")");
  }
  const std::string rest = s.substr(pos);
  std::int64_t epoch = 0;
  if (rest.empty()) {
    if (time_zone.empty()) {
      return Error::InvalidArgument("timer.wait: `until` '" + s + "' has no UTC offset; add one (Z, +01:00) or give `time_zone`");
    }
    auto t = LocalToUtc(y, mo, d, h, mi, static_cast<int>(sec), std::string(time_zone));
    if (!t) return t.error();
    epoch = *t;
  } else {
    int offset_min = 0;
    if (rest != "Z" && rest != "z") {
      int oh = 0, om = 0;
      char sign = 0;
      if (std::sscanf(rest.c_str(), "%c%2d:%2d", &sign, &oh, &om) != 3 || (sign != '+' && sign != '-') ||
          rest.size() != 6) {
        return bad();
      }
      offset_min = (sign == '-' ? -1 : 1) * (oh * 60 + om);
    }
    epoch = workflows::DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 +
            static_cast<std::int64_t>(sec) - offset_min * 60;
  }
  const auto frac = std::chrono::milliseconds(static_cast<std::int64_t>((sec - static_cast<int>(sec)) * 1000));
  return SystemTime(std::chrono::seconds(epoch)) + frac;
}

Result<SystemTime> TimerDue(const Map& args, SystemTime now) {
  if (const Value* f = args.Find("for"); f != nullptr && !f->IsNull()) {
    auto d = workflows::ParseDuration(f->ToText());
    if (!d) return Error::InvalidArgument("timer.wait: `for` " + d.error().message);
    return now + *d;
  }
  if (const Value* u = args.Find("until"); u != nullptr && !u->IsNull()) {
    const Value* tz = args.Find("time_zone");
    return ParseInstant(u->ToText(), tz != nullptr && !tz->IsNull() ? tz->ToText() : "");
  }
  return Error::InvalidArgument("timer.wait needs `until` or `for`");
}

}  // namespace tenure::engine
