#include "engine/state_store.h"

#include <sys/stat.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <thread>

#include "engine/run_control.h"
#include "engine/timer.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using testing::TempDir;

RunRecord SampleRun(const std::string& id, const std::string& key = "") {
  RunRecord r;
  r.id = id;
  r.playbook = "onboarding";
  r.sources = {{"onboarding.yaml", "playbook: onboarding\n", Sha256Hex("playbook: onboarding\n")}};
  Map inputs;
  inputs.Set("email", "ada@example.com");
  r.inputs = Value(std::move(inputs));
  r.trigger = "test";
  r.trigger_key = key;
  r.created_ms = 1000;
  return r;
}

Transition TaskTransition(const std::string& run, const std::string& task, TaskStatus s, std::int64_t at) {
  Transition t;
  t.run_id = run;
  t.at_ms = at;
  TaskRecord row;
  row.task = task;
  row.status = s;
  row.attempts = 1;
  row.idempotency_key = "k-" + task;
  t.tasks.push_back(row);
  EventRecord e;
  e.run_id = run;
  e.task = task;
  e.kind = TaskStatusName(s);
  e.at_ms = at;
  t.events.push_back(e);
  return t;
}

TEST_CASE("the database file is created 0600 with WAL and the current schema", "[store]") {
  TempDir dir;
  const std::string path = dir.path() + "/state/tenure.db";
  auto store = OpenSqliteStore(path);
  REQUIRE(store.has_value());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  REQUIRE(::stat((dir.path() + "/state").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  // Reopening migrates nothing and keeps the data.
  REQUIRE((*store)->CreateRun(SampleRun("r1")).has_value());
  store->reset();
  auto again = OpenSqliteStore(path);
  REQUIRE(again.has_value());
  CHECK((*again)->GetRun("r1")->playbook == "onboarding");
}

TEST_CASE("a version 1 database is migrated to the current schema keeping its runs, a newer one is refused", "[store]") {
  TempDir dir;
  const std::string path = dir.path() + "/tenure.db";
  REQUIRE((*OpenSqliteStore(path))->CreateRun(SampleRun("r1")).has_value());
  {
    // What the first tenure left: schema 1, without what migrations 2 to 6 add.
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP INDEX runs_cancel_requested");
    db.exec("DROP INDEX runs_woken");
    db.exec("ALTER TABLE runs DROP COLUMN wakeups");
    db.exec("ALTER TABLE runs DROP COLUMN wakeups_seen");
    db.exec("DROP TABLE schedule_sources");
    db.exec("DROP TABLE schedules");
    db.exec("DROP INDEX tasks_due");
    db.exec("DROP TABLE links");
    db.exec("ALTER TABLE events DROP COLUMN prev_hash");
    db.exec("ALTER TABLE events DROP COLUMN hash");
    db.exec("DROP TABLE audit_chain");
    db.exec("PRAGMA user_version=1");
  }
  auto migrated = OpenSqliteStore(path);
  REQUIRE(migrated.has_value());
  CHECK((*migrated)->GetRun("r1")->playbook == "onboarding");
  REQUIRE((*migrated)->RequestCancel("r1").has_value());
  CHECK((*migrated)->CancelRequests("")->size() == 1);  // no owner yet: ""
  migrated->reset();
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 6);
    CHECK(db.execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs_cancel_requested'").getInt() == 1);
    CHECK(db.execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE name = 'links'").getInt() == 1);
    CHECK(db.execAndGet("SELECT COUNT(*) FROM events WHERE length(hash) = 64").getInt() == 1);  // run_created
    db.exec("PRAGMA user_version=9");
  }
  auto newer = OpenSqliteStore(path);
  REQUIRE(newer.has_error());
  CHECK(newer.error().message == "state database " + path + " has schema version 9; this tenure understands up to 6");
}

TEST_CASE("a database readable by others is refused", "[store]") {
  TempDir dir;
  const std::string path = dir.path() + "/tenure.db";
  std::ofstream(path) << "";
  ::chmod(path.c_str(), 0644);
  auto store = OpenSqliteStore(path);
  REQUIRE(store.has_error());
  CHECK(store.error().message ==
        "state database " + path + " is accessible by other users (mode 644); run: chmod 600 " + path);
}

TEST_CASE("runs keep their snapshot, inputs and trigger, and keys deduplicate", "[store]") {
  TempDir dir;
  auto store = std::move(*OpenSqliteStore(dir.path() + "/t.db"));
  auto first = store->CreateRun(SampleRun("r1", "hr-123"));
  REQUIRE(first.has_value());
  CHECK(first->created);
  auto dup = store->CreateRun(SampleRun("r2", "hr-123"));
  REQUIRE(dup.has_value());
  CHECK_FALSE(dup->created);
  CHECK(dup->id == "r1");
  CHECK(store->GetRun("r2").error().message == "no run 'r2'");
  REQUIRE(store->CreateRun(SampleRun("r3")).has_value());  // no key: no dedupe
  REQUIRE(store->CreateRun(SampleRun("r4")).has_value());

  auto r1 = store->GetRun("r1");
  REQUIRE(r1.has_value());
  CHECK(r1->sources.size() == 1);
  CHECK(r1->sources[0].sha256 == Sha256Hex("playbook: onboarding\n"));
  CHECK(r1->inputs.AsMap().Find("email")->AsString() == "ada@example.com");
  CHECK(r1->trigger_key == "hr-123");
  CHECK(store->ListRuns({})->size() == 3);
  RunFilter pending;
  pending.status = RunStatus::kPending;
  CHECK(store->ListRuns(pending)->size() == 3);
  RunFilter other;
  other.playbook = "offboarding";
  CHECK(store->ListRuns(other)->empty());
}

TEST_CASE("a taken run id is refused without failing the store, and generated ids are drawn again", "[store]") {
  TempDir dir;
  auto store = std::move(*OpenSqliteStore(dir.path() + "/t.db"));
  REQUIRE(store->CreateRun(SampleRun("r1")).has_value());
  auto taken = store->CreateRun(SampleRun("r1"));
  REQUIRE(taken.has_error());
  CHECK(taken.error().message == "a run with id r1 already exists");
  CHECK_FALSE(store->WriteError().has_value());  // not sticky: the next write works
  REQUIRE(store->CreateRun(SampleRun("r2")).has_value());

  // Two draws meet taken ids, the third is free (a batch started within one second does this).
  workflows::Playbook pb;
  pb.name = "onboarding";
  pb.sources.push_back({"onboarding.yaml", "playbook: onboarding\n"});
  NewRun nr;
  nr.playbook = &pb;
  std::vector<std::string> draws{"r1", "r2", "r3"};
  nr.new_id = [&draws, n = 0](SystemTime) mutable { return draws[static_cast<std::size_t>(n++)]; };
  auto created = CreateRun(*store, nr, std::chrono::system_clock::now());
  REQUIRE(created.has_value());
  CHECK(created->id == "r3");
  CHECK(store->ListRuns({})->size() == 3);
}

TEST_CASE("run ids for a batch follow the first one drawn: one date-time, distinct, counting up", "[store]") {
  const SystemTime at = *ParseInstant("2026-12-03T16:00:05Z", "");
  const std::vector<std::string> ids = NewRunIds(at, 300);
  REQUIRE(ids.size() == 300);
  std::set<std::string> distinct(ids.begin(), ids.end());
  CHECK(distinct.size() == 300);
  const auto suffix = [](const std::string& id) { return std::stoul(id.substr(id.size() - 6), nullptr, 16); };
  for (std::size_t i = 0; i < ids.size(); ++i) {
    INFO(ids[i]);
    CHECK(ids[i].rfind("r20261203-160005-", 0) == 0);
    CHECK(ids[i].size() == std::string("r20261203-160005-3fa9c1").size());
    if (i > 0) CHECK(suffix(ids[i]) == ((suffix(ids[i - 1]) + 1) & 0xffffffu));  // wraps at 24 bits
  }
  CHECK(NewRunIds(at, 0).empty());
}

TEST_CASE("Apply is all or nothing and compare-and-set protects decisions", "[store]") {
  TempDir dir;
  auto store = std::move(*OpenSqliteStore(dir.path() + "/t.db"));
  REQUIRE(store->CreateRun(SampleRun("r1")).has_value());
  std::vector<Transition> batch = {TaskTransition("r1", "a", TaskStatus::kWaiting, 5)};
  batch[0].run_status = RunStatus::kWaiting;
  REQUIRE(store->Apply(batch).has_value());

  Transition decide = TaskTransition("r1", "a", TaskStatus::kSucceeded, 6);
  decide.tasks[0].expect = TaskStatus::kRunning;  // wrong: it is waiting
  auto r = store->Apply({&decide, 1});
  REQUIRE(r.has_error());
  CHECK(r.error().message == "task a of run r1 is waiting, not running");
  CHECK(store->GetTasks("r1")->at(0).status == TaskStatus::kWaiting);
  CHECK_FALSE(store->WriteError().has_value());  // a conflict is not a broken store

  decide.tasks[0].expect = TaskStatus::kWaiting;
  REQUIRE(store->Apply({&decide, 1}).has_value());
  auto tasks = store->GetTasks("r1");
  REQUIRE(tasks->size() == 1);
  CHECK(tasks->at(0).status == TaskStatus::kSucceeded);
  CHECK(tasks->at(0).idempotency_key == "k-a");
  auto events = store->GetEvents("r1");
  REQUIRE(events->size() == 3);
  CHECK(events->at(0).kind == "run_created");
  CHECK(events->at(2).kind == "succeeded");
  CHECK(store->GetRun("r1")->status == RunStatus::kWaiting);
}

TEST_CASE("two store instances on one file write concurrently without 'database is locked'", "[store]") {
  TempDir dir;
  const std::string path = dir.path() + "/shared.db";
  auto a = std::move(*OpenSqliteStore(path));
  auto b = std::move(*OpenSqliteStore(path));
  REQUIRE(a->CreateRun(SampleRun("ra")).has_value());
  REQUIRE(b->CreateRun(SampleRun("rb")).has_value());
  constexpr int kWrites = 200;
  auto writer = [](StateStore& s, const std::string& run, bool* ok) {
    for (int i = 0; i < kWrites; ++i) {
      Transition t = TaskTransition(run, "t" + std::to_string(i), TaskStatus::kSucceeded, i);
      auto r = s.Apply({&t, 1});
      if (!r) {
        UNSCOPED_INFO(r.error().message);
        *ok = false;
        return;
      }
    }
    *ok = true;
  };
  bool ok_a = false, ok_b = false;
  std::thread ta(writer, std::ref(*a), "ra", &ok_a);
  std::thread tb(writer, std::ref(*b), "rb", &ok_b);
  ta.join();
  tb.join();
  CHECK(ok_a);
  CHECK(ok_b);
  CHECK(a->GetTasks("rb")->size() == kWrites);
  CHECK(b->GetEvents("ra")->size() == kWrites + 1);
}

TEST_CASE("claims: one live owner per run", "[store]") {
  TempDir dir;
  auto store = std::move(*OpenSqliteStore(dir.path() + "/t.db"));
  REQUIRE(store->CreateRun(SampleRun("r1")).has_value());
  auto alive = [](const std::string&) { return false; };
  auto dead = [](const std::string&) { return true; };
  CHECK(*store->ClaimRun("r1", "host:1", +alive) == "host:1");
  CHECK(*store->ClaimRun("r1", "host:2", +alive) == "host:1");
  CHECK(*store->ClaimRun("r1", "host:2", +dead) == "host:2");
  REQUIRE(store->ReleaseRun("r1", "host:2").has_value());
  CHECK(store->GetRun("r1")->owner.empty());
  CHECK(store->RequestCancel("nope").error().message == "no run 'nope'");
}

TEST_CASE("owners: this process is alive, a reaped or reused pid is gone", "[store]") {
  CHECK_FALSE(OwnerGone(CurrentOwner()));
  CHECK(OwnerGone(CurrentOwner().substr(0, CurrentOwner().rfind(':')) + ":999999999"));
  CHECK_FALSE(OwnerGone("some-other-host:1"));
  // A reused pid: this very process, recorded as having started at another time.
  const std::string me = CurrentOwner();
  REQUIRE(me.find('@') != std::string::npos);
  CHECK(OwnerGone(me.substr(0, me.find('@')) + "@1"));
  CHECK_FALSE(OwnerGone(me.substr(0, me.find('@'))));  // an owner recorded before start times: by pid
}

TEST_CASE("the database path: flag, then TENURE_DB, then XDG_STATE_HOME", "[store]") {
  CHECK(DefaultDbPath("/x/y.db") == "/x/y.db");
  ::setenv("TENURE_DB", "/env/t.db", 1);
  CHECK(DefaultDbPath("") == "/env/t.db");
  ::unsetenv("TENURE_DB");
  ::setenv("XDG_STATE_HOME", "/state", 1);
  CHECK(DefaultDbPath("") == "/state/tenure/tenure.db");
  ::unsetenv("XDG_STATE_HOME");
  ::setenv("HOME", "/home/ada", 1);
  CHECK(DefaultDbPath("") == "/home/ada/.local/state/tenure/tenure.db");
}

}  // namespace
}  // namespace tenure::engine
