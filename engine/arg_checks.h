// The checks the engine makes on a built-in action's rendered arguments before acting on them:
// timer.wait's `for`, `until` and `time_zone`, manual.approve's `approvers`. A run makes them when
// it reaches the task; `tenure plan` and `tenure run` make them up front on every call whose
// arguments are known from the inputs (workflows::Preview's ArgCheck), so that both refuse, with
// the run's own message, what the run would refuse hours or weeks later.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "workflows/preview.h"
#include "workflows/value.h"

namespace tenure::engine {

// "" when `approvers` (rendered) is absent, null or a list of OS user names; else why not, starting
// with the field path ("tasks.x.with.approvers[0]: ..."). Checked before the task parks, so
// `tenure approve` never reads a malformed list as "anyone may decide".
std::string CheckApprovers(const Value& args, const std::string& path);

// nullopt when `name` is a zone of the IANA database (date-tz), else why not. The seam
// workflows::TimeZoneCheck for time_zone inputs: the language library does no I/O, so plan, run,
// schedule and batch pass this one to ResolveInputs.
std::optional<std::string> CheckTimeZoneName(std::string_view name);

// The problem the run would find in the rendered `args` of `connector`.`action` (path: the field
// path of the arguments, e.g. "tasks.wait.with"), or nullopt. Only built-in actions are checked
// here; connectors check their own arguments when called.
std::optional<workflows::ArgProblem> CheckBuiltinArgs(std::string_view connector, std::string_view action,
                                                      const Value& args, const std::string& path);

}  // namespace tenure::engine
