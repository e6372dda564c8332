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
#include <initializer_list>
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
  // Decisions and retries recorded for this run, and how many of them the last executor had seen
  // when it read the run's tasks: wakeups > wakeups_seen means news that no executor has looked at,
  // whenever it was recorded (even while the run was still executing).
  std::int64_t wakeups = 0;
  std::int64_t wakeups_seen = 0;
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
  // The hash chain (schema 6, docs/audit.md): set by the store, ignored when writing.
  std::string prev_hash;  // hash of the previous event of this run (the first: of the database)
  std::string hash;       // EventHash(prev_hash, this event)
};

// The audit log as stored, for checking its hash chain (docs/audit.md).
struct AuditLog {
  std::string genesis;              // the database's genesis hash (what the very first event chains to)
  std::int64_t sequence = 0;        // the highest seq the database ever assigned
  std::vector<EventRecord> events;  // in seq order
  // With a run: the event just before that run's first event (what the first one chains to);
  // nullopt when the run's first event is the first of the database.
  std::optional<EventRecord> predecessor;
};

// A signed decision link as the database knows it (engine/links.h): never the key nor the token.
struct LinkRecord {
  std::string id;  // 32 hex digits
  std::string run_id;
  std::string task;
  int item = -1;
  std::string person;     // e-mail or OS user it was made for
  std::string purpose;    // ask, remind, escalate
  std::string channel;    // how it was sent: slack, smtp, http, none
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
  std::int64_t used_ms = 0;  // 0 = not used
};

// The writes of one state change: all applied together or none.
struct Transition {
  std::string run_id;
  std::optional<RunStatus> run_status;
  std::optional<std::string> run_error;
  bool clear_cancel_request = false;  // `tenure retry` of a cancelled run
  bool wake = false;                  // a decision or retry: wakeups + 1
  std::optional<std::string> release_owner;  // clears the run's owner if it is this one
  std::optional<std::int64_t> wakeups_seen;  // an executor read this many wake-ups before the tasks
  std::int64_t at_ms = 0;
  std::vector<TaskRecord> tasks;  // upserts by (run, task, item)
  std::vector<EventRecord> events;
  std::vector<LinkRecord> new_links;  // decision links made (schema 5)
  // A decision through a link: marks link `use_link` used at at_ms, in the same transaction, only
  // if it is unused: otherwise the whole batch is refused with kConflict "this link was already
  // used" and nothing is written.
  std::string use_link;
};

struct RunFilter {
  std::optional<RunStatus> status;
  std::string playbook;        // "" = any
  std::int64_t since_ms = 0;   // created at or after
};

// Schedules: a playbook (snapshot) with inputs, fired once at an instant or on a cron rule by the
// daemon. pending -> fired (one-shot, with its run) | pending (cron, next instant); pending <->
// paused; pending/paused -> cancelled (a reversed termination) or removed (hidden from lists).
enum class ScheduleStatus { kPending, kPaused, kFired, kCancelled, kRemoved };
const char* ScheduleStatusName(ScheduleStatus s);
std::optional<ScheduleStatus> ParseScheduleStatus(std::string_view s);

// What the daemon does with fires missed while it was down (see docs/schedules.md).
enum class CatchUp { kFireOnce, kSkip, kFireAll };
const char* CatchUpName(CatchUp c);
std::optional<CatchUp> ParseCatchUp(std::string_view s);

struct ScheduleRecord {
  std::string id;                       // "s" + UTC date-time + 6 hex digits
  std::string key;                      // "" = none; unique among schedules that are not removed
  std::string playbook;                 // the playbook's name
  std::vector<SourceSnapshot> sources;  // main file first; empty in ListSchedules results
  Value inputs;                         // a map, redacted
  std::string cron;                     // "" = one-shot
  std::string at;                       // one-shot: the local date-time as given ("2026-12-18T16:00")
  std::string time_zone;                // IANA name
  CatchUp catch_up = CatchUp::kFireOnce;
  ScheduleStatus status = ScheduleStatus::kPending;
  std::int64_t next_ms = 0;             // the next instant it fires (UTC); 0 = never again
  std::string last_run;                 // the run its last fire started ("" = none yet)
  std::int64_t fires = 0;               // runs started so far
  std::string created_by;               // "cli:alice", "batch:leavers.csv:12"
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
};

struct ScheduleWrite {
  std::string id;        // the schedule written (the replaced one's id when replaced)
  bool replaced = false;  // a pending, paused or cancelled schedule with the same key was replaced
  std::int64_t previous_next_ms = 0;
};

// One fire of a schedule: the run it creates (from the schedule's snapshot and inputs) and the
// schedule's next instant (0: a one-shot is then fired).
struct ScheduleFire {
  std::string schedule_id;
  std::int64_t fire_ms = 0;  // the instant it was due (must still be the schedule's next_ms)
  std::int64_t at_ms = 0;    // when it fired
  std::string run_id;        // the new run's id
  std::string trigger;       // e.g. "schedule:s2026...:leaver-4711"
  std::int64_t next_ms = 0;
  std::string detail;        // for the audit events (e.g. how late)
  std::string owner;         // "" = the run is created unowned; else claimed by this owner in the fire
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
  // returned with created=false. Errors: kAlreadyExists "a run with id R already exists" (nothing
  // written, not sticky, so a caller may draw another id); kIo when the database fails.
  virtual Result<CreatedRun> CreateRun(const RunRecord& run) = 0;
  // Errors: kNotFound "no run 'ID'".
  virtual Result<RunRecord> GetRun(const std::string& id) = 0;
  virtual Result<std::vector<RunRecord>> ListRuns(const RunFilter& filter) = 0;
  // Rows of a run, ordered by creation (task rows first appear in execution order).
  virtual Result<std::vector<TaskRecord>> GetTasks(const std::string& run_id) = 0;
  virtual Result<std::vector<EventRecord>> GetEvents(const std::string& run_id) = 0;

  // Applies every transition in one transaction. Errors: kConflict "task T of run R is S, not E"
  // when an `expect` does not hold (nothing written, not sticky); kNotFound "no run 'R'" (nothing
  // written, not sticky); kIo when the database fails (then sticky: WriteError() keeps it and every
  // later write returns it).
  virtual Result<void> Apply(std::span<const Transition> batch) = 0;

  // Makes `owner` the run's executor when it has none or `owner_dead(current)` says the current
  // owner is gone. Returns the owner in charge afterwards (== owner on success).
  virtual Result<std::string> ClaimRun(const std::string& run_id, const std::string& owner,
                                       bool (*owner_dead)(const std::string&)) = 0;
  // ClaimRun for many runs in ONE transaction (one fsync): returns those `owner` now executes.
  virtual Result<std::vector<std::string>> ClaimRuns(const std::vector<std::string>& run_ids,
                                                     const std::string& owner,
                                                     bool (*owner_dead)(const std::string&)) = 0;
  // Clears the owner if it is `owner`.
  virtual Result<void> ReleaseRun(const std::string& run_id, const std::string& owner) = 0;
  // Sets cancel_requested; the executing process notices it within its poll interval.
  virtual Result<void> RequestCancel(const std::string& run_id) = 0;
  // Ids of the runs `owner` executes whose cancellation was requested: one indexed query a poll
  // for every run of a process (CancelWatch).
  virtual Result<std::vector<std::string>> CancelRequests(const std::string& owner) = 0;
  // Runs a process should execute now (the daemon): pending and not claimed by `self` already (the
  // daemon claims a pass's runs before they start); waiting with news (wakeups > wakeups_seen) or a
  // timer due at `now_ms`; running with an owner other than `self` (the caller checks that owner is
  // gone). `self` "" excludes nothing. Ordered by creation.
  virtual Result<std::vector<RunRecord>> RunnableRuns(std::int64_t now_ms, const std::string& self) = 0;
  // The earliest due time of a waiting timer after `now_ms`, 0 = none.
  virtual Result<std::int64_t> NextTimerDue(std::int64_t now_ms) = 0;

  // Adds `s` (pending), or, when `s.key` is set and a pending, paused or cancelled schedule has that
  // key, replaces its instant, rule, inputs and snapshot in place (same id; the audit log keeps the
  // old and the new instant). Errors: kFailedPrecondition "schedule K (ID) already started run R;
  // look at it with: tenure status R" when the schedule with that key has fired (one-shot).
  virtual Result<ScheduleWrite> PutSchedule(const ScheduleRecord& s) = 0;
  // By id, else by key. Errors: kNotFound "no schedule 'X'".
  virtual Result<ScheduleRecord> GetSchedule(const std::string& id_or_key) = 0;
  // Every schedule that is not removed (with `removed`, those too), by next instant.
  virtual Result<std::vector<ScheduleRecord>> ListSchedules(bool removed) = 0;
  // Moves a schedule from one of `from` to `to`, with an audit event `kind: detail`. Errors:
  // kNotFound; kFailedPrecondition "schedule ID is fired, not pending or paused".
  virtual Result<ScheduleRecord> SetScheduleStatus(const std::string& id_or_key,
                                                   const std::vector<ScheduleStatus>& from, ScheduleStatus to,
                                                   const std::string& kind, const std::string& detail,
                                                   std::int64_t at_ms) = 0;
  // Pending schedules due at `now_ms` (next_ms <= now_ms), earliest instant first and, at one
  // instant, in the order they were added; at most `limit`.
  virtual Result<std::vector<ScheduleRecord>> DueSchedules(std::int64_t now_ms, int limit) = 0;
  // The earliest next instant of a pending schedule, 0 = none.
  virtual Result<std::int64_t> NextScheduleDue() = 0;
  // Fires a schedule in ONE transaction: checks it is still pending with next_ms == fire_ms, creates
  // the pending run (the schedule's snapshot and inputs, trigger key "schedule:ID@FIRE_MS") and
  // moves the schedule on (last run, fires + 1, next_ms; fired when 0), with a `schedule_fired`
  // event. So a fire happens exactly once, and a schedule moved or cancelled meanwhile is never
  // fired at its old instant. Errors: kConflict when it is no longer due at `fire_ms` (nothing
  // written); kAlreadyExists when `run_id` is taken (draw another); kIo. With an empty `run_id`
  // the instant is skipped instead (catch_up: skip): no run, a `schedule_skipped` event, and a
  // one-shot becomes cancelled.
  virtual Result<void> FireSchedule(const ScheduleFire& fire) = 0;
  // FireSchedule for many fires in ONE transaction (one fsync); one result per fire, in order: the
  // run as created (id "" when the instant was skipped), with its snapshot when the fire names an
  // owner (the run is then claimed in the same transaction, so its executor need not read it back).
  // Errors (the whole batch): kIo.
  virtual Result<std::vector<Result<RunRecord>>> FireSchedules(std::span<const ScheduleFire> fires) = 0;
  // The audit events of a schedule (the events table, run_id = schedule id).
  virtual Result<std::vector<EventRecord>> GetScheduleEvents(const std::string& id) = 0;

  // The hash-chained audit log (schema 6): every event when `run_id` is "", else the events of
  // that run (or schedule) and the event its first one chains to. Errors: kNotFound "no events of
  // run 'R'" for a run without events; kIo.
  virtual Result<AuditLog> ReadAuditLog(const std::string& run_id) {
    (void)run_id;
    return Error::FailedPrecondition("this state store keeps no hash-chained audit log");
  }

  // Decision links (schema 5); a store without them knows no link. Errors: kNotFound "no link 'ID'".
  virtual Result<LinkRecord> GetLink(const std::string& id) {
    return Error::NotFound("no link '" + id + "'");
  }
  // The links of a run, oldest first.
  virtual Result<std::vector<LinkRecord>> ListLinks(const std::string& run_id) {
    (void)run_id;
    return std::vector<LinkRecord>();
  }

  // Retention: removes finished runs (succeeded, failed, cancelled) that finished before
  // `before_ms`, with their tasks, sources, events and links, in ONE transaction. Pending, running
  // and waiting runs are never touched, however old. With `dry_run` nothing is deleted. Returns the
  // ids of the runs removed (or that would be), oldest first. Errors: kIo (sticky, as Apply).
  virtual Result<std::vector<std::string>> PruneRuns(std::int64_t before_ms, bool dry_run) {
    (void)before_ms;
    (void)dry_run;
    return Error::FailedPrecondition("this state store cannot prune runs");
  }

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

// A consistent copy of the live database at `db_path` (WAL included) in `dest`, through SQLite's
// online backup API: writers in other processes go on meanwhile, and the copy is the database as
// of one instant. The copy is written to a temporary file beside `dest` (mode 0600), checked with
// PRAGMA integrity_check, synced, then renamed over `dest`; on any failure nothing is left behind.
// Errors: kNotFound "no state database at P" (nothing is created); kAlreadyExists when `dest`
// exists and not `force`; kInvalidArgument when `db_path` is not a tenure database, or `dest` is a
// directory or cannot be written; kIo for other failures.
Result<void> BackupDatabase(const std::string& db_path, const std::string& dest, bool force);

// What `tenure health` reports of a database, read without changing it (no migration).
struct DatabaseHealth {
  int schema_version = 0;   // PRAGMA user_version of the file
  int current_version = 0;  // what this binary writes
  std::string check;        // PRAGMA quick_check: "ok" when healthy
  std::int64_t runs = 0;
};
// Errors: kNotFound "no state database at P"; kInvalidArgument when it is not an SQLite database
// or not tenure's; kIo otherwise.
Result<DatabaseHealth> InspectDatabase(const std::string& db_path);

// Hex sha256 of `data`.
std::string Sha256Hex(std::string_view data);

// The hash of an audit event: hex SHA-256 over the canonical encoding of (prev_hash, run id, seq,
// at_ms, task, item, attempt, kind, detail) described in docs/audit.md.
std::string EventHash(std::string_view prev_hash, const EventRecord& e);

}  // namespace tenure::engine
