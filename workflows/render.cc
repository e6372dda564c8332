#include "workflows/render.h"

#include "workflows/secret_ref.h"

namespace tenure::workflows {

Result<Value> RenderNode(const YamlNode& node, const Scope& scope, const std::string& path) {
  switch (node.kind) {
    case YamlNode::Kind::kNull: return Value();
    case YamlNode::Kind::kScalar: {
      // The author's `$${` is a literal `${` (workflows/secret_ref.h); data from inputs or results
      // is never unescaped.
      const bool escapes = node.scalar.find("$${") != std::string::npos;
      if (node.scalar.find("{{") == std::string::npos) {
        return escapes ? Value(UnescapeSecretText(node.scalar)) : ToValue(node);
      }
      auto tpl = Template::Parse(escapes ? UnescapeSecretText(node.scalar) : node.scalar);
      if (!tpl) return Error::Parse(path + ": " + tpl.error().message);
      auto v = tpl->Render(scope);
      if (!v) {
        Error e = v.error();
        e.message = path + ": " + e.message + " (in \"" + node.scalar + "\")";
        return e;
      }
      return *v;
    }
    case YamlNode::Kind::kSequence: {
      List out;
      for (std::size_t i = 0; i < node.items.size(); ++i) {
        auto v = RenderNode(node.items[i], scope, path + "[" + std::to_string(i) + "]");
        if (!v) return v.error();
        out.push_back(std::move(*v));
      }
      return Value(std::move(out));
    }
    case YamlNode::Kind::kMap: {
      Map out;
      for (const YamlEntry& e : node.entries) {
        auto v = RenderNode(e.value, scope, path + "." + e.key.scalar);
        if (!v) return v.error();
        out.Set(e.key.scalar, std::move(*v));
      }
      return Value(std::move(out));
    }
  }
  return Value();
}

Result<Map> RenderVars(const Playbook& pb, const Map& inputs, const Map& run, std::set<std::string>* unresolved,
                       const Value* history) {
  Map vars;
  for (const VarSpec& var : pb.vars) {
    bool blocked = false;
    if (unresolved != nullptr && var.value.IsScalar()) {
      if (auto tpl = Template::Parse(var.value.scalar)) {
        for (const Reference& r : tpl->References()) {
          if (r.path[0] == "vars" && r.path.size() > 1 && unresolved->count(r.path[1])) blocked = true;
        }
      }
    }
    Map roots;
    roots.Set("inputs", Value(inputs));
    roots.Set("vars", Value(vars));
    roots.Set("calendars", Value(pb.calendars));
    if (!run.empty()) roots.Set("run", Value(run));
    if (history != nullptr) roots.Set("history", *history);
    auto v = blocked ? Result<Value>(Error::Unresolved("reads an unresolved var"))
                     : RenderNode(var.value, MapScope(std::move(roots)), "vars." + var.name);
    if (v) {
      vars.Set(var.name, std::move(*v));
    } else if (v.error().Is(Errc::kUnresolved) && unresolved != nullptr) {
      unresolved->insert(var.name);
    } else {
      return v.error();
    }
  }
  return vars;
}

Result<Map> RenderParams(const Playbook& pb, int include, const Scope& parent) {
  const IncludeSpec& inc = pb.includes[static_cast<std::size_t>(include)];
  Map params;
  for (const InputSpec& p : inc.params) {
    if (const YamlNode* given = inc.with.Find(p.name)) {
      auto v = RenderNode(*given, parent, "include." + inc.name + ".with." + p.name);
      if (!v) return v.error();
      params.Set(p.name, std::move(*v));
    } else {
      params.Set(p.name, p.default_value.value_or(Value()));
    }
  }
  return params;
}

void SetTaskEntry(Map& tasks_root, std::string_view id, Value entry) {
  const auto dot = id.find('.');
  if (dot == std::string_view::npos) {
    tasks_root.Set(std::string(id), std::move(entry));
    return;
  }
  const std::string head(id.substr(0, dot));
  Value* sub = tasks_root.Find(head);
  if (sub == nullptr || !sub->IsMap()) {
    tasks_root.Set(head, Value(Map()));
    sub = tasks_root.Find(head);
  }
  SetTaskEntry(sub->AsMap(), id.substr(dot + 1), std::move(entry));
}

Value TasksView(const Map& tasks_root, std::string_view prefix) {
  if (prefix.empty()) return Value(tasks_root);
  const auto dot = prefix.find('.');
  const Value* sub = tasks_root.Find(prefix.substr(0, dot));
  if (sub == nullptr || !sub->IsMap()) return Value(Map());
  return dot == std::string_view::npos ? *sub : TasksView(sub->AsMap(), prefix.substr(dot + 1));
}

}  // namespace tenure::workflows
