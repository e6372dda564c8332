// tenure: the command-line entry point and composition root.
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/progress.h"
#include "workflows/suggest.h"

namespace {

// The command words of argv (`sandbox serve`), walked before CLI11 parses: a word that names no
// command where only commands can stand is an error, with the nearest command suggested. (CLI11
// would answer "A subcommand is required", or print the main help for `tenure shedule --help`.)
std::optional<std::string> UnknownCommand(const CLI::App& app, int argc, char** argv) {
  const CLI::App* at = &app;
  std::string before;  // the command words already matched, e.g. "sandbox "
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word.empty() || word[0] == '-') return std::nullopt;  // options (and their values) follow
    const auto commands = at->get_subcommands([](const CLI::App*) { return true; });
    const auto positionals = at->get_options([](const CLI::Option* o) { return o->get_positional(); });
    if (commands.empty() || !positionals.empty()) return std::nullopt;
    const CLI::App* next = nullptr;
    std::vector<std::string_view> names;
    for (const CLI::App* c : commands) {
      names.push_back(c->get_name());
      if (c->get_name() == word) next = c;
    }
    if (next == nullptr) {
      const auto near = tenure::workflows::Suggest(word, names);
      return "tenure: unknown command '" + before + word + "'" +
             (near ? "; did you mean '" + before + *near + "'?"
                   : "; run 'tenure " + before + "--help' for the list of commands");
    }
    before += word + " ";
    at = next;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  using tenure::ExitCode;
  // Nothing tenure prints can carry a raw control character (an input's or a server's ESC).
  const tenure::cli::ScopedEscaping escaping;
  CLI::App app{"tenure: employee onboarding and offboarding playbooks, run durably", "tenure"};
  app.set_version_flag("--version", std::string("tenure ") + TENURE_VERSION);
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 run failed, 2 usage or validation error, 3 waiting (approval or timer),\n"
             "4 cancelled, 70 internal error, 130 interrupted (Ctrl-C; a run stays resumable).\n"
             "Run 'tenure COMMAND --help' for a command's options and examples.");
  ExitCode exit_code = ExitCode::kOk;
  tenure::cli::RegisterPlaybookCommands(app, &exit_code);
  tenure::cli::RegisterRunCommands(app, &exit_code);
  tenure::cli::RegisterScheduleCommands(app, &exit_code);
  tenure::cli::RegisterPeopleCommands(app, &exit_code);
  tenure::cli::RegisterOpsCommands(app, &exit_code);
  tenure::cli::RegisterRestoreCommand(app, &exit_code);
  tenure::cli::RegisterReconcileCommand(app, &exit_code);
  tenure::cli::RegisterAuditCommands(app, &exit_code);
  tenure::cli::RegisterSandboxCommand(app, &exit_code);
  if (auto unknown = UnknownCommand(app, argc, argv)) {
    std::cerr << *unknown << "\n";
    return tenure::ToInt(ExitCode::kUsage);
  }
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
