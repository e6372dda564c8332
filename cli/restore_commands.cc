// restore: undoes what a run removed, from the pre-state its destructive tasks recorded
// (docs/proof.md), as a new run of a generated playbook with its own audit trail.
#include <unistd.h>

#include <cctype>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/engine_host.h"
#include "cli/load.h"
#include "cli/progress.h"
#include "connectors/restore.h"
#include "engine/playbook_cache.h"
#include "engine/run_control.h"

namespace tenure::cli {
namespace {

struct RestoreOptions {
  std::string run;
  std::string task;
  bool yes = false;
  bool json = false;
  std::string db;
};

// One call of the generated playbook.
struct PlannedCall {
  std::string task;  // in the generated playbook
  std::string from;  // the original task row: "groups" or "groups[2]"
  std::string connection;
  connectors::InverseCall call;
};

// A FileReader over one generated file (the restore playbook is never written to disk; the run
// keeps it as its snapshot).
class GeneratedFile final : public workflows::FileReader {
 public:
  GeneratedFile(std::string path, std::string text) : path_(std::move(path)), text_(std::move(text)) {}
  Result<std::string> Read(const std::string& path) override {
    if (path != path_) return Error::NotFound("no file '" + path + "'");
    return text_;
  }

 private:
  std::string path_;
  std::string text_;
};

// A YAML scalar that reads back as the same string: JSON's double-quoted form is valid YAML.
std::string Quoted(const std::string& s) { return Value(s).ToJson(); }

// `node` in YAML flow style; scalars keep their kind (a quoted one stays a string).
std::string Flow(const workflows::YamlNode& node) {
  using Kind = workflows::YamlNode::Kind;
  switch (node.kind) {
    case Kind::kNull:
      return "null";
    case Kind::kScalar: {
      bool plain = !node.quoted && !node.scalar.empty();
      for (char c : node.scalar) {
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' || c == '/')) plain = false;
      }
      return plain ? node.scalar : Quoted(node.scalar);
    }
    case Kind::kSequence: {
      std::string out = "[";
      for (std::size_t i = 0; i < node.items.size(); ++i) out += (i ? ", " : "") + Flow(node.items[i]);
      return out + "]";
    }
    case Kind::kMap: {
      std::string out = "{";
      for (std::size_t i = 0; i < node.entries.size(); ++i) {
        out += (i ? ", " : "") + Quoted(node.entries[i].key.scalar) + ": " + Flow(node.entries[i].value);
      }
      return out + "}";
    }
  }
  return "null";
}

// A task id from the original's: lower-case letters, digits and '_', starting with a letter.
std::string TaskId(const std::string& original, std::size_t n) {
  std::string id;
  for (char c : original) {
    const auto u = static_cast<unsigned char>(c);
    id += std::isalnum(u) ? static_cast<char>(std::tolower(u)) : '_';
    if (id.size() == 48) break;
  }
  if (id.empty() || !std::isalpha(static_cast<unsigned char>(id[0]))) id = "t_" + id;
  return id + "_" + std::to_string(n);
}

// The generated playbook: the original's connections that are used, one task per call. The calls
// are independent and idempotent, but an entry is moved back before anything else on its
// connection touches it (an ldap membership names the user's DN, which the move changes).
std::string GeneratePlaybook(const workflows::Playbook& original, const std::string& run_id,
                             const std::vector<PlannedCall>& calls) {
  std::string out = "playbook: " + Quoted(original.name + "-restore") + "\n";
  out += "description: " + Quoted("tenure restore of run " + run_id + " (" + original.name + ")") + "\n";
  out += "connections:\n";
  std::map<std::string, bool> written;
  for (const PlannedCall& c : calls) {
    if (written[c.connection]) continue;
    written[c.connection] = true;
    const workflows::ConnectionSpec* conn = original.FindConnection(c.connection);
    out += "  " + c.connection + ": {connector: " + Quoted(conn->connector);
    if (!conn->rate_text.empty()) out += ", rate: " + Quoted(conn->rate_text);
    if (conn->max_in_flight > 0) out += ", max_in_flight: " + std::to_string(conn->max_in_flight);
    for (const workflows::YamlEntry& e : conn->config.entries) out += ", " + Quoted(e.key.scalar) + ": " + Flow(e.value);
    out += "}\n";
  }
  out += "tasks:\n";
  std::map<std::string, std::vector<std::string>> moves;  // connection -> its move_user tasks
  for (const PlannedCall& c : calls) {
    if (c.call.action == "move_user") moves[c.connection].push_back(c.task);
  }
  for (const PlannedCall& c : calls) {
    out += "  " + c.task + ":\n";
    if (auto m = moves.find(c.connection); m != moves.end() && c.call.action != "move_user") {
      out += "    needs: " + Value(List(m->second.begin(), m->second.end())).ToJson() + "\n";
    }
    out += "    description: " + Quoted("restores " + c.from + ": " + c.call.what) + "\n";
    out += "    uses: " + c.connection + "." + c.call.action + "\n";
    out += "    with: " + Value(c.call.args).ToJson() + "\n";
  }
  return out;
}

// The calls that undo the destructive rows of `run` (only task `only` when set). Rows without a
// recorded pre-state, or whose record is unusable, go to `problems`.
Result<std::vector<PlannedCall>> PlanRestore(const workflows::Playbook& pb, const workflows::ConnectorCatalog& catalog,
                                             const std::vector<engine::TaskRecord>& rows, const std::string& run_id,
                                             const std::string& only, std::vector<std::string>& problems) {
  if (!only.empty() && pb.FindTask(only) == nullptr) {
    return Error::NotFound("run " + run_id + " has no task '" + only + "'");
  }
  std::vector<PlannedCall> out;
  std::size_t n = 0;
  for (const engine::TaskRecord& row : rows) {
    if (row.task.find(':') != std::string::npos || (!only.empty() && row.task != only)) continue;
    if (row.item < 0 && row.items.IsList()) continue;  // a for_each parent: its items act
    const workflows::TaskSpec* spec = pb.FindTask(row.task);
    const workflows::ConnectionSpec* conn = spec != nullptr ? pb.FindConnection(spec->call.connection) : nullptr;
    if (conn == nullptr || conn->builtin) continue;
    const workflows::ConnectorSpec* connector = catalog.Find(conn->connector);
    const workflows::ActionSpec* action = connector != nullptr ? connector->FindAction(spec->call.action) : nullptr;
    if (action == nullptr || action->pre_state.empty()) continue;  // changes nothing restorable
    const std::string from = row.task + (row.item >= 0 ? "[" + std::to_string(row.item) + "]" : "");
    // Only rows that may have acted: succeeded, or failed / cancelled after it started.
    if (row.status == engine::TaskStatus::kPending || row.status == engine::TaskStatus::kSkipped ||
        row.status == engine::TaskStatus::kWaiting || row.attempts == 0) {
      continue;
    }
    const Value* pre = row.result.IsMap() ? row.result.AsMap().Find("pre_state") : nullptr;
    if (action->restore.empty()) {
      problems.push_back(from + ": " + spec->call.Uses() + " cannot be restored by tenure restore");
      continue;
    }
    auto calls = connectors::InverseCalls(conn->connector, spec->call.action, pre != nullptr ? *pre : Value());
    if (!calls) {
      problems.push_back(from + ": " + calls.error().message);
      continue;
    }
    for (connectors::InverseCall& c : *calls) {
      out.push_back({TaskId(row.task, ++n), from, conn->name, std::move(c)});
    }
  }
  return out;
}

// The run with trigger key `key`, if any (ids of runs of the generated playbook are few).
std::optional<engine::RunRecord> ExistingRestore(engine::StateStore& store, const std::string& playbook,
                                                 const std::string& key) {
  engine::RunFilter filter;
  filter.playbook = playbook;
  auto runs = store.ListRuns(filter);
  if (!runs) return std::nullopt;
  for (engine::RunRecord& r : *runs) {
    if (r.trigger_key == key) return std::move(r);
  }
  return std::nullopt;
}

Value TextList(const std::vector<std::string>& items) {
  List out;
  for (const std::string& s : items) out.push_back(Value(s));
  return Value(std::move(out));
}

Value CallsJson(const std::vector<PlannedCall>& calls) {
  List out;
  for (const PlannedCall& c : calls) {
    Map m;
    m.Set("task", c.task);
    m.Set("restores", c.from);
    m.Set("uses", c.connection + "." + c.call.action);
    m.Set("with", c.call.args);
    m.Set("what", c.call.what);
    out.push_back(Value(std::move(m)));
  }
  return Value(std::move(out));
}

ExitCode Restore(const RestoreOptions& o) {
  auto host = EngineHost::Open(o.db);
  if (!host) {
    std::cerr << "tenure: " << host.error().message << "\n";
    return ExitCodeFor(host.error());
  }
  engine::StateStore& store = (*host)->store();
  auto run = store.GetRun(o.run);
  if (!run) {
    std::cerr << "tenure: " << run.error().message << "\n";
    return ExitCodeFor(run.error());
  }
  engine::PlaybookCache cache;
  auto loaded = cache.Get(run->sources, (*host)->catalog());
  if (!loaded) {
    std::cerr << "tenure: " << loaded.error().message << "\n";
    return ExitCodeFor(loaded.error());
  }
  const workflows::Playbook& pb = (*loaded)->playbook;
  const std::string key = "restore:" + o.run + (o.task.empty() ? "" : ":" + o.task);
  if (auto done = ExistingRestore(store, pb.name + "-restore", key)) {
    if (o.json) {
      Map m;
      m.Set("run", done->id);
      m.Set("restores", o.run);
      m.Set("status", engine::RunStatusName(done->status));
      m.Set("already", true);
      std::cout << Value(std::move(m)).ToJson() << "\n";
    } else {
      std::cout << "run " << o.run << " was already restored by run " << done->id << " (key " << key << ", "
                << engine::RunStatusName(done->status) << "); not starting another\n";
    }
    return ExitCodeFor(done->status);
  }
  auto rows = store.GetTasks(o.run);
  if (!rows) {
    std::cerr << "tenure: " << rows.error().message << "\n";
    return ExitCodeFor(rows.error());
  }
  std::vector<std::string> problems;
  auto calls = PlanRestore(pb, (*host)->catalog(), *rows, o.run, o.task, problems);
  if (!calls) {
    std::cerr << "tenure: " << calls.error().message << "\n";
    return ExitCodeFor(calls.error());
  }
  for (const std::string& p : problems) std::cerr << "tenure: cannot restore " << p << "\n";
  if (calls->empty()) {
    if (o.json) {
      std::cout << "{\"run\":null,\"restores\":" << Value(o.run).ToJson() << ",\"calls\":[],\"problems\":"
                << TextList(problems).ToJson() << "}\n";
    } else {
      std::cout << "nothing to restore: run " << o.run << (o.task.empty() ? "" : " task " + o.task)
                << " removed nothing that its record can bring back\n";
    }
    return problems.empty() ? ExitCode::kOk : ExitCode::kUsage;
  }
  if (!o.json) {
    std::cout << "restore of run " << o.run << " (" << pb.name << "): " << calls->size()
              << (calls->size() == 1 ? " call\n" : " calls\n");
    for (const PlannedCall& c : *calls) std::cout << "  " << c.connection << ": " << c.call.what << "  (" << c.from << ")\n";
  }
  if (!o.yes) {
    if (!isatty(STDIN_FILENO)) {
      std::cerr << "tenure: restore changes accounts; confirm with --yes (nothing was changed)\n";
      return ExitCode::kUsage;
    }
    std::cout << "apply? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "yes") {
      std::cout << "nothing was changed\n";
      return ExitCode::kUsage;
    }
  }
  // The generated playbook, checked like any other before it is stored as the run's snapshot.
  const std::string path = "restore-" + o.run + ".yaml";
  GeneratedFile file(path, GeneratePlaybook(pb, o.run, *calls));
  LoadedPlaybook generated = workflows::LoadAndValidate(file, (*host)->catalog(), path);
  if (!generated.ok()) {
    PrintDiagnostics(generated.diags, std::cerr);
    std::cerr << "tenure: internal error: the generated restore playbook is not valid\n";
    return ExitCode::kInternal;
  }
  for (const auto& conn : generated.pb.connections) {
    if (conn.builtin) continue;
    auto c = (*host)->factory().Create(conn, (*host)->redactor());
    if (!c) {
      std::cerr << "tenure: " << c.error().message << "\n";
      return ExitCode::kUsage;
    }
  }
  engine::NewRun new_run;
  new_run.playbook = &generated.pb;
  new_run.trigger = "restore:" + engine::CurrentUser();
  new_run.trigger_key = key;
  auto created = engine::CreateRun(store, new_run, (*host)->clock().Now());
  if (!created) {
    std::cerr << "tenure: " << created.error().message << "\n";
    return ExitCodeFor(created.error());
  }
  if (!o.json) std::cerr << "run " << created->id << ": restores run " << o.run << " (key " << key << ")\n";
  std::vector<std::string> tasks;
  for (const auto& t : generated.pb.tasks) tasks.push_back(t.id);
  auto reporter = MakeProgress(ChooseStyle(o.json), o.json ? std::cerr : std::cout, std::move(tasks), {});
  bool interrupted = false;
  auto status = (*host)->Execute(created->id, reporter.get(), &interrupted);
  if (interrupted) {
    std::cerr << "interrupted: run " << created->id << " stays resumable: tenure resume " << created->id << "\n";
    return ExitCode::kInterrupted;
  }
  if (!status) {
    std::cerr << "tenure: " << status.error().message << "\n";
    return ExitCodeFor(status.error());
  }
  if (o.json) {
    Map m;
    m.Set("run", created->id);
    m.Set("restores", o.run);
    m.Set("key", key);
    m.Set("status", engine::RunStatusName(*status));
    m.Set("calls", CallsJson(*calls));
    m.Set("problems", TextList(problems));
    std::cout << Value(std::move(m)).ToJson() << "\n";
  } else {
    PrintSummary(store, created->id, std::cout);
  }
  if (*status == engine::RunStatus::kSucceeded && !problems.empty()) return ExitCode::kFailed;
  return ExitCodeFor(*status);
}

}  // namespace

void RegisterRestoreCommand(CLI::App& app, ExitCode* exit_code) {
  auto o = std::make_shared<RestoreOptions>();
  auto* r = app.add_subcommand("restore", "Undo what a run removed, from the state it recorded before (a new run)");
  r->add_option("run", o->run, "The run to undo, e.g. an offboarding")->required();
  r->add_option("--task", o->task, "Only this task of the run");
  r->add_flag("--yes,-y", o->yes, "Do not ask for confirmation");
  r->add_flag("--json", o->json, "Print the result as JSON");
  r->add_option("--db", o->db, "State database (default: $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db)");
  r->footer(
      "Applies the inverse of each destructive task (deactivate_user -> reactivate_user, remove_from_group and\n"
      "remove_from_all_groups -> add_to_group) from the pre-state the task recorded, as a new run keyed\n"
      "restore:RUN[:TASK]: restoring twice starts nothing the second time. docs/proof.md.\n"
      "Exit 0 restored (or nothing to restore), 1 a restore call failed, 2 unknown run or task, no\n"
      "confirmation, or a row that cannot be restored.\n"
      "Examples:\n  tenure restore r20261203-081500-3fa9c1 --yes\n"
      "  tenure restore r20261203-081500-3fa9c1 --task remove_groups --json --yes");
  r->callback([o, exit_code] { *exit_code = Restore(*o); });
}

}  // namespace tenure::cli
