#include "engine/timer.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "workflows/loader.h"

namespace tenure::engine {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// Seconds since the epoch of local time `tm` in IANA zone `zone`. The C library only knows the
// process's zone, so TZ is switched for the call (the engine is single-threaded; restored after).
Result<std::int64_t> LocalToUtc(std::tm tm, const std::string& zone) {
  const char* old = std::getenv("TZ");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("TZ", zone.c_str(), 1);
  ::tzset();
  tm.tm_isdst = -1;
  const std::time_t t = std::mktime(&tm);
  if (old != nullptr) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  if (t == static_cast<std::time_t>(-1)) return Error::InvalidArgument("unknown time zone '" + zone + "'");
  return static_cast<std::int64_t>(t);
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
  const std::string rest = s.substr(pos);
  std::int64_t epoch = 0;
  if (rest.empty()) {
    if (time_zone.empty()) {
      return Error::InvalidArgument("timer.wait: `until` '" + s + "' has no UTC offset; add one (Z, +01:00) or give `time_zone`");
    }
    std::tm tm{};
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = static_cast<int>(sec);
    auto t = LocalToUtc(tm, std::string(time_zone));
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
    epoch = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 + mi * 60 +
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
