#include "workflows/history.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <string>

namespace tenure::workflows {
namespace {

// Calls `visit(scalar, path)` for every scalar of `node` that may hold a history.last call.
void EachCandidate(const YamlNode& node, const std::string& path,
                   const std::function<bool(const YamlNode&, const std::string&)>& visit, bool& go_on) {
  if (!go_on) return;
  switch (node.kind) {
    case YamlNode::Kind::kScalar:
      if (node.scalar.find("{{") != std::string::npos && node.scalar.find("history") != std::string::npos) {
        go_on = visit(node, path);
      }
      break;
    case YamlNode::Kind::kSequence:
      for (std::size_t i = 0; i < node.items.size(); ++i) EachCandidate(node.items[i], path + "[" + std::to_string(i) + "]", visit, go_on);
      break;
    case YamlNode::Kind::kMap:
      for (const YamlEntry& e : node.entries) EachCandidate(e.value, path + "." + e.key.scalar, visit, go_on);
      break;
    case YamlNode::Kind::kNull: break;
  }
}

// Every template field of the playbook, with its field path; stops when `visit` returns false.
void EachTemplateField(const Playbook& pb, const std::function<bool(const YamlNode&, const std::string&)>& visit) {
  bool go_on = true;
  for (const VarSpec& v : pb.vars) EachCandidate(v.value, "vars." + v.name, visit, go_on);
  if (pb.start_at) EachCandidate(*pb.start_at, "start_at", visit, go_on);
  if (pb.time_zone) EachCandidate(*pb.time_zone, "time_zone", visit, go_on);
  for (const IncludeSpec& inc : pb.includes) EachCandidate(inc.with, "include." + inc.name + ".with", visit, go_on);
  for (const TaskSpec& t : pb.tasks) {
    const std::string path = "tasks." + t.id;
    EachCandidate(t.call.with, path + ".with", visit, go_on);
    if (t.when) EachCandidate(*t.when, path + ".when", visit, go_on);
    if (t.for_each) EachCandidate(*t.for_each, path + ".for_each", visit, go_on);
    if (t.item_when) EachCandidate(*t.item_when, path + ".item_when", visit, go_on);
    if (t.until) EachCandidate(t.until->condition, path + ".until.condition", visit, go_on);
    if (t.compensate) EachCandidate(t.compensate->with, path + ".compensate.with", visit, go_on);
  }
}

}  // namespace

bool UsesHistory(const Playbook& pb) {
  bool found = false;
  EachTemplateField(pb, [&found](const YamlNode& n, const std::string&) {
    auto tpl = Template::Parse(n.scalar);
    // With nothing in scope, a template with a call either fails (its arguments read inputs) or
    // yields its literal lookups; one without a call yields none.
    auto keys = tpl ? tpl->HistoryKeys(MapScope(Map())) : Result<std::vector<HistoryKey>>(std::vector<HistoryKey>());
    found = !keys || !keys->empty();
    return !found;
  });
  return found;
}

Result<std::vector<HistoryKey>> HistoryLookups(const Playbook& pb, const Map& inputs) {
  Map roots;
  roots.Set("inputs", Value(inputs));
  const MapScope scope(std::move(roots));
  std::vector<HistoryKey> out;
  std::optional<Error> error;
  EachTemplateField(pb, [&](const YamlNode& n, const std::string& path) {
    auto tpl = Template::Parse(n.scalar);
    if (!tpl) return true;  // `tenure validate` reports it; nothing to read here
    auto keys = tpl->HistoryKeys(scope);
    if (!keys) {
      error = Error{keys.error().code, path + ": " + keys.error().message};
      return false;
    }
    for (HistoryKey& k : *keys) {
      if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(std::move(k));
    }
    return true;
  });
  if (error) return *error;
  return out;
}

}  // namespace tenure::workflows
