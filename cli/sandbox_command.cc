// Placeholder until the sandbox lands.
#include "cli/commands.h"

namespace tenure::cli {
void RegisterSandboxCommand(CLI::App&, ExitCode*) {}
}  // namespace tenure::cli
