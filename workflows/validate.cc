#include "workflows/validate.h"

#include <algorithm>

#include "workflows/expr.h"
#include "workflows/inputs.h"
#include "workflows/loader.h"
#include "workflows/secret_ref.h"
#include "workflows/suggest.h"

namespace tenure::workflows {
namespace {

std::string Join(std::string_view a, std::string_view b) {
  return a.empty() ? std::string(b) : std::string(a) + "." + std::string(b);
}

// Where a template sits, and so what it may read.
struct Context {
  std::string path;                // field path for diagnostics
  int include = -1;                // scope: -1 = the playbook, else an include index
  const TaskSpec* task = nullptr;  // the task whose field this is, if any
  bool allow_item = false;         // inside a for_each task's with/compensate
  bool allow_result = false;       // inside compensate
  bool allow_tasks = true;         // false in vars
  int var_limit = -1;              // in vars: only vars before this index are visible
  std::shared_ptr<const ExprType> item_type;  // of `item`, when the for_each's items are known
};

class Validator {
 public:
  Validator(const Playbook& pb, const ConnectorCatalog& catalog, Diagnostics& diags)
      : pb_(pb), catalog_(catalog), diags_(diags), sources_(pb) {
    std::vector<std::pair<std::string, ExprType>> fields;
    for (const InputSpec& in : pb_.inputs) fields.emplace_back(in.name, InputExprType(in));
    inputs_type_ = ExprType::MapOf(std::move(fields), false);
    calendars_type_ = ExprType::FromValue(Value(pb_.calendars));
  }

  std::optional<TaskGraph> Run() {
    graph_ = TaskGraph::Build(pb_, diags_);
    for (const ConnectionSpec& c : pb_.connections) CheckConnection(c);
    for (std::size_t i = 0; i < pb_.vars.size(); ++i) {
      Context ctx{Join("vars", pb_.vars[i].name), -1, nullptr, false, false, false, static_cast<int>(i), nullptr};
      CheckTemplates(pb_.vars[i].value, ctx);
      var_types_.push_back(TypeOfNode(pb_.vars[i].value, ctx));
    }
    // start_at / time_zone read inputs and vars only (rendered when a schedule is added).
    const int all_vars = static_cast<int>(pb_.vars.size());
    if (pb_.start_at) CheckTemplates(*pb_.start_at, Context{"start_at", -1, nullptr, false, false, false, all_vars, nullptr});
    if (pb_.time_zone) CheckTemplates(*pb_.time_zone, Context{"time_zone", -1, nullptr, false, false, false, all_vars, nullptr});
    for (std::size_t i = 0; i < pb_.includes.size(); ++i) CheckInclude(static_cast<int>(i));
    for (const TaskSpec& t : pb_.tasks) CheckTask(t);
    AttachExcerpts();
    return std::move(graph_);
  }

 private:
  void Error(const SourceLocation& where, const std::string& path, std::string message) {
    diags_.Error(where, path, std::move(message));
  }

  void AttachExcerpts() {
    Diagnostics fixed;
    for (Diagnostic d : diags_.items()) {
      for (const SourceFile& f : pb_.sources) {
        if (f.path == d.where.file) AttachExcerpt(d, f.text);
      }
      fixed.Add(std::move(d));
    }
    diags_ = std::move(fixed);
  }

  // ---- connections ----

  void CheckConnection(const ConnectionSpec& c) {
    if (c.builtin || c.connector.empty()) return;
    const std::string path = Join("connections", c.name);
    const ConnectorSpec* spec = catalog_.Find(c.connector);
    if (spec == nullptr || spec->builtin_connection) {
      const auto names = catalog_.Names();
      Error(c.connector_where, path + ".connector",
            "unknown connector '" + c.connector + "'" + DidYouMean(c.connector, names) + "; known: " + KnownList(names));
      return;
    }
    std::vector<std::string_view> keys(std::begin(KnownKeys(Section::kConnection)), std::end(KnownKeys(Section::kConnection)));
    for (const ArgSpec& a : spec->config) keys.push_back(a.name);
    for (const YamlEntry& e : c.config.entries) {
      const ArgSpec* arg = spec->FindConfig(e.key.scalar);
      if (arg == nullptr) {
        Error(e.key.where, Join(path, e.key.scalar),
              "unknown key '" + e.key.scalar + "' for a " + c.connector + " connection" + DidYouMean(e.key.scalar, keys));
        continue;
      }
      CheckConfigValue(e.value, *arg, Join(path, e.key.scalar));
    }
    for (const ArgSpec& a : spec->config) {
      if (a.required && c.config.Find(a.name) == nullptr) {
        Error(c.where, Join(path, a.name), "connection '" + c.name + "' needs '" + a.name + "' (" + a.description + ")");
      }
    }
  }

  static std::string KnownList(const std::vector<std::string_view>& names) {
    std::string out;
    for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
    return out;
  }

  void CheckConfigValue(const YamlNode& n, const ArgSpec& arg, const std::string& path) {
    if (n.IsMap()) {
      for (const YamlEntry& e : n.entries) CheckConfigValue(e.value, ArgSpec{e.key.scalar, ArgType::kAny, false, "", arg.secret, false}, path + "." + e.key.scalar);
      return;
    }
    if (!n.IsScalar()) return;
    if (n.scalar.find("{{") != std::string::npos) {
      Error(n.where, path, "connection settings cannot use templates; use ${env:NAME} or ${file:PATH}");
      return;
    }
    auto refs = FindSecretRefs(n.scalar);
    if (!refs) {
      Error(LocateInScalar(sources_, n, refs.error().offset), path, refs.error().message);
      return;
    }
    if (arg.secret && (refs->size() != 1 || refs->front().length != n.scalar.size())) {
      // Never echo the value: it may be the secret itself.
      Error(n.where, path, "'" + arg.name + "' is a secret: write it as ${env:NAME} or ${file:PATH}, not as text");
    }
  }

  // ---- tasks ----

  void CheckTask(const TaskSpec& t) {
    const std::string path = Join("tasks", t.id);
    const bool fan = t.for_each.has_value();
    std::shared_ptr<const ExprType> item;
    if (fan) {
      const Context outer{path + ".for_each", t.include, &t, false, false, true, -1, nullptr};
      const ExprType list = TypeOfNode(*t.for_each, outer);
      item = std::make_shared<const ExprType>(list.item && list.kinds == (1u << static_cast<unsigned>(Value::Kind::kList))
                                                  ? *list.item
                                                  : ExprType::Any());
    }
    CheckCall(t.call, t, path, Context{path + ".with", t.include, &t, fan, false, true, -1, item});
    if (t.when) CheckTemplates(*t.when, Context{path + ".when", t.include, &t, false, false, true, -1, nullptr});
    if (t.item_when) CheckTemplates(*t.item_when, Context{path + ".item_when", t.include, &t, true, false, true, -1, item});
    if (t.until) CheckUntil(t, path, fan, item);
    if (t.verify.value_or(false)) CheckVerify(t, path);
    if (t.for_each) CheckForEach(*t.for_each, Context{path + ".for_each", t.include, &t, false, false, true, -1, nullptr});
    if (t.compensate) {
      CheckCall(*t.compensate, t, path + ".compensate", Context{path + ".compensate.with", t.include, &t, fan, true, true, -1, item});
    }
  }

  // `verify: true` needs a read-back (docs/proof.md).
  void CheckVerify(const TaskSpec& t, const std::string& path) {
    const ConnectionSpec* conn = pb_.FindConnection(t.call.connection);
    const ConnectorSpec* spec = conn != nullptr ? catalog_.Find(conn->connector) : nullptr;
    const ActionSpec* action = spec != nullptr ? spec->FindAction(t.call.action) : nullptr;
    if (action == nullptr || !action->read_back.empty()) return;  // an unknown action is reported with `uses`
    std::string with;
    for (const ActionSpec& a : spec->actions) {
      if (!a.read_back.empty()) with += (with.empty() ? "" : ", ") + a.name;
    }
    Error(t.where, path + ".verify",
          "'verify: true' reads the system back after the action, and " + t.call.Uses() + " has no read-back" +
              (with.empty() ? std::string(" (connector '" + spec->name + "' has none)") : " (actions with one: " + with + ")"));
  }

  // `until` repeats the action: only an action that changes nothing may be repeated.
  void CheckUntil(const TaskSpec& t, const std::string& path, bool fan, const std::shared_ptr<const ExprType>& item) {
    CheckTemplates(t.until->condition, Context{path + ".until.condition", t.include, &t, fan, true, true, -1, item});
    const ConnectionSpec* conn = pb_.FindConnection(t.call.connection);
    const ConnectorSpec* spec = conn != nullptr ? catalog_.Find(conn->connector) : nullptr;
    const ActionSpec* action = spec != nullptr ? spec->FindAction(t.call.action) : nullptr;
    if (action == nullptr || action->read_only) return;  // an unknown action is reported with `uses`
    std::string read_only;
    for (const ActionSpec& a : spec->actions) {
      if (a.read_only) read_only += (read_only.empty() ? "" : ", ") + a.name;
    }
    Error(t.until->where, path + ".until",
          "'until' repeats the action, and " + t.call.Uses() + " changes things; poll a read-only action" +
              (read_only.empty() ? std::string(" (connector '" + spec->name + "' has none)") : " (" + read_only + ")"));
  }

  void CheckForEach(const YamlNode& n, const Context& ctx) {
    if (n.IsScalar() && !(n.scalar.find("{{") != std::string::npos)) {
      Error(n.where, ctx.path, "'for_each' must be a list or an expression yielding a list, like \"{{ inputs.groups }}\"");
      return;
    }
    CheckTemplates(n, ctx);
  }

  void CheckCall(const ActionCall& call, const TaskSpec& t, const std::string& path, const Context& ctx) {
    CheckTemplates(call.with, ctx);
    if (call.connection.empty()) return;  // `uses` itself was malformed; already reported
    const ConnectionSpec* conn = pb_.FindConnection(call.connection);
    if (conn == nullptr) {
      std::vector<std::string_view> names;
      for (const ConnectionSpec& c : pb_.connections) names.push_back(c.name);
      Error(call.where, path + ".uses",
            "unknown connection '" + call.connection + "'" + DidYouMean(call.connection, names) +
                (names.size() > 2 ? "" : " (declare it under 'connections:')"));
      return;
    }
    const ConnectorSpec* spec = catalog_.Find(conn->connector);
    if (spec == nullptr) return;  // unknown connector: reported with the connection
    const ActionSpec* action = spec->FindAction(call.action);
    if (action == nullptr) {
      std::vector<std::string_view> names;
      for (const ActionSpec& a : spec->actions) names.push_back(a.name);
      Error(call.where.Shifted(call.connection.size() + 1), path + ".uses",
            "connector '" + spec->name + "' has no action '" + call.action + "'" + DidYouMean(call.action, names) +
                "; actions: " + KnownList(names));
      return;
    }
    CheckArgs(call, *action, t, path);
    if (spec->name == "manual") CheckApprovers(call, path);
  }

  // Literal approvers must be OS user names (templates are checked when they render: plan, run).
  void CheckApprovers(const ActionCall& call, const std::string& path) {
    const YamlNode* list = call.with.IsMap() ? call.with.Find("approvers") : nullptr;
    if (list == nullptr || !list->IsSequence()) return;
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const YamlNode& item = list->items[i];
      if (!item.IsScalar() || item.scalar.find("{{") != std::string::npos) continue;
      const std::string at = path + ".with.approvers[" + std::to_string(i) + "]";
      if (auto why = WhyNotApprover(item.scalar)) Error(item.where, at, at + ": " + *why);
    }
  }

  void CheckArgs(const ActionCall& call, const ActionSpec& action, const TaskSpec& t, const std::string& path) {
    std::vector<std::string_view> names;
    for (const ArgSpec& a : action.args) names.push_back(a.name);
    for (const YamlEntry& e : call.with.entries) {
      const ArgSpec* arg = action.FindArg(e.key.scalar);
      if (arg == nullptr) {
        Error(e.key.where, path + ".with." + e.key.scalar,
              "unknown argument '" + e.key.scalar + "' for " + call.Uses() + DidYouMean(e.key.scalar, names) +
                  "; arguments: " + KnownList(names));
      } else {
        CheckArgType(e.value, *arg, path + ".with." + e.key.scalar);
      }
    }
    const SourceLocation& where = call.with.IsMap() ? call.with.where : call.where;
    for (const ArgSpec& a : action.args) {
      if (a.required && call.with.Find(a.name) == nullptr) {
        Error(where, path + ".with." + a.name, call.Uses() + " needs argument '" + a.name + "' (" + a.description + ")");
      }
    }
    for (const auto& group : action.one_of) {
      const bool any = std::any_of(group.begin(), group.end(), [&](const std::string& g) { return call.with.Find(g) != nullptr; });
      if (!any) {
        std::string list;
        for (const auto& g : group) list += (list.empty() ? "'" : " or '") + g + "'";
        Error(where, path + ".with", call.Uses() + " needs " + list);
      }
    }
    (void)t;
  }

  void CheckArgType(const YamlNode& n, const ArgSpec& arg, const std::string& path) {
    if (n.IsScalar() && n.scalar.find("{{") != std::string::npos) {
      auto tpl = Template::Parse(n.scalar);
      if (!tpl || tpl->IsSingleExpression() || arg.type == ArgType::kString || arg.type == ArgType::kAny) return;
      Error(n.where, path, "argument '" + arg.name + "' must be " + Article(arg.type) + ", but this template renders text");
      return;
    }
    const Value v = ToValue(n);
    bool ok = true;
    switch (arg.type) {
      case ArgType::kAny: break;
      case ArgType::kString: ok = n.IsScalar(); break;
      case ArgType::kInt: ok = v.IsInt(); break;
      case ArgType::kBool: ok = v.IsBool(); break;
      case ArgType::kList: ok = v.IsList(); break;
      case ArgType::kMap: ok = v.IsMap(); break;
      case ArgType::kDuration: ok = n.IsScalar() && ParseDuration(n.scalar).has_value(); break;
    }
    if (!ok) {
      const std::string got = n.IsScalar() ? "'" + n.scalar + "'" : std::string(n.Describe());
      Error(n.where, path, "argument '" + arg.name + "' must be " + Article(arg.type) + ", got " + got);
    }
  }

  static std::string Article(ArgType t) {
    switch (t) {
      case ArgType::kInt: return "a whole number";
      case ArgType::kBool: return "true or false";
      case ArgType::kList: return "a list";
      case ArgType::kMap: return "a mapping";
      case ArgType::kDuration: return "a duration like 30s, 5m or 7d";
      default: return std::string("a ") + ArgTypeName(t);
    }
  }

  // ---- includes ----

  void CheckInclude(int index) {
    const IncludeSpec& inc = pb_.includes[static_cast<std::size_t>(index)];
    if (inc.unreadable) return;  // its params are unknown; the read or YAML error is reported
    const std::string path = "include." + inc.name;
    std::vector<std::string_view> names;
    for (const InputSpec& p : inc.params) names.push_back(p.name);
    if (!inc.with.IsNull() && !inc.with.IsMap()) {
      Error(inc.with.where, path + ".with", "'with' must be a mapping of parameters, got " + std::string(inc.with.Describe()));
      return;
    }
    for (const YamlEntry& e : inc.with.entries) {
      if (std::find(names.begin(), names.end(), e.key.scalar) == names.end()) {
        Error(e.key.where, path + ".with." + e.key.scalar,
              "unknown parameter '" + e.key.scalar + "' for " + inc.file + DidYouMean(e.key.scalar, names));
      }
      CheckIncludeParamTemplates(e.value, index, path + ".with." + e.key.scalar);
    }
    for (const InputSpec& p : inc.params) {
      if (p.required && inc.with.Find(p.name) == nullptr) {
        Error(inc.where, path + ".with." + p.name, "include '" + inc.name + "' needs parameter '" + p.name + "'");
      }
    }
  }

  // Include parameters are read in the including scope; a task result they read must be
  // upstream of every task of the include.
  void CheckIncludeParamTemplates(const YamlNode& n, int index, const std::string& path) {
    const int parent = pb_.includes[static_cast<std::size_t>(index)].parent;
    bool any_task = false;
    for (const TaskSpec& t : pb_.tasks) {
      if (t.include != index) continue;
      any_task = true;
      CheckTemplates(n, Context{path, parent, &t, false, false, true, -1, nullptr});
      if (diags_.HasErrors()) break;  // one report per parameter is enough
    }
    if (!any_task) CheckTemplates(n, Context{path, parent, nullptr, false, false, false, -1, nullptr});
  }

  // ---- templates ----

  void CheckTemplates(const YamlNode& n, const Context& ctx) {
    switch (n.kind) {
      case YamlNode::Kind::kScalar: CheckTemplate(n, ctx); break;
      case YamlNode::Kind::kSequence:
        for (const YamlNode& item : n.items) CheckTemplates(item, ctx);
        break;
      case YamlNode::Kind::kMap:
        for (const YamlEntry& e : n.entries) {
          Context inner = ctx;
          inner.path = ctx.path + "." + e.key.scalar;
          CheckTemplates(e.value, inner);
        }
        break;
      case YamlNode::Kind::kNull: break;
    }
  }

  void CheckTemplate(const YamlNode& n, const Context& ctx) {
    if (MentionsSecret(n.scalar)) {
      auto refs = FindSecretRefs(n.scalar);
      if (!refs) Error(LocateInScalar(sources_, n, refs.error().offset), ctx.path, refs.error().message);
    }
    if (n.scalar.find("{{") == std::string::npos) return;
    auto tpl = Template::Parse(n.scalar);
    if (!tpl) {
      Error(LocateInScalar(sources_, n, tpl.error().offset), ctx.path, tpl.error().message);
      return;
    }
    for (const Reference& ref : tpl->References()) CheckReference(ref, n, ctx);
    // history.last is read once when the run starts, before any task or var: from inputs alone.
    for (const Reference& ref : tpl->HistoryReferences()) {
      if (ref.path[0] == "inputs") continue;
      Error(LocateInScalar(sources_, n, ref.offset), ctx.path,
            "history.last is read when the run starts, so its arguments may use inputs and literals only, not '" +
                ref.path[0] + "'");
    }
    for (const tenure::Error& e : tpl->TypeErrors(ContextTypes(*this, ctx))) {
      Error(LocateInScalar(sources_, n, e.offset), ctx.path, e.message);
    }
  }

  // ---- static types ----

  // The types of the roots a template in `ctx` reads.
  class ContextTypes final : public TypeScope {
   public:
    ContextTypes(const Validator& v, const Context& ctx) : v_(v), ctx_(ctx) {}
    ExprType Root(std::string_view name) const override {
      const unsigned str = 1u << static_cast<unsigned>(Value::Kind::kString);
      if (name == "inputs" && ctx_.include < 0) return v_.inputs_type_;
      if (name == "vars" && ctx_.include < 0) {
        std::vector<std::pair<std::string, ExprType>> fields;
        const std::size_t limit = ctx_.var_limit >= 0 ? static_cast<std::size_t>(ctx_.var_limit) : v_.var_types_.size();
        for (std::size_t i = 0; i < limit && i < v_.var_types_.size(); ++i) fields.emplace_back(v_.pb_.vars[i].name, v_.var_types_[i]);
        return ExprType::MapOf(std::move(fields), false);
      }
      if (name == "params" && ctx_.include >= 0) {
        std::vector<std::pair<std::string, ExprType>> fields;
        for (const InputSpec& p : v_.pb_.includes[static_cast<std::size_t>(ctx_.include)].params) fields.emplace_back(p.name, InputExprType(p));
        return ExprType::MapOf(std::move(fields), false);
      }
      if (name == "item" && ctx_.item_type) return *ctx_.item_type;
      if (name == "index") return ExprType::Of(1u << static_cast<unsigned>(Value::Kind::kInt));
      if (name == "now") return ExprType::Of(str);
      if (name == "run") return ExprType::MapOf({{"id", ExprType::Of(str)}, {"playbook", ExprType::Of(str)}}, false);
      if (name == "calendars") return v_.calendars_type_;
      return ExprType::Any();
    }

   private:
    const Validator& v_;
    const Context& ctx_;
  };

  // The static type of a value as written: a template's, or a literal's.
  ExprType TypeOfNode(const YamlNode& n, const Context& ctx) const {
    switch (n.kind) {
      case YamlNode::Kind::kScalar: {
        if (n.scalar.find("{{") == std::string::npos) return ExprType::FromValue(ToValue(n));
        auto tpl = Template::Parse(n.scalar);
        return tpl ? tpl->TypeOf(ContextTypes(*this, ctx)) : ExprType::Any();
      }
      case YamlNode::Kind::kSequence: {
        if (n.items.empty()) return ExprType::Of(1u << static_cast<unsigned>(Value::Kind::kList));
        ExprType item = TypeOfNode(n.items.front(), ctx);
        for (std::size_t i = 1; i < n.items.size(); ++i) item = ExprType::Union(item, TypeOfNode(n.items[i], ctx));
        return ExprType::ListOf(std::move(item));
      }
      case YamlNode::Kind::kMap: {
        std::vector<std::pair<std::string, ExprType>> fields;
        for (const YamlEntry& e : n.entries) fields.emplace_back(e.key.scalar, TypeOfNode(e.value, ctx));
        return ExprType::MapOf(std::move(fields), false);
      }
      case YamlNode::Kind::kNull: return ExprType::Of(1u);
    }
    return ExprType::Any();
  }

  void CheckReference(const Reference& ref, const YamlNode& n, const Context& ctx) {
    const SourceLocation where = LocateInScalar(sources_, n, ref.offset);
    const std::string& root = ref.path[0];
    const std::string second = ref.path.size() > 1 ? ref.path[1] : "";
    if (root == "inputs" || root == "vars") {
      if (ctx.include >= 0) {
        Error(where, ctx.path, "'" + root + "' is not visible inside an included file; pass what it needs as a parameter (params)");
      } else if (!second.empty()) {
        root == "inputs" ? CheckInputRef(second, where, ctx) : CheckVarRef(second, where, ctx);
      }
    } else if (root == "params") {
      CheckParamRef(second, where, ctx);
    } else if (root == "tasks") {
      CheckTaskRef(ref, where, ctx);
    } else if ((root == "item" || root == "index") && !ctx.allow_item) {
      Error(where, ctx.path, "'" + root + "' exists only in the 'with' of a task with for_each");
    } else if (root == "result" && !ctx.allow_result) {
      Error(where, ctx.path, "'result' exists only in 'compensate' (the task's own result); use tasks.ID.result elsewhere");
    } else if (root == "run" && !second.empty() && second != "id" && second != "playbook") {
      Error(where, ctx.path, "unknown field 'run." + second + "'; run has 'id' and 'playbook'");
    }
  }

  void CheckInputRef(const std::string& name, const SourceLocation& where, const Context& ctx) {
    if (pb_.FindInput(name) != nullptr) return;
    std::vector<std::string_view> names;
    for (const InputSpec& i : pb_.inputs) names.push_back(i.name);
    Error(where, ctx.path, "unknown input '" + name + "'" + DidYouMean(name, names));
  }

  void CheckVarRef(const std::string& name, const SourceLocation& where, const Context& ctx) {
    std::vector<std::string_view> names;
    for (std::size_t i = 0; i < pb_.vars.size(); ++i) {
      if (pb_.vars[i].name != name) {
        names.push_back(pb_.vars[i].name);
        continue;
      }
      if (ctx.var_limit >= 0 && static_cast<int>(i) >= ctx.var_limit) {
        Error(where, ctx.path, "var '" + name + "' is defined at or after this one; a var can read only the vars above it");
      }
      return;
    }
    Error(where, ctx.path, "unknown var '" + name + "'" + DidYouMean(name, names));
  }

  void CheckParamRef(const std::string& name, const SourceLocation& where, const Context& ctx) {
    if (ctx.include < 0) {
      Error(where, ctx.path, "'params' exists only inside an included file");
      return;
    }
    const auto& params = pb_.includes[static_cast<std::size_t>(ctx.include)].params;
    std::vector<std::string_view> names;
    for (const InputSpec& p : params) names.push_back(p.name);
    if (name.empty() || std::find(names.begin(), names.end(), name) != names.end()) return;
    Error(where, ctx.path, "unknown parameter '" + name + "'" + DidYouMean(name, names));
  }

  void CheckTaskRef(const Reference& ref, const SourceLocation& where, const Context& ctx) {
    if (!ctx.allow_tasks) {
      Error(where, ctx.path, "vars cannot read task results (vars are resolved before the run starts)");
      return;
    }
    if (ref.path.size() < 2) {
      Error(where, ctx.path, "name a task: tasks.ID.result or tasks.ID.status");
      return;
    }
    // Walk include names: tasks.google.create -> "google.create".
    std::string id = Join(pb_.Prefix(ctx.include), ref.path[1]);
    std::size_t next = 2;
    while (pb_.FindTask(id) == nullptr && next < ref.path.size() && IsInclude(id)) {
      if (IsUnreadableInclude(id)) return;  // its file's error is reported; no cascade
      id = Join(id, ref.path[next++]);
    }
    if (IsUnreadableInclude(id)) return;
    const TaskSpec* target = pb_.FindTask(id);
    if (target == nullptr && IsInclude(id)) {
      Error(where, ctx.path, "'" + id + "' is an include; name one of its tasks: tasks." + id + ".TASK.result");
      return;
    }
    if (target == nullptr) {
      const auto dot = id.rfind('.');
      if (dot != std::string::npos && IsInclude(id.substr(0, dot))) {
        Error(where, ctx.path, "include '" + id.substr(0, dot) + "' has no task '" + id.substr(dot + 1) + "'");
      } else {
        ReportUnknownTask(ref.path[1], where, ctx);
      }
      return;
    }
    if (next >= ref.path.size() || (ref.path[next] != "result" && ref.path[next] != "status")) {
      const std::string got = next < ref.path.size() ? "'" + ref.path[next] + "'" : "nothing";
      Error(where, ctx.path, "after tasks." + id + " comes 'result' or 'status', got " + got);
      return;
    }
    CheckUpstream(*target, where, ctx);
  }

  void CheckUpstream(const TaskSpec& target, const SourceLocation& where, const Context& ctx) {
    if (ctx.task == nullptr || !graph_) return;
    const auto from = graph_->Find(ctx.task->id);
    const auto to = graph_->Find(target.id);
    if (!from || !to) return;
    if (*from == *to) {
      Error(where, ctx.path,
            "task '" + ctx.task->id + "' cannot read its own result" +
                (ctx.allow_result ? "; in compensate use 'result'" : ""));
    } else if (!graph_->IsUpstream(*to, *from)) {
      Error(where, ctx.path,
            "task '" + ctx.task->id + "' reads tasks." + target.id + " but does not need it: add '" + target.id +
                "' to its needs, so the result exists when it runs");
    }
  }

  bool IsUnreadableInclude(const std::string& name) const {
    return std::any_of(pb_.includes.begin(), pb_.includes.end(),
                       [&](const IncludeSpec& i) { return i.unreadable && i.name == name; });
  }

  bool IsInclude(const std::string& name) const {
    return std::any_of(pb_.includes.begin(), pb_.includes.end(), [&](const IncludeSpec& i) { return i.name == name; });
  }

  void ReportUnknownTask(const std::string& name, const SourceLocation& where, const Context& ctx) {
    std::vector<std::string_view> names;
    const std::string prefix = pb_.Prefix(ctx.include);
    for (const TaskSpec& t : pb_.tasks) {
      if (t.include == ctx.include) names.push_back(std::string_view(t.id).substr(prefix.empty() ? 0 : prefix.size() + 1));
    }
    Error(where, ctx.path, "unknown task '" + name + "'" + DidYouMean(name, names));
  }

  const Playbook& pb_;
  const ConnectorCatalog& catalog_;
  Diagnostics& diags_;
  const SourceIndex sources_;
  std::optional<TaskGraph> graph_;
  ExprType inputs_type_;
  ExprType calendars_type_;
  std::vector<ExprType> var_types_;  // of each var checked so far
};

}  // namespace

std::optional<TaskGraph> Validate(const Playbook& pb, const ConnectorCatalog& catalog, Diagnostics& diags) {
  return Validator(pb, catalog, diags).Run();
}

CheckedPlaybook LoadAndValidate(FileReader& files, const ConnectorCatalog& catalog, const std::string& path) {
  CheckedPlaybook out;
  out.pb = LoadPlaybook(files, path, out.diags);
  if (!out.pb.sources.empty()) {
    const bool loaded_clean = !out.diags.HasErrors();
    auto graph = Validate(out.pb, catalog, out.diags);
    if (loaded_clean) out.graph = std::move(graph);
  }
  out.diags.Sort();
  return out;
}

std::optional<std::string> WhyNotApprover(std::string_view name) {
  // The portable user names of POSIX (and Debian's adduser): letters, digits, '.', '_', '-',
  // not starting with '-', at most 32 bytes.
  const auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
  };
  // Appends, not "\"" + std::string(name): GCC 12 at -O3 reports that as -Wrestrict (GCC bug 105329).
  std::string quoted = "\"";
  quoted.append(name);
  quoted += '"';
  if (const auto at = name.find('@'); at != std::string_view::npos) {
    // A person by e-mail (decides through a signed link, or `tenure decide --as` by an admin).
    const bool ok = at > 0 && at + 1 < name.size() && name.find('@', at + 1) == std::string_view::npos &&
                    name.find('.', at) != std::string_view::npos && name.size() <= 254 &&
                    std::none_of(name.begin(), name.end(), [](char c) {
                      return c <= ' ' || c == '<' || c == '>' || c == '"' || c == '\\' || c == ',' || c == 0x7f;
                    });
    if (ok) return std::nullopt;
    return quoted + " is neither an e-mail address (name@example.com) nor an OS user name";
  }
  if (name.empty() || name.size() > 32 || name[0] == '-' || !std::all_of(name.begin(), name.end(), allowed)) {
    return quoted + " is not an OS user name (letters, digits, '.', '_' and '-', at most 32, not starting with '-')";
  }
  return std::nullopt;
}

SourceIndex::SourceIndex(const Playbook& pb) {
  for (const SourceFile& f : pb.sources) {
    File file{f.path, f.text, {0}};
    for (std::size_t i = 0; i < f.text.size(); ++i) {
      if (f.text[i] == '\n') file.starts.push_back(i + 1);
    }
    files_.push_back(std::move(file));
  }
}

std::string_view SourceIndex::Line(const std::string& path, int line) const {
  for (const File& f : files_) {
    if (f.path != path) continue;
    if (line < 1 || static_cast<std::size_t>(line) > f.starts.size()) return {};
    const std::size_t start = f.starts[static_cast<std::size_t>(line - 1)];
    std::size_t end = f.text.find('\n', start);
    if (end == std::string_view::npos) end = f.text.size();
    return f.text.substr(start, end - start);
  }
  return {};
}

SourceLocation LocateInScalar(const SourceIndex& sources, const YamlNode& scalar, std::size_t offset) {
  if (offset == std::string::npos || !scalar.where.Known()) return scalar.where;
  if (scalar.scalar.find('\n') < offset) return scalar.where;
  const std::string_view line = sources.Line(scalar.where.file, scalar.where.line);
  const auto col = static_cast<std::size_t>(scalar.where.column - 1);
  if (col >= line.size()) return scalar.where;
  const char opener = line[col];
  if (opener == '|' || opener == '>') return scalar.where;
  // Columns count characters (as libyaml's marks do), not bytes: skip UTF-8 continuation bytes.
  std::size_t chars = 0;
  for (std::size_t i = 0; i < offset && i < scalar.scalar.size(); ++i) {
    if ((static_cast<unsigned char>(scalar.scalar[i]) & 0xC0) != 0x80) ++chars;
  }
  return scalar.where.Shifted(chars + (opener == '"' || opener == '\'' ? 1 : 0));
}

}  // namespace tenure::workflows
