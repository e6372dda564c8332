// Crash recovery, resume, retry and trigger keys: what the store lets a new process do.
#include <algorithm>
#include <catch2/catch.hpp>

#include "engine/executor.h"
#include "engine/run_control.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using testing::Behavior;
using testing::EngineFixture;
using testing::TempDir;
using Strings = std::vector<std::string>;

const char* const kTwoSteps = R"(playbook: two
connections:
  svc: { connector: fake }
tasks:
  account: { uses: svc.create }
  groups: { uses: svc.update, needs: account }
)";

TEST_CASE("an attempt left running by a dead process runs again with the same key", "[engine][recovery]") {
  TempDir shared;
  const std::string db = shared.path() + "/t.db";
  std::string id;
  std::string first_key;
  {
    EngineFixture crashed(0, 0, db);
    crashed.service.Script("account", {Behavior::Hang()});
    id = crashed.Start(kTwoSteps);
    crashed.Execute(id);
    crashed.RunUntilIdle();
    REQUIRE(crashed.service.calls().size() == 1);
    first_key = crashed.service.calls()[0].key;
    CHECK(crashed.Task(id, "account").status == TaskStatus::kRunning);
    // The process dies here: the fixture is torn down mid-call, nothing more is written.
  }
  EngineFixture resumed(0, 0, db);
  resumed.Execute(id);
  resumed.RunUntilIdle();
  REQUIRE(resumed.done());
  CHECK(resumed.status() == RunStatus::kSucceeded);
  CHECK(resumed.service.CallTasks() == Strings{"account", "groups"});
  CHECK(resumed.service.calls()[0].key == first_key);
  CHECK(resumed.Task(id, "account").attempts == 2);
  CHECK(resumed.EventLines(id, "account") ==
        Strings{"attempt_started: svc.create, attempt 1 of 3, key " + first_key,
                "recovered: attempt 1 was in flight when the previous process stopped; running it again with the "
                "same idempotency key",
                "attempt_started: svc.create, attempt 2 of 3, key " + first_key, "succeeded: attempt 2 of 3"});
  CHECK(resumed.EventKinds(id, "") == Strings{"run_created", "run_started", "run_resumed", "run_succeeded"});
}

TEST_CASE("finished tasks are never run again on resume", "[engine][recovery]") {
  TempDir shared;
  const std::string db = shared.path() + "/t.db";
  std::string id;
  {
    EngineFixture crashed(0, 0, db);
    crashed.service.Script("groups", {Behavior::Hang()});
    id = crashed.Start(kTwoSteps);
    crashed.Execute(id);
    crashed.RunUntilIdle();
    CHECK(crashed.service.CallTasks() == Strings{"account", "groups"});
  }
  EngineFixture resumed(0, 0, db);
  resumed.Execute(id);
  resumed.RunUntilIdle();
  CHECK(resumed.status() == RunStatus::kSucceeded);
  CHECK(resumed.service.CallTasks() == Strings{"groups"});
}

TEST_CASE("a resumed for_each reuses its stored items and re-runs only unfinished ones", "[engine][recovery]") {
  TempDir shared;
  const std::string db = shared.path() + "/t.db";
  const char* const yaml = R"(playbook: items
inputs:
  apps: { type: list }
connections:
  svc: { connector: fake }
tasks:
  seats:
    for_each: "{{ inputs.apps }}"
    uses: svc.create
    with: { name: "{{ item }}" }
)";
  std::string id;
  {
    EngineFixture crashed(0, 0, db);
    crashed.service.Script("create", {Behavior::Succeed(), Behavior::Hang(), Behavior::Succeed()});
    Map inputs;
    inputs.Set("apps", Value(List{Value("jira"), Value("figma"), Value("zoom")}));
    id = crashed.Start(yaml, std::move(inputs));
    crashed.Execute(id);
    crashed.RunUntilIdle();
    CHECK(crashed.Task(id, "seats", 1).status == TaskStatus::kRunning);
  }
  EngineFixture resumed(0, 0, db);
  resumed.Execute(id);
  resumed.RunUntilIdle();
  CHECK(resumed.status() == RunStatus::kSucceeded);
  REQUIRE(resumed.service.calls().size() == 1);
  CHECK(resumed.service.calls()[0].args.Find("name")->AsString() == "figma");
  CHECK(resumed.service.calls()[0].key == IdempotencyKey(id, "seats", 1));
  const Strings kinds = resumed.EventKinds(id, "seats");
  CHECK(std::count(kinds.begin(), kinds.end(), "fan_out") == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), "recovered") == 1);
}

TEST_CASE("a finished run is not executed again", "[engine][recovery]") {
  EngineFixture f;
  const std::string id = f.Run(kTwoSteps);
  CHECK(f.status() == RunStatus::kSucceeded);
  f.Execute(id);
  f.RunUntilIdle();
  REQUIRE(f.result().has_error());
  CHECK(f.result().error().message == "run " + id + " already succeeded");
}

TEST_CASE("a run executed by another live process is refused", "[engine][recovery]") {
  EngineFixture f;
  const std::string id = f.Start(kTwoSteps);
  REQUIRE(f.store->ClaimRun(id, "elsewhere:1", [](const std::string&) { return false; }).has_value());
  f.Execute(id);
  f.RunUntilIdle();
  REQUIRE(f.result().has_error());
  CHECK(f.result().error().message == "run " + id + " is being executed by elsewhere:1");
  CHECK(f.service.calls().empty());
}

TEST_CASE("retry puts failed and upstream-skipped tasks back, keeping keys", "[engine][recovery]") {
  EngineFixture f;
  f.service.Script("account", {Behavior::Fail("directory offline")});
  const std::string id = f.Run(kTwoSteps);
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.Task(id, "groups").status == TaskStatus::kSkipped);
  auto wrong = Retry(*f.store, id, "groups", f.clock.Now());
  REQUIRE(wrong.has_error());
  CHECK(wrong.error().message == "task groups of run " + id + " did not fail or get cancelled");
  auto reset = Retry(*f.store, id, "", f.clock.Now());
  REQUIRE(reset.has_value());
  CHECK(*reset == 2);
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"account", "account", "groups"});
  CHECK(f.service.calls()[0].key == f.service.calls()[1].key);
}

TEST_CASE("a cancelled run can be retried", "[engine][recovery]") {
  EngineFixture f;
  const std::string id = f.Start(kTwoSteps);
  auto cancelled = Cancel(*f.store, id, f.clock.Now());  // nobody executes it: cancelled at once
  REQUIRE(cancelled.has_value());
  CHECK(*cancelled);
  CHECK(f.sqlite->GetRun(id)->status == RunStatus::kCancelled);
  CHECK(Cancel(*f.store, id, f.clock.Now()).error().message == "run " + id + " already cancelled");
  auto reset = Retry(*f.store, id, "", f.clock.Now());
  REQUIRE(reset.has_value());
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"account", "groups"});
}

TEST_CASE("a second trigger with the same key returns the existing run", "[engine][recovery]") {
  EngineFixture f;
  const std::string first = f.Start(kTwoSteps, {}, "hr-4711");
  const std::string second = f.Start(kTwoSteps, {}, "hr-4711");
  CHECK(first == second);
  CHECK(f.store->ListRuns({})->size() == 1);
}

TEST_CASE("a run executes its stored snapshot", "[engine][recovery]") {
  EngineFixture f;
  const std::string id = f.Start(kTwoSteps);
  auto run = f.store->GetRun(id);
  REQUIRE(run->sources.size() == 1);
  CHECK(run->sources[0].path == "test.yaml");
  CHECK(run->sources[0].text == kTwoSteps);
  CHECK(run->sources[0].sha256 == Sha256Hex(kTwoSteps));
  f.Execute(id);  // test.yaml exists nowhere on disk: only the snapshot can be read
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kSucceeded);
}

}  // namespace
}  // namespace tenure::engine
