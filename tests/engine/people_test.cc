// People in the loop: manual.decide, e-mail approvers, per-item ticks, signed links, deadlines,
// reminders and escalation on a fake clock (across a weekend and a holiday).
#include <catch2/catch.hpp>

#include "engine/decisions.h"
#include "engine/links.h"
#include "engine/people.h"
#include "engine/timer.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

using testing::EngineFixture;
using Strings = std::vector<std::string>;

SystemTime At(const char* rfc3339) { return *ParseInstant(rfc3339, ""); }

DecisionRequest Choice(const std::string& run, const std::string& task, const std::string& choice,
                       const std::string& person) {
  DecisionRequest q;
  q.run_id = run;
  q.task = task;
  q.kind = DecisionRequest::Kind::kChoice;
  q.choice = choice;
  q.person = person;
  q.via = "test";
  return q;
}

bool HasEvent(EngineFixture& f, const std::string& run, const std::string& task, const std::string& prefix) {
  for (const auto& line : f.EventLines(run, task)) {
    if (line.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST_CASE("working days skip weekends and holidays and keep the time of day", "[people]") {
  Calendar c;
  c.holidays = {"2026-12-24", "2026-12-25"};
  // Friday 10:00 + 5 working days: Mon 21, Tue 22, Wed 23, (Thu 24, Fri 25 holidays), Mon 28, Tue 29.
  auto due = AddWorkingDays(At("2026-12-18T10:00:00Z"), 5, c);
  REQUIRE(due.has_value());
  CHECK(FormatRfc3339(*due) == "2026-12-29T10:00:00.000Z");
  // Without the holidays it is the next Friday.
  CHECK(FormatRfc3339(*AddWorkingDays(At("2026-12-18T10:00:00Z"), 5, Calendar{})) == "2026-12-25T10:00:00.000Z");
  // A start on Saturday counts from Monday.
  CHECK(FormatRfc3339(*AddWorkingDays(At("2026-12-19T08:00:00Z"), 1, Calendar{})) == "2026-12-22T08:00:00.000Z");
  // In a zone: Friday 17:00 in Paris is 16:00Z; one working day later is Monday 17:00 Paris.
  Calendar paris;
  paris.time_zone = "Europe/Paris";
  CHECK(FormatRfc3339(*AddWorkingDays(At("2026-12-18T16:00:00Z"), 1, paris)) == "2026-12-21T16:00:00.000Z");
}

TEST_CASE("due accepts a duration, working days or an instant and names a bad value", "[people]") {
  const SystemTime start = At("2026-12-18T10:00:00Z");
  CHECK(FormatRfc3339(*DueFrom("24h", start, {})) == "2026-12-19T10:00:00.000Z");
  CHECK(FormatRfc3339(*DueFrom("1 working day", start, {})) == "2026-12-21T10:00:00.000Z");
  CHECK(FormatRfc3339(*DueFrom("2026-12-31T16:00", start, {})) == "2026-12-31T16:00:00.000Z");
  auto bad = DueFrom("soonish", start, {});
  REQUIRE(bad.has_error());
  CHECK(bad.error().message ==
        "`due` 'soonish' is neither a duration (24h), N working days, nor an instant (2026-12-18T16:00)");
  Map args;
  args.Set("remind", "daily");
  auto remind = ReadPeoplePolicy(Value(std::move(args)), start, "tasks.t.with");
  REQUIRE(remind.has_error());
  CHECK(remind.error().message == "tasks.t.with.remind: expected `every <duration>` (every 1d), got 'daily'");
}

TEST_CASE("a signed link verifies, and a changed one does not", "[people]") {
  const LinkKey key = LinkKey::FromBytes(std::string(32, 'k'));
  LinkClaims c{"0123456789abcdef0123456789abcdef", "r1", "forward", -1, "ann@example.com", 1'800'000'000'000};
  const std::string token = key.Sign(c);
  auto back = key.Verify(token);
  REQUIRE(back.has_value());
  CHECK(back->person == "ann@example.com");
  CHECK(back->task == "forward");
  // Another person in the claims, same signature: refused.
  LinkClaims other = c;
  other.person = "eve@example.com";
  const std::string forged = key.Sign(other).substr(0, key.Sign(other).find('.')) + token.substr(token.find('.'));
  CHECK(key.Verify(forged).has_error());
  // One character of the signature changed.
  std::string flipped = token;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  CHECK(key.Verify(flipped).has_error());
  // Another key.
  CHECK(LinkKey::FromBytes(std::string(32, 'x')).Verify(token).has_error());
}

TEST_CASE("manual.decide: a no is a decision, the run goes on, and a when on the choice skips", "[people]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: offboard
connections:
  svc: { connector: fake }
tasks:
  ask:
    uses: manual.decide
    with:
      prompt: "Forward mail of Ada?"
      approvers: ["mgr@example.com", "alice"]
  forward: { uses: svc.update, needs: ask, when: "{{ tasks.ask.result.choice == 'yes' }}" }
  after: { uses: svc.update, needs: forward }
)");
  CHECK(f.status() == RunStatus::kWaiting);
  const Value choices = *f.Task(id, "ask").result.AsMap().Find("choices");
  CHECK(choices.ToJson() == R"(["yes","no"])");

  // Not an approver: refused, nothing recorded.
  auto denied = DecideAs(*f.store, Choice(id, "ask", "no", "eve@example.com"), f.clock.Now());
  REQUIRE(denied.has_error());
  CHECK(denied.error().message == "eve@example.com may not decide task ask of run " + id +
                                      ": its approvers are mgr@example.com, alice");
  // Not a choice.
  auto bad = DecideAs(*f.store, Choice(id, "ask", "maybe", "mgr@example.com"), f.clock.Now());
  REQUIRE(bad.has_error());
  CHECK(bad.error().message == "'maybe' is not a choice of task ask; choices: yes, no");
  CHECK(f.Task(id, "ask").status == TaskStatus::kWaiting);

  auto q = Choice(id, "ask", "no", "MGR@example.com");
  q.note = "HR said no";
  REQUIRE(DecideAs(*f.store, q, f.clock.Now()).has_value());
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kSucceeded);
  const TaskRecord ask = f.Task(id, "ask");
  CHECK(ask.status == TaskStatus::kSucceeded);
  CHECK(ask.decided_by == "MGR@example.com");
  CHECK(ask.result.AsMap().Find("choice")->AsString() == "no");
  CHECK(f.Task(id, "forward").status == TaskStatus::kSkipped);
  CHECK(f.Task(id, "after").status == TaskStatus::kSucceeded);
  CHECK(HasEvent(f, id, "ask", "decided: decided 'no' by MGR@example.com (test): HR said no"));
}

TEST_CASE("manual.task per for_each item: ticked one by one, then the rest in bulk, each with who and when", "[people]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: handover
tasks:
  rotate:
    uses: manual.task
    for_each: ["vault", "wifi", "alarm"]
    with: { prompt: "Rotate the {{ item }} password", approvers: ["it@example.com"] }
)");
  CHECK(f.status() == RunStatus::kWaiting);
  auto one = Choice(id, "rotate", "done", "it@example.com");
  one.item = 1;
  REQUIRE(DecideAs(*f.store, one, f.clock.Now()).has_value());
  CHECK(f.Task(id, "rotate", 1).status == TaskStatus::kSucceeded);
  CHECK(f.Task(id, "rotate", 0).status == TaskStatus::kWaiting);
  // Ticking item 1 again: it is no longer waiting.
  auto again = DecideAs(*f.store, one, f.clock.Now());
  REQUIRE(again.has_error());
  CHECK(again.error().message == "task rotate item 1 of run " + id + " is not waiting for a decision (it is succeeded)");
  f.clock.Advance(std::chrono::minutes(5));
  REQUIRE(DecideAs(*f.store, Choice(id, "rotate", "done", "it@example.com"), f.clock.Now()).has_value());  // bulk
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kSucceeded);
  CHECK(f.Task(id, "rotate", 0).result.AsMap().Find("done_by")->AsString() == "it@example.com");
  CHECK(f.Task(id, "rotate", 1).result.AsMap().Find("done_at")->AsString() == "2026-01-05T09:00:00.000Z");
  CHECK(f.Task(id, "rotate", 2).result.AsMap().Find("done_at")->AsString() == "2026-01-05T09:05:00.000Z");
}

TEST_CASE("reminders daily, escalation after 48h, overdue after 5 working days across a weekend and a holiday", "[people]") {
  EngineFixture f;
  // ManualClock starts Monday 2026-01-05 09:00Z; Thursday 8th is a holiday: due Tuesday 13th 09:00Z.
  const std::string id = f.Run(R"(playbook: laptop
tasks:
  laptop:
    uses: manual.task
    with:
      prompt: "Confirm the laptop came back"
      approvers: ["mgr@example.com"]
      due: 5 working days
      holidays: ["2026-01-08"]
      remind: every 1d
      escalate: { after: 48h, to: ["it-lead@example.com"] }
      on_overdue: fail
  tell_accounting: { uses: manual.task, needs: laptop, with: { prompt: x } }
)");
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(FormatRfc3339(FromUnixMillis(DueMsOf(f.Task(id, "laptop").result))) == "2026-01-13T09:00:00.000Z");
  CHECK(f.Task(id, "laptop").due_ms == ToUnixMillis(At("2026-01-06T09:00:00Z")));  // the first reminder wakes it

  const auto wake = [&](std::chrono::hours h) {
    f.clock.Advance(h);
    f.Execute(id);
    f.RunUntilIdle();
  };
  wake(std::chrono::hours(24));  // Tuesday: a reminder
  CHECK(HasEvent(f, id, "laptop", "reminded: reminded 1 people"));
  CHECK_FALSE(HasEvent(f, id, "laptop", "escalated"));
  // The escalated person may not decide yet.
  CHECK(DecideAs(*f.store, Choice(id, "laptop", "done", "it-lead@example.com"), f.clock.Now()).has_error());
  wake(std::chrono::hours(24));  // Wednesday: 48h, escalation
  CHECK(HasEvent(f, id, "laptop", "escalated: no decision yet; escalated to it-lead@example.com"));
  CHECK(f.Task(id, "laptop").result.AsMap().Find("approvers")->ToJson() == R"(["mgr@example.com","it-lead@example.com"])");
  CHECK_FALSE(IsOverdue(f.Task(id, "laptop").result, ToUnixMillis(f.clock.Now())));
  wake(std::chrono::hours(24));  // Thursday: the reminder goes to each person once
  CHECK(HasEvent(f, id, "laptop", "reminded: reminded 2 people"));
  for (const auto& e : f.store->GetEvents(id).value()) CHECK(e.at_ms > 0);
  wake(std::chrono::hours(24 * 4));  // Monday 12th: still waiting, not overdue yet
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(f.Task(id, "laptop").status == TaskStatus::kWaiting);
  wake(std::chrono::hours(24));  // Tuesday 13th 09:00: overdue, on_overdue: fail
  CHECK(f.status() == RunStatus::kFailed);
  CHECK(f.Task(id, "laptop").status == TaskStatus::kFailed);
  CHECK(f.Task(id, "laptop").error == "overdue: nobody decided by 2026-01-13T09:00:00.000Z (on_overdue: fail)");
}

TEST_CASE("on_overdue continue keeps waiting and shows the task overdue", "[people]") {
  EngineFixture f;
  const std::string id = f.Run(R"(playbook: forward
tasks:
  ask: { uses: manual.decide, with: { prompt: "Forward?", due: 24h } }
)");
  f.clock.Advance(std::chrono::hours(25));
  f.Execute(id);
  f.RunUntilIdle();
  CHECK(f.status() == RunStatus::kWaiting);
  CHECK(IsOverdue(f.Task(id, "ask").result, ToUnixMillis(f.clock.Now())));
  CHECK(HasEvent(f, id, "ask", "overdue: nobody decided by 2026-01-06T09:00:00.000Z; still waiting"));
  CHECK(f.Task(id, "ask").due_ms == 0);  // nothing more to wake it for
}

TEST_CASE("a link decides once, for its person, before it expires", "[people]") {
  EngineFixture f;
  const LinkKey key = LinkKey::FromBytes(std::string(32, 'k'));
  PeopleConfig people;
  people.key = &key;
  people.base_url = "http://127.0.0.1:8420";
  f.people = &people;
  const std::string id = f.Run(R"(playbook: forward
connections:
  chat: { connector: fake }
tasks:
  ask: { uses: manual.decide, with: { prompt: "Forward?", approvers: ["mgr@example.com"], notify: chat } }
)");
  CHECK(f.status() == RunStatus::kWaiting);
  auto links = f.store->ListLinks(id);
  REQUIRE(links.has_value());
  REQUIRE(links->size() == 1);
  const LinkRecord rec = links->front();
  CHECK(rec.person == "mgr@example.com");
  CHECK(rec.purpose == "ask");
  // The fake connection cannot carry messages: recorded, and the run still waits.
  CHECK(HasEvent(f, id, "ask", "notify_failed"));

  const std::string token = key.Sign(LinkClaims{rec.id, id, "ask", -1, "mgr@example.com", rec.expires_ms});
  auto claims = CheckLink(*f.store, key, token, f.clock.Now());
  REQUIRE(claims.has_value());
  // A link for someone else, signed by us but never sent: unknown id.
  CHECK(CheckLink(*f.store, key, key.Sign(LinkClaims{"ffff", id, "ask", -1, "eve@example.com", rec.expires_ms}), f.clock.Now())
            .has_error());
  // The right id with another person: does not match what was sent.
  auto other = CheckLink(*f.store, key, key.Sign(LinkClaims{rec.id, id, "ask", -1, "eve@example.com", rec.expires_ms}), f.clock.Now());
  REQUIRE(other.has_error());
  CHECK(other.error().message == "this link is not valid (it does not match what was sent)");
  // Expired.
  auto late = CheckLink(*f.store, key, token, FromUnixMillis(rec.expires_ms));
  REQUIRE(late.has_error());
  CHECK(late.error().message.rfind("this link expired on ", 0) == 0);

  auto q = Choice(id, "ask", "no", claims->person);
  q.link_id = claims->id;
  q.via = "link";
  REQUIRE(DecideAs(*f.store, q, f.clock.Now()).has_value());
  auto reused = CheckLink(*f.store, key, token, f.clock.Now());
  REQUIRE(reused.has_error());
  CHECK(reused.error().message.rfind("this link was already used, on ", 0) == 0);
  // Deciding through it again is refused.
  auto q2 = q;
  auto twice = DecideAs(*f.store, q2, f.clock.Now());
  REQUIRE(twice.has_error());
  CHECK(f.Task(id, "ask").result.AsMap().Find("link")->AsString() == rec.id);
}

}  // namespace
}  // namespace tenure::engine
