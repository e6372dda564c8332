// HR batches through the real binary: one run per CSV row, every row checked first, the same
// export submitted twice starts nothing twice; a schedule batch where a moved last day moves only
// that person's schedule.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/state_store.h"
#include "tests/engine/support/engine_fixture.h"
#include "tests/engine/support/tenure_cli.h"

namespace tenure::engine {
namespace {

using testing::Contains;
using testing::Output;
using testing::Tenure;

const char* const kHire = R"(playbook: hire
inputs:
  email: { type: email }
  first_name: { type: string }
  groups: { type: list, default: [everyone] }
connections:
  sh: { connector: exec }
tasks:
  account:
    uses: sh.run
    with: { argv: [/bin/echo, '{"user": "{{ inputs.email }}"}'] }
)";

TEST_CASE("a CSV batch: one run per row, and submitted again it starts nothing", "[batch][cli]") {
  if (!std::filesystem::exists(TENURE_BINARY)) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  std::ofstream(dir.path() + "/hire.yaml") << kHire;
  {
    std::ofstream csv(dir.path() + "/hires.csv");
    csv << "employee_id,email,first_name,groups\n";
    for (int i = 0; i < 50; ++i) {
      csv << "E" << i << ",p" << i << "@example.com,\"Person, " << i << "\"," << (i % 2 ? "\"[everyone, eng]\"" : "")
          << "\n";
    }
  }
  const std::string cmd = "run " + dir.path() + "/hire.yaml --inputs " + dir.path() + "/hires.csv --key-column employee_id" + db;
  const Output first = Tenure(cmd);
  INFO(first.text);
  CHECK(first.code == 0);
  CHECK(Contains(first.text, ": 50 rows, 50 runs to start\n"));
  CHECK(Contains(first.text, "50/50 done: 50 succeeded, 0 waiting, 0 failed; 0 running;"));
  CHECK(Contains(first.text, "ROW   KEY               RUN"));
  auto store = OpenSqliteStore(dir.path() + "/t.db");
  REQUIRE(store.has_value());
  CHECK((*store)->ListRuns({})->size() == 50);

  const Output again = Tenure(cmd);
  INFO(again.text);
  CHECK(again.code == 0);
  CHECK(Contains(again.text, ": 50 rows, 0 runs to start, 50 already started earlier (same key)\n"));
  CHECK((*store)->ListRuns({})->size() == 50);
}

TEST_CASE("a batch with bad rows starts nothing and names every row and column", "[batch][cli]") {
  if (!std::filesystem::exists(TENURE_BINARY)) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  std::ofstream(dir.path() + "/hire.yaml") << kHire;
  std::ofstream(dir.path() + "/hires.csv") << "employee_id,email,first_name\n"
                                              "E1,ada@example.com,Ada\n"
                                              "E2,not-an-email,Bob\n"
                                              "E3,cy@example.com,\n"
                                              "E1,dee@example.com,Dee\n";
  const Output out = Tenure("run " + dir.path() + "/hire.yaml --inputs " + dir.path() +
                            "/hires.csv --key-column employee_id" + db);
  INFO(out.text);
  CHECK(out.code == 2);
  const std::string csv = dir.path() + "/hires.csv";
  CHECK(Contains(out.text, csv + ":3:4: error: "));
  CHECK(Contains(out.text, "'not-an-email'"));
  CHECK(Contains(out.text, csv + ":4:1: error: missing required input 'first_name'"));
  CHECK(Contains(out.text, csv + ":5:1: error: row 4 has the key 'E1' of row 1 (each person once per batch)"));
  CHECK(Contains(out.text, "3 errors"));
  auto store = OpenSqliteStore(dir.path() + "/t.db");
  REQUIRE(store.has_value());
  CHECK((*store)->ListRuns({})->empty());
}

TEST_CASE("a schedule batch: a moved last day moves that one schedule, the rest stay", "[batch][cli][daemon]") {
  if (!std::filesystem::exists(TENURE_BINARY)) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  std::ofstream(dir.path() + "/leave.yaml") << R"(playbook: leave
inputs:
  email: { type: email }
  last_day: { type: date }
  time_zone: { type: string, default: Europe/Berlin }
start_at: "{{ inputs.last_day }}T16:00"
time_zone: "{{ inputs.time_zone }}"
tasks:
  bye: { uses: manual.task, with: { prompt: "Collect the laptop of {{ inputs.email }}" } }
)";
  std::ofstream(dir.path() + "/leavers.csv") << "employee_id,email,last_day,time_zone\n"
                                                "E1,ada@example.com,2031-03-14,\n"
                                                "E2,bob@example.com,2031-03-31,America/New_York\n"
                                                "E3,cy@example.com,2031-10-26,Europe/Berlin\n";
  const std::string cmd = "schedule add " + dir.path() + "/leave.yaml --inputs " + dir.path() +
                          "/leavers.csv --key-column employee_id" + db;
  const Output first = Tenure(cmd);
  INFO(first.text);
  CHECK(first.code == 0);
  CHECK(Contains(first.text, "3 added, 0 moved, 0 unchanged, 0 refused"));
  CHECK(Contains(first.text, "2031-03-14 16:00 CET"));
  CHECK(Contains(first.text, "2031-03-31 16:00 EDT"));
  std::ofstream(dir.path() + "/leavers.csv") << "employee_id,email,last_day,time_zone\n"
                                                "E1,ada@example.com,2031-03-14,\n"
                                                "E2,bob@example.com,2031-04-04,America/New_York\n"
                                                "E3,cy@example.com,2031-10-26,Europe/Berlin\n";
  const Output again = Tenure(cmd);
  INFO(again.text);
  CHECK(again.code == 0);
  CHECK(Contains(again.text, "0 added, 1 moved, 2 unchanged, 0 refused"));
  auto store = OpenSqliteStore(dir.path() + "/t.db");
  REQUIRE(store.has_value());
  CHECK((*store)->ListSchedules(false)->size() == 3);
  const ScheduleRecord e2 = *(*store)->GetSchedule("E2");
  CHECK(FormatRfc3339(FromUnixMillis(e2.next_ms)) == "2031-04-04T20:00:00.000Z");
  const auto events = *(*store)->GetScheduleEvents(e2.id);
  REQUIRE(events.size() == 2);
  CHECK(events[1].kind == "schedule_replaced");
  CHECK(Contains(events[1].detail, "was pending with next fire at 2031-03-31T20:00:00.000Z"));

  const Output list = Tenure("schedule list" + db);
  CHECK(Contains(list.text, "2031-04-04T20:00:00.000Z"));
  CHECK(Contains(list.text, "2031-04-04 16:00 EDT"));
  const Output cancel = Tenure("schedule cancel E3 --note 'termination reversed'" + db);
  CHECK(cancel.code == 0);
  const Output twice = Tenure("schedule cancel E3" + db);
  CHECK(twice.code == 2);
  CHECK(Contains(twice.text, "is cancelled, not pending or paused"));
  const Output bad = Tenure("schedule add " + dir.path() + "/leave.yaml --set email=x@example.com --set last_day=2031-01-01 "
                            "--set time_zone=EMEA" + db);
  CHECK(bad.code == 2);
  CHECK(Contains(bad.text, "unknown time zone 'EMEA' (expected an IANA name like Europe/Berlin)"));
}

}  // namespace
}  // namespace tenure::engine
