#include "engine/scheduler.h"

#include <cstdio>

#include "engine/cron.h"

namespace tenure::engine {

Result<std::int64_t> FirstFire(const std::string& cron, const std::string& at, const std::string& zone,
                               SystemTime now) {
  if (auto z = CheckTimeZone(zone); !z) return z.error();
  if (cron.empty()) {
    auto t = LocalInstant(at, zone);
    if (!t) return t.error();
    return ToUnixMillis(*t);
  }
  auto spec = ParseCron(cron);
  if (!spec) return spec.error();
  auto next = NextCronFire(*spec, zone, now);
  if (!next) return next.error();
  return ToUnixMillis(*next);
}

std::string FormatLateness(std::chrono::milliseconds late) {
  using namespace std::chrono;
  const auto ms = late.count();
  char buf[64];
  if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lld min %lld s", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms % 60'000 / 1000));
  } else if (ms < 86'400'000) {
    std::snprintf(buf, sizeof buf, "%lld h %lld min", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms % 3'600'000 / 60'000));
  } else {
    std::snprintf(buf, sizeof buf, "%lld d %lld h", static_cast<long long>(ms / 86'400'000),
                  static_cast<long long>(ms % 86'400'000 / 3'600'000));
  }
  return buf;
}

Result<FireDecision> DecideFire(const ScheduleRecord& s, SystemTime now, std::chrono::milliseconds grace) {
  FireDecision d;
  d.fire_ms = s.next_ms;
  d.missed = 1;
  const SystemTime due = FromUnixMillis(s.next_ms);
  const auto late = std::chrono::duration_cast<std::chrono::milliseconds>(now - due);
  const bool missed = late > grace;
  if (!s.cron.empty()) {
    auto spec = ParseCron(s.cron);
    if (!spec) return spec.error();
    // Count the instants that passed unfired (bounded: a daemon down for a year on "* * * * *").
    SystemTime t = due;
    for (;;) {
      auto n = NextCronFire(*spec, s.time_zone, t);
      if (!n) return n.error();
      if (*n > now || d.missed >= 10000) {
        d.next_ms = ToUnixMillis(*n > now ? *n : now);
        break;
      }
      ++d.missed;
      t = *n;
    }
    if (s.catch_up == CatchUp::kFireAll) {
      auto n = NextCronFire(*spec, s.time_zone, due);
      if (!n) return n.error();
      d.next_ms = ToUnixMillis(*n);
      if (d.next_ms <= s.next_ms) d.next_ms = s.next_ms + 1;  // never loop on one instant
    }
    if (s.catch_up == CatchUp::kSkip && missed) d.fire = false;
  } else if (s.catch_up == CatchUp::kSkip && missed) {
    d.fire = false;
  }
  d.detail = "due " + FormatLocal(due, s.time_zone) + " (" + FormatRfc3339(due) + ")";
  if (!d.fire) {
    d.detail += ", missed by " + FormatLateness(late) + "; skipped (catch_up: skip)";
  } else if (late >= std::chrono::seconds(1)) {
    d.detail += ", fired " + FormatLateness(late) + " late";
  } else {
    d.detail += ", fired on time";
  }
  if (d.missed > 1 && s.catch_up == CatchUp::kFireOnce) {
    d.detail += "; " + std::to_string(d.missed) + " missed instants fired once (catch_up: fire_once)";
  }
  return d;
}

}  // namespace tenure::engine
