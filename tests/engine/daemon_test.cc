// The daemon with a ManualClock, a real SQLite file and the fake connector: schedules fire exactly
// once at their instant, corrections move them, cancellations stop them, missed fires follow the
// catch-up policy, timers and decisions are picked up without `tenure resume`.
#include "engine/daemon.h"

#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <sys/wait.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <set>

#include "engine/run_control.h"
#include "engine/scheduler.h"
#include "engine/timer.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::EngineFixture;
using Strings = std::vector<std::string>;

const char* const kLeaver = R"(playbook: offboarding
inputs:
  email: { type: email }
connections:
  idp: { connector: fake }
tasks:
  deactivate: { uses: idp.update, with: { user: "{{ inputs.email }}" } }
)";

// A daemon on the fixture's services, run on its io_context.
struct DaemonHarness {
  explicit DaemonHarness(EngineFixture& f, DaemonOptions options = {})
      : services{f.io.get_executor(), f.clock, *f.store, *f.journal, f.limiter, f.factory, f.catalog, f.redactor,
                 nullptr, [] { return 0.5; }},
        daemon(services, f.options, options, [this](const DaemonEvent& e) { events.push_back(e.kind + ": " + e.detail); }) {
    boost::asio::co_spawn(f.io, daemon.Run(), [this](std::exception_ptr e, Result<void> r) {
      if (e) std::rethrow_exception(e);
      stopped = r.has_value() ? "ok" : r.error().message;
    });
  }
  Services services;
  Daemon daemon;
  Strings events;
  std::string stopped;
};

std::string AddAt(EngineFixture& f, const workflows::Playbook& pb, const std::string& at, const std::string& key = "",
                  const std::string& email = "ada@example.com") {
  NewSchedule s;
  s.playbook = &pb;
  s.inputs.Set("email", email);
  s.at = at;
  s.time_zone = "Europe/Berlin";
  s.key = key;
  s.created_by = "test";
  auto added = AddSchedule(*f.store, s, f.clock.Now());
  REQUIRE(added.has_value());
  return added->schedule.id;
}

std::vector<RunRecord> Runs(EngineFixture& f) { return *f.sqlite->ListRuns({}); }

TEST_CASE("a one-shot schedule fires exactly once, at its local instant, and its run succeeds", "[daemon]") {
  EngineFixture f;  // the clock starts at 2026-01-05T09:00:00Z = 10:00 in Berlin
  const workflows::Playbook pb = f.Load(kLeaver);
  const std::string id = AddAt(f, pb, "2026-01-05T10:30", "hr-4711");
  DaemonHarness d(f);
  f.RunUntilIdle();
  CHECK(Runs(f).empty());
  f.Advance(minutes(29));
  CHECK(Runs(f).empty());
  f.Advance(minutes(1));
  const auto runs = Runs(f);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunStatus::kSucceeded);
  CHECK(runs[0].trigger == "schedule:" + id + ":hr-4711");
  CHECK(runs[0].created_ms == ToUnixMillis(*ParseInstant("2026-01-05T09:30:00Z", "")));
  CHECK(f.service.calls().size() == 1);
  const ScheduleRecord s = *f.sqlite->GetSchedule("hr-4711");
  CHECK(s.status == ScheduleStatus::kFired);
  CHECK(s.last_run == runs[0].id);
  CHECK(s.fires == 1);
  // A second fire of the same instant is refused in the store, so two daemons or a restart can
  // never create a second run.
  ScheduleFire again{id, ToUnixMillis(*ParseInstant("2026-01-05T09:30:00Z", "")), 0, "r-second", "x", 0, "", ""};
  auto twice = f.sqlite->FireSchedule(again);
  REQUIRE(twice.has_error());
  CHECK(twice.error().Is(Errc::kConflict));
  f.Advance(hours(48));
  CHECK(Runs(f).size() == 1);
  const auto events = *f.sqlite->GetScheduleEvents(id);
  REQUIRE(events.size() == 2);
  CHECK(events[1].kind == "schedule_fired");
  CHECK(events[1].detail == "run " + runs[0].id +
                                "; due 2026-01-05 10:30 CET (2026-01-05T09:30:00.000Z), fired on time");
  d.daemon.Stop();
  f.RunUntilIdle();
  CHECK(d.stopped == "ok");
}

TEST_CASE("schedules due at one instant fire in chunks, each once, claimed in the fire and released at the end",
          "[daemon]") {
  EngineFixture f;  // 10:00 in Berlin
  const workflows::Playbook pb = f.Load(kLeaver);
  Strings ids;
  for (int i = 0; i < 7; ++i) {
    ids.push_back(AddAt(f, pb, "2026-01-05T10:30", "hr-" + std::to_string(i), "p" + std::to_string(i) + "@example.com"));
  }
  DaemonOptions options;
  options.fire_chunk = 3;          // chunks of 3, 3 and 1...
  options.max_fires_per_pass = 5;  // ...of which a pass fires 5: the next pass, at once, the other 2
  DaemonHarness d(f, options);
  f.Advance(minutes(30));
  const auto runs = Runs(f);
  REQUIRE(runs.size() == 7);
  std::set<std::string> users;
  for (const RunRecord& r : runs) {
    CHECK(r.status == RunStatus::kSucceeded);
    CHECK(r.owner.empty());  // the claim taken in the fire was given up with the run's last write
    CHECK(r.created_ms == ToUnixMillis(*ParseInstant("2026-01-05T09:30:00Z", "")));
  }
  for (const auto& call : f.service.calls()) users.insert(call.args.Find("user")->AsString());
  CHECK(f.service.calls().size() == 7);
  CHECK(users.size() == 7);
  for (const std::string& id : ids) {
    const ScheduleRecord s = *f.sqlite->GetSchedule(id);
    CHECK(s.status == ScheduleStatus::kFired);
    CHECK(s.fires == 1);
    int fired = 0;
    for (const EventRecord& e : *f.sqlite->GetScheduleEvents(id)) fired += e.kind == "schedule_fired";
    CHECK(fired == 1);
  }
  CHECK(d.daemon.stats().fired == 7);
  CHECK(d.daemon.stats().runs_started == 7);
  CHECK(d.daemon.stats().runs_ended == 7);
  d.daemon.Stop();
  f.RunUntilIdle();
  CHECK(d.stopped == "ok");
}

TEST_CASE("a fire that meets a taken run id or an earlier fire of the same instant writes nothing", "[daemon]") {
  EngineFixture f;
  const workflows::Playbook pb = f.Load(kLeaver);
  const std::string a = AddAt(f, pb, "2026-01-05T09:30", "hr-1", "ada@example.com");
  const std::string b = AddAt(f, pb, "2026-01-05T09:30", "hr-2", "bob@example.com");
  const std::int64_t due = ToUnixMillis(*ParseInstant("2026-01-05T08:30:00Z", ""));
  std::vector<ScheduleFire> first = {{a, due, due, "r-a", "schedule:" + a, 0, "", ""}};
  auto fired = f.sqlite->FireSchedules(first);
  REQUIRE(fired.has_value());
  REQUIRE((*fired)[0].has_value());

  // Another schedule drawing the same run id: refused, and that schedule is untouched.
  std::vector<ScheduleFire> taken = {{b, due, due, "r-a", "schedule:" + b, 0, "", ""}};
  auto refused = f.sqlite->FireSchedules(taken);
  REQUIRE(refused.has_value());
  REQUIRE((*refused)[0].has_error());
  CHECK((*refused)[0].error().Is(Errc::kAlreadyExists));
  CHECK((*refused)[0].error().message == "a run with id r-a already exists");
  CHECK(f.sqlite->GetSchedule(b)->fires == 0);
  CHECK(f.sqlite->GetSchedule(b)->status == ScheduleStatus::kPending);

  // The same schedule and instant again (made due again behind the store's back): the earlier
  // fire's run is named, and no second run exists.
  {
    SQLite::Database db(f.db_path, SQLite::OPEN_READWRITE);
    SQLite::Statement u(db, "UPDATE schedules SET status = 'pending', next_ms = ? WHERE id = ?");
    u.bind(1, static_cast<int64_t>(due));
    u.bind(2, a);
    REQUIRE(u.exec() == 1);
  }
  std::vector<ScheduleFire> again = {{a, due, due, "r-a2", "schedule:" + a, 0, "", ""}};
  auto twice = f.sqlite->FireSchedules(again);
  REQUIRE(twice.has_value());
  REQUIRE((*twice)[0].has_error());
  CHECK((*twice)[0].error().Is(Errc::kConflict));
  CHECK((*twice)[0].error().message == "schedule " + a + " already fired at 2026-01-05T08:30:00.000Z: run r-a");
  CHECK(f.sqlite->GetRun("r-a2").has_error());
  CHECK_FALSE(f.sqlite->WriteError().has_value());
}

TEST_CASE("a run fired for a daemon that died is taken over, even one with this daemon's owner, not one claimed elsewhere",
          "[daemon]") {
  EngineFixture f;
  const workflows::Playbook pb = f.Load(kLeaver);
  const std::string orphan = AddAt(f, pb, "2026-01-05T09:30", "hr-1", "ada@example.com");
  const std::string foreign = AddAt(f, pb, "2026-01-05T09:30", "hr-2", "bob@example.com");
  const std::string same = AddAt(f, pb, "2026-01-05T09:30", "hr-3", "cy@example.com");
  // A pid of this host that is gone: a child that exited and was reaped.
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  REQUIRE(child > 0);
  ::waitpid(child, nullptr, 0);
  const std::string dead = CurrentOwner().substr(0, CurrentOwner().rfind(':') + 1) + std::to_string(child);
  const std::int64_t due = ToUnixMillis(*ParseInstant("2026-01-05T08:30:00Z", ""));
  // Fired (the run created and claimed in one transaction) by a daemon that then died; by a daemon
  // on another host that is alive as far as this host can tell; and by a daemon that died with the
  // owner string the next one gets (a container restart: the same host name and pid).
  std::vector<ScheduleFire> fires = {{orphan, due, due, "r-orphan", "schedule:" + orphan, 0, "", dead},
                                     {foreign, due, due, "r-foreign", "schedule:" + foreign, 0, "", "elsewhere:1"},
                                     {same, due, due, "r-same", "schedule:" + same, 0, "", f.options.owner}};
  auto fired = f.sqlite->FireSchedules(fires);
  REQUIRE(fired.has_value());
  REQUIRE((*fired)[0].has_value());
  CHECK((*fired)[0]->owner == dead);
  CHECK((*fired)[0]->sources.size() == 1);  // returned with its snapshot: its executor reads nothing back
  CHECK((*fired)[0]->inputs.AsMap().Find("email")->AsString() == "ada@example.com");
  CHECK(f.sqlite->GetRun("r-orphan")->owner == dead);
  DaemonHarness d(f);
  f.RunUntilIdle();
  CHECK(f.sqlite->GetRun("r-orphan")->status == RunStatus::kSucceeded);
  CHECK(f.sqlite->GetRun("r-same")->status == RunStatus::kSucceeded);
  CHECK(f.sqlite->GetRun("r-foreign")->status == RunStatus::kPending);
  CHECK(f.sqlite->GetRun("r-foreign")->owner == "elsewhere:1");
  std::set<std::string> users;
  for (const auto& call : f.service.calls()) users.insert(call.args.Find("user")->AsString());
  CHECK(f.service.calls().size() == 2);
  CHECK(users == std::set<std::string>{"ada@example.com", "cy@example.com"});
  d.daemon.Stop();
  f.RunUntilIdle();
}

TEST_CASE("a correction moves the schedule, the old instant fires nothing, a cancellation stops it", "[daemon]") {
  EngineFixture f;
  const workflows::Playbook pb = f.Load(kLeaver);
  const std::string id = AddAt(f, pb, "2026-01-05T10:30", "hr-1");
  AddAt(f, pb, "2026-01-05T11:00", "hr-2", "bob@example.com");
  // HR moves hr-1's last day by a day, and reverses hr-2's termination.
  NewSchedule moved;
  moved.playbook = &pb;
  moved.inputs.Set("email", "ada@example.com");
  moved.at = "2026-01-06T10:30";
  moved.time_zone = "Europe/Berlin";
  moved.key = "hr-1";
  moved.created_by = "test";
  auto replaced = AddSchedule(*f.store, moved, f.clock.Now());
  REQUIRE(replaced.has_value());
  CHECK(replaced->replaced);
  CHECK(replaced->schedule.id == id);
  CHECK(replaced->previous_next_ms == ToUnixMillis(*ParseInstant("2026-01-05T09:30:00Z", "")));
  REQUIRE(f.sqlite->SetScheduleStatus("hr-2", {ScheduleStatus::kPending, ScheduleStatus::kPaused},
                                      ScheduleStatus::kCancelled, "schedule_cancelled", "termination reversed", 0)
              .has_value());
  DaemonHarness d(f);
  f.Advance(hours(2));
  CHECK(Runs(f).empty());
  f.Advance(hours(23));  // 2026-01-06T10:00Z, past the moved instant (10:30 Berlin = 09:30Z)
  REQUIRE(Runs(f).size() == 1);
  CHECK(f.service.calls().size() == 1);
  CHECK(f.service.calls()[0].args.Find("user")->AsString() == "ada@example.com");
  const auto events = *f.sqlite->GetScheduleEvents(id);
  REQUIRE(events.size() == 3);
  CHECK(events[0].kind == "schedule_created");
  CHECK(events[1].kind == "schedule_replaced");
  CHECK(events[1].detail ==
        "playbook offboarding, at 2026-01-06T10:30 Europe/Berlin by test; was pending with next fire at "
        "2026-01-05T09:30:00.000Z");
  // Once fired, the key cannot be silently replaced.
  auto late = AddSchedule(*f.store, moved, f.clock.Now());
  REQUIRE(late.has_error());
  CHECK(late.error().Is(Errc::kFailedPrecondition));
  CHECK(late.error().message == "schedule hr-1 (" + id + ") already started run " + Runs(f)[0].id +
                                    "; look at it with: tenure status " + Runs(f)[0].id);
  d.daemon.Stop();
  f.RunUntilIdle();
}

ScheduleRecord CronSchedule(EngineFixture& f, const workflows::Playbook& pb, CatchUp policy) {
  NewSchedule s;
  s.playbook = &pb;
  s.inputs.Set("email", "ops@example.com");
  s.cron = "0 * * * *";  // hourly
  s.time_zone = "UTC";
  s.catch_up = policy;
  s.created_by = "test";
  auto added = AddSchedule(*f.store, s, f.clock.Now());
  REQUIRE(added.has_value());
  return added->schedule;
}

TEST_CASE("fires missed while the daemon was down follow the catch-up policy", "[daemon]") {
  const auto [policy, expected_runs] = GENERATE(table<CatchUp, std::size_t>(
      {{CatchUp::kFireOnce, 1}, {CatchUp::kSkip, 0}, {CatchUp::kFireAll, 3}}));
  INFO(CatchUpName(policy));
  EngineFixture f;  // 09:00Z
  const workflows::Playbook pb = f.Load(kLeaver);
  const ScheduleRecord s = CronSchedule(f, pb, policy);
  CHECK(s.next_ms == ToUnixMillis(*ParseInstant("2026-01-05T10:00:00Z", "")));
  f.clock.Advance(minutes(150));  // down from 09:00 to 11:30: 10:00 and 11:00 missed (and 11:30 now)
  DaemonHarness d(f);
  f.RunUntilIdle();
  // fire_all fires 10:00 and 11:00 now, and 12:00 when it comes: three runs by 12:00.
  f.Advance(minutes(30));
  std::size_t before_noon = 0;
  for (const RunRecord& r : Runs(f)) before_noon += r.created_ms < ToUnixMillis(*ParseInstant("2026-01-05T12:00:00Z", ""));
  CHECK(before_noon == expected_runs - (policy == CatchUp::kFireAll ? 1 : 0));
  const ScheduleRecord after = *f.sqlite->GetSchedule(s.id);
  CHECK(after.next_ms == ToUnixMillis(*ParseInstant("2026-01-05T13:00:00Z", "")));
  const auto events = *f.sqlite->GetScheduleEvents(s.id);
  if (policy == CatchUp::kFireOnce) {
    CHECK(events[1].detail.find("fired 1 h 30 min late; 2 missed instants fired once (catch_up: fire_once)") !=
          std::string::npos);
  }
  if (policy == CatchUp::kSkip) {
    CHECK(events[1].kind == "schedule_skipped");
    CHECK(events[1].detail ==
          "due 2026-01-05 10:00 UTC (2026-01-05T10:00:00.000Z), missed by 1 h 30 min; skipped (catch_up: skip)");
    // On time again at 12:00: it fires.
    std::size_t total = Runs(f).size();
    CHECK(total == 1);
  }
  d.daemon.Stop();
  f.RunUntilIdle();
}

TEST_CASE("the daemon wakes a durable timer and continues a run whose decision arrived", "[daemon]") {
  EngineFixture f;
  const std::string timed = f.Start(R"(playbook: later
connections:
  svc: { connector: fake }
tasks:
  wait: { uses: timer.wait, with: { for: 2h } }
  delete: { uses: svc.delete, needs: wait }
)");
  const std::string asked = f.Start(R"(playbook: ask
connections:
  svc: { connector: fake }
tasks:
  ask: { uses: manual.approve, with: { prompt: "Forward mail?" } }
  forward: { uses: svc.update, needs: ask }
)");
  DaemonHarness d(f);
  f.RunUntilIdle();
  CHECK(f.sqlite->GetRun(timed)->status == RunStatus::kWaiting);  // parked, not slept on
  CHECK(f.sqlite->GetRun(asked)->status == RunStatus::kWaiting);
  REQUIRE(Decide(*f.store, asked, "ask", true, "bob", "", f.clock.Now()).has_value());
  f.Advance(seconds(1));  // the next poll
  CHECK(f.sqlite->GetRun(asked)->status == RunStatus::kSucceeded);
  CHECK(f.sqlite->GetRun(timed)->status == RunStatus::kWaiting);
  f.Advance(hours(2) - seconds(1));
  CHECK(f.sqlite->GetRun(timed)->status == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"forward", "delete"});
  CHECK(d.daemon.stats().runs_started == 4);  // two starts, two continuations
  d.daemon.Stop();
  f.RunUntilIdle();
  CHECK(d.stopped == "ok");
}

TEST_CASE("a second daemon on the same database refuses to start", "[daemon]") {
  testing::TempDir dir;
  const std::string db = dir.path() + "/tenure.db";
  auto first = DaemonLock::Acquire(db);
  REQUIRE(first.has_value());
  auto second = DaemonLock::Acquire(db);
  REQUIRE(second.has_error());
  CHECK(second.error().Is(Errc::kConflict));
  CHECK(second.error().message == "another tenure daemon (pid " + std::to_string(::getpid()) + ") is running on " +
                                      db + "; stop it first (one daemon per database)");
}

}  // namespace
}  // namespace tenure::engine
