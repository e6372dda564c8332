// Placeholder until the engine lands: run, runs, status, logs, resume, retry, cancel, approve,
// reject, report.
#include "cli/commands.h"

namespace tenure::cli {
void RegisterRunCommands(CLI::App&, ExitCode*) {}
}  // namespace tenure::cli
