// The task graph as text, Graphviz DOT or Mermaid, for `tenure graph`.
#pragma once

#include <string>

#include "workflows/playbook.h"
#include "workflows/task_graph.h"

namespace tenure::workflows {

// One line per task in topological order: "level  id  uses  <- needs" plus markers for when,
// for_each and compensate.
std::string GraphToText(const Playbook& pb, const TaskGraph& g);
// `digraph` with one node per task (label: id and uses) and an edge per need; identifiers quoted.
std::string GraphToDot(const Playbook& pb, const TaskGraph& g);
// `flowchart TD` with node ids t0, t1, ... and labels quoted.
std::string GraphToMermaid(const Playbook& pb, const TaskGraph& g);

}  // namespace tenure::workflows
