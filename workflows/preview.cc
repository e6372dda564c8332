#include "workflows/preview.h"

#include <set>

#include "workflows/expr.h"
#include "workflows/history.h"
#include "workflows/loader.h"
#include "workflows/render.h"
#include "workflows/secret_ref.h"
#include "workflows/validate.h"

namespace tenure::workflows {
namespace {

constexpr std::size_t kMaxItemsShown = 50;

Value AtRunTime(const std::string& text) {
  Map m;
  m.Set(std::string(kAtRunTime), Value(text));
  return Value(std::move(m));
}

// What a template needs that does not exist before the run.
struct Unknowns {
  std::set<std::string> vars;  // unresolved vars
  bool item_known = false;     // rendering one for_each item
};

bool NeedsRunTime(const Template& tpl, const Unknowns& u) {
  for (const Reference& r : tpl.References()) {
    const std::string& root = r.path[0];
    if (root == "tasks" || root == "run" || root == "now" || root == "result") return true;
    if ((root == "item" || root == "index") && !u.item_known) return true;
    if (root == "vars" && r.path.size() > 1 && u.vars.count(r.path[1])) return true;
  }
  return false;
}

class Previewer {
 public:
  Previewer(const Playbook& pb, const TaskGraph& graph, const Map& inputs, Diagnostics& diags,
            const PreviewOptions& options)
      : pb_(pb), graph_(graph), inputs_(inputs), diags_(diags), check_(options.check), options_(options) {}

  Value Run() {
    const Value* history = options_.history ? &*options_.history : nullptr;
    auto vars = RenderVars(pb_, inputs_, Map(), &unknowns_.vars, history);
    if (!vars) Report(pb_.where, "vars", vars.error().message);
    vars_ = vars ? *vars : Map();
    Map out;
    out.Set("playbook", Value(pb_.name));
    out.Set("description", Value(pb_.description));
    out.Set("on_failure", Value(pb_.on_failure == RunFailurePolicy::kCompensate ? "compensate" : "fail"));
    out.Set("inputs", Value(inputs_));
    out.Set("vars", VarsValue());
    if (UsesHistory(pb_)) out.Set("history", HistoryValue());
    out.Set("connections", Connections());
    List tasks;
    for (TaskId id : graph_.TopologicalOrder()) tasks.push_back(TaskValue(pb_.tasks[Index(id)]));
    out.Set("tasks", Value(std::move(tasks)));
    return Value(std::move(out));
  }

 private:
  void Report(const SourceLocation& where, const std::string& path, const std::string& message) {
    diags_.Error(where, path, message);
  }

  Value VarsValue() const {
    Map m;
    for (const VarSpec& v : pb_.vars) {
      const Value* resolved = vars_.Find(v.name);
      m.Set(v.name, resolved != nullptr ? Mask(*resolved) : AtRunTime(v.value.scalar));
    }
    return Value(std::move(m));
  }

  Value Connections() const {
    List list;
    for (const ConnectionSpec& c : pb_.connections) {
      if (c.builtin) continue;
      Map m;
      m.Set("name", Value(c.name));
      m.Set("connector", Value(c.connector));
      if (!c.rate_text.empty()) m.Set("rate", Value(c.rate_text));
      if (c.max_in_flight > 0) m.Set("max_in_flight", Value(c.max_in_flight));
      m.Set("config", ConfigValue(c));
      list.push_back(Value(std::move(m)));
    }
    return Value(std::move(list));
  }

  // A connection's settings: credentials as "***", the others as they are (a reference resolved
  // when options_.resolve can). Without a catalog every reference is masked.
  Value ConfigValue(const ConnectionSpec& c) const {
    const ConnectorSpec* spec = options_.catalog != nullptr ? options_.catalog->Find(c.connector) : nullptr;
    if (spec == nullptr) return Mask(ToValue(c.config));
    Map m;
    for (const YamlEntry& e : c.config.entries) {
      if (spec->IsCredential(e.key.scalar, "", false)) {
        m.Set(e.key.scalar, Value("***"));
      } else if (e.value.IsMap()) {
        Map inner;
        for (const YamlEntry& i : e.value.entries) {
          const bool reference = i.value.IsScalar() && MentionsSecret(i.value.scalar);
          inner.Set(i.key.scalar, spec->IsCredential(e.key.scalar, i.key.scalar, reference) ? Value("***") : Shown(i.value));
        }
        m.Set(e.key.scalar, Value(std::move(inner)));
      } else {
        m.Set(e.key.scalar, Shown(e.value));
      }
    }
    return Value(std::move(m));
  }

  // A non-credential setting: its value, with references resolved when that is possible.
  Value Shown(const YamlNode& n) const {
    if (!n.IsScalar() || !MentionsSecret(n.scalar)) return ToValue(n);
    if (options_.resolve) {
      if (auto v = options_.resolve(n.scalar)) return Value(*v);
    }
    return Value(n.scalar);
  }

  // Secrets never show: any string holding a ${...} reference becomes "***".
  static Value Mask(const Value& v) {
    switch (v.kind()) {
      case Value::Kind::kString: return MentionsSecret(v.AsString()) ? Value("***") : v;
      case Value::Kind::kList: {
        List l;
        for (const Value& item : v.AsList()) l.push_back(Mask(item));
        return Value(std::move(l));
      }
      case Value::Kind::kMap: {
        Map m;
        for (const auto& [k, item] : v.AsMap()) m.Set(k, Mask(item));
        return Value(std::move(m));
      }
      default: return v;
    }
  }

  // What each history.last lookup would read: a summary of the run, null for none.
  Value HistoryValue() {
    List out;
    auto lookups = HistoryLookups(pb_, inputs_);
    if (!lookups) {
      Report(pb_.where, "history", lookups.error().message + " (with these inputs)");
      return Value(std::move(out));
    }
    for (const HistoryKey& k : *lookups) {
      Map m;
      m.Set("lookup", Value(k.Describe()));
      m.Set("playbook", Value(k.playbook));
      m.Set("key", Value(k.key));
      const Value* run = options_.history ? FindHistory(*options_.history, k) : nullptr;
      if (run == nullptr) {
        m.Set("run", AtRunTime(k.Describe()));
      } else if (run->IsMap()) {
        Map summary;
        for (const char* field : {"id", "status", "finished_at"}) {
          if (const Value* v = run->AsMap().Find(field)) summary.Set(field, *v);
        }
        m.Set("run", Value(std::move(summary)));
      } else {
        m.Set("run", Value());
      }
      out.push_back(Value(std::move(m)));
    }
    return Value(std::move(out));
  }

  // The scope of a task's templates before the run: inputs and vars (or params), item/index.
  MapScope ScopeFor(const TaskSpec& t, const Value* item, std::int64_t index) {
    Map roots;
    roots.Set("calendars", Value(pb_.calendars));
    if (options_.history) roots.Set("history", *options_.history);
    if (t.include < 0) {
      roots.Set("inputs", Value(inputs_));
      roots.Set("vars", Value(vars_));
    } else {
      roots.Set("params", ParamsFor(t.include));
    }
    if (item != nullptr) {
      roots.Set("item", *item);
      roots.Set("index", Value(index));
    }
    return MapScope(std::move(roots));
  }

  Value ParamsFor(int include) {
    const IncludeSpec& inc = pb_.includes[static_cast<std::size_t>(include)];
    Map parent;
    parent.Set("calendars", Value(pb_.calendars));
    if (options_.history) parent.Set("history", *options_.history);
    if (inc.parent < 0) {
      parent.Set("inputs", Value(inputs_));
      parent.Set("vars", Value(vars_));
    } else {
      parent.Set("params", ParamsFor(inc.parent));
    }
    auto params = RenderParams(pb_, include, MapScope(std::move(parent)));
    return params ? Value(std::move(*params)) : Value(Map());
  }

  // Renders `node` as far as possible; unresolvable templates become {"at_run_time": text}.
  Value Render(const YamlNode& node, const MapScope& scope, const std::string& path) {
    switch (node.kind) {
      case YamlNode::Kind::kScalar: return RenderScalar(node, scope, path);
      case YamlNode::Kind::kSequence: {
        List l;
        for (const YamlNode& item : node.items) l.push_back(Render(item, scope, path));
        return Value(std::move(l));
      }
      case YamlNode::Kind::kMap: {
        Map m;
        for (const YamlEntry& e : node.entries) m.Set(e.key.scalar, Render(e.value, scope, path + "." + e.key.scalar));
        return Value(std::move(m));
      }
      case YamlNode::Kind::kNull: return Value();
    }
    return Value();
  }

  Value RenderScalar(const YamlNode& node, const MapScope& scope, const std::string& path) {
    if (MentionsSecret(node.scalar)) return Value("***");
    if (node.scalar.find("{{") == std::string::npos) return ToValue(node);
    auto tpl = Template::Parse(node.scalar);
    if (!tpl || NeedsRunTime(*tpl, unknowns_)) return AtRunTime(node.scalar);
    auto v = tpl->Render(scope);
    if (v) return *v;
    if (v.error().Is(Errc::kUnresolved)) return AtRunTime(node.scalar);
    Report(node.where, path, v.error().message + " (with these inputs)");
    return AtRunTime(node.scalar);
  }

  Value TaskValue(const TaskSpec& t) {
    const std::string path = "tasks." + t.id;
    Map m;
    m.Set("id", Value(t.id));
    m.Set("uses", Value(t.call.Uses()));
    if (!t.description.empty()) m.Set("description", Value(t.description));
    List needs;
    for (const std::string& n : t.needs) needs.push_back(Value(n));
    m.Set("needs", Value(std::move(needs)));
    unknowns_.item_known = false;
    MapScope scope = ScopeFor(t, nullptr, 0);
    if (t.when) m.Set("when", WhenValue(*t.when, scope, path + ".when"));
    // A task whose `when` is already known to be false will not run: nothing of it to check.
    const Value* when = m.Find("when");
    skip_checks_ = when != nullptr && when->AsMap().Find("value")->IsBool() && !when->AsMap().Find("value")->AsBool();
    if (t.for_each) {
      AddFanOut(t, m, scope, path);
    } else {
      m.Set("with", CheckedArgs(t.call, scope, path + ".with"));
    }
    Map retry;
    retry.Set("attempts", Value(t.retry.attempts));
    retry.Set("backoff", Value(FormatDuration(t.retry.backoff)));
    retry.Set("max_backoff", Value(FormatDuration(t.retry.max_backoff)));
    m.Set("retry", Value(std::move(retry)));
    m.Set("timeout", Value(FormatDuration(t.timeout)));
    m.Set("on_failure", Value(t.on_failure == TaskFailurePolicy::kContinue ? "continue" : "fail"));
    if (t.compensate) {
      Map c;
      c.Set("uses", Value(t.compensate->Uses()));
      c.Set("with", CheckedArgs(*t.compensate, scope, path + ".compensate.with"));
      m.Set("compensate", Value(std::move(c)));
    }
    return Value(std::move(m));
  }

  // The call's arguments rendered as far as possible, checked as the run would check them when
  // all of them are known.
  Value CheckedArgs(const ActionCall& call, const MapScope& scope, const std::string& path) {
    Value args = Render(call.with, scope, path);
    const ConnectionSpec* conn = pb_.FindConnection(call.connection);
    if (!check_ || skip_checks_ || conn == nullptr || HasRunTimePart(args)) return args;
    if (auto problem = check_(conn->connector, call.action, args.IsNull() ? Value(Map()) : args, path)) {
      const YamlNode* at = call.with.IsMap() && !problem->arg.empty() ? call.with.Find(problem->arg) : nullptr;
      const SourceLocation& where = at != nullptr ? at->where : call.with.IsMap() ? call.with.where : call.where;
      Report(where, problem->arg.empty() ? path : path + "." + problem->arg, problem->message);
    }
    return args;
  }

  static bool HasRunTimePart(const Value& v) {
    if (v.IsList()) {
      for (const Value& item : v.AsList()) {
        if (HasRunTimePart(item)) return true;
      }
    } else if (v.IsMap()) {
      if (v.AsMap().Contains(kAtRunTime)) return true;
      for (const auto& [k, item] : v.AsMap()) {
        if (HasRunTimePart(item)) return true;
      }
    }
    return false;
  }

  Value WhenValue(const YamlNode& when, const MapScope& scope, const std::string& path) {
    Map w;
    w.Set("template", Value(when.scalar));
    Value v = Render(when, scope, path);
    w.Set("value", v.IsMap() && v.AsMap().Contains(kAtRunTime) ? v : Value(v.Truthy()));
    return Value(std::move(w));
  }

  void AddFanOut(const TaskSpec& t, Map& m, const MapScope& scope, const std::string& path) {
    Value items = Render(*t.for_each, scope, path + ".for_each");
    if (!items.IsList()) {
      if (!(items.IsMap() && items.AsMap().Contains(kAtRunTime))) {
        Report(t.for_each->where, path + ".for_each",
               std::string("for_each must yield a list, got ") + items.KindName() + " (with these inputs)");
      }
      Map f;
      f.Set("items", items);
      m.Set("for_each", Value(std::move(f)));
      m.Set("with", Render(t.call.with, scope, path + ".with"));
      return;
    }
    List per_item;
    const List& list = items.AsList();
    for (std::size_t i = 0; i < list.size() && i < kMaxItemsShown; ++i) {
      unknowns_.item_known = !(list[i].IsMap() && list[i].AsMap().Contains(kAtRunTime));
      MapScope item_scope = ScopeFor(t, &list[i], static_cast<std::int64_t>(i));
      Map entry;
      entry.Set("item", list[i]);
      if (t.item_when) entry.Set("when", WhenValue(*t.item_when, item_scope, path + ".item_when"));
      entry.Set("with", CheckedArgs(t.call, item_scope, path + ".with"));
      per_item.push_back(Value(std::move(entry)));
    }
    unknowns_.item_known = false;
    Map f;
    f.Set("count", Value(static_cast<std::int64_t>(list.size())));
    f.Set("items", Value(std::move(per_item)));
    m.Set("for_each", Value(std::move(f)));
  }

  const Playbook& pb_;
  const TaskGraph& graph_;
  const Map& inputs_;
  Diagnostics& diags_;
  const ArgCheck& check_;
  const PreviewOptions& options_;
  bool skip_checks_ = false;  // the task at hand will not run (its `when` is false)
  Map vars_;
  Unknowns unknowns_;
};

}  // namespace

Value Preview(const Playbook& pb, const TaskGraph& graph, const Map& inputs, Diagnostics& diags,
              const PreviewOptions& options) {
  Diagnostics found;
  Value v = Previewer(pb, graph, inputs, found, options).Run();
  for (Diagnostic d : found.items()) {
    for (const SourceFile& f : pb.sources) {
      if (f.path == d.where.file) AttachExcerpt(d, f.text);
    }
    diags.Add(std::move(d));
  }
  return v;
}

}  // namespace tenure::workflows
