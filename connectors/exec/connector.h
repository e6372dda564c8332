// The `exec` connector: action `run` starts a local program (argv as a list, never a shell) and
// reads its standard output as the JSON result.
//
// The child's environment is small and explicit: PATH, HOME, LANG, LC_ALL, TZ, TMPDIR, USER and
// LOGNAME from tenure's own environment (nothing else: tenure's secrets stay out), then the
// connection's `env`, then the action's `env`, then TENURE_IDEMPOTENCY_KEY (the context's key:
// a program makes retries safe with it). `stdin` (any value) is written as JSON.
//
// Exit codes (documented for playbook authors):
//   0            success; stdout is the result: a JSON object (empty stdout = {}; other JSON is
//                wrapped as {"value": ...}); stdout that is not JSON -> Failed kPermanent with a
//                bounded, redacted excerpt
//   75 (EX_TEMPFAIL), 69 (EX_UNAVAILABLE) -> RetryLater kTransient
//   any other    -> Failed kPermanent, quoting a bounded, redacted excerpt of stderr
//   timeout, or cancellation through the awaitable's slot -> the process group is killed;
//                Unknown (the program may have acted)
//   killed by a signal (not ours) -> Unknown
//   output over the cap (1 MiB per stream) -> Failed kPermanent
//   program not found / not startable -> Failed kPermanent
// Failure::provider_code is "exit N" or "signal N".
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/exec/process_runner.h"
#include "connectors/redactor.h"
#include "workflows/value.h"

namespace tenure::connectors::exec {

struct ExecConfig {
  std::string cwd;  // default working directory ("" = tenure's)
  Map env;          // resolved
  std::chrono::milliseconds default_timeout{60'000};
};

Result<ExecConfig> ParseExecConfig(const Map& config);

// `runner` and `redactor` must outlive the connector.
std::unique_ptr<Connector> MakeExecConnector(ExecConfig config, ProcessRunner& runner, const Redactor& redactor);

}  // namespace tenure::connectors::exec
