// runs, status, logs, report: the read-only views of runs in the state database.
#pragma once

#include <CLI/CLI.hpp>

#include "engine/exit_code.h"

namespace tenure::cli {

void RegisterRunViews(CLI::App& app, ExitCode* exit_code);

}  // namespace tenure::cli
