// Run control: the operations on runs that do not execute them (the CLI's run, approve, reject,
// cancel and retry), all as store transitions with the same audit trail as the executor's.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "engine/clock.h"
#include "engine/state_store.h"
#include "workflows/playbook.h"

namespace tenure::engine {

// "host:pid" of this process, recorded as the owner of the runs it executes.
std::string CurrentOwner();
// True when `owner` ("host:pid") is a process of this host that no longer exists. Owners on other
// hosts are never presumed gone.
bool OwnerGone(const std::string& owner);
// The OS user running tenure (for approvals and triggers).
std::string CurrentUser();

// A new run id: "r" + UTC date-time + 6 random hex digits, e.g. "r20261123-074512-3fa9c1".
std::string NewRunId(SystemTime now);

struct NewRun {
  const workflows::Playbook* playbook = nullptr;
  Map inputs;               // resolved and already redacted
  std::string trigger;      // e.g. "cli:alice"
  std::string trigger_key;  // "" = none
  std::string id;           // "" = drawn by new_id
  std::function<std::string(SystemTime)> new_id = NewRunId;  // a seam for tests
};
// Stores a pending run with a snapshot (text + sha256) of every source file of the playbook.
// With a trigger key already used, returns the existing run (created=false). A generated id is
// drawn again when it is taken (ids have 24 random bits per second; batches start thousands).
Result<CreatedRun> CreateRun(StateStore& store, const NewRun& run, SystemTime now);

// Records a person's decision on a waiting manual task (and its waiting items). Errors:
// kNotFound "run R has no task T"; kInvalidArgument "task T of run R is not waiting for a
// decision (it is succeeded)"; kDenied when the task (or one of its waiting items) lists
// `approvers` and `user` is not one of them: then nothing is recorded. `user` and `note` are
// stored and logged.
Result<void> Decide(StateStore& store, const std::string& run_id, const std::string& task, bool approve,
                    const std::string& user, const std::string& note, SystemTime now);

// Asks for `run_id` to stop. When no live process executes it, the run is finished here: its
// unfinished tasks and the run become cancelled. Returns true when it was finished here, false
// when the executing process will stop it. Errors: kInvalidArgument "run R already succeeded".
Result<bool> Cancel(StateStore& store, const std::string& run_id, SystemTime now);

// Puts failed tasks (only `task` and its items when given), their cancelled rows and the tasks
// skipped because of them back to pending, and the run to pending, so Execute runs them again
// (new attempts, same idempotency keys). Errors: kInvalidArgument when the run is not failed or
// cancelled, or `task` did not fail. Returns the number of task rows reset.
Result<int> Retry(StateStore& store, const std::string& run_id, const std::string& task, SystemTime now);

}  // namespace tenure::engine
