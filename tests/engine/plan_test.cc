#include "engine/plan.h"

#include <catch2/catch.hpp>

#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using workflows::TaskGraph;

// Graph: a -> b -> d, a -> c -> d, e (independent).
const char* const kDiamond = R"(playbook: diamond
connections:
  svc: { connector: fake }
tasks:
  a: { uses: svc.create }
  b: { uses: svc.create, needs: a }
  c: { uses: svc.create, needs: a, on_failure: continue }
  d: { uses: svc.create, needs: [b, c] }
  e: { uses: svc.create }
)";

struct PlanFixture {
  testing::EngineFixture engine;
  workflows::Playbook pb = engine.Load(kDiamond);
  workflows::Diagnostics diags;
  TaskGraph graph = *TaskGraph::Build(pb, diags);
  Plan plan{graph, {false, false, true, false, false}};
  TaskId Id(const char* name) { return *graph.Find(name); }
  std::vector<std::string> Names(const std::vector<TaskId>& ids) {
    std::vector<std::string> out;
    for (TaskId t : ids) out.push_back(graph.Name(t));
    return out;
  }
};

TEST_CASE_METHOD(PlanFixture, "roots are ready first, in document order", "[plan]") {
  CHECK(Names(plan.Ready()) == std::vector<std::string>{"a", "e"});
  plan.Set(Id("a"), TaskStatus::kRunning);
  CHECK(Names(plan.Ready()) == std::vector<std::string>{"e"});
  plan.Set(Id("a"), TaskStatus::kSucceeded);
  CHECK(Names(plan.Ready()) == std::vector<std::string>{"b", "c", "e"});
  CHECK(plan.Outcome(false) == RunOutcome::kInProgress);
}

TEST_CASE_METHOD(PlanFixture, "a failure skips its dependents and names the failed task", "[plan]") {
  plan.Set(Id("a"), TaskStatus::kFailed);
  plan.Set(Id("e"), TaskStatus::kSucceeded);
  auto skips = plan.PropagateSkips();
  REQUIRE(skips.size() == 3);
  CHECK(Names({skips[0].task, skips[1].task, skips[2].task}) == std::vector<std::string>{"b", "c", "d"});
  for (const auto& s : skips) CHECK(graph.Name(s.because) == "a");
  CHECK(plan.Outcome(false) == RunOutcome::kFailed);
}

TEST_CASE_METHOD(PlanFixture, "on_failure continue lets dependents run", "[plan]") {
  plan.Set(Id("a"), TaskStatus::kSucceeded);
  plan.Set(Id("b"), TaskStatus::kSucceeded);
  plan.Set(Id("c"), TaskStatus::kFailed);
  CHECK(plan.PropagateSkips().empty());
  CHECK(Names(plan.Ready()) == std::vector<std::string>{"d", "e"});
}

TEST_CASE_METHOD(PlanFixture, "a when-skipped task does not block its dependents", "[plan]") {
  plan.Set(Id("a"), TaskStatus::kSucceeded);
  plan.Set(Id("b"), TaskStatus::kSkipped);
  plan.Set(Id("c"), TaskStatus::kSucceeded);
  CHECK(plan.PropagateSkips().empty());
  CHECK(Names(plan.Ready()) == std::vector<std::string>{"d", "e"});
}

TEST_CASE_METHOD(PlanFixture, "an upstream skip propagates transitively", "[plan]") {
  plan.Set(Id("a"), TaskStatus::kSucceeded);
  plan.Set(Id("b"), TaskStatus::kFailed);
  plan.Set(Id("c"), TaskStatus::kSucceeded);
  auto skips = plan.PropagateSkips();
  REQUIRE(skips.size() == 1);
  CHECK(graph.Name(skips[0].task) == "d");
  CHECK(graph.Name(skips[0].because) == "b");
  CHECK(plan.Blocks(Id("d")));
}

TEST_CASE_METHOD(PlanFixture, "waiting tasks make the run wait, cancellation wins", "[plan]") {
  plan.Set(Id("a"), TaskStatus::kWaiting);
  plan.Set(Id("e"), TaskStatus::kSucceeded);
  CHECK(plan.Ready().empty());
  CHECK(plan.Outcome(false) == RunOutcome::kWaiting);
  CHECK(plan.Outcome(true) == RunOutcome::kCancelled);
  plan.Set(Id("a"), TaskStatus::kRunning);
  CHECK(plan.Outcome(true) == RunOutcome::kInProgress);
}

TEST_CASE_METHOD(PlanFixture, "all done is success", "[plan]") {
  for (const char* t : {"a", "b", "c", "d", "e"}) plan.Set(Id(t), TaskStatus::kSucceeded);
  CHECK(plan.Outcome(false) == RunOutcome::kSucceeded);
}

}  // namespace
}  // namespace tenure::engine
