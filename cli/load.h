// Shared steps of the commands that take a playbook: load + validate, read the run's inputs
// (--input FILE, --set key=value), print diagnostics.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "workflows/connector_schema.h"
#include "workflows/diagnostic.h"
#include "workflows/file_reader.h"
#include "workflows/inputs.h"
#include "workflows/playbook.h"
#include "workflows/task_graph.h"
#include "workflows/validate.h"

namespace tenure::cli {

// A playbook as loaded and validated (workflows::LoadAndValidate, the one load-and-validate step).
using LoadedPlaybook = workflows::CheckedPlaybook;

// The input values given on the command line: every --input file (a YAML/JSON mapping of input
// name to value; later files override earlier ones) then every --set key=value (coerced to the
// input's type). Problems (unreadable file, not a mapping, `--set` without '=') go to `diags`.
std::vector<workflows::GivenInput> ReadGivenInputs(workflows::FileReader& files, const workflows::Playbook& pb,
                                                   const std::vector<std::string>& input_files,
                                                   const std::vector<std::string>& sets, workflows::Diagnostics& diags);

// "3 errors in 2 files, 1 warning": the files counted are those with errors, named only when
// there are several; "" when there is nothing to report.
std::string SummaryLine(const workflows::Diagnostics& diags);

// Writes each diagnostic (rendered with its excerpt) and a one-line summary to `out`.
void PrintDiagnostics(const workflows::Diagnostics& diags, std::ostream& out);

}  // namespace tenure::cli
