// Exit codes of the `tenure` command: one enum, documented in the README.
#pragma once

namespace tenure {

enum class ExitCode : int {
  kOk = 0,          // succeeded (validate: no errors; run: every task succeeded or was skipped)
  kFailed = 1,      // a run failed (a task failed and the run stopped or compensated)
  kUsage = 2,       // bad command line, unreadable file, invalid playbook or inputs
  kWaiting = 3,     // a run is waiting for an approval or a timer
  kCancelled = 4,   // a run was cancelled
  kInternal = 70,   // a bug or an unexpected environment failure (EX_SOFTWARE)
  kInterrupted = 130,  // SIGINT/SIGTERM stopped the process; the run stays resumable
};

inline int ToInt(ExitCode c) { return static_cast<int>(c); }

}  // namespace tenure
