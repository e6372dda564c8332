// tenure: the command-line entry point and composition root.
#include <exception>
#include <iostream>

#include "cli/commands.h"
#include "cli/progress.h"

int main(int argc, char** argv) {
  using tenure::ExitCode;
  // Nothing tenure prints can carry a raw control character (an input's or a server's ESC).
  const tenure::cli::ScopedEscaping escaping;
  CLI::App app{"tenure: employee onboarding and offboarding playbooks, run durably", "tenure"};
  app.set_version_flag("--version", std::string("tenure ") + TENURE_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 run failed, 2 usage or validation error, 3 waiting (approval or timer),\n"
      "4 cancelled, 70 internal error.\n"
      "Run 'tenure COMMAND --help' for a command's options and examples.");
  ExitCode exit_code = ExitCode::kOk;
  tenure::cli::RegisterPlaybookCommands(app, &exit_code);
  tenure::cli::RegisterRunCommands(app, &exit_code);
  tenure::cli::RegisterSandboxCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help/version (code 0) or the usage error
    return code == 0 ? 0 : tenure::ToInt(ExitCode::kUsage);
  } catch (const std::exception& e) {
    std::cerr << "tenure: internal error: " << e.what() << "\n";
    return tenure::ToInt(ExitCode::kInternal);
  }
  return tenure::ToInt(exit_code);
}
