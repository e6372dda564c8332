// tenure evidence PERSON|RUN --out DIR: an evidence pack for an auditor (docs/audit.md).
//
// Built entirely in memory from the state database, written into a fresh directory next to DIR
// and renamed into place: DIR holds a complete pack or is left as it was.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/audit.h"
#include "cli/commands.h"
#include "cli/engine_host.h"
#include "cli/progress.h"
#include "connectors/catalog.h"
#include "engine/clock.h"
#include "engine/guards.h"
#include "engine/playbook_cache.h"
#include "engine/timer.h"
#include "workflows/html_escape.h"

namespace tenure::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using engine::EventRecord;
using engine::RunRecord;
using engine::TaskRecord;

struct EvidenceOptions {
  std::string subject;  // a run id or a person
  std::string out;
  std::string db;
  std::string hr_terminated_at;
  bool force = false;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Time(std::int64_t ms) { return ms == 0 ? "" : engine::FormatRfc3339(engine::FromUnixMillis(ms)); }

// Whether `v` (an input value) is `who`, or a list holding it, case-insensitively.
bool InputIs(const Value& v, const std::string& who) {
  if (v.IsString()) return Lower(v.AsString()) == who;
  if (v.IsInt()) return std::to_string(v.AsInt()) == who;
  if (v.IsList()) {
    for (const Value& item : v.AsList()) {
      if (InputIs(item, who)) return true;
    }
  }
  return false;
}

// PERSON's runs: whose trigger key, or one of whose inputs, is PERSON (docs/audit.md).
bool AboutPerson(const RunRecord& r, const std::string& who) {
  if (Lower(r.trigger_key) == who) return true;
  if (!r.inputs.IsMap()) return false;
  for (const auto& [name, value] : r.inputs.AsMap()) {
    if (InputIs(value, who)) return true;
  }
  return false;
}

// One connector call of a run as the evidence shows it.
struct Action {
  std::string task;
  int item = -1;
  std::string uses;        // "connection.action"
  std::string connection;
  std::string connector;   // its type, from the snapshot ("" when unknown)
  bool destructive = false;
  std::int64_t requested_ms = 0;  // the last attempt's start
  std::int64_t finished_ms = 0;
  std::string status;
  int attempts = 0;
  Value result;
  std::string error;
  std::vector<const EventRecord*> read_back;  // verification events, when recorded
  Value verified;                             // the result's read_back {expected, seen, agrees}, or null
};

// One line per read-back of an action, for people: "read back {...}: agrees" then any events.
std::string ReadBackText(const Action& a) {
  std::string rb;
  if (a.verified.IsMap()) {
    const Map& v = a.verified.AsMap();
    const Value* agrees = v.Find("agrees");
    const Value* seen = v.Find("seen");
    rb = "read back " + (seen != nullptr ? seen->ToJson() : std::string("?")) + ": " +
         (agrees != nullptr && agrees->IsBool() && agrees->AsBool() ? "agrees" : "DISAGREES");
  }
  for (const EventRecord* e : a.read_back) rb += (rb.empty() ? "" : "; ") + e->kind + ": " + e->detail;
  return rb;
}

struct RunEvidence {
  RunRecord run;
  std::vector<TaskRecord> tasks;
  std::vector<EventRecord> events;
  std::vector<Action> actions;
  engine::ChainCheck chain;
  std::vector<bool> source_ok;  // each snapshot file's sha256 recomputed
};

std::vector<Action> Actions(const RunEvidence& ev, const workflows::Playbook* pb,
                            const workflows::ConnectorCatalog& catalog) {
  std::vector<Action> out;
  for (const TaskRecord& t : ev.tasks) {
    Action a;
    a.task = t.task;
    a.item = t.item;
    for (const EventRecord& e : ev.events) {
      if (e.task != t.task || e.item != t.item) continue;
      if (e.kind == "attempt_started") {
        a.requested_ms = e.at_ms;
        a.uses = e.detail.substr(0, e.detail.find(','));
      }
      if (e.kind.find("verif") != std::string::npos || e.kind.find("read_back") != std::string::npos) {
        a.read_back.push_back(&e);
      }
    }
    if (a.uses.empty()) continue;  // not a connector call (a for_each parent, a timer, a decision)
    a.connection = a.uses.substr(0, a.uses.find('.'));
    const std::string action = a.uses.substr(a.uses.find('.') + 1);
    if (pb != nullptr) {
      if (const workflows::ConnectionSpec* c = pb->FindConnection(a.connection)) {
        a.connector = c->connector;
        const workflows::ConnectorSpec* spec = catalog.Find(c->connector);
        const workflows::ActionSpec* as = spec != nullptr ? spec->FindAction(action) : nullptr;
        a.destructive = as != nullptr && engine::IsDestructive(*as);
      }
    }
    a.finished_ms = t.finished_ms;
    a.status = engine::TaskStatusName(t.status);
    a.attempts = t.attempts;
    a.result = t.result;
    a.error = t.error;
    // The engine's read-back (docs/proof.md) sits in the result: {expected, seen, agrees}.
    if (a.result.IsMap()) {
      if (const Value* rb = a.result.AsMap().Find("read_back"); rb != nullptr && rb->IsMap()) a.verified = *rb;
    }
    out.push_back(std::move(a));
  }
  return out;
}

// Per connection, the first destructive action that succeeded (the disable), for the HR delay.
std::map<std::string, const Action*> Disables(const std::vector<RunEvidence>& runs) {
  std::map<std::string, const Action*> out;
  for (const RunEvidence& r : runs) {
    for (const Action& a : r.actions) {
      if (!a.destructive || a.status != "succeeded") continue;
      auto [it, fresh] = out.try_emplace(a.connection, &a);
      if (!fresh && a.finished_ms < it->second->finished_ms) it->second = &a;
    }
  }
  return out;
}

// What a person decided on a human step: the kind of its decision event (approved, rejected,
// decided, ticked), else the task's status.
std::string DecisionWord(const RunEvidence& r, const TaskRecord& t) {
  std::string word = engine::TaskStatusName(t.status);
  for (const EventRecord& e : r.events) {
    if (e.task != t.task || e.item != t.item) continue;
    if (e.kind == "approved" || e.kind == "rejected" || e.kind == "decided" || e.kind == "ticked") word = e.kind;
  }
  return word;
}

std::string Delay(std::int64_t ms) { return (ms < 0 ? "-" : "") + Elapsed(ms < 0 ? -ms : ms); }

std::string Esc(std::string_view s) { return workflows::HtmlEscape(s); }

// Markdown table cell: one line, no column breaks.
std::string Cell(std::string_view s) {
  std::string out;
  for (char c : Printable(s)) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string SnapshotFile(const RunRecord& r, std::size_t i) {
  return "playbooks/" + r.id + "/" + std::to_string(i) + "-" + fs::path(r.sources[i].path).filename().string();
}

struct Pack {
  std::string subject;
  bool person = false;
  std::int64_t generated_ms = 0;
  std::int64_t hr_ms = 0;  // 0 = not given
  std::vector<RunEvidence> runs;
  engine::ChainCheck whole;  // the whole log
};

json::object ChainJson(const engine::ChainCheck& c, const std::string& run) {
  return json::parse(ChainCheckJson(c, run).ToJson()).as_object();
}

json::object PackJson(const Pack& p) {
  json::object out{{"subject", p.subject},
                   {"subject_kind", p.person ? "person" : "run"},
                   {"generated_at", Time(p.generated_ms)},
                   {"hr_terminated_at", p.hr_ms == 0 ? json::value() : json::value(Time(p.hr_ms))},
                   {"audit_log", ChainJson(p.whole, "")}};
  json::array runs;
  for (const RunEvidence& r : p.runs) {
    json::object o{{"id", r.run.id},
                   {"playbook", r.run.playbook},
                   {"status", engine::RunStatusName(r.run.status)},
                   {"error", r.run.error},
                   {"trigger", r.run.trigger},
                   {"trigger_key", r.run.trigger_key},
                   {"created", Time(r.run.created_ms)},
                   {"finished", Time(r.run.finished_ms)},
                   {"inputs", ToJsonValue(r.run.inputs)},
                   {"audit_log", ChainJson(r.chain, r.run.id)}};
    json::array sources;
    for (std::size_t i = 0; i < r.run.sources.size(); ++i) {
      sources.push_back(json::object{{"path", r.run.sources[i].path},
                                     {"sha256", r.run.sources[i].sha256},
                                     {"sha256_matches_text", static_cast<bool>(r.source_ok[i])},
                                     {"file", SnapshotFile(r.run, i)}});
    }
    o["playbook_sources"] = std::move(sources);
    json::array actions;
    for (const Action& a : r.actions) {
      json::array read_back;
      for (const EventRecord* e : a.read_back) {
        read_back.push_back(json::object{{"at", Time(e->at_ms)}, {"type", e->kind}, {"detail", e->detail}});
      }
      if (a.verified.IsMap()) {
        json::object v = ToJsonValue(a.verified).as_object();
        v["at"] = Time(a.finished_ms);
        v["type"] = "read_back";
        read_back.push_back(std::move(v));
      }
      actions.push_back(json::object{{"task", a.task},
                                     {"item", a.item},
                                     {"uses", a.uses},
                                     {"connection", a.connection},
                                     {"connector", a.connector},
                                     {"destructive", a.destructive},
                                     {"requested_at", Time(a.requested_ms)},
                                     {"finished_at", Time(a.finished_ms)},
                                     {"status", a.status},
                                     {"attempts", a.attempts},
                                     {"response", ToJsonValue(a.result)},
                                     {"error", a.error},
                                     {"read_back", std::move(read_back)}});
    }
    o["actions"] = std::move(actions);
    json::array decisions;
    for (const TaskRecord& t : r.tasks) {
      if (t.decided_by.empty()) continue;
      decisions.push_back(json::object{{"task", t.task},
                                       {"item", t.item},
                                       {"decision", DecisionWord(r, t)},
                                       {"status", engine::TaskStatusName(t.status)},
                                       {"by", t.decided_by},
                                       {"at", Time(t.finished_ms)},
                                       {"note", t.note}});
    }
    o["decisions"] = std::move(decisions);
    runs.push_back(std::move(o));
  }
  out["runs"] = std::move(runs);
  json::array systems;
  for (const auto& [connection, a] : Disables(p.runs)) {
    json::object s{{"connection", connection},
                   {"connector", a->connector},
                   {"task", a->task},
                   {"action", a->uses},
                   {"done_at", Time(a->finished_ms)}};
    if (p.hr_ms != 0) {
      s["after_termination_ms"] = a->finished_ms - p.hr_ms;
      s["after_termination"] = Delay(a->finished_ms - p.hr_ms);
    }
    systems.push_back(std::move(s));
  }
  out["access_removed"] = std::move(systems);
  return out;
}

std::string ChainLine(const engine::ChainCheck& c) {
  if (c.broken) return "BROKEN: " + c.broken->message;
  return "intact (" + std::to_string(c.events) + " events, head " + c.head + ")";
}

std::string PackMarkdown(const Pack& p) {
  std::ostringstream md;
  md << "# Evidence: " << Printable(p.subject) << "\n\n"
     << "- Generated: " << Time(p.generated_ms) << " by tenure\n"
     << "- Subject: " << (p.person ? "person" : "run") << " `" << Printable(p.subject) << "`, " << p.runs.size()
     << (p.runs.size() == 1 ? " run" : " runs") << "\n"
     << "- HR termination: " << (p.hr_ms == 0 ? "not given" : Time(p.hr_ms)) << "\n"
     << "- Audit log (whole database): " << Printable(ChainLine(p.whole)) << "\n\n"
     << "## Access removed, per system\n\n";
  const auto disables = Disables(p.runs);
  if (disables.empty()) md << "No destructive action succeeded.\n";
  if (!disables.empty()) {
    md << "| Connection | Connector | Action | Done at | After HR termination |\n|---|---|---|---|---|\n";
    for (const auto& [connection, a] : disables) {
      md << "| " << Cell(connection) << " | " << Cell(a->connector) << " | " << Cell(a->uses) << " (" << Cell(a->task)
         << ") | " << Time(a->finished_ms) << " | " << (p.hr_ms == 0 ? "-" : Delay(a->finished_ms - p.hr_ms)) << " |\n";
    }
  }
  for (const RunEvidence& r : p.runs) {
    md << "\n## Run " << r.run.id << ": " << Printable(r.run.playbook) << "\n\n"
       << "- Status: " << engine::RunStatusName(r.run.status)
       << (r.run.error.empty() ? "" : " (" + Printable(r.run.error) + ")") << "\n"
       << "- Triggered by: " << Printable(r.run.trigger)
       << (r.run.trigger_key.empty() ? "" : ", key " + Printable(r.run.trigger_key)) << "\n"
       << "- Created: " << Time(r.run.created_ms) << "; finished: " << (r.run.finished_ms ? Time(r.run.finished_ms) : "-")
       << "\n- Audit log of this run: " << Printable(ChainLine(r.chain)) << "\n\n### Playbook snapshot\n\n";
    for (std::size_t i = 0; i < r.run.sources.size(); ++i) {
      md << "- `" << Printable(r.run.sources[i].path) << "`: sha256 " << r.run.sources[i].sha256
         << (r.source_ok[i] ? "" : " (DOES NOT MATCH the stored text)") << ", copied to `" << SnapshotFile(r.run, i)
         << "`\n";
    }
    md << "\n### Inputs (secrets redacted)\n\n```json\n" << Printable(r.run.inputs.ToJson()) << "\n```\n\n### Actions\n\n";
    if (r.actions.empty()) md << "None.\n";
    if (!r.actions.empty()) {
      md << "| Task | Call | Requested | Finished | Outcome | Attempts | Response / error | Read-back |\n"
            "|---|---|---|---|---|---|---|---|\n";
      for (const Action& a : r.actions) {
        const std::string rb = ReadBackText(a);
        md << "| " << Cell(a.task + (a.item >= 0 ? "[" + std::to_string(a.item) + "]" : "")) << " | " << Cell(a.uses)
           << (a.destructive ? " (destructive)" : "") << " | " << Time(a.requested_ms) << " | " << Time(a.finished_ms)
           << " | " << a.status << " | " << a.attempts << " | "
           << Cell(a.status == "succeeded" ? a.result.ToJson() : a.error) << " | " << Cell(rb.empty() ? "-" : rb)
           << " |\n";
      }
    }
    md << "\n### Decisions\n\n";
    bool any = false;
    for (const TaskRecord& t : r.tasks) {
      if (t.decided_by.empty()) continue;
      any = true;
      md << "- " << Cell(t.task) << ": " << DecisionWord(r, t) << " by " << Cell(t.decided_by) << " at "
         << Time(t.finished_ms) << (t.note.empty() ? "" : ": " + Cell(t.note)) << "\n";
    }
    if (!any) md << "None.\n";
  }
  md << "\n## Files\n\nEvery file of this pack and its sha256 are in `manifest.json` and `MANIFEST.sha256` "
        "(check with `sha256sum -c MANIFEST.sha256`).\n";
  return md.str();
}

std::string PackHtml(const Pack& p) {
  std::ostringstream h;
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Evidence: " << Esc(p.subject)
    << "</title></head><body>\n<h1>Evidence: " << Esc(p.subject) << "</h1>\n<ul><li>Generated: "
    << Time(p.generated_ms) << " by tenure</li><li>Subject: " << (p.person ? "person" : "run") << " <code>"
    << Esc(p.subject) << "</code>, " << p.runs.size() << (p.runs.size() == 1 ? " run" : " runs")
    << "</li><li>HR termination: " << (p.hr_ms == 0 ? "not given" : Time(p.hr_ms))
    << "</li><li>Audit log (whole database): " << Esc(ChainLine(p.whole)) << "</li></ul>\n"
    << "<h2>Access removed, per system</h2>\n<table><tr><th>Connection</th><th>Connector</th><th>Action</th>"
       "<th>Done at</th><th>After HR termination</th></tr>\n";
  for (const auto& [connection, a] : Disables(p.runs)) {
    h << "<tr><td>" << Esc(connection) << "</td><td>" << Esc(a->connector) << "</td><td>" << Esc(a->uses) << " ("
      << Esc(a->task) << ")</td><td>" << Time(a->finished_ms) << "</td><td>"
      << (p.hr_ms == 0 ? "-" : Delay(a->finished_ms - p.hr_ms)) << "</td></tr>\n";
  }
  h << "</table>\n";
  for (const RunEvidence& r : p.runs) {
    h << "<section><h2>Run " << Esc(r.run.id) << ": " << Esc(r.run.playbook) << "</h2>\n<ul><li>Status: "
      << engine::RunStatusName(r.run.status) << (r.run.error.empty() ? "" : " (" + Esc(r.run.error) + ")")
      << "</li><li>Triggered by: " << Esc(r.run.trigger)
      << (r.run.trigger_key.empty() ? "" : ", key " + Esc(r.run.trigger_key)) << "</li><li>Created: "
      << Time(r.run.created_ms) << "; finished: " << (r.run.finished_ms ? Time(r.run.finished_ms) : "-")
      << "</li><li>Audit log of this run: " << Esc(ChainLine(r.chain)) << "</li></ul>\n<h3>Playbook snapshot</h3><ul>\n";
    for (std::size_t i = 0; i < r.run.sources.size(); ++i) {
      h << "<li><code>" << Esc(r.run.sources[i].path) << "</code>: sha256 " << Esc(r.run.sources[i].sha256)
        << (r.source_ok[i] ? "" : " (DOES NOT MATCH the stored text)") << ", copied to <code>"
        << Esc(SnapshotFile(r.run, i)) << "</code></li>\n";
    }
    h << "</ul>\n<h3>Inputs (secrets redacted)</h3><pre>" << Esc(r.run.inputs.ToJson())
      << "</pre>\n<h3>Actions</h3>\n<table><tr><th>Task</th><th>Call</th><th>Requested</th><th>Finished</th>"
         "<th>Outcome</th><th>Attempts</th><th>Response / error</th><th>Read-back</th></tr>\n";
    for (const Action& a : r.actions) {
      const std::string rb = ReadBackText(a);
      h << "<tr><td>" << Esc(a.task + (a.item >= 0 ? "[" + std::to_string(a.item) + "]" : "")) << "</td><td>"
        << Esc(a.uses) << (a.destructive ? " (destructive)" : "") << "</td><td>" << Time(a.requested_ms) << "</td><td>"
        << Time(a.finished_ms) << "</td><td>" << Esc(a.status) << "</td><td>" << a.attempts << "</td><td>"
        << Esc(a.status == "succeeded" ? a.result.ToJson() : a.error) << "</td><td>" << Esc(rb.empty() ? "-" : rb)
        << "</td></tr>\n";
    }
    h << "</table>\n<h3>Decisions</h3><ul>\n";
    for (const TaskRecord& t : r.tasks) {
      if (t.decided_by.empty()) continue;
      h << "<li>" << Esc(t.task) << ": " << Esc(DecisionWord(r, t)) << " by " << Esc(t.decided_by) << " at "
        << Time(t.finished_ms) << (t.note.empty() ? "" : ": " + Esc(t.note)) << "</li>\n";
    }
    h << "</ul></section>\n";
  }
  h << "<p>Every file of this pack and its sha256 are in <code>manifest.json</code> and <code>MANIFEST.sha256</code>."
       "</p>\n</body></html>\n";
  return h.str();
}

// Writes `files` (relative path -> content) into a new directory and renames it to `out`. Refuses
// a non-empty `out` unless `force` (then the old one is replaced, and removed only after).
Result<void> WriteAtomically(const std::string& out, const std::map<std::string, std::string>& files, bool force) {
  std::error_code ec;
  const fs::path target = fs::absolute(out, ec);
  const bool exists = fs::exists(target, ec);
  if (exists && !fs::is_directory(target, ec)) return Error::InvalidArgument("--out " + out + " is a file, not a directory");
  if (exists && !fs::is_empty(target, ec) && !force) {
    return Error::InvalidArgument("--out " + out + " is not empty; give an empty or new directory, or --force to replace it");
  }
  const fs::path parent = target.parent_path();
  fs::create_directories(parent, ec);
  std::string tmpl = (parent / (".tenure-evidence-XXXXXX")).string();
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return Error::InvalidArgument("cannot create a directory in " + parent.string() + ": " + std::strerror(errno));
  }
  const fs::path tmp(tmpl);
  auto fail = [&](const std::string& why) {
    fs::remove_all(tmp, ec);
    return Error::Io(why);
  };
  for (const auto& [name, content] : files) {
    const fs::path p = tmp / name;
    fs::create_directories(p.parent_path(), ec);
    std::ofstream f(p, std::ios::binary);
    f << content;
    f.close();
    if (!f) return fail("cannot write " + p.string());
  }
  ::chmod(tmp.c_str(), 0755);
  if (exists && !fs::is_empty(target, ec)) {
    const fs::path old = tmp.string() + ".old";
    fs::rename(target, old, ec);
    if (ec) return fail("cannot move the old " + out + " away: " + ec.message());
    fs::rename(tmp, target, ec);
    if (ec) {
      fs::rename(old, target, ec);
      return fail("cannot move the new pack into " + out);
    }
    fs::remove_all(old, ec);
    return {};
  }
  if (exists) fs::remove(target, ec);  // empty: replaced by the rename
  fs::rename(tmp, target, ec);
  if (ec) return fail("cannot move the new pack into " + out + ": " + ec.message());
  return {};
}

ExitCode Evidence(const EvidenceOptions& o) {
  Pack pack;
  pack.subject = o.subject;
  pack.generated_ms = engine::ToUnixMillis(std::chrono::system_clock::now());
  if (!o.hr_terminated_at.empty()) {
    const std::string text = o.hr_terminated_at.size() == 10 ? o.hr_terminated_at + "T00:00:00Z" : o.hr_terminated_at;
    // The fraction is taken apart here: ParseInstant reads seconds as a double, which can lose a
    // millisecond (".123" -> 122 ms), and an auditor compares these instants to the millisecond.
    std::string whole = text;
    std::int64_t frac_ms = 0;
    if (const auto dot = whole.find('.', 16); dot != std::string::npos) {
      std::size_t end = dot + 1;
      while (end < whole.size() && std::isdigit(static_cast<unsigned char>(whole[end]))) ++end;
      const std::string digits = (whole.substr(dot + 1, end - dot - 1) + "000").substr(0, 3);
      frac_ms = std::stoll(digits);
      whole.erase(dot, end - dot);
    }
    auto t = engine::ParseInstant(whole, "");
    if (!t) {
      std::cerr << "tenure evidence: --hr-terminated-at '" << o.hr_terminated_at
                << "' is not an instant: give e.g. 2026-12-01T17:00:00Z or 2026-12-01T18:00:00+01:00\n";
      return ExitCode::kUsage;
    }
    pack.hr_ms = engine::ToUnixMillis(*t) + frac_ms;
  }
  auto store = engine::OpenSqliteStore(engine::DefaultDbPath(o.db));
  if (!store) {
    std::cerr << "tenure: " << store.error().message << "\n";
    return ExitCodeFor(store.error());
  }
  std::vector<RunRecord> runs;
  if (auto run = (*store)->GetRun(o.subject); run) {
    runs.push_back(std::move(*run));
  } else {
    pack.person = true;
    auto all = (*store)->ListRuns({});
    if (!all) {
      std::cerr << "tenure: " << all.error().message << "\n";
      return ExitCode::kInternal;
    }
    const std::string who = Lower(o.subject);
    for (RunRecord& r : *all) {
      if (AboutPerson(r, who)) runs.push_back(std::move(r));
    }
    if (runs.empty()) {
      std::cerr << "tenure evidence: no run '" << o.subject << "', and no run whose key or an input is '" << o.subject
                << "'\n";
      return ExitCode::kUsage;
    }
  }
  auto whole = CheckAuditLog(**store, "");
  if (!whole) {
    std::cerr << "tenure: " << whole.error().message << "\n";
    return ExitCodeFor(whole.error());
  }
  pack.whole = *whole;
  const workflows::ConnectorCatalog catalog = connectors::BuiltinCatalog();
  engine::PlaybookCache playbooks;
  std::map<std::string, std::string> files;
  bool broken = pack.whole.broken.has_value();
  for (const RunRecord& listed : runs) {
    RunEvidence ev;
    auto full = (*store)->GetRun(listed.id);  // with its snapshot
    auto tasks = (*store)->GetTasks(listed.id);
    auto events = (*store)->GetEvents(listed.id);
    auto chain = CheckAuditLog(**store, listed.id);
    if (!full || !tasks || !events || !chain) {
      std::cerr << "tenure: cannot read run " << listed.id << "\n";
      return ExitCode::kInternal;
    }
    ev.run = std::move(*full);
    ev.tasks = std::move(*tasks);
    ev.events = std::move(*events);
    ev.chain = *chain;
    broken = broken || ev.chain.broken.has_value();
    for (std::size_t i = 0; i < ev.run.sources.size(); ++i) {
      ev.source_ok.push_back(engine::Sha256Hex(ev.run.sources[i].text) == ev.run.sources[i].sha256);
      files[SnapshotFile(ev.run, i)] = ev.run.sources[i].text;
    }
    auto loaded = playbooks.Get(ev.run.sources, catalog);
    ev.actions = Actions(ev, loaded ? &(*loaded)->playbook : nullptr, catalog);
    pack.runs.push_back(std::move(ev));
  }
  files["evidence.json"] = json::serialize(PackJson(pack)) + "\n";
  files["evidence.md"] = PackMarkdown(pack);
  files["evidence.html"] = PackHtml(pack);
  json::object manifest{{"subject", pack.subject}, {"generated_at", Time(pack.generated_ms)}};
  json::array entries;
  std::string sums;
  for (const auto& [name, content] : files) {
    const std::string sha = engine::Sha256Hex(content);
    entries.push_back(json::object{{"file", name}, {"sha256", sha}, {"bytes", content.size()}});
    sums += sha + "  " + name + "\n";
  }
  manifest["files"] = std::move(entries);
  files["manifest.json"] = json::serialize(manifest) + "\n";
  sums += engine::Sha256Hex(files["manifest.json"]) + "  manifest.json\n";
  files["MANIFEST.sha256"] = sums;
  if (auto w = WriteAtomically(o.out, files, o.force); !w) {
    std::cerr << "tenure evidence: " << w.error().message << "\n";
    return ExitCodeFor(w.error());
  }
  std::cout << "evidence pack for " << (pack.person ? "person " : "run ") << o.subject << " (" << pack.runs.size()
            << (pack.runs.size() == 1 ? " run" : " runs") << ") written to " << o.out << ": evidence.md, evidence.html, "
            << "evidence.json, manifest.json, MANIFEST.sha256\n";
  if (broken) {
    std::cerr << "tenure evidence: the audit log is BROKEN (see the pack); tenure verify-log shows where\n";
    return ExitCode::kFailed;
  }
  return ExitCode::kOk;
}

}  // namespace

void RegisterEvidenceCommand(CLI::App& app, ExitCode* exit_code) {
  auto o = std::make_shared<EvidenceOptions>();
  CLI::App* c = app.add_subcommand("evidence", "Write an evidence pack for an auditor: a run, or every run about a person");
  c->add_option("subject", o->subject, "A run id, or a person: a run key or input value (e-mail, employee id)")->required();
  c->add_option("--out", o->out, "Directory to write (new or empty; see --force)")->required();
  c->add_option("--hr-terminated-at", o->hr_terminated_at,
                "The HR termination instant (RFC 3339): each system's delay to the disable is computed from it");
  c->add_flag("--force", o->force, "Replace a non-empty --out directory");
  c->add_option("--db", o->db, "State database");
  c->footer("Exit codes: 0 written, 1 written but the audit log is broken, 2 no such run or person, bad\n"
            "--hr-terminated-at, or --out not empty without --force. See docs/audit.md.");
  c->callback([o, exit_code] { *exit_code = Evidence(*o); });
}

}  // namespace tenure::cli
