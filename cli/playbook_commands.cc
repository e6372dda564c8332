// validate, graph, plan, connectors: the commands that read playbooks and change nothing.
#include <boost/json.hpp>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/prepare_run.h"
#include "connectors/catalog.h"
#include "engine/state_store.h"
#include "workflows/graph_export.h"
#include "workflows/preview.h"
#include "workflows/reference_link.h"

namespace tenure::cli {
namespace {

using workflows::Diagnostics;

struct ValidateOptions {
  std::vector<std::string> files;
  bool json = false;
};

ExitCode Validate(const ValidateOptions& o) {
  workflows::RealFileReader files;
  const auto catalog = connectors::BuiltinCatalog();
  boost::json::array results;
  std::size_t errors = 0;
  Diagnostics all;  // for the summary line
  for (const std::string& f : o.files) {
    LoadedPlaybook lp = workflows::LoadAndValidate(files, catalog, f);
    errors += lp.diags.ErrorCount();
    all.Append(lp.diags);
    if (o.json) {
      boost::json::array diags;
      for (const auto& d : lp.diags.items()) {
        boost::json::value j = boost::json::parse(workflows::RenderJson(d));
        const std::string link = workflows::ReferenceLink(d.path, d.message);
        if (!link.empty()) j.as_object()["reference"] = link;
        diags.push_back(std::move(j));
      }
      results.push_back({{"file", f}, {"valid", !lp.diags.HasErrors()}, {"diagnostics", std::move(diags)}});
      continue;
    }
    for (const auto& d : lp.diags.items()) {
      std::cerr << workflows::Render(d);
      // Where the rule is explained (the language reference's anchored heading for the key path).
      if (const std::string link = workflows::ReferenceLink(d.path, d.message); !link.empty())
        std::cerr << "  see " << link << "\n";
    }
    if (!lp.diags.HasErrors()) {
      std::cout << f << ": ok (" << lp.pb.tasks.size() << (lp.pb.tasks.size() == 1 ? " task)\n" : " tasks)\n");
    }
  }
  if (o.json) {
    std::cout << boost::json::serialize(boost::json::object{{"valid", errors == 0}, {"files", std::move(results)}})
              << "\n";
  } else if (errors > 0) {
    std::cerr << SummaryLine(all) << "\n";
  }
  return errors == 0 ? ExitCode::kOk : ExitCode::kUsage;
}

struct GraphOptions {
  std::string file;
  std::string format = "text";
};

// Loads and validates `path`; on any error prints the diagnostics and returns nullopt.
std::optional<LoadedPlaybook> LoadValid(workflows::FileReader& files, const std::string& path) {
  const auto catalog = connectors::BuiltinCatalog();
  LoadedPlaybook lp = workflows::LoadAndValidate(files, catalog, path);
  if (lp.diags.HasErrors() || !lp.graph) {
    PrintDiagnostics(lp.diags, std::cerr);
    return std::nullopt;
  }
  return lp;
}

ExitCode Graph(const GraphOptions& o) {
  workflows::RealFileReader files;
  auto loaded = LoadValid(files, o.file);
  if (!loaded) return ExitCode::kUsage;
  const LoadedPlaybook& lp = *loaded;
  if (o.format == "dot") {
    std::cout << workflows::GraphToDot(lp.pb, *lp.graph);
  } else if (o.format == "mermaid") {
    std::cout << workflows::GraphToMermaid(lp.pb, *lp.graph);
  } else {
    std::cout << workflows::GraphToText(lp.pb, *lp.graph);
  }
  return ExitCode::kOk;
}

struct PlanOptions {
  std::string file;
  std::vector<std::string> inputs;
  std::vector<std::string> sets;
  std::string db;  // where history.last reads earlier runs
  bool json = false;
};

// Text form of a previewed value: scalars inline, run-time values as "<at run time: {{ .. }}>".
std::string Show(const Value& v) {
  if (v.IsMap() && v.AsMap().size() == 1 && v.AsMap().Contains(workflows::kAtRunTime)) {
    return "<at run time: " + v.AsMap().Find(workflows::kAtRunTime)->AsString() + ">";
  }
  if (v.IsString()) return v.ToJson();
  if (v.IsList()) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.AsList().size(); ++i) out += (i ? ", " : "") + Show(v.AsList()[i]);
    return out + "]";
  }
  if (v.IsMap()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [k, item] : v.AsMap()) {
      out += (first ? "" : ", ") + k + ": " + Show(item);
      first = false;
    }
    return out + "}";
  }
  return v.ToJson();
}

void PrintArgs(const Value& with, const std::string& indent) {
  if (!with.IsMap()) return;
  for (const auto& [k, v] : with.AsMap()) std::cout << indent << k << ": " << Show(v) << "\n";
}

void PrintTask(const Value& task, std::size_t n) {
  const Map& t = task.AsMap();
  std::cout << "  " << n << ". " << t.Find("id")->AsString() << "  " << t.Find("uses")->AsString();
  const List& needs = t.Find("needs")->AsList();
  if (!needs.empty()) {
    std::cout << "  (needs";
    for (const Value& x : needs) std::cout << " " << x.AsString();
    std::cout << ")";
  }
  std::cout << "\n";
  if (const Value* when = t.Find("when")) {
    std::cout << "       when " << when->AsMap().Find("template")->AsString() << " -> "
              << Show(*when->AsMap().Find("value")) << "\n";
  }
  if (const Value* fe = t.Find("for_each")) {
    const Value& items = *fe->AsMap().Find("items");
    if (const Value* count = fe->AsMap().Find("count")) {
      std::cout << "       for each of " << count->AsInt() << " items:\n";
      for (const Value& entry : items.AsList()) {
        std::cout << "         - item " << Show(*entry.AsMap().Find("item")) << "\n";
        PrintArgs(*entry.AsMap().Find("with"), "             ");
      }
    } else {
      std::cout << "       for each of " << Show(items) << "\n";
    }
  }
  if (const Value* with = t.Find("with")) PrintArgs(*with, "       ");
  if (const Value* comp = t.Find("compensate")) {
    std::cout << "       compensate: " << comp->AsMap().Find("uses")->AsString() << " "
              << Show(*comp->AsMap().Find("with")) << "\n";
  }
}

void PrintPlan(const Value& plan) {
  const Map& p = plan.AsMap();
  std::cout << "playbook " << p.Find("playbook")->AsString();
  if (!p.Find("description")->AsString().empty()) std::cout << ": " << p.Find("description")->AsString();
  std::cout << "\ninputs:\n";
  for (const auto& [k, v] : p.Find("inputs")->AsMap()) std::cout << "  " << k << " = " << Show(v) << "\n";
  if (!p.Find("vars")->AsMap().empty()) {
    std::cout << "vars:\n";
    for (const auto& [k, v] : p.Find("vars")->AsMap()) std::cout << "  " << k << " = " << Show(v) << "\n";
  }
  if (const Value* history = p.Find("history")) {
    std::cout << "history (read once when the run starts, kept with the run):\n";
    for (const Value& h : history->AsList()) {
      const Map& m = h.AsMap();
      const Value& run = *m.Find("run");
      std::cout << "  " << m.Find("lookup")->AsString() << " -> ";
      if (run.IsNull()) {
        std::cout << "none\n";
      } else if (run.AsMap().Contains(workflows::kAtRunTime)) {
        std::cout << "read when the run starts\n";
      } else {
        const Value* finished = run.AsMap().Find("finished_at");
        std::cout << "run " << run.AsMap().Find("id")->ToText() << " (" << run.AsMap().Find("status")->ToText()
                  << (finished != nullptr && !finished->IsNull() ? ", finished " + finished->ToText() : std::string())
                  << ")\n";
      }
    }
  }
  std::cout << "connections:\n";
  for (const Value& c : p.Find("connections")->AsList()) {
    std::cout << "  " << c.AsMap().Find("name")->AsString() << " (" << c.AsMap().Find("connector")->AsString()
              << ") " << Show(*c.AsMap().Find("config")) << "\n";
  }
  const List& tasks = p.Find("tasks")->AsList();
  std::cout << "tasks, in order (" << tasks.size() << "):\n";
  for (std::size_t i = 0; i < tasks.size(); ++i) PrintTask(tasks[i], i + 1);
  std::cout << "on failure: " << p.Find("on_failure")->AsString() << "\nnothing was changed (plan only)\n";
}

ExitCode Plan(const PlanOptions& o) {
  workflows::RealFileReader files;
  auto loaded = LoadValid(files, o.file);
  if (!loaded) return ExitCode::kUsage;
  const LoadedPlaybook& lp = *loaded;
  Diagnostics diags;
  const Value plan = PrepareRun(files, connectors::BuiltinCatalog(), lp, o.file, o.inputs, o.sets, diags,
                                DatabaseHistoryReader(engine::DefaultDbPath(o.db)))
                         .preview;
  if (diags.HasErrors()) {
    PrintDiagnostics(diags, std::cerr);
    return ExitCode::kUsage;
  }
  if (o.json) {
    std::cout << plan.ToJson() << "\n";
  } else {
    PrintPlan(plan);
  }
  return ExitCode::kOk;
}

struct ConnectorsOptions {
  std::string name;
  std::string action;  // connectors show NAME ACTION
  bool markdown = false;
  bool snippet = false;  // connectors show NAME ACTION --snippet
  bool json = false;
};

boost::json::array ArgsJson(const std::vector<workflows::ArgSpec>& args) {
  boost::json::array out;
  for (const auto& a : args) {
    out.push_back({{"name", a.name},
                   {"type", workflows::ArgTypeName(a.type)},
                   {"required", a.required},
                   {"secret", a.secret},
                   {"description", a.description}});
  }
  return out;
}

// An action as `connectors show NAME ACTION --json` prints it ("" fields as null).
boost::json::object ActionJson(const workflows::ActionSpec& a) {
  const auto text_or_null = [](const std::string& s) {
    return s.empty() ? boost::json::value() : boost::json::value(s);
  };
  boost::json::array one_of;
  for (const auto& group : a.one_of) one_of.push_back(boost::json::value_from(group));
  boost::json::array results;
  for (const auto& r : a.results) results.push_back({{"name", r.name}, {"description", r.description}});
  return {{"name", a.name},
          {"description", a.description},
          {"arguments", ArgsJson(a.args)},
          {"one_of", one_of},
          {"results", results},
          {"idempotent", a.idempotent},
          {"read_only", a.read_only},
          {"undo", text_or_null(a.undo)},
          {"read_back", text_or_null(a.read_back)},
          {"pre_state", text_or_null(a.pre_state)},
          {"restore", text_or_null(a.restore)}};
}

boost::json::object ConnectorJson(const workflows::ConnectorSpec& c) {
  boost::json::array actions;
  for (const auto& a : c.actions) actions.push_back(ActionJson(a));
  return {{"name", c.name},
          {"description", c.description},
          {"builtin_connection", c.builtin_connection},
          {"default_rate", c.default_rate.empty() ? boost::json::value() : boost::json::value(c.default_rate)},
          {"settings", ArgsJson(c.config)},
          {"actions", actions}};
}

// A placeholder a snippet gives an argument of type `t`: valid for validation, obviously to edit.
std::string Placeholder(workflows::ArgType t) {
  switch (t) {
    case workflows::ArgType::kInt: return "1";
    case workflows::ArgType::kBool: return "true";
    case workflows::ArgType::kList: return "[]";
    case workflows::ArgType::kMap: return "{}";
    case workflows::ArgType::kDuration: return "1h";
    case workflows::ArgType::kString:
    case workflows::ArgType::kAny: break;
  }
  return "\"CHANGE-ME\"";
}

// A task to paste under `tasks:`: the required arguments (and the first of each one-of group) with
// placeholders, the optional ones as comments.
void PrintSnippet(const workflows::ConnectorSpec& c, const workflows::ActionSpec& a) {
  if (!c.builtin_connection) {
    std::cout << "# Needs a connection named " << c.name << " (connections: { " << c.name << ": { connector: " << c.name
              << ", ... } }); see: tenure connectors show " << c.name << "\n";
  }
  std::cout << "# Paste under `tasks:` and replace the placeholders.\n"
            << a.name << ":\n  uses: " << c.name << "." << a.name << "\n";
  std::vector<const workflows::ArgSpec*> given;
  std::vector<const workflows::ArgSpec*> optional;
  for (const auto& arg : a.args) {
    bool first_of_group = false;
    for (const auto& g : a.one_of) first_of_group = first_of_group || (!g.empty() && g.front() == arg.name);
    (arg.required || first_of_group ? given : optional).push_back(&arg);
  }
  if (!given.empty() || !optional.empty()) std::cout << "  with:\n";
  for (const auto* arg : given) {
    std::cout << "    " << arg->name << ": " << Placeholder(arg->type) << "  # "
              << (arg->required ? "required" : "one of") << ", " << workflows::ArgTypeName(arg->type) << ": "
              << arg->description << "\n";
  }
  for (const auto* arg : optional) {
    std::cout << "    # " << arg->name << ": " << Placeholder(arg->type) << "  # optional, "
              << workflows::ArgTypeName(arg->type) << ": " << arg->description << "\n";
  }
  if (!a.undo.empty()) {
    std::cout << "  # compensate: { uses: " << c.name << "." << a.undo << ", with: { ... } }  # undoes it\n";
  }
}

void PrintAction(const workflows::ActionSpec& a, bool md) {
  if (md) {
    std::cout << "\n### `" << a.name << "`\n\n" << a.description << ".";
    if (!a.undo.empty()) std::cout << " Undone by `" << a.undo << "`.";
    std::cout << (a.idempotent ? " Idempotent." : " Not idempotent by itself (carries the idempotency key).")
              << "\n\n| argument | type | required | description |\n|---|---|---|---|\n";
    for (const auto& arg : a.args) {
      std::cout << "| `" << arg.name << "` | " << workflows::ArgTypeName(arg.type) << " | "
                << (arg.required ? "yes" : "no") << " | " << arg.description << " |\n";
    }
    for (const auto& g : a.one_of) {
      std::cout << "\nAt least one of:";
      for (const auto& n : g) std::cout << " `" << n << "`";
      std::cout << ".\n";
    }
    if (!a.results.empty()) {
      std::cout << "\nResult fields:";
      for (const auto& r : a.results) std::cout << " `" << r.name << "` (" << r.description << ");";
      std::cout << "\n";
    }
    if (!a.pre_state.empty()) std::cout << "\nPre-state (recorded before it acts, as `pre_state`): " << a.pre_state << ".\n";
    if (!a.read_back.empty()) {
      std::cout << "\nRead-back (`verify`, on by default; recorded as `read_back`): " << a.read_back << ".\n";
    }
    if (!a.restore.empty()) std::cout << "\nRestored by `tenure restore` with `" << a.restore << "`.\n";
    return;
  }
  std::cout << "  " << a.name << ": " << a.description << "\n";
  if (!a.pre_state.empty()) std::cout << "      pre-state: " << a.pre_state << "\n";
  if (!a.read_back.empty()) std::cout << "      read-back (verify): " << a.read_back << "\n";
  if (!a.restore.empty()) std::cout << "      restore: " << a.restore << "\n";
  for (const auto& arg : a.args) {
    std::cout << "      " << arg.name << (arg.required ? " (required" : " (optional") << ", "
              << workflows::ArgTypeName(arg.type) << "): " << arg.description << "\n";
  }
  for (const auto& g : a.one_of) {
    std::cout << "      at least one of:";
    for (const auto& n : g) std::cout << " " << n;
    std::cout << "\n";
  }
  if (!a.results.empty()) {
    std::cout << "    result:\n";
    for (const auto& r : a.results) std::cout << "      " << r.name << ": " << r.description << "\n";
  }
  std::cout << "    " << (a.idempotent ? "idempotent" : "not idempotent by itself (carries the idempotency key)")
            << (a.undo.empty() ? "" : "; undone by " + a.undo) << (a.read_only ? "; read-only" : "") << "\n";
}

void PrintConnector(const workflows::ConnectorSpec& c, bool md) {
  if (md) {
    std::cout << "\n## `" << c.name << "`\n\n" << c.description << ".\n";
    if (!c.config.empty()) {
      std::cout << "\nConnection settings (besides `connector`, `rate`, `max_in_flight`, `description`):\n\n"
                << "| key | type | required | description |\n|---|---|---|---|\n";
      for (const auto& a : c.config) {
        std::cout << "| `" << a.name << "` | " << (a.secret ? "secret reference" : workflows::ArgTypeName(a.type))
                  << " | " << (a.required ? "yes" : "no") << " | " << a.description << " |\n";
      }
    }
    if (!c.default_rate.empty()) {
      std::cout << "\nDefault `rate` (when the connection sets none): " << c.default_rate << ".\n";
    }
    if (!c.notes.empty()) std::cout << "\n" << c.notes << "\n";
    for (const auto& a : c.actions) PrintAction(a, md);
    return;
  }
  std::cout << c.name << ": " << c.description << "\n";
  if (!c.config.empty()) {
    std::cout << "connection settings:\n";
    for (const auto& a : c.config) {
      std::cout << "  " << a.name << (a.required ? " (required)" : "") << (a.secret ? " (secret reference)" : "")
                << ": " << a.description << "\n";
    }
  }
  std::cout << "actions:\n";
  for (const auto& a : c.actions) PrintAction(a, md);
}

ExitCode Connectors(const ConnectorsOptions& o) {
  const auto catalog = connectors::BuiltinCatalog();
  if (!o.name.empty()) {
    const auto* c = catalog.Find(o.name);
    if (c == nullptr) {
      std::cerr << "tenure: unknown connector '" << o.name << "'; run 'tenure connectors' for the list\n";
      return ExitCode::kUsage;
    }
    if (o.json && o.snippet) {
      std::cerr << "tenure connectors show: --json and --snippet exclude each other\n";
      return ExitCode::kUsage;
    }
    if (o.action.empty()) {
      if (o.json) {
        std::cout << boost::json::serialize(ConnectorJson(*c)) << "\n";
        return ExitCode::kOk;
      }
      if (o.snippet) {
        std::cerr << "tenure connectors show: --snippet needs an action, e.g. tenure connectors show " << o.name << " "
                  << (c->actions.empty() ? "ACTION" : c->actions.front().name) << " --snippet\n";
        return ExitCode::kUsage;
      }
      PrintConnector(*c, o.markdown);
      return ExitCode::kOk;
    }
    const auto* a = c->FindAction(o.action);
    if (a == nullptr) {
      std::cerr << "tenure: connector '" << o.name << "' has no action '" << o.action << "'; its actions:";
      for (const auto& x : c->actions) std::cerr << " " << x.name;
      std::cerr << "\n";
      return ExitCode::kUsage;
    }
    if (o.json) {
      boost::json::object out = ActionJson(*a);
      out["connector"] = c->name;
      std::cout << boost::json::serialize(out) << "\n";
    } else if (o.snippet) {
      PrintSnippet(*c, *a);
    } else {
      if (!o.markdown) std::cout << c->name << "." << a->name << "\n";
      PrintAction(*a, o.markdown);
    }
    return ExitCode::kOk;
  }
  if (o.json) {
    boost::json::array all;
    for (const auto& c : catalog.all()) all.push_back(ConnectorJson(c));
    std::cout << boost::json::serialize(boost::json::object{{"connectors", std::move(all)}}) << "\n";
    return ExitCode::kOk;
  }
  if (o.markdown) {
    std::cout << "# Connector reference\n\nGenerated by `tenure connectors --markdown`; do not edit by hand.\n";
    for (const auto& c : catalog.all()) PrintConnector(c, true);
    return ExitCode::kOk;
  }
  for (const auto& c : catalog.all()) {
    std::cout << "  " << c.name << std::string(c.name.size() < 8 ? 8 - c.name.size() : 1, ' ') << c.description
              << (c.builtin_connection ? " (built-in connection)" : "") << "\n";
  }
  std::cout << "Run 'tenure connectors show NAME' for a connector's settings and actions.\n";
  return ExitCode::kOk;
}

}  // namespace

void RegisterPlaybookCommands(CLI::App& app, ExitCode* exit_code) {
  auto validate = std::make_shared<ValidateOptions>();
  auto* v = app.add_subcommand("validate", "Check playbooks; print every problem with its file:line:col");
  v->add_option("files", validate->files, "Playbook files")->required()->check(CLI::ExistingFile);
  v->add_flag("--json", validate->json, "Print the result as JSON (for editors and CI)");
  v->footer("Exit 0 when every file is valid, 2 otherwise.\nExamples:\n  tenure validate examples/onboarding.yaml\n"
            "  tenure validate --json playbooks/*.yaml");
  v->callback([validate, exit_code] { *exit_code = Validate(*validate); });

  auto graph = std::make_shared<GraphOptions>();
  auto* g = app.add_subcommand("graph", "Print a playbook's task graph");
  g->add_option("file", graph->file, "Playbook file")->required()->check(CLI::ExistingFile);
  g->add_option("--format", graph->format, "text, dot (Graphviz) or mermaid")
      ->check(CLI::IsMember({"text", "dot", "mermaid"}));
  g->footer("Examples:\n  tenure graph examples/onboarding.yaml\n"
            "  tenure graph examples/onboarding.yaml --format dot | dot -Tsvg > onboarding.svg");
  g->callback([graph, exit_code] { *exit_code = Graph(*graph); });

  auto plan = std::make_shared<PlanOptions>();
  auto* p = app.add_subcommand("plan", "Show what a run would do with these inputs; changes nothing");
  p->add_option("file", plan->file, "Playbook file")->required()->check(CLI::ExistingFile);
  p->add_option("--input,-i", plan->inputs, "YAML or JSON file of input values (repeatable)");
  p->add_option("--set,-s", plan->sets, "One input value, name=value (repeatable; overrides --input)");
  p->add_flag("--json", plan->json, "Print the plan as JSON");
  p->add_option("--db", plan->db, "State database history.last reads (default: $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db); never created");
  p->footer("Exit 0 when the playbook and inputs are valid, 2 otherwise.\nExamples:\n"
            "  tenure plan examples/onboarding.yaml --input examples/inputs/jane.yaml\n"
            "  tenure plan examples/onboarding.yaml --set first_name=Jane --set last_name=Doe \\\n"
            "      --set email=jane.doe@example.com --set start_date=2026-12-01");
  p->callback([plan, exit_code] { *exit_code = Plan(*plan); });

  auto conn = std::make_shared<ConnectorsOptions>();
  auto* c = app.add_subcommand("connectors", "List connector types, their settings and actions");
  c->add_flag("--markdown", conn->markdown, "Print the reference as Markdown (docs/connectors.md)");
  c->add_flag("--json", conn->json, "Print every connector, its settings and actions (with result fields) as JSON");
  auto* show = c->add_subcommand("show", "Show one connector's settings and actions");
  show->add_option("name", conn->name, "Connector type, e.g. scim")->required();
  show->add_option("action", conn->action, "Only this action: its arguments, result fields, undo");
  show->add_flag("--markdown", conn->markdown, "Print as Markdown");
  show->add_flag("--snippet", conn->snippet, "With an action: print a task to paste into a playbook");
  show->add_flag("--json", conn->json, "Print the connector (or the action) as JSON");
  show->footer("Exit codes: 0 shown, 2 unknown connector or action.");
  c->footer("Examples:\n  tenure connectors\n  tenure connectors show scim\n  tenure connectors show scim ensure_user\n"
            "  tenure connectors show scim ensure_user --snippet\n  tenure connectors show scim ensure_user --json\n"
            "Exit codes: 0 shown, 2 unknown connector or action.");
  c->callback([conn, exit_code] { *exit_code = Connectors(*conn); });
}

}  // namespace tenure::cli
