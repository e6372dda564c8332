// The audit log's checks shared by verify-log and evidence (cli/audit_commands.cc).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "engine/exit_code.h"

#include "engine/audit_log.h"
#include "engine/state_store.h"
#include "workflows/value.h"

namespace tenure::cli {

// The hash chain of `run` ("" = the whole log) recomputed. Errors: those of ReadAuditLog.
Result<engine::ChainCheck> CheckAuditLog(engine::StateStore& store, const std::string& run);
// {"intact", "run", "events", "runs", "genesis", "head", "broken": {seq, run, type, field, expected,
// found, message} | null}
Value ChainCheckJson(const engine::ChainCheck& check, const std::string& run);

// evidence (cli/evidence.cc)
void RegisterEvidenceCommand(CLI::App& app, ExitCode* exit_code);

}  // namespace tenure::cli
