// Blast-radius guards (docs/guards.md) through the real binary and a real database: a 500-row
// batch over a playbook's max_runs_per_hour starts nothing and exits 2; --allow-mass 500 starts
// them; a connection's max_destructive_per_hour stops a batch of offboardings the same way.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine/daemon.h"
#include "engine/run_control.h"
#include "engine/scheduler.h"
#include "engine/state_store.h"
#include "tests/engine/support/engine_fixture.h"
#include "tests/engine/support/tenure_cli.h"

namespace tenure::engine {
namespace {

using testing::Contains;
using testing::Output;
using testing::Tenure;

const char* const kHire = R"(playbook: hire
limits: { max_runs_per_hour: 100 }
inputs:
  email: { type: email }
connections:
  sh: { connector: exec }
tasks:
  account:
    uses: sh.run
    with: { argv: [/bin/true] }
)";

const char* const kLeave = R"(playbook: leave
inputs:
  email: { type: email }
connections:
  idp:
    connector: scim
    base_url: http://127.0.0.1:9/scim/v2
    limits: { max_destructive_per_hour: 20 }
tasks:
  disable:
    uses: idp.deactivate_user
    with: { userName: "{{ inputs.email }}" }
  groups:
    uses: idp.remove_from_group
    for_each: [eng, admins]
    with: { user_id: "x", group: "{{ item }}" }
)";

void Csv(const std::string& path, int rows) {
  std::ofstream csv(path);
  csv << "employee_id,email\n";
  for (int i = 0; i < rows; ++i) csv << "E" << i << ",p" << i << "@example.com\n";
}

std::size_t Runs(const std::string& db) {
  auto store = OpenSqliteStore(db);
  REQUIRE(store.has_value());
  return (*store)->ListRuns({})->size();
}

TEST_CASE("a 500-row batch over max_runs_per_hour starts nothing, and with --allow-mass 500 it starts", "[guards][cli]") {
  if (!testing::BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  std::ofstream(dir.path() + "/hire.yaml") << kHire;
  Csv(dir.path() + "/hires.csv", 500);
  const std::string cmd =
      "run " + dir.path() + "/hire.yaml --inputs " + dir.path() + "/hires.csv --key-column employee_id --db " + db;

  const Output stopped = Tenure(cmd);
  INFO(stopped.text);
  CHECK(stopped.code == 2);
  CHECK(Contains(stopped.text, "playbook hire allows 100 runs per hour (" + dir.path() + "/hire.yaml:2:9); 0 in the "
                               "last hour and 500 more from this batch (" + dir.path() + "/hires.csv) would make 500: "
                               "nothing was started"));
  CHECK(Contains(stopped.text, "--allow-mass 500"));
  CHECK(Runs(db) == 0);

  const Output short_by_one = Tenure(cmd + " --allow-mass 499");
  INFO(short_by_one.text);
  CHECK(short_by_one.code == 2);
  CHECK(Contains(short_by_one.text, "--allow-mass 499 is less than the 500 runs"));
  CHECK(Runs(db) == 0);

  const Output allowed = Tenure(cmd + " --allow-mass 500");
  INFO(allowed.text.substr(0, 2000));
  CHECK(allowed.code == 0);
  CHECK(Contains(allowed.text, "500/500 done: 500 succeeded"));
  CHECK(Runs(db) == 500);

  // Submitted again: every key has its run, nothing would start, so no guard stops it.
  const Output again = Tenure(cmd);
  CHECK(again.code == 0);
  CHECK(Contains(again.text, "0 runs to start, 500 already started earlier"));

  // One more run in the same hour is over the limit too.
  const Output one = Tenure("run " + dir.path() + "/hire.yaml --set email=x@example.com --db " + db);
  INFO(one.text);
  CHECK(one.code == 2);
  CHECK(Contains(one.text, "500 in the last hour and 1 more from this run would make 501"));
  CHECK(Runs(db) == 500);
}

TEST_CASE("a connection's max_destructive_per_hour stops a batch of offboardings before any call", "[guards][cli]") {
  if (!testing::BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  std::ofstream(dir.path() + "/leave.yaml") << kLeave;
  Csv(dir.path() + "/leavers.csv", 7);  // 7 runs x 3 destructive actions (1 + 2 items) = 21 > 20
  const Output out = Tenure("run " + dir.path() + "/leave.yaml --inputs " + dir.path() +
                            "/leavers.csv --key-column employee_id --db " + db);
  INFO(out.text);
  CHECK(out.code == 2);
  CHECK(Contains(out.text, "connection idp allows 20 destructive actions per hour (" + dir.path() +
                               "/leave.yaml:8:13); 0 in the last hour and 21 more"));
  CHECK(Runs(db) == 0);
}

TEST_CASE("limits: bad values and unknown keys are errors at their line and column", "[guards][cli]") {
  if (!testing::BinaryBuilt()) return;
  testing::TempDir dir;
  std::ofstream(dir.path() + "/bad.yaml") << "playbook: bad\n"
                                             "limits:\n"
                                             "  max_runs_per_hour: 0\n"
                                             "  max_run_per_hour: 3\n"
                                             "connections:\n"
                                             "  sh: { connector: exec, limits: { max_destructive_per_hour: many } }\n"
                                             "tasks:\n"
                                             "  a: { uses: sh.run, with: { argv: [/bin/true] } }\n";
  const Output out = Tenure("validate " + dir.path() + "/bad.yaml");
  INFO(out.text);
  CHECK(out.code == 2);
  CHECK(Contains(out.text, dir.path() + "/bad.yaml:3:22: error:"));
  CHECK(Contains(out.text, dir.path() + "/bad.yaml:4:3: error:"));
  CHECK(Contains(out.text, dir.path() + "/bad.yaml:6:62: error:"));
}

TEST_CASE("the daemon fires schedules up to the limit and holds the rest, with the reason in the log", "[guards][daemon]") {
  testing::EngineFixture f;  // the clock starts at 2026-01-05T09:00:00Z = 10:00 in Berlin
  const workflows::Playbook pb = f.Load(R"(playbook: offboarding
limits: { max_runs_per_hour: 2 }
inputs:
  email: { type: email }
connections:
  idp: { connector: fake }
tasks:
  deactivate: { uses: idp.update, with: { user: "{{ inputs.email }}" } }
)");
  std::vector<std::string> ids;
  for (const char* email : {"a@example.com", "b@example.com", "c@example.com"}) {
    NewSchedule s;
    s.playbook = &pb;
    s.inputs.Set("email", email);
    s.at = "2026-01-05T10:30";
    s.time_zone = "Europe/Berlin";
    s.key = email;
    s.created_by = "test";
    auto added = AddSchedule(*f.store, s, f.clock.Now());
    REQUIRE(added.has_value());
    ids.push_back(added->schedule.id);
  }
  Services services{f.io.get_executor(), f.clock, *f.store, *f.journal, f.limiter, f.factory, f.catalog, f.redactor,
                    nullptr, [] { return 0.5; }};
  std::vector<std::string> log;
  Daemon daemon(services, f.options, {}, [&log](const DaemonEvent& e) { log.push_back(e.kind + ": " + e.detail); });
  std::string stopped;
  boost::asio::co_spawn(f.io, daemon.Run(), [&stopped](std::exception_ptr e, Result<void> r) {
    if (e) std::rethrow_exception(e);
    stopped = r.has_value() ? "ok" : r.error().message;
  });
  f.Advance(std::chrono::minutes(31));
  CHECK(f.sqlite->ListRuns({})->size() == 2);
  int held = 0;
  for (const std::string& id : ids) {
    const ScheduleRecord s = *f.sqlite->GetSchedule(id);
    if (s.status != ScheduleStatus::kPaused) {
      CHECK(s.status == ScheduleStatus::kFired);
      continue;
    }
    ++held;
    const auto events = *f.sqlite->GetScheduleEvents(id);
    REQUIRE(!events.empty());
    CHECK(events.back().kind == "schedule_held");
    CHECK(events.back().detail.find("playbook offboarding allows 2 runs per hour (test.yaml:2:9); 0 in the last hour "
                                    "and 3 more from the schedule fires due now would make 3; "
                                    "schedule " + id + " is paused: resume it with tenure schedule resume " + id) == 0);
  }
  CHECK(held == 1);
  CHECK(std::count_if(log.begin(), log.end(), [](const std::string& l) { return l.starts_with("schedule_held: "); }) == 1);
  // Nothing more fires while it is held.
  f.Advance(std::chrono::hours(2));
  CHECK(f.sqlite->ListRuns({})->size() == 2);
  daemon.Stop();
  f.RunUntilIdle();
  CHECK(stopped == "ok");
}

}  // namespace
}  // namespace tenure::engine
