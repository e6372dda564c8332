// The step `plan` and `run` share before anything runs.
#pragma once

#include <string>
#include <vector>

#include "cli/load.h"
#include "workflows/value.h"

namespace tenure::cli {

// What `plan` and `run` both do before anything runs: read the given inputs, check them against
// the playbook, and preview every call, checking each one whose arguments are known the way the
// run will check it (engine/arg_checks.h). `run` refuses exactly what `plan` refuses, with the
// same messages. Problems go to `diags`; `preview` is the plan (meaningful without errors).
struct PreparedRun {
  Map inputs;
  Value preview;
};
PreparedRun PrepareRun(workflows::FileReader& files, const workflows::ConnectorCatalog& catalog,
                       const LoadedPlaybook& lp, const std::string& playbook_path,
                       const std::vector<std::string>& input_files, const std::vector<std::string>& sets,
                       workflows::Diagnostics& diags);

}  // namespace tenure::cli
