// StateStore: the durable record of runs, tasks and the audit log. The only source of truth for
// what has already been done; the executor never keeps a fact only in memory.
//
// Design:
// - An interface, so a PostgreSQL store can follow; SqliteStateStore is the one implementation and
//   the only code that speaks SQL.
// - Writes are Transitions. Apply() writes a batch of them in ONE transaction: all or nothing.
//   The executor's Journal (journal.h) groups the transitions of concurrently running tasks into
//   one Apply (group commit).
// - Compare-and-set: a TaskRecord may name the status it expects the row to have; a mismatch
//   rolls the whole batch back with Errc::kConflict (approve/reject racing a resume).
// - Values reach the store already redacted (the executor and CLI pass them through
//   connectors::Redactor): the store never sees a secret.
// - Sticky failure: once a write fails, every later write fails with the same error
//   (the store's state is no longer known to match memory), like leveldb's bg_error_.
//
// Threading: an instance may be used from several threads; calls are serialized by a mutex.
// Several processes may open the same SQLite file at once (WAL, busy_timeout, BEGIN IMMEDIATE).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "workflows/error.h"
#include "workflows/value.h"

namespace tenure::engine {

// Run statuses. pending -> running -> {succeeded, failed, waiting, cancelled};
// waiting -> running (resume); failed -> running (retry). See docs/engine.md.
enum class RunStatus { kPending, kRunning, kWaiting, kSucceeded, kFailed, kCancelled };
// Task statuses. See docs/engine.md for the legal transitions.
enum class TaskStatus { kPending, kRunning, kWaiting, kSucceeded, kFailed, kSkipped, kCancelled };

const char* RunStatusName(RunStatus s);
const char* TaskStatusName(TaskStatus s);
std::optional<RunStatus> ParseRunStatus(std::string_view s);
std::optional<TaskStatus> ParseTaskStatus(std::string_view s);
bool IsTerminal(TaskStatus s);

struct SourceSnapshot {
  std::string path;
  std::string text;
  std::string sha256;  // hex of text
};

struct RunRecord {
  std::string id;
  std::string playbook;
  std::vector<SourceSnapshot> sources;  // main file first; empty in ListRuns results
  Value inputs;                         // a map, redacted
  RunStatus status = RunStatus::kPending;
  std::string trigger;                  // who/what started it: "cli:alice"
  std::string trigger_key;              // "" = none; unique among runs
  std::string error;                    // why the run failed or stopped
  std::string owner;                    // "host:pid" of the process executing it, "" = none
  bool cancel_requested = false;
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t finished_ms = 0;  // 0 = not finished
};

// One task, or one for_each item of a task (item >= 0; the task itself has item -1).
// Compensation steps are rows named "<task>:compensate".
struct TaskRecord {
  std::string task;
  int item = -1;
  TaskStatus status = TaskStatus::kPending;
  int attempts = 0;
  std::string idempotency_key;
  Value result;           // JSON; null when none
  std::string error;      // why it failed or was skipped
  std::int64_t due_ms = 0;      // timers: when the wait ends (system time); 0 = none
  Value items;            // for_each parent: the rendered list (so a resume fans out identically)
  std::string decided_by;  // approvals: the OS user who approved or rejected
  std::string note;
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0;
  std::int64_t updated_ms = 0;
  // Apply only: the status the row must have now (compare-and-set); nullopt = no check.
  std::optional<TaskStatus> expect;
};

// One line of the append-only audit log.
struct EventRecord {
  std::int64_t seq = 0;  // assigned by the store
  std::int64_t at_ms = 0;
  std::string run_id;
  std::string task;  // "" for run-level events
  int item = -1;
  int attempt = 0;
  std::string kind;  // run_started, attempt_started, succeeded, failed, retry_scheduled, ...
  std::string detail;
};

// The writes of one state change: all applied together or none.
struct Transition {
  std::string run_id;
  std::optional<RunStatus> run_status;
  std::optional<std::string> run_error;
  bool clear_cancel_request = false;  // `tenure retry` of a cancelled run
  std::int64_t at_ms = 0;
  std::vector<TaskRecord> tasks;  // upserts by (run, task, item)
  std::vector<EventRecord> events;
};

struct RunFilter {
  std::optional<RunStatus> status;
  std::string playbook;        // "" = any
  std::int64_t since_ms = 0;   // created at or after
};

struct CreatedRun {
  std::string id;
  bool created = false;  // false: an existing run had the same trigger key
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Inserts `run` (status pending) with its sources and a run_created event. When
  // run.trigger_key is set and a run already has it, nothing is written and that run's id is
  // returned with created=false. Errors: kInvalidArgument "a run with id R already exists" (nothing
  // written, not sticky; the only kInvalidArgument, so a caller may draw another id); kIo when the
  // database fails.
  virtual Result<CreatedRun> CreateRun(const RunRecord& run) = 0;
  // Errors: kNotFound "no run 'ID'".
  virtual Result<RunRecord> GetRun(const std::string& id) = 0;
  virtual Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter) = 0;
  // Rows of a run, ordered by creation (task rows first appear in execution order).
  virtual Result<std::vector<TaskRecord>> GetTasks(const std::string& run_id) = 0;
  virtual Result<std::vector<EventRecord>> GetEvents(const std::string& run_id) = 0;

  // Applies every transition in one transaction. Errors: kInvalidArgument "task T of run R is S,
  // not E" when an `expect` does not hold (nothing written, not sticky); kIo when the database
  // fails (then sticky: WriteError() keeps it and every later write returns it).
  virtual Result<void> Apply(std::span<const Transition> batch) = 0;

  // Makes `owner` the run's executor when it has none or `owner_dead(current)` says the current
  // owner is gone. Returns the owner in charge afterwards (== owner on success).
  virtual Result<std::string> ClaimRun(const std::string& run_id, const std::string& owner,
                                       bool (*owner_dead)(const std::string&)) = 0;
  // Clears the owner if it is `owner`.
  virtual Result<void> ReleaseRun(const std::string& run_id, const std::string& owner) = 0;
  // Sets cancel_requested; the executing process notices it within its poll interval.
  virtual Result<void> RequestCancel(const std::string& run_id) = 0;
  // Ids of the runs `owner` executes whose cancellation was requested: one indexed query a poll
  // for every run of a process (CancelWatch).
  virtual Result<std::vector<std::string>> CancelRequests(const std::string& owner) = 0;
  // The first write error, sticky; nullopt while healthy.
  virtual std::optional<Error> WriteError() const = 0;
};

// The database path: `flag` if set, else $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db,
// else ~/.local/state/tenure/tenure.db.
std::string DefaultDbPath(const std::string& flag);

// Opens (creating with mode 0600 if missing, and its directory 0700) and migrates the database.
// Errors name the path. kInvalidArgument (the user's to fix, exit 2) for a database that is a
// directory, cannot be written, is readable by others, is not an SQLite database or is damaged,
// is another program's SQLite database (never given tenure's tables), or has a newer schema than
// this binary ("state database /x/tenure.db has schema version 5; this tenure understands up to
// 2"); kIo for other failures ("cannot open state database /x/tenure.db: ...").
Result<std::unique_ptr<StateStore>> OpenSqliteStore(const std::string& path);

// Hex sha256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace tenure::engine
