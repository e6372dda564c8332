#include "workflows/reference_link.h"

#include <algorithm>
#include <array>

namespace tenure::workflows {
namespace {

// Top-level keys with a heading of their own; the others (inputs, vars, connections, tasks,
// include) are sections, handled below.
constexpr std::array<std::string_view, 8> kTopLevel = {"playbook", "description", "defaults",  "on_failure",
                                                       "start_at", "time_zone",   "calendars", "limits"};
constexpr std::array<std::string_view, 8> kInputKeys = {"type",     "items",   "keys",    "values",
                                                        "required", "default", "pattern", "description"};
constexpr std::array<std::string_view, 5> kConnectionKeys = {"connector", "rate", "max_in_flight", "limits",
                                                             "description"};
constexpr std::array<std::string_view, 14> kTaskKeys = {"uses",      "with",    "needs",      "when",       "for_each",
                                                        "retry",     "timeout", "on_failure", "compensate", "verify",
                                                        "item_when", "skip",    "until",      "description"};

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& keys, std::string_view k) {
  return std::find(keys.begin(), keys.end(), k) != keys.end();
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const auto dot = path.find('.');
    out.push_back(path.substr(0, dot));
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
  }
  return out;
}

// The first of segs[from..] that is one of `keys` (a task id may itself hold dots when it comes
// from an include: "tasks.welcome.lookup.uses"), or empty.
template <std::size_t N>
std::string_view FirstKey(const std::vector<std::string_view>& segs, std::size_t from,
                          const std::array<std::string_view, N>& keys) {
  for (std::size_t i = from; i < segs.size(); ++i) {
    if (Contains(keys, segs[i])) return segs[i];
  }
  return {};
}

constexpr std::string_view kFiltersLink = "docs/expressions.md#filters";

}  // namespace

std::string ReferenceAnchor(std::string_view path) {
  const auto segs = Segments(path);
  if (segs.empty()) return "";
  const std::string_view top = segs[0];
  if (Contains(kTopLevel, top)) return std::string(top);
  if (top == "inputs") {
    const auto k = FirstKey(segs, 2, kInputKeys);
    return k.empty() ? "inputs" : "inputs.name." + std::string(k);
  }
  if (top == "vars") return "vars";
  if (top == "params") return "params";
  if (top == "include") return "includes";
  if (top == "connections") {
    if (segs.size() < 3) return "connections";
    return Contains(kConnectionKeys, segs[2]) ? "connections.name." + std::string(segs[2])
                                              : "connections.name.settings";
  }
  if (top == "tasks") {
    const auto k = FirstKey(segs, 2, kTaskKeys);
    return k.empty() ? "tasks" : "tasks.id." + std::string(k);
  }
  return "top-level-keys";  // an unknown top-level key
}

std::string ReferenceLink(std::string_view path, std::string_view message) {
  if (message.starts_with("unknown filter '") || message.starts_with("filter '")) return std::string(kFiltersLink);
  if (message.find("but does not need it") != std::string_view::npos) {
    return std::string(kReferencePage) + "#tasks.id.needs";
  }
  const std::string anchor = ReferenceAnchor(path);
  return anchor.empty() ? "" : std::string(kReferencePage) + "#" + anchor;
}

std::vector<std::string> OtherReferenceLinks() { return {std::string(kFiltersLink)}; }

std::vector<std::string> ReferenceAnchors() {
  std::vector<std::string> all{
      "inputs", "vars", "params", "includes", "connections", "connections.name.settings", "tasks", "top-level-keys"};
  for (auto k : kTopLevel) all.emplace_back(k);
  for (auto k : kInputKeys) all.push_back("inputs.name." + std::string(k));
  for (auto k : kConnectionKeys) all.push_back("connections.name." + std::string(k));
  for (auto k : kTaskKeys) all.push_back("tasks.id." + std::string(k));
  return all;
}

}  // namespace tenure::workflows
