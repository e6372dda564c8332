// People in the loop, inside a run: a manual task's deadline bookkeeping when it parks, and, each
// time the run wakes while the task waits (the daemon wakes it at row.due_ms: the next reminder,
// escalation or deadline), the notices with signed links, reminders, escalation and overdue.
//
// A waiting row may be decided at any moment by another process, so every write here goes to the
// store directly with a compare-and-set on `waiting` (never through the journal, whose failures
// are sticky): a decision recorded meanwhile wins, and its wake-up makes the run look again.
#include <boost/asio/this_coro.hpp>

#include <algorithm>
#include <cctype>

#include "engine/people.h"
#include "engine/run_execution.h"

namespace tenure::engine {
namespace {

using boost::asio::awaitable;

std::string Choices(const Value& args) {
  const Value* c = args.IsMap() ? args.AsMap().Find("choices") : nullptr;
  if (c == nullptr || !c->IsList()) return "";
  std::string out;
  for (const Value& v : c->AsList()) out += (out.empty() ? "" : ", ") + v.ToText();
  return out;
}

// Built outside the coroutines: GCC 12 miscompiles brace lists of string literals inside them.
connectors::Action MakeAction(const char* name, Map args) {
  connectors::Action a;
  a.name = name;
  a.args = std::move(args);
  return a;
}

bool SamePerson(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Text(const Value& args, const char* key) {
  const Value* v = args.IsMap() ? args.AsMap().Find(key) : nullptr;
  return v == nullptr ? std::string() : v->ToText();
}

}  // namespace

std::string RunExecution::ParkPeople(const Step& step, TaskRecord& row) {
  if (!row.result.IsMap()) return "";
  if (step.call->action == "decide") {
    const Value* c = row.result.AsMap().Find("choices");
    if (c != nullptr && !c->IsNull()) {
      if (!c->IsList() || c->AsList().empty()) return step.path + ".choices: expected a non-empty list of answers";
      for (const Value& v : c->AsList()) {
        if (!v.IsString() || v.AsString().empty() || v.AsString().size() > 200) {
          return step.path + ".choices: every answer must be a non-empty text (at most 200 characters)";
        }
      }
    } else {
      List yes_no;
      yes_no.push_back(Value("yes"));
      yes_no.push_back(Value("no"));
      row.result.AsMap().Set("choices", Value(std::move(yes_no)));
    }
  }
  auto policy = ReadPeoplePolicy(row.result, FromUnixMillis(row.started_ms), step.path);
  if (!policy) return policy.error().message;
  row.result.AsMap().Set("_action", step.call->action);  // how a decision reads (engine/decisions.h)
  if (!policy->notify.empty()) {
    const workflows::ConnectionSpec* conn = pb_->FindConnection(policy->notify);
    if (conn == nullptr || conn->builtin) {
      return step.path + ".notify: '" + policy->notify + "' is not a connection of this playbook";
    }
  }
  PeopleState st;
  st.due_ms = policy->due_ms;
  st.escalate_ms = policy->escalate_ms;
  st.next_remind_ms = policy->remind_every_ms > 0 ? row.started_ms + policy->remind_every_ms : 0;
  st.notified = policy->notify.empty();
  row.result.AsMap().Set("_people", st.ToValue());
  // Notices go out from a process that can sign links (the daemon with --http): a run parked by
  // `tenure run` is due at once, so the daemon picks it up and sends them.
  row.due_ms = st.notified ? st.NextInstant(policy->fail_when_overdue) : row.started_ms;
  return "";
}

awaitable<TaskStatus> RunExecution::WhileWaiting(Step& step) {
  TaskRecord& row = Row(step.row, step.item);
  const Value* stored = row.result.IsMap() ? row.result.AsMap().Find("_people") : nullptr;
  if (stored == nullptr || halted_) co_return TaskStatus::kWaiting;
  const std::int64_t now_ms = ToUnixMillis(services_.clock.Now());
  auto policy = ReadPeoplePolicy(row.result, FromUnixMillis(row.started_ms), step.path);
  if (!policy) co_return TaskStatus::kWaiting;  // checked when it parked
  PeopleState st = PeopleState::FromValue(*stored);
  const PeopleDue due = WhatIsDue(st, now_ms);
  const bool first = !st.notified;
  const bool can_sign = services_.people != nullptr && services_.people->key != nullptr;
  if (first && !can_sign) co_return TaskStatus::kWaiting;  // the daemon sends them (see ParkPeople)
  if (!first && !due.remind && !due.escalate && !due.overdue) co_return TaskStatus::kWaiting;

  Transition t;
  t.run_id = run_.id;
  t.at_ms = now_ms;
  TaskRecord next = row;
  next.expect = TaskStatus::kWaiting;
  const std::string due_text = st.due_ms > 0 ? FormatRfc3339(FromUnixMillis(st.due_ms)) : "";
  if (due.overdue && policy->fail_when_overdue) {
    next.status = TaskStatus::kFailed;
    next.error = "overdue: nobody decided by " + due_text + " (on_overdue: fail)";
    next.finished_ms = now_ms;
    next.due_ms = 0;
    t.tasks.push_back(next);
    t.events.push_back(Event(step.row, step.item, 0, "overdue", next.error));
    t.events.push_back(Event(step.row, step.item, 0, "failed", next.error));
    for (auto& e : t.events) e.at_ms = now_ms;
    if (auto r = services_.store.Apply({&t, 1}); !r) co_return TaskStatus::kWaiting;  // decided meanwhile
    next.expect.reset();
    row = next;
    if (row.item < 0) Publish(row);
    co_return TaskStatus::kFailed;
  }
  std::vector<Notice> notices;
  if (first) {
    auto n = PrepareNotices(step, row, policy->approvers, "ask", st.due_ms);
    notices.insert(notices.end(), n.begin(), n.end());
  }
  if (due.overdue) {
    t.events.push_back(Event(step.row, step.item, 0, "overdue", "nobody decided by " + due_text + "; still waiting"));
  }
  if (due.escalate) {
    // The people escalated to may decide too.
    Value* approvers = next.result.AsMap().Find("approvers");
    if (approvers != nullptr && approvers->IsList()) {
      for (const std::string& p : policy->escalate_to) approvers->AsList().push_back(Value(p));
    }
    std::string to;
    for (const std::string& p : policy->escalate_to) to += (to.empty() ? "" : ", ") + p;
    t.events.push_back(Event(step.row, step.item, 0, "escalated", "no decision yet; escalated to " + to));
    auto n = PrepareNotices(step, row, policy->escalate_to, "escalate", st.due_ms);
    notices.insert(notices.end(), n.begin(), n.end());
  }
  if (due.remind && !first) {
    // The approvers (escalation added its people to them) and the escalation's people, once each.
    std::vector<std::string> all;
    std::vector<std::string> candidates = policy->approvers;
    if (st.escalated || due.escalate) {
      candidates.insert(candidates.end(), policy->escalate_to.begin(), policy->escalate_to.end());
    }
    for (const std::string& p : candidates) {
      const bool seen = std::any_of(all.begin(), all.end(), [&](const std::string& q) { return SamePerson(p, q); });
      if (!seen) all.push_back(p);
    }
    t.events.push_back(Event(step.row, step.item, 0, "reminded", "reminded " + std::to_string(all.size()) + " people"));
    auto n = PrepareNotices(step, row, all, "remind", st.due_ms);
    notices.insert(notices.end(), n.begin(), n.end());
  }
  Advance(st, due, *policy, now_ms);
  st.notified = true;
  next.result.AsMap().Set("_people", st.ToValue());
  next.due_ms = st.NextInstant(policy->fail_when_overdue);
  t.tasks.push_back(next);
  for (const Notice& n : notices) {
    if (!n.link.id.empty()) t.new_links.push_back(n.link);
  }
  for (auto& e : t.events) {
    e.at_ms = now_ms;
    e.detail = services_.redactor.Redact(e.detail);
  }
  if (auto r = services_.store.Apply({&t, 1}); !r) co_return TaskStatus::kWaiting;  // decided meanwhile
  next.expect.reset();
  row = next;
  if (!notices.empty()) co_await SendNotices(step, policy->notify, std::move(notices));
  co_return TaskStatus::kWaiting;
}

std::vector<RunExecution::Notice> RunExecution::PrepareNotices(const Step& step, const TaskRecord& row,
                                                               const std::vector<std::string>& people,
                                                               const std::string& purpose, std::int64_t due_ms) {
  std::vector<Notice> out;
  const std::int64_t now_ms = ToUnixMillis(services_.clock.Now());
  const std::string prompt = Text(row.result, "prompt");
  const std::string choices = Choices(row.result);
  const std::string where = "run " + run_.id + " (" + run_.playbook + "), task " + step.row +
                            (step.item >= 0 ? " item " + std::to_string(step.item) : "");
  for (const std::string& person : people) {
    Notice n;
    n.person = person;
    const std::string head = purpose == "remind"     ? "Reminder: a decision is still needed from you."
                             : purpose == "escalate" ? "Escalated to you: nobody has decided this yet."
                                                     : "A decision is needed from you.";
    std::string how;
    if (services_.people != nullptr && services_.people->key != nullptr && !services_.people->base_url.empty()) {
      LinkClaims c;
      c.id = NewLinkId();
      c.run = run_.id;
      c.task = step.row;
      c.item = step.item;
      c.person = person;
      c.expires_ms = now_ms + services_.people->link_ttl_ms;
      if (due_ms > 0) c.expires_ms = std::max(c.expires_ms, due_ms);  // valid at least until the deadline
      n.link = LinkRecord{c.id, run_.id, step.row, step.item, person, purpose, "", now_ms, c.expires_ms, 0};
      how = "Decide here (single use, valid until " + FormatRfc3339(FromUnixMillis(c.expires_ms)) +
            "): " + services_.people->base_url + "/d/" + services_.people->key->Sign(c);
    } else {
      how = step.call->action == "decide"
                ? "Decide with: tenure decide " + run_.id + " " + step.row + " --choice <answer>"
                : "Decide with: tenure approve " + run_.id + " " + step.row;
    }
    n.text = head + "\n" + prompt + "\n" + (choices.empty() ? "" : "Choices: " + choices + "\n") + where + "\n" +
             (due_ms > 0 ? "Deadline: " + FormatRfc3339(FromUnixMillis(due_ms)) + "\n" : "") + how;
    out.push_back(std::move(n));
  }
  return out;
}

awaitable<void> RunExecution::SendNotices(Step& step, std::string connection, std::vector<Notice> notices) {
  const workflows::ConnectionSpec* conn = pb_->FindConnection(connection);
  auto found = connectors_.find(connection);
  if (conn == nullptr || found == connectors_.end()) co_return;
  const std::string kind = conn->connector;
  for (Notice& n : notices) {
    std::string failure;
    const connectors::Context ctx{n.link.id.empty() ? IdempotencyKey(run_.id, step.row, step.item) : n.link.id,
                                  services_.clock.SteadyNow() + std::chrono::seconds(30), run_.id, step.row};
    if (kind == "slack") {
      if (!IsEmail(n.person)) {
        failure = n.person + " has no e-mail address to find in Slack";
      } else {
        Map args;
        args.Set("email", n.person);
        const connectors::Action lookup = MakeAction("lookup_user_by_email", std::move(args));
        std::pair<Ended, connectors::Outcome> r = co_await Invoke(*found->second, lookup, ctx, std::chrono::seconds(30));
        const auto* ok = std::get_if<connectors::Succeeded>(&r.second);
        const Value* id = ok != nullptr && ok->result.IsMap() ? ok->result.AsMap().Find("id") : nullptr;
        if (r.first != Ended::kOutcome || id == nullptr) {
          failure = "no Slack user with e-mail " + n.person;
        } else {
          Map post;
          post.Set("channel", id->ToText());
          post.Set("text", n.text);
          post.Set("once_key", n.link.id.empty() ? ctx.idempotency_key + ":" + n.person : n.link.id);
          const connectors::Action send = MakeAction("post_message", std::move(post));
          std::pair<Ended, connectors::Outcome> s = co_await Invoke(*found->second, send, ctx, std::chrono::seconds(30));
          if (s.first != Ended::kOutcome || std::get_if<connectors::Succeeded>(&s.second) == nullptr) {
            failure = "the Slack message to " + n.person + " was not sent";
          }
        }
      }
    } else if (kind == "smtp") {
      Map args;
      args.Set("to", n.person);
      args.Set("subject", "Decision needed: " + Text(Row(step.row, step.item).result, "prompt"));
      args.Set("text", n.text);
      const connectors::Action send = MakeAction("send", std::move(args));
      std::pair<Ended, connectors::Outcome> s = co_await Invoke(*found->second, send, ctx, std::chrono::seconds(60));
      if (s.first != Ended::kOutcome || std::get_if<connectors::Succeeded>(&s.second) == nullptr) {
        failure = "the e-mail to " + n.person + " was not sent";
      }
    } else if (kind == "http") {
      Map body;
      body.Set("person", n.person);
      body.Set("run", run_.id);
      body.Set("task", step.row);
      body.Set("item", step.item);
      body.Set("text", n.text);
      Map args;
      args.Set("method", "POST");
      args.Set("url", "");
      args.Set("json", Value(std::move(body)));
      const connectors::Action send = MakeAction("request", std::move(args));
      std::pair<Ended, connectors::Outcome> s = co_await Invoke(*found->second, send, ctx, std::chrono::seconds(30));
      if (s.first != Ended::kOutcome || std::get_if<connectors::Succeeded>(&s.second) == nullptr) {
        failure = "the webhook for " + n.person + " failed";
      }
    } else {
      failure = "connection '" + connection + "' (" + kind + ") cannot carry messages; use slack, smtp or http";
    }
    const std::string detail = failure.empty() ? "sent to " + n.person + " through " + connection +
                                                     (n.link.id.empty() ? "" : " (link " + n.link.id + ")")
                                               : failure;
    co_await CommitEvent(Event(step.row, step.item, 0, failure.empty() ? "notified" : "notify_failed", detail));
  }
}

}  // namespace tenure::engine
