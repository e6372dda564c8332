// The `tenure` subcommands. Each group registers its subcommands on the CLI11 app; a subcommand's
// callback stores its ExitCode in `*exit_code`. main.cc is the composition root: it owns the real
// seams (files, catalog, transports, store) and calls every Register* function.
#pragma once

#include <CLI/CLI.hpp>

#include "engine/exit_code.h"

namespace tenure::cli {

// validate, graph, plan, connectors (cli/playbook_commands.cc)
void RegisterPlaybookCommands(CLI::App& app, ExitCode* exit_code);
// run, runs, status, logs, resume, retry, cancel, approve, reject, report (cli/run_commands.cc)
void RegisterRunCommands(CLI::App& app, ExitCode* exit_code);
// schedule add|list|show|cancel|pause|resume|remove, daemon [status] (cli/schedule_commands.cc)
void RegisterScheduleCommands(CLI::App& app, ExitCode* exit_code);
// decide (cli/people_commands.cc)
void RegisterPeopleCommands(CLI::App& app, ExitCode* exit_code);
// backup, prune, health (cli/ops_commands.cc)
void RegisterOpsCommands(CLI::App& app, ExitCode* exit_code);
// restore (cli/restore_commands.cc)
void RegisterRestoreCommand(CLI::App& app, ExitCode* exit_code);
// reconcile (cli/reconcile_commands.cc)
void RegisterReconcileCommand(CLI::App& app, ExitCode* exit_code);
// verify-log, evidence (cli/audit_commands.cc)
void RegisterAuditCommands(CLI::App& app, ExitCode* exit_code);
// sandbox (cli/sandbox_command.cc)
void RegisterSandboxCommand(CLI::App& app, ExitCode* exit_code);

}  // namespace tenure::cli
