// The history.last lookups of a playbook: which earlier runs a run reads, found statically and
// evaluated from the run's inputs alone, so the engine can read them once when the run starts and
// keep them with the run (engine/history.h; docs/expressions.md).
#pragma once

#include <vector>

#include "workflows/error.h"
#include "workflows/expr.h"
#include "workflows/playbook.h"
#include "workflows/value.h"

namespace tenure::workflows {

// True when any template of `pb` calls history.last (a quick scan; no evaluation).
bool UsesHistory(const Playbook& pb);

// Every distinct history.last lookup of `pb` (vars, start_at, time_zone, include parameters and
// every task field), in document order, its arguments evaluated against `inputs`. Errors (the
// message names the field, e.g. "vars.last: history.last: 'key' must be ..."): an argument that
// does not evaluate from inputs alone or is not a playbook name / key. `tenure validate` has
// already refused arguments that read anything but inputs, so these are value errors (a null
// optional input used as the key).
Result<std::vector<HistoryKey>> HistoryLookups(const Playbook& pb, const Map& inputs);

}  // namespace tenure::workflows
