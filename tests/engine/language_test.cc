// The engine's side of issue 13: item_when per for_each item, skip: propagate | continue, and the
// `calendars` root at run time.
#include <catch2/catch.hpp>

#include "engine/executor.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using testing::EngineFixture;
using Strings = std::vector<std::string>;

TEST_CASE("item_when skips the items it is false for; the others run", "[engine][lang]") {
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

TEST_CASE("skip: propagate skips the dependents of a task its when skipped; continue runs them", "[engine][lang]") {
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
