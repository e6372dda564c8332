#include "workflows/graph_export.h"

namespace tenure::workflows {
namespace {

std::string DotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string MermaidLabel(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '"' ? std::string("#quot;") : std::string(1, c);
  return out;
}

std::string Markers(const TaskSpec& t) {
  std::string m;
  if (t.when) m += "  [when " + t.when->scalar + "]";
  if (t.for_each) m += "  [for_each]";
  if (t.compensate) m += "  [compensate: " + t.compensate->Uses() + "]";
  if (t.on_failure == TaskFailurePolicy::kContinue) m += "  [on_failure: continue]";
  return m;
}

}  // namespace

std::string GraphToText(const Playbook& pb, const TaskGraph& g) {
  std::size_t width = 0;
  for (TaskId id : g.TopologicalOrder()) width = std::max(width, g.Name(id).size());
  std::string out = pb.name + ": " + std::to_string(g.size()) + " tasks\n";
  for (TaskId id : g.TopologicalOrder()) {
    const TaskSpec& t = pb.tasks[Index(id)];
    std::string line = "  " + std::to_string(g.Depth(id)) + "  " + t.id + std::string(width - t.id.size() + 2, ' ') + t.call.Uses();
    if (!g.Predecessors(id).empty()) {
      line += "  <- ";
      for (std::size_t k = 0; k < g.Predecessors(id).size(); ++k) line += (k ? ", " : "") + g.Name(g.Predecessors(id)[k]);
    }
    out += line + Markers(t) + "\n";
  }
  return out;
}

std::string GraphToDot(const Playbook& pb, const TaskGraph& g) {
  std::string out = "digraph " + DotQuote(pb.name) + " {\n  rankdir=LR;\n  node [shape=box];\n";
  for (TaskId id : g.TopologicalOrder()) {
    const TaskSpec& t = pb.tasks[Index(id)];
    out += "  " + DotQuote(t.id) + " [label=" + DotQuote(t.id + "\n" + t.call.Uses()) +
           (t.call.connection == "manual" ? ", style=rounded" : "") + "];\n";
  }
  for (TaskId id : g.TopologicalOrder()) {
    for (TaskId p : g.Predecessors(id)) out += "  " + DotQuote(g.Name(p)) + " -> " + DotQuote(g.Name(id)) + ";\n";
  }
  return out + "}\n";
}

std::string GraphToMermaid(const Playbook& pb, const TaskGraph& g) {
  std::string out = "flowchart TD\n";
  for (TaskId id : g.TopologicalOrder()) {
    const TaskSpec& t = pb.tasks[Index(id)];
    out += "  t" + std::to_string(Index(id)) + "[\"" + MermaidLabel(t.id) + "<br/>" + MermaidLabel(t.call.Uses()) + "\"]\n";
  }
  for (TaskId id : g.TopologicalOrder()) {
    for (TaskId p : g.Predecessors(id)) out += "  t" + std::to_string(Index(p)) + " --> t" + std::to_string(Index(id)) + "\n";
  }
  return out;
}

}  // namespace tenure::workflows
