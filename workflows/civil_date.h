// Calendar arithmetic on the proleptic Gregorian calendar, without time zones (Howard Hinnant's
// days_from_civil). Shared by the date filters, HTTP-date parsing and timers.
#pragma once

#include <cstdint>

namespace tenure::workflows {

// Days since 1970-01-01 of year `y`, month `m` (1-12), day `d` (1-31); negative before 1970.
constexpr std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivil(2000, 3, 1) == 11017);

}  // namespace tenure::workflows
