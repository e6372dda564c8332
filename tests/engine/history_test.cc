// engine::ReadHistory against a real SQLite store: which run history.last finds (playbook and
// key, the most recent created before the reading run, a schedule's key), and what it holds.
#include "engine/history.h"

#include <catch2/catch.hpp>

#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using testing::TempDir;

RunRecord MakeRun(const std::string& id, const std::string& playbook, std::int64_t created_ms) {
  RunRecord r;
  r.id = id;
  r.playbook = playbook;
  r.sources = {{playbook + ".yaml", "playbook: " + playbook + "\n", Sha256Hex("playbook: " + playbook + "\n")}};
  Map inputs;
  inputs.Set("email", "jane@example.com");
  r.inputs = Value(std::move(inputs));
  r.trigger = "cli:test";
  r.created_ms = created_ms;
  return r;
}

TaskRecord Row(const std::string& task, int item, TaskStatus status, Value result) {
  TaskRecord row;
  row.task = task;
  row.item = item;
  row.status = status;
  row.result = std::move(result);
  return row;
}

const Value* Find(const Value& root, const std::string& playbook, const std::string& key) {
  return workflows::FindHistory(root, workflows::HistoryKey{playbook, key});
}

std::string IdOf(const Value* run) {
  REQUIRE(run != nullptr);
  REQUIRE(run->IsMap());
  return run->AsMap().Find("id")->AsString();
}

}  // namespace

TEST_CASE("history.last finds the latest earlier run of the playbook with the key", "[history][store]") {
  TempDir dir;
  auto store = OpenSqliteStore(dir.path() + "/t.db");
  REQUIRE(store.has_value());
  StateStore& s = **store;

  RunRecord first = MakeRun("r1", "offboarding", 1000);
  first.trigger_key = "E1";
  REQUIRE(s.CreateRun(first).has_value());
  RunRecord other_playbook = MakeRun("r2", "onboarding", 2000);
  other_playbook.trigger_key = "E2";  // keys are unique in a database; this one is another playbook's
  REQUIRE(s.CreateRun(other_playbook).has_value());
  RunRecord fired = MakeRun("r3", "offboarding", 3000);  // a schedule added with --key E1 fired it
  fired.trigger = "schedule:s20261203-080000-abcdef:E1";
  fired.trigger_key = "schedule:s20261203-080000-abcdef@3000";
  REQUIRE(s.CreateRun(fired).has_value());
  RunRecord later = MakeRun("r5", "offboarding", 5000);  // created after the reading run
  later.trigger = "schedule:s20261203-090000-abcdef:E1";
  later.trigger_key = "schedule:s20261203-090000-abcdef@5000";
  REQUIRE(s.CreateRun(later).has_value());

  Transition t;
  t.run_id = "r3";
  t.at_ms = 3100;
  t.run_status = RunStatus::kSucceeded;
  Map groups;
  groups.Set("groups", List{Value("sales")});
  t.tasks = {Row("remove_groups", -1, TaskStatus::kSucceeded, Value(groups)),
             Row("licences", -1, TaskStatus::kSucceeded, Value(List{Value("a"), Value("b")})),
             Row("licences", 1, TaskStatus::kSucceeded, Value("b")), Row("licences", 0, TaskStatus::kFailed, Value("a")),
             Row("remove_groups:compensate", -1, TaskStatus::kSucceeded, Value()),
             Row(std::string(kHistoryRow), -1, TaskStatus::kSucceeded, Value(Map()))};
  REQUIRE(s.Apply(std::span<const Transition>(&t, 1)).has_value());

  const std::vector<workflows::HistoryKey> lookups = {
      {"offboarding", "E1"}, {"offboarding", "E2"}, {"mover", "E1"}};
  auto root = ReadHistory(s, lookups, "r4", 4000);
  REQUIRE(root.has_value());
  // r3 (the schedule's key) is newer than r1; r5 was created after the reading run.
  const Value* run = Find(*root, "offboarding", "E1");
  CHECK(IdOf(run) == "r3");
  const Map& m = run->AsMap();
  CHECK(m.Find("status")->AsString() == "succeeded");
  CHECK(m.Find("key")->AsString() == "E1");
  CHECK(m.Find("started_at")->AsString() == "1970-01-01T00:00:03.000Z");
  CHECK(m.Find("finished_at")->IsNull() == false);
  CHECK(m.Find("inputs")->AsMap().Find("email")->AsString() == "jane@example.com");
  const Map& tasks = m.Find("tasks")->AsMap();
  CHECK(tasks.Find("remove_groups")->AsMap().Find("result")->ToJson() == "{\"groups\":[\"sales\"]}");
  CHECK(tasks.Find("licences")->AsMap().Find("items")->ToJson() ==
        "[{\"status\":\"failed\",\"result\":\"a\"},{\"status\":\"succeeded\",\"result\":\"b\"}]");
  CHECK(tasks.Find("remove_groups:compensate") == nullptr);
  CHECK(tasks.Find(kHistoryRow) == nullptr);
  // E2 belongs to an onboarding run, not an offboarding: none. No mover run at all: none.
  REQUIRE(Find(*root, "offboarding", "E2") != nullptr);
  CHECK(Find(*root, "offboarding", "E2")->IsNull());
  CHECK(Find(*root, "mover", "E1")->IsNull());

  // Read by r1 itself, before anything else existed: never its own run.
  auto early = ReadHistory(s, {{"offboarding", "E1"}}, "r1", 1000);
  REQUIRE(early.has_value());
  CHECK(Find(*early, "offboarding", "E1")->IsNull());
  // Read later: the newest.
  auto now = ReadHistory(s, {{"offboarding", "E1"}}, "", 9000);
  REQUIRE(now.has_value());
  CHECK(IdOf(Find(*now, "offboarding", "E1")) == "r5");
  CHECK(DescribeRead(*now, {"offboarding", "E1"}) == "history.last(playbook='offboarding', key='E1') -> run r5 (pending)");
  CHECK(DescribeRead(*now, {"offboarding", "E9"}) == "history.last(playbook='offboarding', key='E9') -> none");
}

TEST_CASE("a run's key: its trigger key, or the key of the schedule that fired it", "[history]") {
  RunRecord r = MakeRun("r1", "p", 0);
  r.trigger_key = "hr-4711";
  CHECK(RunHasKey(r, "hr-4711"));
  CHECK_FALSE(RunHasKey(r, "hr-471"));
  CHECK_FALSE(RunHasKey(r, ""));
  r.trigger_key = "schedule:s1@5";
  r.trigger = "schedule:s1:jane-doe";
  CHECK(RunHasKey(r, "jane-doe"));
  CHECK_FALSE(RunHasKey(r, "s1:jane-doe"));
  r.trigger = "schedule:s1";  // a schedule without a key
  CHECK_FALSE(RunHasKey(r, "s1"));
  r.trigger = "cli:schedule:x:jane-doe";
  CHECK_FALSE(RunHasKey(r, "jane-doe"));
}

}  // namespace tenure::engine
