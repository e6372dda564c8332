// Regressions of issue 9: a run never reports success over a failed effect. Fan-out failures at
// the first, a middle and the last item with completion order unlike item order; compensation of
// a fan-out that failed part way; decisions recorded while a run executes; retry inside a waiting
// run; the error vocabulary of the store and the journal.
#include <catch2/catch.hpp>

#include "engine/executor.h"
#include "engine/run_control.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using std::chrono::milliseconds;
using testing::Behavior;
using testing::EngineFixture;
using Strings = std::vector<std::string>;

const char* const kFanOut = R"(playbook: offboard
connections:
  idp: { connector: fake }
tasks:
  remove:
    for_each: [everyone, eng, admins, vpn, github]
    uses: idp.delete
    with: { value: "{{ item }}" }
  after: { uses: idp.notify, needs: remove }
)";

const Strings kGroups = {"everyone", "eng", "admins", "vpn", "github"};

// Latencies that make items complete in the order 4, 2, 1, 3, 0 (the reverse of a naive guess).
const std::vector<milliseconds> kLatency = {milliseconds(500), milliseconds(300), milliseconds(200),
                                           milliseconds(400), milliseconds(100)};

void ScriptItems(EngineFixture& f, const std::string& id, const std::string& task, const std::vector<int>& failing) {
  for (int i = 0; i < static_cast<int>(kLatency.size()); ++i) {
    const bool fails = std::find(failing.begin(), failing.end(), i) != failing.end();
    const std::string key = IdempotencyKey(id, task, i);
    if (fails) {
      f.service.Script(key, {Behavior::FailAfter(kLatency[static_cast<std::size_t>(i)],
                                                 "no group " + kGroups[static_cast<std::size_t>(i)], 404)});
    } else {
      f.service.Script(key, {Behavior::Slow(kLatency[static_cast<std::size_t>(i)])});
    }
  }
}

TEST_CASE("a fan-out with one failed item fails, at the first, a middle and the last item", "[engine][issue9]") {
  const int failing = GENERATE(0, 2, 4);
  INFO("failing item " << failing);
  EngineFixture f;
  const std::string id = f.Start(kFanOut);
  ScriptItems(f, id, "remove", {failing});
  f.Execute(id);
  f.RunToCompletion();
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kFailed);
  const std::string group = kGroups[static_cast<std::size_t>(failing)];
  const std::string item_error = "item " + std::to_string(failing) + " (" + group + "): HTTP 404: no group " + group;
  const TaskRecord remove = f.Task(id, "remove");
  CHECK(remove.status == TaskStatus::kFailed);
  CHECK(remove.error == "1 of 5 items failed; first: " + item_error);
  for (int i = 0; i < 5; ++i) {
    INFO("item " << i);
    CHECK(f.Task(id, "remove", i).status == (i == failing ? TaskStatus::kFailed : TaskStatus::kSucceeded));
  }
  CHECK(f.Task(id, "remove", failing).error == "HTTP 404: no group " + group);
  CHECK(f.Task(id, "after").status == TaskStatus::kSkipped);
  CHECK(f.sqlite->GetRun(id)->error == "task 'remove' failed: 1 of 5 items failed; first: " + item_error);
  for (const std::string& line : f.EventLines(id, "")) CHECK(line.find("every task succeeded") == std::string::npos);
  CHECK(f.EventLines(id, "remove").back() == "failed: 1 of 5 items failed; first: " + item_error);
}

TEST_CASE("a fan-out whose items all fail names the first item, not the first to finish", "[engine][issue9]") {
  EngineFixture f;
  const std::string id = f.Start(kFanOut);
  ScriptItems(f, id, "remove", {0, 1, 2, 3, 4});
  f.Execute(id);
  f.RunToCompletion();
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.Task(id, "remove").error == "5 of 5 items failed; first: item 0 (everyone): HTTP 404: no group everyone");
  for (int i = 0; i < 5; ++i) CHECK(f.Task(id, "remove", i).status == TaskStatus::kFailed);
}

TEST_CASE("a fan-out that failed part way compensates every item that succeeded, in reverse", "[engine][issue9]") {
  EngineFixture f;
  const std::string id = f.Start(R"(playbook: onboard
on_failure: compensate
connections:
  idp: { connector: fake }
tasks:
  groups:
    for_each: [everyone, eng, admins, vpn, github]
    uses: idp.create
    with: { value: "{{ item }}" }
    compensate: { uses: idp.delete, with: { value: "{{ item }}" } }
)");
  ScriptItems(f, id, "groups", {2});
  f.Execute(id);
  f.RunToCompletion();
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kFailed);
  Strings undone;
  for (const auto& c : f.service.calls()) {
    if (c.action == "delete") undone.push_back(c.args.Find("value")->AsString());
  }
  CHECK(undone == Strings{"github", "vpn", "eng", "everyone"});  // not admins: it never happened
  CHECK(f.Task(id, "groups:compensate", 4).status == TaskStatus::kSucceeded);
  CHECK(f.Task(id, "groups:compensate", 0).status == TaskStatus::kSucceeded);
}

TEST_CASE("a decision recorded while the run still executes wakes it for every way of continuing", "[engine][issue9]") {
  EngineFixture f;
  f.service.Script("slow", {Behavior::Slow(milliseconds(1000))});
  const std::string id = f.Start(R"(playbook: race
connections:
  svc: { connector: fake }
tasks:
  ask: { uses: manual.approve, with: { prompt: "Forward mail?" } }
  slow: { uses: svc.create }
  after: { uses: svc.update, needs: ask }
)");
  f.Execute(id);
  f.RunUntilIdle();
  REQUIRE_FALSE(f.done());
  REQUIRE(f.Task(id, "ask").status == TaskStatus::kWaiting);
  CHECK(f.sqlite->GetRun(id)->status == RunStatus::kRunning);
  // Approved before the run has parked: the run is still executing `slow`.
  REQUIRE(Decide(*f.store, id, "ask", true, "bob", "", f.clock.Now()).has_value());
  f.RunToCompletion();
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kWaiting);  // this execution saw `ask` waiting
  RunRecord parked = *f.sqlite->GetRun(id);
  CHECK(parked.wakeups == 1);
  CHECK(parked.wakeups_seen == 0);  // news nobody has looked at: resume --all and the daemon see it

  f.Execute(id);
  f.RunToCompletion();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"slow", "after"});
  CHECK(f.sqlite->GetRun(id)->wakeups_seen == 1);
}

TEST_CASE("retry of a failed task inside a run that still waits for its timer", "[engine][issue9]") {
  EngineFixture f;
  f.service.Script("notify", {Behavior::Fail("channel not found", 404)});
  const std::string id = f.Start(R"(playbook: long
connections:
  svc: { connector: fake }
tasks:
  notify: { uses: svc.notify, on_failure: continue }
  later: { uses: timer.wait, with: { for: 90d } }
  delete: { uses: svc.delete, needs: later }
)");
  f.Execute(id);
  f.RunUntilIdle();
  REQUIRE(f.done());
  REQUIRE(f.status() == RunStatus::kWaiting);
  const std::string key = f.Task(id, "notify").idempotency_key;
  CHECK(f.Task(id, "notify").status == TaskStatus::kFailed);

  auto reset = Retry(*f.store, id, "notify", f.clock.Now());
  REQUIRE(reset.has_value());
  CHECK(*reset == 1);
  CHECK(f.sqlite->GetRun(id)->status == RunStatus::kWaiting);  // still waits for its timer
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(f.Task(id, "notify").status == TaskStatus::kSucceeded);
  CHECK(f.Task(id, "notify").idempotency_key == key);
  CHECK(f.service.calls().back().key == key);
  CHECK(f.Task(id, "later").status == TaskStatus::kWaiting);
  CHECK(f.Task(id, "delete").status == TaskStatus::kPending);
}

TEST_CASE("a whole-run retry leaves a person's rejection decided", "[engine][issue9]") {
  EngineFixture f;
  f.service.Script("grant", {Behavior::Fail("quota exceeded")});
  const std::string id = f.Start(R"(playbook: decided
connections:
  svc: { connector: fake }
tasks:
  ask: { uses: manual.approve, with: { prompt: "Admin?" } }
  admin: { uses: svc.update, needs: ask }
  grant: { uses: svc.create }
)");
  f.Execute(id);
  f.RunUntilIdle();
  REQUIRE(Decide(*f.store, id, "ask", false, "carol", "no", f.clock.Now()).has_value());
  f.Execute(id);
  f.RunUntilIdle();
  REQUIRE(f.status() == RunStatus::kFailed);

  REQUIRE(Retry(*f.store, id, "", f.clock.Now()).has_value());
  CHECK(f.Task(id, "ask").status == TaskStatus::kFailed);
  CHECK(f.Task(id, "ask").decided_by == "carol");
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kFailed);  // still rejected; grant succeeded this time
  CHECK(f.Task(id, "grant").status == TaskStatus::kSucceeded);
  CHECK(f.Task(id, "ask").status == TaskStatus::kFailed);
  CHECK(f.Task(id, "admin").status == TaskStatus::kSkipped);

  auto nothing = Retry(*f.store, id, "", f.clock.Now());
  REQUIRE(nothing.has_error());
  CHECK(nothing.error().Is(Errc::kFailedPrecondition));
  CHECK(nothing.error().message == "run " + id + " has no failed task to retry; rejected by a person: ask (ask " +
                                       "again with: tenure retry " + id + " --task ask)");
  // Naming the task asks again.
  REQUIRE(Retry(*f.store, id, "ask", f.clock.Now()).has_value());
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(f.Task(id, "ask").status == TaskStatus::kWaiting);
}

TEST_CASE("a run that continued past a failure never says every task succeeded", "[engine][issue9]") {
  EngineFixture f;
  f.service.Script("notify", {Behavior::Fail("channel not found", 404)});
  const std::string id = f.Run(R"(playbook: tolerant
connections:
  svc: { connector: fake }
tasks:
  notify: { uses: svc.notify, on_failure: continue }
  done: { uses: svc.update }
)");
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.EventLines(id, "").back() ==
        "run_succeeded: 1 task failed and the playbook continued past (on_failure: continue): notify: HTTP 404: "
        "channel not found");
}

TEST_CASE("store refusals have their own codes and never make the journal sticky", "[engine][store][issue9]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: codes
tasks:
  ask: { uses: manual.approve, with: { prompt: "ok?" } }
)");
  RunRecord again = *f.sqlite->GetRun(id);
  auto taken = f.sqlite->CreateRun(again);
  REQUIRE(taken.has_error());
  CHECK(taken.error().Is(Errc::kAlreadyExists));

  TaskRecord row = f.Task(id, "ask");
  row.expect = TaskStatus::kRunning;
  Transition t;
  t.run_id = id;
  t.tasks.push_back(row);
  auto conflict = f.sqlite->Apply({&t, 1});
  REQUIRE(conflict.has_error());
  CHECK(conflict.error().Is(Errc::kConflict));
  CHECK(conflict.error().message == "task ask of run " + id + " is waiting, not running");
  CHECK_FALSE(f.sqlite->WriteError().has_value());

  Transition missing;
  missing.run_id = "nope";
  missing.run_status = RunStatus::kFailed;
  std::optional<Result<void>> r;
  f.journal->Submit(missing, [&](Result<void> x) { r = std::move(x); });
  f.journal->WaitIdle();
  f.RunUntilIdle();
  REQUIRE(r.has_value());
  CHECK(r->error().Is(Errc::kNotFound));
  CHECK_FALSE(f.journal->Failed().has_value());  // the next run's commits still go through

  auto finished = Cancel(*f.store, id, f.clock.Now());
  REQUIRE(finished.has_value());
  auto twice = Cancel(*f.store, id, f.clock.Now());
  REQUIRE(twice.has_error());
  CHECK(twice.error().Is(Errc::kFailedPrecondition));
}

}  // namespace
}  // namespace tenure::engine
