// Cron expressions and local instants across daylight-saving changes, month ends, leap days and
// weekday names. Every instant is fixed (no system clock): "after" is the fake now.
#include "engine/cron.h"

#include <catch2/catch.hpp>

#include "engine/timer.h"

namespace tenure::engine {
namespace {

SystemTime At(const std::string& utc) { return *ParseInstant(utc, ""); }

// The next fire of `cron` in `zone` after the UTC instant `after`, as RFC 3339 UTC.
std::string Next(const std::string& cron, const std::string& zone, const std::string& after) {
  auto spec = ParseCron(cron);
  REQUIRE(spec.has_value());
  auto next = NextCronFire(*spec, zone, At(after));
  if (!next) return "error: " + next.error().message;
  return FormatRfc3339(*next);
}

std::string CronError(const std::string& cron) {
  auto spec = ParseCron(cron);
  REQUIRE(spec.has_error());
  return spec.error().message;
}

TEST_CASE("cron fires at a local hour in its zone", "[cron]") {
  CHECK(Next("0 16 * * *", "Europe/Berlin", "2026-12-02T12:00:00Z") == "2026-12-02T15:00:00.000Z");  // CET
  CHECK(Next("0 16 * * *", "Europe/Berlin", "2026-12-02T15:00:00Z") == "2026-12-03T15:00:00.000Z");  // strictly after
  CHECK(Next("0 16 * * *", "Europe/Berlin", "2026-07-02T12:00:00Z") == "2026-07-02T14:00:00.000Z");  // CEST
  CHECK(Next("0 6 * * 1-5", "America/New_York", "2026-12-02T12:00:00Z") == "2026-12-03T11:00:00.000Z");  // EST
  CHECK(Next("*/15 * * * *", "UTC", "2026-12-02T12:07:30Z") == "2026-12-02T12:15:00.000Z");
  CHECK(Next("5,35 9-10 * * *", "UTC", "2026-12-02T10:35:00Z") == "2026-12-03T09:05:00.000Z");
  CHECK(Next("0 8-18/5 * * *", "UTC", "2026-12-02T13:00:00Z") == "2026-12-02T18:00:00.000Z");
  CHECK(Next("30/10 * * * *", "UTC", "2026-12-02T12:55:00Z") == "2026-12-02T13:30:00.000Z");
}

TEST_CASE("a local time skipped when clocks go forward fires once, when the gap ends", "[cron][dst]") {
  // Europe/Berlin, 2027-03-28: 02:00 CET becomes 03:00 CEST (01:00 UTC).
  CHECK(Next("30 2 * * *", "Europe/Berlin", "2027-03-27T12:00:00Z") == "2027-03-28T01:00:00.000Z");
  CHECK(Next("30 2 * * *", "Europe/Berlin", "2027-03-28T01:00:00Z") == "2027-03-29T00:30:00.000Z");
  // Four skipped minutes (02:00, 02:15, 02:30, 02:45) fire once, not four times.
  CHECK(Next("*/15 2 * * *", "Europe/Berlin", "2027-03-27T12:00:00Z") == "2027-03-28T01:00:00.000Z");
  CHECK(Next("*/15 2 * * *", "Europe/Berlin", "2027-03-28T01:00:00Z") == "2027-03-29T00:00:00.000Z");
  // America/New_York, 2027-03-14: 02:00 EST becomes 03:00 EDT (07:00 UTC).
  CHECK(Next("30 2 * * *", "America/New_York", "2027-03-13T12:00:00Z") == "2027-03-14T07:00:00.000Z");
  CHECK(Next("0 3 * * *", "America/New_York", "2027-03-14T07:00:00Z") == "2027-03-15T07:00:00.000Z");
}

TEST_CASE("a local time repeated when clocks go back fires once, at its first occurrence", "[cron][dst]") {
  // Europe/Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00 UTC); 02:30 happens twice.
  CHECK(Next("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z") == "2026-10-25T00:30:00.000Z");
  CHECK(Next("30 2 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z") == "2026-10-26T01:30:00.000Z");
  // An hourly schedule in the repeated hour: 02:00 and 02:30 once each, then 03:00 CET.
  CHECK(Next("0,30 2,3 * * *", "Europe/Berlin", "2026-10-25T00:00:00Z") == "2026-10-25T00:30:00.000Z");
  CHECK(Next("0,30 2,3 * * *", "Europe/Berlin", "2026-10-25T00:30:00Z") == "2026-10-25T02:00:00.000Z");
}

TEST_CASE("cron month ends, leap days and weekday names", "[cron]") {
  CHECK(Next("0 0 31 * *", "UTC", "2027-01-31T00:00:00Z") == "2027-03-31T00:00:00.000Z");
  CHECK(Next("0 12 29 2 *", "UTC", "2026-03-01T00:00:00Z") == "2028-02-29T12:00:00.000Z");
  CHECK(Next("0 6 * * MON-FRI", "UTC", "2026-12-04T07:00:00Z") == "2026-12-07T06:00:00.000Z");  // Fri -> Mon
  CHECK(Next("0 6 * * sun", "UTC", "2026-12-02T00:00:00Z") == "2026-12-06T06:00:00.000Z");
  CHECK(Next("0 6 * * 7", "UTC", "2026-12-02T00:00:00Z") == "2026-12-06T06:00:00.000Z");  // 7 = Sunday
  CHECK(Next("0 0 1 jan,Jul *", "UTC", "2026-12-02T00:00:00Z") == "2027-01-01T00:00:00.000Z");
  // Both day fields restricted: either matches (Vixie cron). Friday 2026-12-04 comes before the 13th.
  CHECK(Next("0 0 13 * FRI", "UTC", "2026-12-02T00:00:00Z") == "2026-12-04T00:00:00.000Z");
  CHECK(Next("0 0 13 * *", "UTC", "2026-12-02T00:00:00Z") == "2026-12-13T00:00:00.000Z");
  CHECK(Next("0 0 31 2 *", "UTC", "2026-12-02T00:00:00Z") ==
        "error: cron \"0 0 31 2 *\" never fires (no matching day within 8 years)");
}

TEST_CASE("cron errors name the field and what was expected", "[cron]") {
  CHECK(CronError("0 25 * * *") == "cron \"0 25 * * *\": hour: 25 is out of range 0-23");
  CHECK(CronError("0 6 * *") ==
        "cron \"0 6 * *\": expected 5 fields (minute hour day-of-month month day-of-week), got 4");
  CHECK(CronError("0 6 * FOO *") == "cron \"0 6 * FOO *\": month: 'FOO' is not a month name");
  CHECK(CronError("0 6 * * MON-XYZ") == "cron \"0 6 * * MON-XYZ\": day of week: 'XYZ' is not a day of week name");
  CHECK(CronError("*/0 * * * *") == "cron \"*/0 * * * *\": minute: step '0' must be a positive number");
  CHECK(CronError("5-1 * * * *") == "cron \"5-1 * * * *\": minute: range 5-1 goes backwards");
  CHECK(CronError("1,,2 * * * *") == "cron \"1,,2 * * * *\": minute: an empty list item");
  CHECK(CronError("0 0 0 * *") == "cron \"0 0 0 * *\": day of month: 0 is out of range 1-31");
  CHECK(CronError("0 0 L * *") == "cron \"0 0 L * *\": day of month: 'L' is not a number");
}

TEST_CASE("local instants in a zone, with the same daylight-saving rules", "[cron][dst]") {
  CHECK(FormatRfc3339(*LocalInstant("2026-12-18T16:00", "Europe/Berlin")) == "2026-12-18T15:00:00.000Z");
  CHECK(FormatRfc3339(*LocalInstant("2027-03-28T02:30", "Europe/Berlin")) == "2027-03-28T01:00:00.000Z");  // skipped
  CHECK(FormatRfc3339(*LocalInstant("2026-10-25T02:30", "Europe/Berlin")) == "2026-10-25T00:30:00.000Z");  // repeated
  CHECK(FormatRfc3339(*LocalInstant("2026-12-18T16:00:00+01:00", "Europe/Berlin")) == "2026-12-18T15:00:00.000Z");
  CHECK(LocalInstant("2026-12-18 16:00", "Europe/Berlin").error().message ==
        "'2026-12-18 16:00' is not a local date and time (expected YYYY-MM-DDTHH:MM, e.g. 2026-12-18T16:00)");
  CHECK(LocalInstant("2026-12-18T16:00", "EMEA").error().message ==
        "unknown time zone 'EMEA' (expected an IANA name like Europe/Berlin)");
  // Far instants are refused, not wrapped around (the clock's nanoseconds overflow near 2262).
  CHECK(LocalInstant("2999-01-01T10:00", "UTC").error().message ==
        "'2999-01-01T10:00' is out of range (years 1970 to 2200)");
  CHECK(ParseInstant("2263-01-01T00:00:00Z", "").error().message ==
        "'2263-01-01T00:00:00Z' is out of range (years 1970 to 2200)");
  CHECK(FormatRfc3339(*ParseInstant("2200-12-31T23:59:59Z", "")) == "2200-12-31T23:59:59.000Z");
  CHECK(CheckTimeZone("Europe/Berlin").has_value());
  CHECK(CheckTimeZone("Mars/Olympus").has_error());
  CHECK(FormatLocal(At("2026-12-18T15:00:00Z"), "Europe/Berlin") == "2026-12-18 16:00 CET");
  CHECK(FormatLocal(At("2026-07-18T14:00:00Z"), "Europe/Berlin") == "2026-07-18 16:00 CEST");
}

}  // namespace
}  // namespace tenure::engine
