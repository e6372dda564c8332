// The step `plan` and `run` share before anything runs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/load.h"
#include "workflows/expr.h"
#include "workflows/value.h"

namespace tenure::cli {

// What `plan` and `run` both do before anything runs: read the given inputs, check them against
// the playbook, and preview every call, checking each one whose arguments are known the way the
// run will check it (engine/arg_checks.h). `run` refuses exactly what `plan` refuses, with the
// same messages. Problems go to `diags`; `preview` is the plan (meaningful without errors).
//
// `read_history` (plan): reads the `history` root a run would freeze now for these history.last
// lookups (engine::ReadHistory), so the plan shows what the run would read and renders what
// depends on it; without it (run: the executor reads it when the run starts) such values are
// shown "at run time".
struct PreparedRun {
  Map inputs;
  Value preview;
};
using HistoryReader = std::function<Result<Value>(const std::vector<workflows::HistoryKey>&)>;
PreparedRun PrepareRun(workflows::FileReader& files, const workflows::ConnectorCatalog& catalog,
                       const LoadedPlaybook& lp, const std::string& playbook_path,
                       const std::vector<std::string>& input_files, const std::vector<std::string>& sets,
                       workflows::Diagnostics& diags, const HistoryReader& read_history = nullptr);

// A HistoryReader over the state database at `db_path` (as DefaultDbPath resolves it) that never
// creates it: with no database file, no earlier run exists and every lookup reads null.
HistoryReader DatabaseHistoryReader(std::string db_path);

}  // namespace tenure::cli
