// Preview: what a run of a playbook would do with given inputs, computed without side effects,
// for `tenure plan`. Every template that can be resolved before the run is resolved; the rest is
// marked "at run time". Secret references are shown as "***".
#pragma once

#include "workflows/diagnostic.h"
#include "workflows/playbook.h"
#include "workflows/task_graph.h"
#include "workflows/value.h"

namespace tenure::workflows {

// A value known only at run time is shown as the map {"at_run_time": "<template text>"}.
inline constexpr std::string_view kAtRunTime = "at_run_time";

// The preview as a Value (also its JSON form):
// {playbook, description, on_failure, inputs{}, vars{}, connections[{name, connector, rate,
//  max_in_flight, config{}}], tasks[{id, uses, description, needs[], when?{template, value},
//  for_each?{items[] | at_run_time}, with{} | items[{item, with{}}], retry{}, timeout,
//  on_failure, compensate?{uses, with}}]} with tasks in topological order.
// Template errors found with these inputs (a type error, a bad date) are reported to `diags`.
Value Preview(const Playbook& pb, const TaskGraph& graph, const Map& inputs, Diagnostics& diags);

}  // namespace tenure::workflows
