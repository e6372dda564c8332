// Run control: the operations on runs that do not execute them (the CLI's run, approve, reject,
// cancel and retry), all as store transitions with the same audit trail as the executor's.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/clock.h"
#include "engine/state_store.h"
#include "workflows/playbook.h"

namespace tenure::engine {

// "host:pid@start" of this process (start: when it started, in clock ticks since boot), recorded
// as the owner of the runs it executes.
std::string CurrentOwner();
// True when `owner` ("host:pid@start", or "host:pid" from older versions) is a process of this
// host that no longer exists, or whose pid now belongs to a process started at another time.
// Owners on other hosts are never presumed gone.
bool OwnerGone(const std::string& owner);
// The OS user running tenure (for approvals and triggers).
std::string CurrentUser();

// A new run id: "r" + UTC date-time + 6 random hex digits, e.g. "r20261123-074512-3fa9c1".
std::string NewRunId(SystemTime now);
// Ids for `n` runs created together: the first drawn as NewRunId does, the others following it
// (the 6 hex digits counting up, wrapping), so the rows of a batch land side by side in every index
// keyed by run id (fewer pages written per transaction). A taken one is drawn again by the caller.
std::vector<std::string> NewRunIds(SystemTime now, std::size_t n);

std::string NewScheduleId(SystemTime now);

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

struct NewSchedule {
  const workflows::Playbook* playbook = nullptr;
  Map inputs;               // resolved and already redacted
  std::string cron;         // "" = one-shot at `at`
  std::string at;           // local "YYYY-MM-DDTHH:MM" in `time_zone` (one-shot)
  std::string time_zone;    // IANA name
  std::string key;          // "" = none; a pending schedule with the key is replaced (a correction)
  CatchUp catch_up = CatchUp::kFireOnce;
  std::string created_by;   // "cli:alice"
  std::function<std::string(SystemTime)> new_id = NewScheduleId;  // a seam for tests
};

// A new schedule id: "s" + UTC date-time + 6 random hex digits.
std::string NewScheduleId(SystemTime now);

struct AddedSchedule {
  ScheduleRecord schedule;  // as stored (sources omitted)
  bool replaced = false;
  std::int64_t previous_next_ms = 0;
};

// Validates the instant (zone, date-time or cron rule) and stores the schedule with a snapshot of
// the playbook's sources, or replaces the pending one with the same key (StateStore::PutSchedule).
// Errors: kInvalidArgument for the instant (the message names it); kFailedPrecondition when the
// key's schedule already fired (names its run).
Result<AddedSchedule> AddSchedule(StateStore& store, const NewSchedule& s, SystemTime now);

// Records a person's decision on a waiting manual task (and its waiting items), and counts a
// wake-up on the run, so every way of continuing it (resume RUN, resume --all, the daemon) picks
// the decision up, even one recorded while the run was still executing. Errors: kNotFound "run R
// has no task T"; kFailedPrecondition "task T of run R is not waiting for a decision (it is
// succeeded)"; kConflict when a concurrent decision or resume changed the task first; kDenied when
// the task (or one of its waiting items) lists `approvers` and `user` is not one of them: then
// nothing is recorded. `user` and `note` are stored and logged.
Result<void> Decide(StateStore& store, const std::string& run_id, const std::string& task, bool approve,
                    const std::string& user, const std::string& note, SystemTime now);

// Asks for `run_id` to stop. When no live process executes it, the run is finished here: its
// unfinished tasks and the run become cancelled. Returns true when it was finished here, false
// when the executing process will stop it. Errors: kFailedPrecondition "run R already succeeded".
Result<bool> Cancel(StateStore& store, const std::string& run_id, SystemTime now);

// Puts failed tasks (only `task` and its items when given), their cancelled rows and the tasks
// skipped because of them back to pending, and the run to pending (a waiting run stays waiting),
// so Execute runs them again (new attempts, same idempotency keys). A whole-run retry leaves a
// person's rejection alone (a decision, not a fault); naming the task asks again. Errors:
// kFailedPrecondition when the run is not failed, cancelled or waiting, `task` did not fail, or
// nothing failed but rejections ("...; rejected by a person: T (ask again with: ...)"); kConflict
// when another live process executes the run. Returns the number of task rows reset.
Result<int> Retry(StateStore& store, const std::string& run_id, const std::string& task, SystemTime now);

}  // namespace tenure::engine
