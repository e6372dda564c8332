// The engine's side of issue 13: item_when per for_each item, skip: propagate | continue, and the
// `calendars` root at run time.
#include <catch2/catch.hpp>

#include "engine/executor.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using testing::EngineFixture;
using Strings = std::vector<std::string>;

TEST_CASE("item_when skips the items it is false for and the others run", "[engine][lang]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: items
inputs:
  groups: { type: list, items: string }
connections:
  svc: { connector: fake }
tasks:
  add:
    for_each: "{{ inputs.groups }}"
    item_when: "{{ item != 'everyone' and not (item | contains('legacy')) }}"
    uses: svc.create
    with: { value: "{{ item }}" }
  after: { uses: svc.notify, needs: add, with: { value: "{{ tasks.add.result | length }}" } }
)", [] {
    Map m;
    m.Set("groups", List{Value("everyone"), Value("eng"), Value("legacy-vpn"), Value("emea")});
    return m;
  }());
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"add", "add", "after"});
  CHECK(f.Task(id, "add", 0).status == TaskStatus::kSkipped);
  CHECK(f.Task(id, "add", 0).error == "item condition was false: {{ item != 'everyone' and not (item | contains('legacy')) }}");
  CHECK(f.Task(id, "add", 1).status == TaskStatus::kSucceeded);
  CHECK(f.Task(id, "add", 2).status == TaskStatus::kSkipped);
  CHECK(f.Task(id, "add").status == TaskStatus::kSucceeded);
}

TEST_CASE("skip propagate skips the dependents of a task its when skipped, continue runs them", "[engine][lang]") {
  const std::string pb = R"(playbook: conditional
inputs:
  remote: { type: bool }
connections:
  svc: { connector: fake }
tasks:
  ship_laptop:
    uses: svc.create
    when: "{{ inputs.remote }}"
    skip: POLICY
  track_parcel: { uses: svc.notify, needs: ship_laptop }
  confirm: { uses: svc.notify, needs: track_parcel }
  welcome: { uses: svc.notify }
)";
  const Map inputs = [] { Map m; m.Set("remote", false); return m; }();
  {
    EngineFixture f;
    std::string text = pb;
    text.replace(text.find("POLICY"), 6, "propagate");
    const std::string id = f.Run(text, inputs);
    REQUIRE(f.done());
    CHECK(f.status() == RunStatus::kSucceeded);
    CHECK(f.service.CallTasks() == Strings{"welcome"});
    CHECK(f.Task(id, "track_parcel").status == TaskStatus::kSkipped);
    CHECK(f.Task(id, "track_parcel").error == "upstream task 'ship_laptop' was skipped (skip: propagate)");
    CHECK(f.Task(id, "confirm").status == TaskStatus::kSkipped);
    CHECK(f.Task(id, "confirm").error == "upstream task 'ship_laptop' was skipped (skip: propagate)");
  }
  {
    EngineFixture f;
    std::string text = pb;
    text.replace(text.find("POLICY"), 6, "continue");
    const std::string id = f.Run(text, inputs);
    REQUIRE(f.done());
    CHECK(f.Task(id, "track_parcel").status == TaskStatus::kSucceeded);
    CHECK(f.Task(id, "confirm").status == TaskStatus::kSucceeded);
  }
}

TEST_CASE("a run reads the playbook's calendars", "[engine][lang]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: cal
calendars:
  fr: { holidays: [2026-12-25] }
connections:
  svc: { connector: fake }
tasks:
  a: { uses: svc.notify, with: { value: "{{ '2026-12-24' | add_working_days(1, calendars.fr) }}" } }
)");
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.calls()[0].args.Find("value")->AsString() == "2026-12-28");
}

}  // namespace
}  // namespace tenure::engine

namespace tenure::engine {
namespace {

using testing::TempDir;

// `effects` in the fake's result counts how often the same key took effect: 1, 2, 3, ...
const char* const kPolling = R"(playbook: polling
connections:
  svc: { connector: fake }
tasks:
  transfer:
    uses: svc.read
    until: { condition: "{{ result.effects >= 3 }}", interval: 1m, timeout: TIMEOUT }
  after: { uses: svc.notify, needs: transfer, with: { value: "{{ tasks.transfer.result.effects }}" } }
)";

std::string Polling(const std::string& timeout) {
  std::string yaml = kPolling;
  yaml.replace(yaml.find("TIMEOUT"), 7, timeout);
  return yaml;
}

TEST_CASE("until: the condition is met on the third poll", "[engine][lang][until]") {
  EngineFixture f;
  const std::string id = f.Start(Polling("1h"));
  f.Execute(id);
  f.RunUntilIdle();
  CHECK_FALSE(f.done());
  CHECK(f.service.calls().size() == 1);
  CHECK(f.Task(id, "transfer").status == TaskStatus::kWaiting);
  f.Advance(std::chrono::seconds(59));
  CHECK(f.service.calls().size() == 1);  // not before the interval
  f.Advance(std::chrono::seconds(1));
  CHECK(f.service.calls().size() == 2);
  f.Advance(std::chrono::minutes(1));
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"transfer", "transfer", "transfer", "after"});
  CHECK(f.service.calls()[3].args.Find("value")->AsInt() == 3);
  const Strings events = f.EventKinds(id, "transfer");
  CHECK(events == Strings{"attempt_started", "until_not_met", "attempt_started", "until_not_met", "attempt_started", "succeeded"});
  const Strings lines = f.EventLines(id, "transfer");
  CHECK(lines[1] == "until_not_met: poll 1: {{ result.effects >= 3 }} is false; next poll at 2026-01-05T09:01:00.000Z");
  CHECK(lines.back() == "succeeded: until met on poll 3");
}

TEST_CASE("until: not met before the timeout fails the task", "[engine][lang][until]") {
  EngineFixture f;
  const std::string id = f.Start(Polling("90s"));
  f.Execute(id);
  f.RunUntilIdle();
  f.Advance(std::chrono::minutes(1));
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.service.CallTasks() == Strings{"transfer", "transfer"});
  const TaskRecord t = f.Task(id, "transfer");
  CHECK(t.status == TaskStatus::kFailed);
  CHECK(t.error.starts_with("until not met after 2 polls in 1m30s: {{ result.effects >= 3 }}; last result {"));
  CHECK(f.Task(id, "after").status == TaskStatus::kSkipped);
}

TEST_CASE("until: a crash between polls resumes polling at the due time", "[engine][lang][until]") {
  TempDir shared;
  const std::string db = shared.path() + "/t.db";
  std::string id;
  std::int64_t due = 0;
  {
    EngineFixture crashed(0, 0, db);
    id = crashed.Start(Polling("1h"));
    crashed.Execute(id);
    crashed.RunUntilIdle();
    REQUIRE(crashed.service.calls().size() == 1);
    const TaskRecord waiting = crashed.Task(id, "transfer");
    CHECK(waiting.status == TaskStatus::kWaiting);
    CHECK(waiting.result.ToJson().starts_with(R"({"polls":1,"last":{)"));
    due = waiting.due_ms;
    CHECK(due == ToUnixMillis(crashed.clock.Now()) + 60'000);
    // The process dies here, between polls.
  }
  EngineFixture resumed(0, 0, db);  // its fake service counts effects from 0 again
  resumed.Execute(id);
  resumed.RunUntilIdle();
  CHECK(resumed.service.calls().empty());  // the next poll waits for its due time
  resumed.Advance(std::chrono::minutes(1));
  CHECK(resumed.service.calls().size() == 1);
  resumed.Advance(std::chrono::minutes(1));
  resumed.Advance(std::chrono::minutes(1));
  REQUIRE(resumed.done());
  CHECK(resumed.status() == RunStatus::kSucceeded);
  CHECK(resumed.EventLines(id, "transfer").back() == "succeeded: until met on poll 4");
}

}  // namespace
}  // namespace tenure::engine
