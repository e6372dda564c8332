#include "engine/decisions.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace tenure::engine {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Field(const Value& v, const char* key) {
  const Value* f = v.IsMap() ? v.AsMap().Find(key) : nullptr;
  return f != nullptr && f->IsString() ? f->AsString() : std::string();
}

// Whether `person` is one of the row's approvers (e-mails compare case-insensitively); an absent
// or empty list lets anyone decide.
Result<void> MayDecide(const TaskRecord& r, const DecisionRequest& q) {
  if (q.admin || !r.result.IsMap()) return {};
  const Value* approvers = r.result.AsMap().Find("approvers");
  if (approvers == nullptr || !approvers->IsList() || approvers->AsList().empty()) return {};
  std::string names;
  for (const Value& a : approvers->AsList()) {
    if (a.IsString() && Lower(a.AsString()) == Lower(q.person)) return {};
    names += (names.empty() ? "" : ", ") + a.ToText();
  }
  return Error::Denied(q.person + " may not decide task " + r.task +
                       (r.item >= 0 ? " item " + std::to_string(r.item) : "") + " of run " + q.run_id +
                       ": its approvers are " + names);
}

EventRecord Ev(const std::string& run, const std::string& task, int item, std::string kind, std::string detail,
               std::int64_t at) {
  EventRecord e;
  e.run_id = run;
  e.task = task;
  e.item = item;
  e.kind = std::move(kind);
  e.detail = std::move(detail);
  e.at_ms = at;
  return e;
}

}  // namespace

std::set<std::string> AdminsFromEnvironment() {
  std::set<std::string> out;
  const char* env = std::getenv("TENURE_ADMINS");
  if (env == nullptr) return out;
  std::string cur;
  for (const char* p = env;; ++p) {
    if (*p == '\0' || *p == ',' || std::isspace(static_cast<unsigned char>(*p))) {
      if (!cur.empty()) out.insert(cur);
      cur.clear();
      if (*p == '\0') break;
    } else {
      cur += *p;
    }
  }
  return out;
}

Result<void> DecideAs(StateStore& store, const DecisionRequest& q, SystemTime now) {
  auto run = store.GetRun(q.run_id);
  if (!run) return run.error();
  auto rows = store.GetTasks(q.run_id);
  if (!rows) return rows.error();
  Transition t;
  t.run_id = q.run_id;
  t.at_ms = ToUnixMillis(now);
  t.use_link = q.link_id;
  bool found = false, item_found = !q.item.has_value();
  std::string status;
  for (TaskRecord& r : *rows) {
    if (r.task != q.task) continue;
    found = true;
    if (r.item < 0) status = TaskStatusName(r.status);
    if (q.item && r.item != *q.item) continue;
    if (q.item) {
      item_found = true;
      status = TaskStatusName(r.status);
    }
    if (r.status != TaskStatus::kWaiting) continue;
    // A fan-out's parent waits for its items: deciding the items decides it (the run does that).
    if (r.item < 0 && r.items.IsList()) continue;
    if (auto allowed = MayDecide(r, q); !allowed) return allowed.error();  // nothing recorded
    const std::string action = Field(r.result, "_action");
    bool approve = q.kind != DecisionRequest::Kind::kReject;
    std::string choice = q.choice;
    Map result;
    if (action == "decide") {
      if (q.kind != DecisionRequest::Kind::kChoice) {
        return Error::InvalidArgument("task " + q.task + " of run " + q.run_id +
                                      " asks a question: answer it with tenure decide --choice");
      }
      const Value* choices = r.result.IsMap() ? r.result.AsMap().Find("choices") : nullptr;
      std::string offered;
      bool ok = false;
      if (choices != nullptr && choices->IsList()) {
        for (const Value& c : choices->AsList()) {
          offered += (offered.empty() ? "" : ", ") + c.ToText();
          ok = ok || c.ToText() == choice;
        }
      }
      if (!ok) return Error::InvalidArgument("'" + choice + "' is not a choice of task " + q.task + "; choices: " + offered);
      result.Set("choice", choice);
      approve = true;  // any answer is a decision, and the task succeeds
    } else if (q.kind == DecisionRequest::Kind::kChoice) {
      const std::string c = Lower(choice);
      if (c == "yes" || c == "approve" || c == "done") {
        approve = true;
      } else if (c == "no" || c == "reject") {
        approve = false;
      } else {
        return Error::InvalidArgument("'" + choice + "' is not an answer to task " + q.task +
                                      "; use approve or reject (yes or no)");
      }
    }
    r.expect = TaskStatus::kWaiting;
    r.decided_by = q.person;
    r.note = q.note;
    r.finished_ms = t.at_ms;
    r.due_ms = 0;  // nothing left to chase
    if (action == "task") {
      result.Set(approve ? "done_by" : "rejected_by", q.person);
      result.Set("done_at", FormatRfc3339(now));
    } else if (action != "decide") {
      result.Set(approve ? "approved_by" : "rejected_by", q.person);
    }
    result.Set("decided_by", q.person);
    result.Set("note", q.note);
    result.Set("decided_at", FormatRfc3339(now));
    result.Set("via", q.via);
    if (!q.link_id.empty()) result.Set("link", q.link_id);
    r.result = Value(std::move(result));
    r.status = approve ? TaskStatus::kSucceeded : TaskStatus::kFailed;
    r.error = approve ? "" : "rejected by " + q.person + (q.note.empty() ? "" : ": " + q.note);
    const std::string what = action == "decide" ? "decided '" + choice + "'"
                             : action == "task" ? (approve ? "done" : "rejected")
                                                : (approve ? "approved" : "rejected");
    t.events.push_back(Ev(q.run_id, q.task, r.item,
                          action == "decide" ? "decided" : (approve ? (action == "task" ? "ticked" : "approved") : "rejected"),
                          what + " by " + q.person + " (" + q.via + (q.link_id.empty() ? "" : " " + q.link_id) +
                              ")" + (q.note.empty() ? "" : ": " + q.note),
                          t.at_ms));
    t.tasks.push_back(r);
  }
  if (!found) return Error::NotFound("run " + q.run_id + " has no task '" + q.task + "'");
  if (!item_found) return Error::NotFound("task " + q.task + " of run " + q.run_id + " has no item " + std::to_string(*q.item));
  if (t.tasks.empty()) {
    return Error::FailedPrecondition("task " + q.task + (q.item ? " item " + std::to_string(*q.item) : "") + " of run " +
                                     q.run_id + " is not waiting for a decision (it is " + status + ")");
  }
  t.wake = true;
  return store.Apply({&t, 1});
}

Result<LinkClaims> CheckLink(StateStore& store, const LinkKey& key, std::string_view token, SystemTime now) {
  auto claims = key.Verify(token);
  if (!claims) return claims.error();
  auto rec = store.GetLink(claims->id);
  if (!rec) {
    if (rec.error().Is(Errc::kNotFound)) return Error::Denied("this link is not valid (it is not one of ours)");
    return rec.error();
  }
  if (rec->run_id != claims->run || rec->task != claims->task || rec->item != claims->item ||
      rec->person != claims->person || rec->expires_ms != claims->expires_ms) {
    return Error::Denied("this link is not valid (it does not match what was sent)");
  }
  if (rec->used_ms > 0) {
    return Error::Denied("this link was already used, on " + FormatRfc3339(FromUnixMillis(rec->used_ms)) +
                         "; each link decides once");
  }
  if (ToUnixMillis(now) >= rec->expires_ms) {
    return Error::Denied("this link expired on " + FormatRfc3339(FromUnixMillis(rec->expires_ms)) +
                         "; ask for a new one (tenure sends one with each reminder)");
  }
  return *claims;
}

}  // namespace tenure::engine
