#include "engine/executor.h"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "engine/run_control.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Behavior;
using testing::EngineFixture;
using Strings = std::vector<std::string>;

TEST_CASE("tasks run in dependency order and results flow downstream", "[engine]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: chain
inputs:
  email: { type: email }
connections:
  svc: { connector: fake }
tasks:
  account:
    uses: svc.create
    with: { name: "{{ inputs.email }}" }
  groups:
    needs: account
    uses: svc.update
    with: { value: "{{ tasks.account.result.id }}", user: "{{ run.playbook }}" }
)", [] { Map m; m.Set("email", "ada@example.com"); return m; }());
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"account", "groups"});
  CHECK(f.service.calls()[0].args.Find("name")->AsString() == "ada@example.com");
  CHECK(f.service.calls()[1].args.Find("value")->AsString() == "create-account");
  CHECK(f.service.calls()[1].args.Find("user")->AsString() == "chain");
  CHECK(f.service.calls()[0].key == IdempotencyKey(id, "account", -1));
  CHECK(f.service.calls()[0].key.size() == 32);
  CHECK(f.EventKinds(id, "account") == Strings{"attempt_started", "succeeded"});
  CHECK(f.EventKinds(id, "") == Strings{"run_created", "run_started", "run_succeeded"});
  const TaskRecord groups = f.Task(id, "groups");
  CHECK(groups.status == TaskStatus::kSucceeded);
  CHECK(groups.attempts == 1);
  CHECK(groups.result.AsMap().Find("id")->AsString() == "update-groups");
}

TEST_CASE("independent branches and for_each items run concurrently", "[engine]") {
  EngineFixture f;
  f.service.Script("create", {Behavior::Slow(seconds(1)), Behavior::Slow(seconds(1)), Behavior::Slow(seconds(1))});
  f.service.Script("update", {Behavior::Slow(seconds(1))});
  const std::string id = f.Start(R"(playbook: fan
connections:
  svc: { connector: fake }
tasks:
  licences:
    for_each: [jira, figma, zoom]
    uses: svc.create
    with: { name: "{{ item }}-{{ index }}" }
  other:
    uses: svc.update
)");
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.service.in_flight() == 4);
  f.Advance(seconds(1));
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.Task(id, "licences", 2).result.AsMap().Find("args")->AsMap().Find("name")->AsString() == "zoom-2");
  const Value list = f.Task(id, "licences").result;
  REQUIRE(list.IsList());
  CHECK(list.AsList().size() == 3);
  CHECK(f.Task(id, "licences", 0).idempotency_key == IdempotencyKey(id, "licences", 0));
  CHECK(f.Task(id, "licences", 0).idempotency_key != f.Task(id, "licences", 1).idempotency_key);
}

TEST_CASE("the global in-flight cap holds across tasks", "[engine]") {
  EngineFixture f(/*global_max_in_flight=*/2);
  f.service.Script("create", std::vector<Behavior>(5, Behavior::Slow(seconds(1))));
  const std::string id = f.Start(R"(playbook: cap
connections:
  svc: { connector: fake }
tasks:
  many:
    for_each: [a, b, c, d, e]
    uses: svc.create
)");
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.service.in_flight() == 2);
  f.RunToCompletion();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.peak_in_flight() == 2);
  CHECK(f.service.calls().size() == 5);
}

TEST_CASE("a connection's max_in_flight and rate are honoured", "[engine]") {
  EngineFixture f;
  f.service.Script("create", std::vector<Behavior>(4, Behavior::Slow(milliseconds(100))));
  const std::string id = f.Start(R"(playbook: limited
connections:
  svc: { connector: fake, max_in_flight: 1, rate: 2/s }
tasks:
  many:
    for_each: [a, b, c, d]
    uses: svc.create
)");
  f.Execute(id);
  f.RunToCompletion();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.peak_in_flight() == 1);
  REQUIRE(f.service.calls().size() == 4);
  // 2/s: calls start 500 ms apart at the earliest (the first one immediately).
  for (std::size_t i = 1; i < 4; ++i) {
    CHECK(f.service.calls()[i].at - f.service.calls()[i - 1].at >= milliseconds(500));
  }
}

TEST_CASE("transient failures are retried with backoff, then succeed", "[engine]") {
  EngineFixture f;
  f.service.Script("flaky", {Behavior::Transient("upstream unavailable"), Behavior::Transient("upstream unavailable")});
  const std::string id = f.Start(R"(playbook: retry
connections:
  svc: { connector: fake }
tasks:
  flaky:
    uses: svc.create
    retry: { attempts: 3, backoff: 2s, max_backoff: 1m }
)");
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.service.calls().size() == 1);
  f.Advance(milliseconds(999));  // jitter draw 0.5: the first wait is 1 s
  CHECK(f.service.calls().size() == 1);
  f.Advance(milliseconds(1));
  CHECK(f.service.calls().size() == 2);
  f.Advance(milliseconds(2000));  // second wait: 0.5 * 4 s
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.Task(id, "flaky").attempts == 3);
  CHECK(f.EventLines(id, "flaky") == Strings{
                                         "attempt_started: svc.create, attempt 1 of 3, key " + IdempotencyKey(id, "flaky", -1),
                                         "retry_scheduled: HTTP 503: upstream unavailable; retrying in 1s",
                                         "attempt_started: svc.create, attempt 2 of 3, key " + IdempotencyKey(id, "flaky", -1),
                                         "retry_scheduled: HTTP 503: upstream unavailable; retrying in 2s",
                                         "attempt_started: svc.create, attempt 3 of 3, key " + IdempotencyKey(id, "flaky", -1),
                                         "succeeded: attempt 3 of 3",
                                     });
  for (const auto& c : f.service.calls()) CHECK(c.key == IdempotencyKey(id, "flaky", -1));
}

TEST_CASE("retries run out: the task fails with the last error", "[engine]") {
  EngineFixture f;
  f.service.Script("flaky", std::vector<Behavior>(3, Behavior::Unknown("connection reset after sending")));
  const std::string id = f.Start(R"(playbook: retry
connections:
  svc: { connector: fake }
tasks:
  flaky:
    uses: svc.create
    retry: { attempts: 2, backoff: 1s }
  after: { uses: svc.update, needs: flaky }
)");
  f.Execute(id);
  f.RunToCompletion();
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.Task(id, "flaky").error == "gave up after 2 attempts: outcome unknown: connection reset after sending");
  CHECK(f.Task(id, "after").status == TaskStatus::kSkipped);
  CHECK(f.Task(id, "after").error == "upstream task 'flaky' failed");
  auto run = f.sqlite->GetRun(id);
  CHECK(run->error == "task 'flaky' failed: gave up after 2 attempts: outcome unknown: connection reset after sending");
}

TEST_CASE("permanent failures are not retried", "[engine]") {
  EngineFixture f;
  f.service.Script("bad", {Behavior::Fail("forbidden: missing scope users:write", 403)});
  const std::string id = f.Run(R"(playbook: permanent
connections:
  svc: { connector: fake }
tasks:
  bad: { uses: svc.create }
  independent: { uses: svc.update }
)");
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.service.calls().size() == 2);
  CHECK(f.Task(id, "bad").error == "HTTP 403: forbidden: missing scope users:write");
  CHECK(f.Task(id, "independent").status == TaskStatus::kSucceeded);
}

TEST_CASE("a failure whose message already names its HTTP status is not prefixed twice", "[engine]") {
  EngineFixture f;
  f.service.Script("bad", {Behavior::Fail("HTTP 404 Not Found: no such user", 404)});
  const std::string id = f.Run(R"(playbook: named
connections:
  svc: { connector: fake }
tasks:
  bad: { uses: svc.create }
)");
  REQUIRE(f.done());
  CHECK(f.Task(id, "bad").error == "HTTP 404 Not Found: no such user");
}

TEST_CASE("a 429 with Retry-After pauses the connection for every task", "[engine]") {
  EngineFixture f;
  f.service.Script("first", {Behavior::Throttle(seconds(30))});
  f.service.Script("gate", {Behavior::Slow(seconds(1))});
  const std::string id = f.Start(R"(playbook: throttle
connections:
  svc: { connector: fake }
  other: { connector: fake }
tasks:
  first: { uses: svc.create }
  gate: { uses: other.notify }
  second: { uses: svc.update, needs: gate }
)");
  const SteadyTime t0 = f.clock.SteadyNow();
  f.Execute(id);
  f.RunToCompletion();
  CHECK(f.status() == RunStatus::kSucceeded);
  Strings tasks = f.service.CallTasks();
  std::sort(tasks.begin() + 2, tasks.end());
  CHECK(tasks == Strings{"first", "gate", "first", "second"});
  // Retry-After is a floor for the retry of `first`, and it paused `second`, told nothing itself.
  CHECK(f.service.calls()[2].at - t0 == seconds(30));
  CHECK(f.service.calls()[3].at - t0 == seconds(30));
  CHECK(f.EventLines(id, "first")[1] == "throttled: connection 'svc' paused for 30s: HTTP 429: rate limited");
}

TEST_CASE("timeouts cancel the call in flight and count as an unknown outcome", "[engine]") {
  EngineFixture f;
  f.service.Script("stuck", {Behavior::Hang()});
  const std::string id = f.Start(R"(playbook: timeout
connections:
  svc: { connector: fake }
tasks:
  stuck:
    uses: svc.create
    timeout: 10s
    retry: { attempts: 2, backoff: 1s }
)");
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.service.in_flight() == 1);
  f.Advance(seconds(10));
  CHECK(f.service.in_flight() == 0);  // the hung call was cancelled
  f.RunToCompletion();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.EventLines(id, "stuck")[1] == "retry_scheduled: timed out after 10s; retrying in 500ms");
  CHECK(f.service.calls().size() == 2);
  CHECK(f.service.calls()[0].key == f.service.calls()[1].key);
}

TEST_CASE("when false skips the task, its dependents still run and read null", "[engine]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: conditional
inputs:
  contractor: { type: bool }
connections:
  svc: { connector: fake }
tasks:
  laptop:
    uses: svc.create
    when: "{{ not inputs.contractor }}"
  notify:
    needs: laptop
    uses: svc.notify
    with: { value: "{{ tasks.laptop.result | default('none') }}" }
)", [] { Map m; m.Set("contractor", true); return m; }());
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.Task(id, "laptop").status == TaskStatus::kSkipped);
  CHECK(f.Task(id, "laptop").error == "condition was false: {{ not inputs.contractor }}");
  CHECK(f.service.CallTasks() == Strings{"notify"});
  CHECK(f.service.calls()[0].args.Find("value")->AsString() == "none");
}

TEST_CASE("on_failure compensate undoes succeeded tasks in reverse dependency order", "[engine]") {
  EngineFixture f;
  f.service.Script("grant", {Behavior::Fail("no such group", 404)});
  const std::string id = f.Run(R"(playbook: undo
on_failure: compensate
connections:
  svc: { connector: fake }
tasks:
  account:
    uses: svc.create
    compensate: { uses: svc.delete, with: { value: "{{ result.id }}" } }
  mailbox:
    needs: account
    uses: svc.create
    compensate: { uses: svc.delete, with: { value: "{{ result.id }}" } }
  licences:
    needs: account
    for_each: [a, b]
    uses: svc.create
    compensate: { uses: svc.delete, with: { value: "{{ item }}" } }
  grant:
    needs: [mailbox, licences]
    uses: svc.update
)");
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kFailed);
  Strings undo;
  for (const auto& c : f.service.calls()) {
    if (c.action == "delete") undo.push_back(c.task + "=" + c.args.Find("value")->ToText());
  }
  CHECK(undo == Strings{"licences:compensate=b", "licences:compensate=a", "mailbox:compensate=create-mailbox",
                        "account:compensate=create-account"});
  CHECK(f.Task(id, "account:compensate").status == TaskStatus::kSucceeded);
  CHECK(f.EventKinds(id, "") == Strings{"run_created", "run_started", "compensating", "run_failed"});
}

TEST_CASE("a for_each item failure fails the task and names the item", "[engine]") {
  EngineFixture f;
  f.service.Script("create", {Behavior::Succeed(), Behavior::Fail("seat limit reached")});
  const std::string id = f.Run(R"(playbook: items
connections:
  svc: { connector: fake }
tasks:
  seats:
    for_each: [jira, figma]
    uses: svc.create
    on_failure: continue
  after: { uses: svc.notify, needs: seats }
)");
  REQUIRE(f.done());
  CHECK(f.Task(id, "seats").error == "1 of 2 items failed; first: item 1 (figma): seat limit reached");
  CHECK(f.Task(id, "after").status == TaskStatus::kSucceeded);  // on_failure: continue
  CHECK(f.status() == RunStatus::kSucceeded);
}

TEST_CASE("manual approval parks the run, approve and resume continue it", "[engine]") {
  EngineFixture f;
  const char* const yaml = R"(playbook: approval
connections:
  svc: { connector: fake }
tasks:
  ask:
    uses: manual.approve
    with: { prompt: "Grant admin?" }
  grant: { uses: svc.update, needs: ask }
  unrelated: { uses: svc.create }
)";
  const std::string id = f.Run(yaml);
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(f.service.CallTasks() == Strings{"unrelated"});
  CHECK(f.EventLines(id, "ask") == Strings{"waiting: waiting for approval: Grant admin? (tenure approve " + id + " ask)"});
  CHECK(f.EventLines(id, "").back() == "run_waiting: waiting for ask; continue with: tenure resume " + id);
  CHECK(f.sqlite->GetRun(id)->status == RunStatus::kWaiting);

  auto wrong = Decide(*f.store, id, "grant", true, "bob", "", f.clock.Now());
  REQUIRE(wrong.has_error());
  CHECK(wrong.error().message == "task grant of run " + id + " is not waiting for a decision (it is pending)");
  REQUIRE(Decide(*f.store, id, "ask", true, "bob", "ok for Q3", f.clock.Now()).has_value());
  CHECK(f.Task(id, "ask").decided_by == "bob");

  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"unrelated", "grant"});
}

TEST_CASE("only a listed approver may decide, anyone else is refused and nothing is recorded", "[engine]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: approval
connections:
  svc: { connector: fake }
tasks:
  ask: { uses: manual.approve, with: { prompt: "Grant admin?", approvers: [alice, bob] } }
  seats:
    for_each: [figma, miro]
    uses: manual.approve
    with: { prompt: "Seat on {{ item }}?", approvers: ["{{ item }}-admin"] }
  grant: { uses: svc.update, needs: [ask, seats] }
)");
  REQUIRE(f.status() == RunStatus::kWaiting);
  const auto events_before = f.EventLines(id, "ask").size();

  for (const bool approve : {true, false}) {
    auto denied = Decide(*f.store, id, "ask", approve, "mallory", "let me in", f.clock.Now());
    REQUIRE(denied.has_error());
    CHECK(denied.error().Is(Errc::kDenied));
    CHECK(denied.error().message == "mallory may not decide task ask of run " + id + ": its approvers are alice, bob");
  }
  CHECK(f.Task(id, "ask").status == TaskStatus::kWaiting);
  CHECK(f.Task(id, "ask").decided_by.empty());
  CHECK(f.EventLines(id, "ask").size() == events_before);

  // Each item has its own rendered list: one person cannot decide for both.
  auto items = Decide(*f.store, id, "seats", true, "figma-admin", "", f.clock.Now());
  REQUIRE(items.has_error());
  CHECK(items.error().message == "figma-admin may not decide task seats item 1 of run " + id +
                                     ": its approvers are miro-admin");
  CHECK(f.Task(id, "seats", 0).status == TaskStatus::kWaiting);  // all or nothing

  REQUIRE(Decide(*f.store, id, "ask", true, "bob", "ok", f.clock.Now()).has_value());
  CHECK(f.Task(id, "ask").decided_by == "bob");
}

TEST_CASE("approvers that render to something other than a list of names fail the task", "[engine]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: approval
vars:
  who: ["alice", ""]
tasks:
  ask: { uses: manual.approve, with: { prompt: "Grant admin?", approvers: "{{ vars.who }}" } }
)");
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.Task(id, "ask").status == TaskStatus::kFailed);
  CHECK(f.Task(id, "ask").error == "tasks.ask.with.approvers: expected a list of user names, got an item that is empty");
}

TEST_CASE("an approver rendered to a malformed e-mail address fails the task when it would park", "[engine]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: approval
vars:
  who: ["alice", "jane@examplecom"]
tasks:
  ask: { uses: manual.approve, with: { prompt: "Grant admin?", approvers: "{{ vars.who }}" } }
)");
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.Task(id, "ask").status == TaskStatus::kFailed);
  CHECK(f.Task(id, "ask").error ==
        "tasks.ask.with.approvers[1]: \"jane@examplecom\" is neither an e-mail address (name@example.com) nor an "
        "OS user name");
}

TEST_CASE("a rejection fails the task and skips its dependents", "[engine]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: approval
connections:
  svc: { connector: fake }
tasks:
  ask: { uses: manual.approve, with: { prompt: "Grant admin?" } }
  grant: { uses: svc.update, needs: ask }
)");
  REQUIRE(Decide(*f.store, id, "ask", false, "carol", "not needed", f.clock.Now()).has_value());
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.Task(id, "ask").error == "rejected by carol: not needed");
  CHECK(f.Task(id, "grant").error == "upstream task 'ask' failed");
  CHECK(f.service.calls().empty());
}

TEST_CASE("a short timer is slept on, a long one parks the run until resumed after it is due", "[engine]") {
  EngineFixture f;
  f.options.max_timer_hold = std::chrono::minutes(5);
  const char* const yaml = R"(playbook: timers
connections:
  svc: { connector: fake }
tasks:
  short: { uses: timer.wait, with: { for: 1m } }
  long: { uses: timer.wait, with: { for: 30d }, needs: short }
  delete: { uses: svc.delete, needs: long }
)";
  const std::string id = f.Start(yaml);
  f.Execute(id);
  f.RunUntilIdle();
  CHECK_FALSE(f.done());
  f.Advance(std::chrono::minutes(1));
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(f.Task(id, "short").status == TaskStatus::kSucceeded);
  CHECK(f.EventLines(id, "long") == Strings{"waiting: timer: waiting until 2026-02-04T09:01:00.000Z"});
  const TaskRecord parked = f.Task(id, "long");
  CHECK(parked.due_ms == ToUnixMillis(f.clock.Now()) + 30LL * 24 * 3600 * 1000);

  f.Execute(id);  // too early: still waiting, the due time is kept
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(f.Task(id, "long").due_ms == parked.due_ms);

  f.clock.Advance(std::chrono::hours(24 * 30));
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"delete"});
}

TEST_CASE("a timer until an instant with a time zone", "[engine]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: until
tasks:
  wait:
    uses: timer.wait
    with: { until: "2026-01-06T10:00:00", time_zone: Europe/Paris }
)");
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(f.Task(id, "wait").due_ms == 1767690000000);  // 09:00Z
}

TEST_CASE("cancellation stops new tasks and cancels those in flight", "[engine]") {
  EngineFixture f;
  f.service.Script("slow", {Behavior::Hang()});
  const std::string id = f.Start(R"(playbook: cancel
connections:
  svc: { connector: fake }
tasks:
  slow: { uses: svc.create, timeout: 1h }
  next: { uses: svc.update, needs: slow }
)");
  f.Execute(id);
  f.RunUntilIdle();
  auto cancelled_here = Cancel(*f.store, id, f.clock.Now());
  REQUIRE(cancelled_here.has_value());
  CHECK_FALSE(*cancelled_here);  // this process executes it: it stops it
  f.Advance(f.options.cancel_poll);
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kCancelled);
  CHECK(f.Task(id, "slow").error == "cancelled while in flight; the effect may or may not have happened");
  CHECK(f.Task(id, "next").status == TaskStatus::kCancelled);
  CHECK(f.service.in_flight() == 0);
}

TEST_CASE("a store failure halts the run: no new side effect starts", "[engine][store]") {
  // Applies: 1 run_started, 2 attempt a, 3 result a (fails).
  EngineFixture f(0, /*fail_apply_from=*/3);
  const std::string id = f.Start(R"(playbook: sticky
connections:
  svc: { connector: fake }
tasks:
  a: { uses: svc.create }
  b: { uses: svc.update, needs: a }
)");
  f.Execute(id);
  f.RunUntilIdle();
  REQUIRE(f.done());
  REQUIRE(f.result().has_error());
  CHECK(f.result().error().message == "injected write failure (disk full)");
  CHECK(f.service.CallTasks() == Strings{"a"});
  CHECK(f.journal->Failed().has_value());
  // What is on disk: the intent of a, never its result: a resume re-runs it with the same key.
  CHECK(f.Task(id, "a").status == TaskStatus::kRunning);
}

TEST_CASE("secrets registered by connectors never reach the store", "[engine][store]") {
  EngineFixture f;
  f.factory.secrets = {"hunter2-secret"};
  f.service.Script("leak", {Behavior::Fail("token hunter2-secret rejected")});
  const std::string id = f.Run(R"(playbook: secret
inputs:
  note: { type: string }
connections:
  svc: { connector: fake }
tasks:
  leak: { uses: svc.create, with: { value: "{{ inputs.note }}" } }
)", [] { Map m; m.Set("note", "hunter2-secret"); return m; }());
  REQUIRE(f.done());
  CHECK(f.Task(id, "leak").error == "token *** rejected");
  for (const auto& e : *f.sqlite->GetEvents(id)) CHECK(e.detail.find("hunter2") == std::string::npos);
}

TEST_CASE("included tasks read their params and their own tasks", "[engine]") {
  EngineFixture f;
  f.files["lib.yaml"] = R"(description: a library
params:
  who: { type: string }
  greeting: { type: string, default: hello }
tasks:
  make:
    uses: svc.create
    with: { name: "{{ params.greeting }} {{ params.who }}" }
  tell:
    needs: make
    uses: svc.notify
    with: { value: "{{ tasks.make.result.id }}" }
)";
  const std::string id = f.Run(R"(playbook: includes
inputs:
  email: { type: email }
connections:
  svc: { connector: fake }
tasks:
  first: { uses: svc.create }
include:
  - file: lib.yaml
    as: welcome
    needs: first
    with: { who: "{{ inputs.email }}" }
)", [] { Map m; m.Set("email", "ada@example.com"); return m; }());
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.CallTasks() == Strings{"first", "welcome.make", "welcome.tell"});
  CHECK(f.service.calls()[1].args.Find("name")->AsString() == "hello ada@example.com");
  CHECK(f.service.calls()[2].args.Find("value")->AsString() == "create-welcome.make");
  CHECK(f.Task(id, "welcome.tell").status == TaskStatus::kSucceeded);
}

TEST_CASE("connection limits are shared by every run in the process", "[engine]") {
  EngineFixture f;
  f.service.Script("create", std::vector<Behavior>(4, Behavior::Slow(seconds(1))));
  const char* const yaml = R"(playbook: shared
connections:
  svc: { connector: fake, max_in_flight: 1 }
tasks:
  one: { uses: svc.create }
  two: { uses: svc.create }
)";
  const std::string a = f.Start(yaml);
  const std::string b = f.Start(yaml);
  // A second executor over the same limiter, journal and store: another run in this process.
  Services services{f.io.get_executor(), f.clock, *f.store, *f.journal, f.limiter, f.factory,
                    f.catalog, f.redactor, nullptr, [] { return 0.5; }};
  Executor other(std::move(services), f.options);
  std::optional<Result<RunStatus>> other_result;
  boost::asio::co_spawn(f.io, other.Execute(b), [&](std::exception_ptr e, Result<RunStatus> r) {
    if (e) std::rethrow_exception(e);
    other_result = std::move(r);
  });
  f.Execute(a);
  f.RunUntilIdle();
  CHECK(f.service.in_flight() == 1);
  f.RunToCompletion();
  f.RunToCompletion();
  REQUIRE(other_result.has_value());
  CHECK(**other_result == RunStatus::kSucceeded);
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.service.peak_in_flight() == 1);
  CHECK(f.service.calls().size() == 4);
  CHECK(f.service.calls()[3].at - f.service.calls()[0].at == seconds(3));
}

}  // namespace
}  // namespace tenure::engine

namespace tenure::engine {
namespace {

TEST_CASE("runs executing together share their playbook and one cancellation poll", "[engine]") {
  testing::EngineFixture f;
  f.service.Script("slow", {Behavior::Hang(), Behavior::Hang(), Behavior::Hang()});
  const char* const yaml = R"(playbook: together
connections:
  svc: { connector: fake }
tasks:
  slow: { uses: svc.create, timeout: 1h }
  next: { uses: svc.update, needs: slow }
)";
  const std::string a = f.Start(yaml), b = f.Start(yaml);
  const std::string other = f.Start(std::string(yaml) + "  extra: { uses: svc.update }\n");
  Services services{f.io.get_executor(), f.clock, *f.store, *f.journal, f.limiter, f.factory,
                    f.catalog, f.redactor, &f.reporter, [] { return 0.5; }};
  Executor executor(std::move(services), f.options);
  std::map<std::string, RunStatus> ended;
  for (const std::string& id : {a, b, other}) {
    boost::asio::co_spawn(f.io, executor.Execute(id), [&ended, id](std::exception_ptr e, Result<RunStatus> r) {
      if (e) std::rethrow_exception(e);
      REQUIRE(r.has_value());
      ended[id] = *r;
    });
  }
  f.RunUntilIdle();
  REQUIRE(f.service.in_flight() == 3);
  CHECK(executor.playbooks().loads() == 2);  // a and b share one parse; `other` differs

  REQUIRE(Cancel(*f.store, b, f.clock.Now()).has_value());
  f.Advance(f.options.cancel_poll);
  CHECK(ended == std::map<std::string, RunStatus>{{b, RunStatus::kCancelled}});
  CHECK(f.Task(b, "slow").error == "cancelled while in flight; the effect may or may not have happened");
  CHECK(f.service.in_flight() == 2);  // a and other go on

  REQUIRE(Cancel(*f.store, a, f.clock.Now()).has_value());
  REQUIRE(Cancel(*f.store, other, f.clock.Now()).has_value());
  f.Advance(f.options.cancel_poll);
  CHECK(ended.size() == 3);
  CHECK(ended[a] == RunStatus::kCancelled);
  CHECK(ended[other] == RunStatus::kCancelled);
  CHECK(f.service.in_flight() == 0);
  // The watcher ended with the last run: nothing is left to wake.
  f.Advance(f.options.cancel_poll * 10);
  CHECK(f.clock.sleepers() == 0);
  CHECK(f.io.stopped());
}

}  // namespace
}  // namespace tenure::engine

namespace tenure::engine {
namespace {

TEST_CASE("a run whose snapshot this tenure cannot load fails at start with the reason", "[engine]") {
  testing::EngineFixture f;
  RunRecord run;  // stored as another version of tenure might have: bypasses validation
  run.id = "r-bad";
  run.playbook = "old";
  const std::string text = "playbook: old\ntasks:\n  a: { uses: gone.thing }\n";
  run.sources = {{"old.yaml", text, Sha256Hex(text)}};
  run.inputs = Value(Map());
  REQUIRE(f.store->CreateRun(run).has_value());
  f.Execute("r-bad");
  f.RunUntilIdle();
  REQUIRE(f.done());
  CHECK(f.status() == RunStatus::kFailed);
  const std::string why =
      "run r-bad: the playbook snapshot is not valid for this tenure: old.yaml:3:14: unknown connection 'gone' "
      "(declare it under 'connections:')";
  CHECK(f.EventLines("r-bad", "").back() == "run_failed: " + why);
  CHECK(f.sqlite->GetRun("r-bad")->error == why);
  CHECK(f.service.calls().empty());
}

}  // namespace
}  // namespace tenure::engine
