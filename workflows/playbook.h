// The playbook model: what a playbook file says, every field located in its source, immutable
// once loaded. Loading (loader.h) fills it; validation (validate.h) cross-checks it; TaskGraph
// (task_graph.h) orders it.
//
// Templates are kept as YamlNodes (the text and position of each scalar), not rendered: what
// they read (inputs, task results) exists only when a run has inputs, or only at run time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "workflows/diagnostic.h"
#include "workflows/value.h"
#include "workflows/yaml_tree.h"

namespace tenure::workflows {

using Duration = std::chrono::milliseconds;

enum class InputType { kString, kEmail, kDate, kDateTime, kInt, kBool, kEnum, kList, kDuration, kTimeZone, kMap };
const char* InputTypeName(InputType t);

struct InputSpec {
  std::string name;
  SourceLocation where;  // of the name
  InputType type = InputType::kString;
  std::vector<std::string> values;       // kEnum: the allowed values
  bool required = true;                  // false when `required: false` or a default is given
  std::optional<Value> default_value;    // already checked against the type
  std::string pattern;                   // ECMAScript regex the whole value must match; "" = none
  std::string description;
  std::shared_ptr<const InputSpec> items;  // kList: what each item must be (`items:`); null = anything
  std::vector<InputSpec> keys;             // kMap: the declared keys (`keys:`); empty = any keys
};

struct VarSpec {
  std::string name;
  SourceLocation where;
  YamlNode value;  // a template or a structure of templates
};

// Blast-radius guards (docs/guards.md): at most this many per rolling hour, 0 = no limit.
struct LimitsSpec {
  int max_runs_per_hour = 0;
  int max_destructive_per_hour = 0;
  SourceLocation where;  // of the `limits` key
  bool any() const { return max_runs_per_hour > 0 || max_destructive_per_hour > 0; }
};

struct ConnectionSpec {
  std::string name;
  SourceLocation where;
  std::string connector;  // connector type, e.g. "scim"
  SourceLocation connector_where;
  std::string description;
  double rate_per_second = 0;  // 0 = no rate limit; from `rate: 20/s`
  std::string rate_text;       // as written, for display
  int max_in_flight = 0;       // 0 = no limit
  YamlNode config;             // kMap of the connector's own keys; may hold ${env:..}/${file:..}
  bool builtin = false;        // `manual`, `timer`: not declared by the playbook
  LimitsSpec limits;           // `limits:` of the connection (runs using it, its destructive actions)
};

struct RetrySpec {
  int attempts = 3;                         // total tries, first included
  Duration backoff = std::chrono::seconds(2);
  Duration max_backoff = std::chrono::minutes(1);
};

// A call of a connector action: `uses: CONNECTION.ACTION` and `with:` arguments.
struct ActionCall {
  std::string connection;
  std::string action;
  SourceLocation where;  // of the `uses` value
  YamlNode with;         // kMap, or kNull when there are no arguments

  std::string Uses() const { return connection + "." + action; }
};

enum class RunFailurePolicy { kFail, kCompensate };

// `until:` on a task: repeat its (read-only) action every `interval` until `condition` (a template
// over `result`, the action's latest result) holds; fail when it still does not after `timeout`.
struct UntilSpec {
  YamlNode condition;
  Duration interval = std::chrono::minutes(1);
  Duration timeout = std::chrono::hours(24);
  SourceLocation where;
};
enum class TaskFailurePolicy { kFail, kContinue };

struct TaskSpec {
  std::string id;  // unique; tasks from an include are "INCLUDE.id"
  SourceLocation where;
  std::string description;
  ActionCall call;
  std::vector<std::string> needs;  // task ids, resolved to global ids
  std::vector<SourceLocation> needs_where;
  std::optional<YamlNode> when;      // a template; the task runs when it renders truthy
  std::optional<YamlNode> for_each;  // a list of templates, or one template yielding a list
  std::optional<YamlNode> item_when;  // for_each only: per item; a false item is skipped
  // `skip: propagate`: when `when` skips this task, its dependents are skipped too; `continue`
  // (the default): they run, reading its result as null.
  bool skip_propagates = false;
  std::optional<UntilSpec> until;
  RetrySpec retry;                   // the task's, or the playbook's defaults
  Duration timeout{0};               // per attempt; the task's, or the playbook's default
  TaskFailurePolicy on_failure = TaskFailurePolicy::kFail;
  std::optional<ActionCall> compensate;  // `result` there is this task's own result
  // `verify:` read the system back after a destructive action (docs/proof.md); nullopt = the
  // default, on when the action declares a read-back in the catalog.
  std::optional<bool> verify;
  int include = -1;                      // index into Playbook::includes; -1 = the playbook itself
};

// One use of `include:`: a task library file instantiated under a name, with parameters.
struct IncludeSpec {
  std::string name;  // global prefix of its tasks: "google", or "outer.inner" when nested
  std::string file;  // path as resolved
  SourceLocation where;
  YamlNode with;                  // parameter values: templates read in the including scope
  std::vector<InputSpec> params;  // what the included file declares under `params:`
  int parent = -1;                // the including include, -1 = the playbook
  bool unreadable = false;        // the file could not be read or parsed (already reported):
                                  // references to its tasks are not reported again
};

struct SourceFile {
  std::string path;
  std::string text;
};

struct Playbook {
  std::string name;
  SourceLocation where;
  std::string description;
  std::vector<InputSpec> inputs;
  std::vector<VarSpec> vars;
  std::vector<ConnectionSpec> connections;  // declared ones first, then the built-ins
  RetrySpec default_retry;
  Duration default_timeout = std::chrono::seconds(30);
  RunFailurePolicy on_failure = RunFailurePolicy::kFail;
  LimitsSpec limits;  // `limits:` (docs/guards.md)
  // When `tenure schedule add` starts it without --at: a local "YYYY-MM-DDTHH:MM" and an IANA zone,
  // both templates over inputs and vars (e.g. "{{ inputs.last_day }}T16:00").
  // `calendars:` of the playbook and its libraries: name -> {weekends, holidays}, the `calendars`
  // root of templates (add_working_days(n, calendars.fr)).
  Map calendars;
  std::optional<YamlNode> start_at;
  std::optional<YamlNode> time_zone;
  std::vector<IncludeSpec> includes;
  std::vector<TaskSpec> tasks;     // document order, included tasks where the include stands
  std::vector<SourceFile> sources;  // every file read, the main file first

 private:
  std::unordered_map<std::string, std::size_t> task_index_;  // id -> position in tasks
 public:

  // By id; O(1) once IndexTasks() ran after the last task was added (the loader does), else a scan.
  const TaskSpec* FindTask(std::string_view id) const;
  void IndexTasks();
  const ConnectionSpec* FindConnection(std::string_view name) const;
  const InputSpec* FindInput(std::string_view name) const;
  const VarSpec* FindVar(std::string_view name) const;
  // The include prefix ("" for the playbook itself) of include index `include`.
  std::string Prefix(int include) const;
};

}  // namespace tenure::workflows
