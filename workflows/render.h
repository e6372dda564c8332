// Rendering: turning a playbook's templates into values, for `tenure plan` (with what is known
// before the run) and for the engine (with everything, at run time).
//
// Scopes: a task's templates see the roots inputs, vars, tasks, run, now (top-level tasks), or
// params, tasks, run, now (tasks of an included file: `tasks` is then the include's own tasks),
// plus item/index under for_each and result in compensate. The `tasks` root is nested by include:
// task "google.create" is tasks.google.create.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "workflows/expr.h"
#include "workflows/playbook.h"
#include "workflows/yaml_tree.h"

namespace tenure::workflows {

// Renders every template in `node` (maps and lists recursively) against `scope`; scalars without
// templates get their YAML value. Secret references stay as text (connectors resolve them).
// Errors: the first template that fails, with `path` and the template text in the message;
// kUnresolved when a value exists only at run time.
Result<Value> RenderNode(const YamlNode& node, const Scope& scope, const std::string& path);

// Renders the playbook's vars in order. Vars that cannot be resolved yet (they read run or now)
// are left out and named in `unresolved`; errors in the others are returned.
// `history`: the run's frozen `history` root (history.last), null when not read (plan without a
// database): a var reading it is then unresolved.
Result<Map> RenderVars(const Playbook& pb, const Map& inputs, const Map& run, std::set<std::string>* unresolved,
                       const Value* history = nullptr);

// The params of include `include`, rendered in the including scope `parent` (defaults applied).
Result<Map> RenderParams(const Playbook& pb, int include, const Scope& parent);

// Records `entry` ({result, status}) for task `id` in the nested tasks root.
void SetTaskEntry(Map& tasks_root, std::string_view id, Value entry);
// The `tasks` root as seen from an include prefix ("" = the whole root).
Value TasksView(const Map& tasks_root, std::string_view prefix);

}  // namespace tenure::workflows
