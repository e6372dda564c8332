// Preview: what a run of a playbook would do with given inputs, computed without side effects,
// for `tenure plan`. Every template that can be resolved before the run is resolved; the rest is
// marked "at run time". Credentials are shown as "***".
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "workflows/connector_schema.h"
#include "workflows/diagnostic.h"
#include "workflows/playbook.h"
#include "workflows/task_graph.h"
#include "workflows/value.h"

namespace tenure::workflows {

// A value known only at run time is shown as the map {"at_run_time": "<template text>"}.
inline constexpr std::string_view kAtRunTime = "at_run_time";

// What the run would say about a call's arguments once rendered: `arg` names the argument at
// fault ("" for the call as a whole), `message` is the run's own message.
struct ArgProblem {
  std::string arg;
  std::string message;
};
// The checks the run makes on a call's rendered arguments (timer durations, instants and time
// zones, approvers), given the connector type ("timer"), the action ("wait"), the arguments and
// the field path ("tasks.x.with"). Supplied by the layer that runs the actions (engine/), so
// that `plan` reports exactly what the run would.
using ArgCheck = std::function<std::optional<ArgProblem>(std::string_view connector, std::string_view action,
                                                         const Value& args, const std::string& path)>;

// The preview as a Value (also its JSON form):
// {playbook, description, on_failure, inputs{}, vars{}, connections[{name, connector, rate,
//  max_in_flight, config{}}], tasks[{id, uses, description, needs[], when?{template, value},
//  for_each?{items[] | at_run_time}, with{} | items[{item, with{}}], retry{}, timeout,
//  on_failure, compensate?{uses, with}}]} with tasks in topological order, and, when the playbook
//  calls history.last, history[{lookup, playbook, key, run: {id, status, finished_at} | null |
//  at_run_time}]: what the run would read when it starts.
struct PreviewOptions {
  // Every problem it finds in a call whose arguments are all known before the run is reported.
  ArgCheck check;
  // Tells credentials (shown as "***") from other connection settings (shown). Without it, every
  // setting written as a secret reference is shown as "***".
  const ConnectorCatalog* catalog = nullptr;
  // The value of a non-credential setting written with references (a base_url from ${env:..}),
  // for display; nullopt (or no function) shows the text as written.
  std::function<std::optional<std::string>(std::string_view text)> resolve;
  // The `history` root a run would freeze now (history.last; engine/history.h), when the caller
  // could read the database; unset: templates that read it are shown "at run time".
  std::optional<Value> history;
};

// Template errors found with these inputs (a type error, a bad date) are reported to `diags`, and
// so is every problem `options.check` finds.
Value Preview(const Playbook& pb, const TaskGraph& graph, const Map& inputs, Diagnostics& diags,
              const PreviewOptions& options = {});

}  // namespace tenure::workflows
