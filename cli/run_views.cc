#include "cli/run_views.h"

#include <pthread.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "cli/engine_host.h"
#include "cli/progress.h"
#include "engine/history.h"
#include "engine/people.h"
#include "engine/state_store.h"
#include "engine/timer.h"
#include "workflows/loader.h"
#include "workflows/html_escape.h"

namespace tenure::cli {
namespace {

using engine::EventRecord;
using engine::RunRecord;
using engine::TaskRecord;

struct ViewOptions {
  std::string run;
  std::string db;
  bool json = false;
  std::string status;
  std::string playbook;
  std::string since;
  std::string format = "md";
  bool overdue = false;      // runs --overdue: only runs with a decision past its deadline
  bool exit_status = false;  // status --exit-status: exit with the run's state
  bool follow = false;       // logs --follow
};

// Whether a waiting row is a person's decision past its deadline (engine/people.h).
bool RowOverdue(const TaskRecord& t, std::int64_t now_ms) {
  return t.status == engine::TaskStatus::kWaiting && engine::IsOverdue(t.result, now_ms);
}

std::unique_ptr<engine::StateStore> OpenOrReport(const std::string& db, ExitCode* code) {
  auto store = OpenExistingStore(db);  // a read never creates the database
  if (!store) {
    std::cerr << "tenure: " << store.error().message << "\n";
    *code = ExitCodeFor(store.error());  // a bad database is the user's
    return nullptr;
  }
  return std::move(*store);
}

std::string Time(std::int64_t ms) { return ms == 0 ? "-" : engine::FormatRfc3339(engine::FromUnixMillis(ms)); }
// In JSON an unknown time or an absent value is null, never "-" or "".
boost::json::value JsonTime(std::int64_t ms) {
  return ms == 0 ? boost::json::value(nullptr) : boost::json::value(engine::FormatRfc3339(engine::FromUnixMillis(ms)));
}
boost::json::value JsonText(const std::string& s) {
  return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
}

std::string RowName(const TaskRecord& t) {
  return t.item >= 0 ? t.task + "[" + std::to_string(t.item) + "]" : t.task;
}

// The rows in the order the run reached their tasks (each task's first event: a task starts only
// after the tasks it needs, so this is a dependency order), each for_each item right under its
// parent, by index. Rows of tasks no event mentions yet keep their recorded order, after the rest.
std::vector<TaskRecord> InRunOrder(std::vector<TaskRecord> tasks, const std::vector<EventRecord>& events) {
  std::map<std::string, std::size_t> rank;
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (!events[i].task.empty()) rank.emplace(events[i].task, i);  // keeps the first
  }
  for (std::size_t i = 0; i < tasks.size(); ++i) rank.emplace(tasks[i].task, events.size() + i);
  std::stable_sort(tasks.begin(), tasks.end(), [&](const TaskRecord& a, const TaskRecord& b) {
    const std::size_t ra = rank.at(a.task);
    const std::size_t rb = rank.at(b.task);
    return ra != rb ? ra < rb : a.item < b.item;
  });
  return tasks;
}

// "7d" (that long ago), "2026-01-05" or an RFC 3339 instant.
Result<std::int64_t> ParseSince(const std::string& text) {
  if (auto d = workflows::ParseDuration(text)) {
    return engine::ToUnixMillis(std::chrono::system_clock::now() - *d);
  }
  const std::string instant = text.size() == 10 ? text + "T00:00:00Z" : text;
  auto t = engine::ParseInstant(instant, "");
  if (!t) return Error::InvalidArgument("--since '" + text + "' is neither a duration (7d) nor a date or instant");
  return engine::ToUnixMillis(*t);
}

boost::json::object RunJson(const RunRecord& r) {
  return {{"id", r.id},
          {"playbook", r.playbook},
          {"status", engine::RunStatusName(r.status)},
          {"trigger", r.trigger},
          {"trigger_key", JsonText(r.trigger_key)},
          {"error", JsonText(r.error)},
          {"created", JsonTime(r.created_ms)},
          {"finished", JsonTime(r.finished_ms)},
          {"inputs", ToJsonValue(r.inputs)}};
}

boost::json::object TaskJson(const TaskRecord& t) {
  return {{"task", t.task},
          {"item", t.item},
          {"status", engine::TaskStatusName(t.status)},
          {"attempts", t.attempts},
          {"idempotency_key", JsonText(t.idempotency_key)},
          {"result", ToJsonValue(t.result)},
          {"error", JsonText(t.error)},
          {"decided_by", JsonText(t.decided_by)},
          {"note", JsonText(t.note)},
          {"started", JsonTime(t.started_ms)},
          {"finished", JsonTime(t.finished_ms)}};
}

ExitCode Runs(const ViewOptions& o) {
  ExitCode code = ExitCode::kOk;
  auto store = OpenOrReport(o.db, &code);
  if (!store) return code;
  engine::RunFilter filter;
  filter.playbook = o.playbook;
  if (!o.status.empty()) {
    filter.status = engine::ParseRunStatus(o.status);
    if (!filter.status) {
      std::cerr << "tenure runs: unknown status '" << o.status
                << "' (pending, running, waiting, succeeded, failed, cancelled)\n";
      return ExitCode::kUsage;
    }
  }
  if (!o.since.empty()) {
    auto since = ParseSince(o.since);
    if (!since) {
      std::cerr << "tenure runs: " << since.error().message << "\n";
      return ExitCode::kUsage;
    }
    filter.since_ms = *since;
  }
  auto runs = store->ListRuns(filter);
  if (!runs) {
    std::cerr << "tenure: " << runs.error().message << "\n";
    return ExitCode::kInternal;
  }
  if (o.overdue) {
    const std::int64_t now_ms = engine::ToUnixMillis(std::chrono::system_clock::now());
    std::vector<RunRecord> late;
    for (RunRecord& r : *runs) {
      if (r.status != engine::RunStatus::kWaiting) continue;
      auto rows = store->GetTasks(r.id);
      if (rows && std::any_of(rows->begin(), rows->end(), [&](const TaskRecord& t) { return RowOverdue(t, now_ms); })) {
        late.push_back(std::move(r));
      }
    }
    *runs = std::move(late);
  }
  if (o.json) {
    for (const RunRecord& r : *runs) std::cout << boost::json::serialize(RunJson(r)) << "\n";
    return ExitCode::kOk;
  }
  std::printf("%-26s %-10s %-28s %-25s %s\n", "RUN", "STATUS", "PLAYBOOK", "CREATED", "TRIGGER");
  for (const RunRecord& r : *runs) {
    // printf bypasses std::cout's escaping: each field is made Printable here.
    std::printf("%-26s %-10s %-28s %-25s %s%s\n", Printable(r.id).c_str(), engine::RunStatusName(r.status),
                Printable(r.playbook).c_str(), Time(r.created_ms).c_str(), Printable(r.trigger).c_str(),
                r.trigger_key.empty() ? "" : Printable(" key " + r.trigger_key).c_str());
  }
  return ExitCode::kOk;
}

ExitCode Status(const ViewOptions& o) {
  ExitCode code = ExitCode::kOk;
  auto store = OpenOrReport(o.db, &code);
  if (!store) return code;
  auto run = store->GetRun(o.run);
  auto tasks = store->GetTasks(o.run);
  auto events = store->GetEvents(o.run);
  if (!run || !tasks || !events) {
    const Error e = !run ? run.error() : !tasks ? tasks.error() : events.error();
    std::cerr << "tenure: " << e.message << "\n";
    return ExitCodeFor(e);
  }
  *tasks = InRunOrder(std::move(*tasks), *events);
  if (o.json) {
    boost::json::object out = RunJson(*run);
    boost::json::array rows;
    for (const TaskRecord& t : *tasks) rows.push_back(TaskJson(t));
    out["tasks"] = std::move(rows);
    std::cout << boost::json::serialize(out) << "\n";
    return o.exit_status ? ExitCodeFor(run->status) : ExitCode::kOk;
  }
  std::cout << "run " << run->id << "  " << run->playbook << "  " << engine::RunStatusName(run->status)
            << (run->error.empty() ? "" : ": " + Printable(run->error)) << "\n"
            << "created " << Time(run->created_ms) << " by " << run->trigger
            << (run->owner.empty() ? "" : ", executing in " + run->owner) << "\n\n";
  std::printf("%-32s %-10s %8s %9s  %s\n", "TASK", "STATUS", "ATTEMPTS", "DURATION", "DETAIL");
  for (const TaskRecord& t : *tasks) {
    const std::string duration = t.finished_ms > 0 && t.started_ms > 0 ? Elapsed(t.finished_ms - t.started_ms) : "-";
    std::string detail = t.error;
    if (t.status == engine::TaskStatus::kWaiting && t.due_ms > 0) detail = "until " + Time(t.due_ms);
    const bool person = t.result.IsMap() && t.result.AsMap().Find("_people") != nullptr;
    if (t.status == engine::TaskStatus::kWaiting && person) {  // a person's decision (docs/people.md)
      const std::int64_t due = engine::DueMsOf(t.result);
      const bool late = RowOverdue(t, engine::ToUnixMillis(std::chrono::system_clock::now()));
      detail = due == 0 ? "waiting for a person" : (late ? "OVERDUE since " : "due ") + Time(due);
    }
    if (!t.decided_by.empty()) detail = "decided by " + t.decided_by + (t.note.empty() ? "" : ": " + t.note);
    if (t.task == engine::kHistoryRow) detail = "what history.last read when the run started (kept for resumes)";
    std::printf("%-32s %-10s %8d %9s  %s\n", Printable(RowName(t)).c_str(), engine::TaskStatusName(t.status),
                t.attempts, duration.c_str(), Printable(detail).c_str());
  }
  return o.exit_status ? ExitCodeFor(run->status) : ExitCode::kOk;
}

// Who an event is about: "run", a task, or one for_each item of it ("groups[1]").
std::string Subject(const EventRecord& e) {
  return e.task.empty() ? "run" : e.item >= 0 ? e.task + "[" + std::to_string(e.item) + "]" : e.task;
}

void PrintEvent(const EventRecord& e, bool json) {
  if (json) {
    std::cout << EventJson(e) << "\n";
    return;
  }
  const std::string subject = Subject(e);
  std::cout << Time(e.at_ms) << "  " << Printable(subject) << "  " << e.kind
            << (e.detail.empty() ? "" : ": " + Printable(e.detail)) << "\n";
}

ExitCode Logs(const ViewOptions& o) {
  ExitCode code = ExitCode::kOk;
  auto store = OpenOrReport(o.db, &code);
  if (!store) return code;
  if (auto run = store->GetRun(o.run); !run) {
    std::cerr << "tenure: " << run.error().message << "\n";
    return ExitCode::kUsage;
  }
  if (!o.follow) {
    auto events = store->GetEvents(o.run);
    if (!events) {
      std::cerr << "tenure: " << events.error().message << "\n";
      return ExitCode::kInternal;
    }
    for (const EventRecord& e : *events) PrintEvent(e, o.json);
    return ExitCode::kOk;
  }
  // --follow: print new events as they are recorded (by whichever process executes the run) until
  // the run is finished or waits. SIGINT/SIGTERM are taken synchronously (blocked, then awaited in
  // the poll's sleep), so Ctrl-C ends the command with 130 and leaves the run alone.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &stop, &previous);
  std::int64_t seen = 0;
  ExitCode result = ExitCode::kOk;
  for (;;) {
    auto run = store->GetRun(o.run);  // read before the events: a run that stopped has all of them
    auto events = store->GetEvents(o.run);
    if (!run || !events) {
      std::cerr << "tenure: " << (!run ? run.error() : events.error()).message << "\n";
      result = ExitCode::kInternal;
      break;
    }
    for (const EventRecord& e : *events) {
      if (e.seq <= seen) continue;
      PrintEvent(e, o.json);
      seen = e.seq;
    }
    std::cout << std::flush;
    if (run->status != engine::RunStatus::kPending && run->status != engine::RunStatus::kRunning) {
      result = ExitCodeFor(run->status);
      break;
    }
    const timespec interval{0, 250'000'000};
    if (sigtimedwait(&stop, nullptr, &interval) > 0) {
      result = ExitCode::kInterrupted;
      break;
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return result;
}

// "decided 'no'", "approved", "rejected", "done".
std::string DecisionWord(const TaskRecord& t) {
  const Value* choice = t.result.IsMap() ? t.result.AsMap().Find("choice") : nullptr;
  if (choice != nullptr) return "decided '" + choice->ToText() + "'";
  if (t.result.IsMap() && t.result.AsMap().Find("done_by") != nullptr) return "done";
  return t.status == engine::TaskStatus::kSucceeded ? "approved" : "rejected";
}

std::string Via(const TaskRecord& t) {
  const Value* via = t.result.IsMap() ? t.result.AsMap().Find("via") : nullptr;
  const Value* link = t.result.IsMap() ? t.result.AsMap().Find("link") : nullptr;
  if (via == nullptr) return "";
  return " (" + via->ToText() + (link != nullptr ? " " + link->ToText() : "") + ")";
}

// The connections called, from the attempt events ("scim.ensure_user, attempt 1 of 3, key ..."),
// with how many calls each.
std::map<std::string, int> Systems(const std::vector<EventRecord>& events) {
  std::map<std::string, int> out;
  for (const EventRecord& e : events) {
    if (e.kind != "attempt_started") continue;
    const std::string uses = e.detail.substr(0, e.detail.find(','));
    ++out[uses.substr(0, uses.find('.'))];
  }
  return out;
}

// What a run took away, for a restore: the removal actions (remove_*) list it in their results -
// `groups` (scim, ldap, google and msgraph remove_from_all_groups) and `freed` (msgraph
// remove_licenses) - and what they left in place in `skipped` (dynamic groups) and `inherited`
// (licences from a group).
struct Removal {
  std::string task;
  std::string what;                // "groups", "freed"
  std::vector<std::string> items;  // one name per removed thing
  std::vector<std::string> kept;   // "London (dynamic): dynamic membership (change the rule instead)"
};

// A removed or kept item's name: the first of the fields people read, else its JSON.
std::string ItemName(const Value& item) {
  if (!item.IsMap()) return item.ToText();
  for (const char* key : {"email", "cn", "displayName", "skuId", "name", "dn", "id"}) {
    if (const Value* v = item.AsMap().Find(key); v != nullptr && v->IsString()) {
      const Value* reason = item.AsMap().Find("reason");
      return v->AsString() + (reason != nullptr && reason->IsString() ? ": " + reason->AsString() : "");
    }
  }
  return item.ToJson();
}

std::vector<Removal> Removals(const std::vector<TaskRecord>& tasks, const std::vector<EventRecord>& events) {
  std::map<std::string, std::string> action;  // task -> ACTION, from "CONNECTION.ACTION, attempt 1 of 3, ..."
  for (const EventRecord& e : events) {
    if (e.kind != "attempt_started") continue;
    const std::string uses = e.detail.substr(0, e.detail.find(','));
    action[e.task] = uses.substr(uses.find('.') + 1);
  }
  std::vector<Removal> out;
  for (const TaskRecord& t : tasks) {
    if (t.status != engine::TaskStatus::kSucceeded || !t.result.IsMap()) continue;
    if (!action[t.task].starts_with("remove_")) continue;  // a user's own `groups` is not a removal
    for (const char* what : {"groups", "freed"}) {
      const Value* list = t.result.AsMap().Find(what);
      if (list == nullptr || !list->IsList()) continue;
      Removal r{RowName(t), what, {}, {}};
      for (const Value& item : list->AsList()) r.items.push_back(ItemName(item));
      for (const char* kept : {"skipped", "inherited"}) {
        const Value* rest = t.result.AsMap().Find(kept);
        if (rest == nullptr || !rest->IsList()) continue;
        for (const Value& item : rest->AsList()) r.kept.push_back(ItemName(item));
      }
      if (!r.items.empty() || !r.kept.empty()) out.push_back(std::move(r));
    }
  }
  return out;
}

std::string Joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string Esc(std::string_view s) { return workflows::HtmlEscape(s); }

void ReportHtml(const RunRecord& run, const std::vector<TaskRecord>& tasks, const std::vector<EventRecord>& events) {
  const std::int64_t now_ms = engine::ToUnixMillis(std::chrono::system_clock::now());
  std::cout << "<section><h1>Run " << Esc(run.id) << ": " << Esc(run.playbook) << "</h1><ul><li>Status: "
            << Esc(engine::RunStatusName(run.status)) << (run.error.empty() ? "" : " (" + Esc(run.error) + ")")
            << "</li><li>Triggered by: " << Esc(run.trigger) << "</li><li>Created: " << Time(run.created_ms)
            << "</li><li>Finished: " << Time(run.finished_ms) << "</li><li>Inputs: <code>" << Esc(run.inputs.ToJson())
            << "</code></li></ul><h2>What was done</h2><table><tr><th>Task</th><th>Status</th><th>Attempts</th>"
               "<th>Finished</th><th>Result or reason</th></tr>";
  for (const TaskRecord& t : tasks) {
    std::cout << "<tr><td>" << Esc(RowName(t)) << "</td><td>" << engine::TaskStatusName(t.status) << "</td><td>"
              << t.attempts << "</td><td>" << Time(t.finished_ms) << "</td><td>"
              << Esc(t.status == engine::TaskStatus::kSucceeded ? t.result.ToJson() : t.error) << "</td></tr>";
  }
  std::cout << "</table><h2>Decisions</h2><ul>";
  for (const TaskRecord& t : tasks) {
    if (t.decided_by.empty()) continue;
    std::cout << "<li>" << Esc(RowName(t)) << ": " << Esc(DecisionWord(t)) << " by " << Esc(t.decided_by) << " at "
              << Time(t.finished_ms) << Esc(Via(t)) << (t.note.empty() ? "" : ": " + Esc(t.note)) << "</li>";
  }
  std::cout << "</ul><h2>Removed (for a restore)</h2><ul>";
  for (const Removal& r : Removals(tasks, events)) {
    std::cout << "<li>" << Esc(r.task) << ": " << Esc(r.what) << " " << Esc(r.items.empty() ? "none" : Joined(r.items))
              << (r.kept.empty() ? "" : "; kept: " + Esc(Joined(r.kept))) << "</li>";
  }
  std::cout << "</ul><h2>Overdue</h2><ul>";
  for (const TaskRecord& t : tasks) {
    if (RowOverdue(t, now_ms)) std::cout << "<li>" << Esc(RowName(t)) << ": due " << Time(engine::DueMsOf(t.result)) << "</li>";
  }
  std::cout << "</ul><h2>Systems touched</h2><ul>";
  for (const auto& [system, calls] : Systems(events)) std::cout << "<li>" << Esc(system) << ": " << calls << " calls</li>";
  std::cout << "</ul><h2>Timeline</h2><table>";
  for (const EventRecord& e : events) {
    std::cout << "<tr><td>" << Time(e.at_ms) << "</td><td>" << Esc(Subject(e)) << "</td><td>" << Esc(e.kind)
              << "</td><td>" << Esc(e.detail) << "</td></tr>";
  }
  std::cout << "</table></section>\n";
}

void ReportMarkdown(const RunRecord& run, const std::vector<TaskRecord>& tasks, const std::vector<EventRecord>& events) {
  std::cout << "# Run " << run.id << ": " << run.playbook << "\n\n"
            << "- Status: " << engine::RunStatusName(run.status) << (run.error.empty() ? "" : " (" + Printable(run.error) + ")")
            << "\n- Triggered by: " << run.trigger << (run.trigger_key.empty() ? "" : ", key " + run.trigger_key)
            << "\n- Created: " << Time(run.created_ms) << "\n- Finished: " << Time(run.finished_ms)
            << "\n- Playbook sha256: " << (run.sources.empty() ? "-" : run.sources.front().sha256)
            << "\n- Inputs: `" << run.inputs.ToJson() << "`\n\n## What was done\n\n"
            << "| Task | Status | Attempts | Finished | Result or reason |\n|---|---|---|---|---|\n";
  for (const TaskRecord& t : tasks) {
    const std::string outcome = Printable(t.status == engine::TaskStatus::kSucceeded ? t.result.ToJson() : t.error);
    std::cout << "| " << RowName(t) << " | " << engine::TaskStatusName(t.status) << " | " << t.attempts << " | "
              << Time(t.finished_ms) << " | " << outcome << " |\n";
  }
  std::cout << "\n## Removed (for a restore)\n\n";
  const std::vector<Removal> removals = Removals(tasks, events);
  if (removals.empty()) std::cout << "None.\n";
  for (const Removal& r : removals) {
    std::cout << "- " << Printable(r.task) << ": " << r.what << " "
              << Printable(r.items.empty() ? std::string("none") : Joined(r.items))
              << (r.kept.empty() ? "" : "; kept: " + Printable(Joined(r.kept))) << "\n";
  }
  std::cout << "\n## Decisions\n\n";
  bool any = false;
  for (const TaskRecord& t : tasks) {
    if (t.decided_by.empty()) continue;
    any = true;
    std::cout << "- " << RowName(t) << ": " << Printable(DecisionWord(t)) << " by " << Printable(t.decided_by) << " at "
              << Time(t.finished_ms) << Printable(Via(t)) << (t.note.empty() ? "" : ": " + Printable(t.note)) << "\n";
  }
  if (!any) std::cout << "None.\n";
  const std::int64_t now_ms = engine::ToUnixMillis(std::chrono::system_clock::now());
  std::cout << "\n## Overdue\n\n";
  any = false;
  for (const TaskRecord& t : tasks) {
    if (!RowOverdue(t, now_ms)) continue;
    any = true;
    std::cout << "- " << RowName(t) << ": due " << Time(engine::DueMsOf(t.result)) << ", still waiting\n";
  }
  if (!any) std::cout << "None.\n";
  std::cout << "\n## Systems touched\n\n";
  const auto systems = Systems(events);
  if (systems.empty()) std::cout << "None.\n";
  for (const auto& [system, calls] : systems) std::cout << "- " << Printable(system) << ": " << calls << " calls\n";
  std::cout << "\n## Timeline\n\n";
  for (const EventRecord& e : events) {
    std::cout << "- " << Time(e.at_ms) << " " << Printable(Subject(e)) << " " << e.kind
              << (e.detail.empty() ? "" : ": " + Printable(e.detail)) << "\n";
  }
}

boost::json::object ReportJson(const RunRecord& run, const std::vector<TaskRecord>& tasks,
                               const std::vector<EventRecord>& events) {
  boost::json::object out = RunJson(run);
  boost::json::array rows;
  for (const TaskRecord& t : tasks) rows.push_back(TaskJson(t));
  boost::json::array timeline;
  for (const EventRecord& e : events) timeline.push_back(boost::json::parse(EventJson(e)));
  out["tasks"] = std::move(rows);
  out["events"] = std::move(timeline);
  return out;
}

// RUN, or a PERSON (an e-mail or name found in a run's inputs or among its deciders): every run
// about or decided by them.
ExitCode Report(const ViewOptions& o) {
  if (o.format != "md" && o.format != "json" && o.format != "html") {
    std::cerr << "tenure report: --format must be md, html or json, got '" << o.format << "'\n";
    return ExitCode::kUsage;
  }
  ExitCode code = ExitCode::kOk;
  auto store = OpenOrReport(o.db, &code);
  if (!store) return code;
  std::vector<RunRecord> runs;
  bool person = false;
  if (auto run = store->GetRun(o.run); run) {
    runs.push_back(std::move(*run));
  } else {
    person = true;
    auto all = store->ListRuns({});
    if (!all) {
      std::cerr << "tenure: " << all.error().message << "\n";
      return ExitCode::kInternal;
    }
    std::string who = o.run;
    for (char& c : who) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (RunRecord& r : *all) {
      std::string inputs = r.inputs.ToJson();
      for (char& c : inputs) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      bool mentions = inputs.find(who) != std::string::npos;
      if (!mentions) {
        auto rows = store->GetTasks(r.id);
        mentions = rows && std::any_of(rows->begin(), rows->end(), [&](const TaskRecord& t) {
                     std::string d = t.decided_by;
                     for (char& c : d) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                     return d == who;
                   });
      }
      if (mentions) runs.push_back(std::move(r));
    }
    if (runs.empty()) {
      std::cerr << "tenure report: no run '" << o.run << "', and no run about or decided by '" << o.run << "'\n";
      return ExitCode::kUsage;
    }
  }
  if (o.format == "html") {
    std::cout << "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>tenure report: " << Esc(o.run)
              << "</title></head><body>\n";
  }
  boost::json::array all_json;
  for (const RunRecord& r : runs) {
    auto full = store->GetRun(r.id);  // with its sources (the playbook's sha256)
    auto tasks = store->GetTasks(r.id);
    auto events = store->GetEvents(r.id);
    if (!full || !tasks || !events) {
      std::cerr << "tenure: cannot read run " << r.id << "\n";
      return ExitCode::kInternal;
    }
    *tasks = InRunOrder(std::move(*tasks), *events);
    if (o.format == "md") {
      if (person && &r != &runs.front()) std::cout << "\n---\n\n";
      ReportMarkdown(*full, *tasks, *events);
    } else if (o.format == "html") {
      ReportHtml(*full, *tasks, *events);
    } else {
      all_json.push_back(ReportJson(*full, *tasks, *events));
    }
  }
  if (o.format == "html") std::cout << "</body></html>\n";
  if (o.format == "json") {
    if (person) {
      boost::json::object out{{"person", o.run}, {"runs", std::move(all_json)}};
      std::cout << boost::json::serialize(out) << "\n";
    } else {
      std::cout << boost::json::serialize(all_json.front()) << "\n";
    }
  }
  return ExitCode::kOk;
}

void AddDb(CLI::App* cmd, std::string* db) {
  cmd->add_option("--db", *db,
                  "State database (default: $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db, else "
                  "~/.local/state/tenure/tenure.db); must exist: reading never creates it");
}

}  // namespace

void RegisterRunViews(CLI::App& app, ExitCode* exit_code) {
  auto runs = std::make_shared<ViewOptions>();
  CLI::App* r = app.add_subcommand("runs", "List runs");
  r->add_option("--status", runs->status, "Only runs in this status");
  r->add_option("--playbook", runs->playbook, "Only runs of this playbook");
  r->add_option("--since", runs->since, "Only runs created since: 7d, 2026-01-05 or an RFC 3339 instant");
  r->add_flag("--json", runs->json, "One JSON object per run");
  r->add_flag("--overdue", runs->overdue, "Only waiting runs with a decision past its deadline (due:)");
  AddDb(r, &runs->db);
  r->footer("Examples:\n  tenure runs --status waiting\n  tenure runs --playbook standard-offboarding --since 7d\n"
            "Exit codes: 0 listed (also when none match), 2 bad option or no database, 70 database failure.");
  r->callback([runs, exit_code] { *exit_code = Runs(*runs); });

  auto status = std::make_shared<ViewOptions>();
  CLI::App* s = app.add_subcommand("status", "Show a run's tasks: states, attempts, durations, errors");
  s->add_option("run", status->run, "Run id")->required();
  s->add_flag("--json", status->json, "As JSON");
  s->add_flag("--exit-status", status->exit_status,
              "Exit with the run's state: 0 succeeded, 1 failed, 3 waiting, pending or running, 4 cancelled");
  AddDb(s, &status->db);
  s->footer("Examples:\n  tenure status r20261123-074512-3fa9c1\n  tenure status r20261123-074512-3fa9c1 --exit-status "
            "--json\n"
            "Exit codes: 0 shown (with --exit-status: the run's state, as above), 2 unknown run or no database,\n"
            "70 database failure.");
  s->callback([status, exit_code] { *exit_code = Status(*status); });

  auto logs = std::make_shared<ViewOptions>();
  CLI::App* l = app.add_subcommand("logs", "Show a run's audit timeline");
  l->add_option("run", logs->run, "Run id")->required();
  l->add_flag("--json", logs->json, "One JSON event per line");
  l->add_flag("--follow,-f", logs->follow,
              "Keep printing new events until the run finishes or waits (Ctrl-C stops following, not the run)");
  AddDb(l, &logs->db);
  l->footer("Examples:\n  tenure logs r20261123-074512-3fa9c1\n  tenure logs r20261123-074512-3fa9c1 --follow\n"
            "Exit codes: 0 shown; with --follow the run's state when it stopped (0 succeeded, 1 failed, 3 waiting,\n"
            "4 cancelled) or 130 on Ctrl-C; 2 unknown run or no database, 70 database failure.");
  l->callback([logs, exit_code] { *exit_code = Logs(*logs); });

  auto report = std::make_shared<ViewOptions>();
  CLI::App* p = app.add_subcommand("report", "Who got what: the record of a run for PeopleOps and auditors");
  p->add_option("run", report->run, "Run id, or a person (e-mail): every run about or decided by them")->required();
  p->add_option("--format", report->format, "md (default), html or json");
  AddDb(p, &report->db);
  p->footer("Example:\n  tenure report r20261123-074512-3fa9c1 --format md > onboarding-ada.md\n"
            "Exit codes: 0 written, 2 unknown run or person, bad --format or no database, 70 database failure.");
  p->callback([report, exit_code] { *exit_code = Report(*report); });
}

}  // namespace tenure::cli
