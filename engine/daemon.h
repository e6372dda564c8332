// Daemon: one long-lived process on the database that fires due schedules exactly once, wakes due
// timers, continues runs whose decisions arrived (whenever they were recorded), resumes runs
// interrupted by a crash, and executes them all at once on one io_context under the shared limits.
//
// Design:
// - A pass: fire what is due (Scheduler decides, StateStore::FireSchedules fires atomically: the
//   run is created, claimed by this process, and the schedule moved on in one transaction, so a
//   fire happens exactly once even under kill -9), in chunks of `fire_chunk`: each chunk's runs
//   start from the records the fire returned (nothing read back) while the next chunk is fired.
//   Then start every other runnable run (StateStore::RunnableRuns) this process is not executing
//   yet. The Executor claims each run (owner = this process), so a run executed by a live CLI
//   process is left alone; a run claimed by a daemon that died is taken over (OwnerGone).
// - Between passes the daemon sleeps until the earliest of: the next schedule instant, the next
//   timer due, `poll` (decisions and new schedules recorded by other processes), or Wake().
// - Timers are never slept on inside a run (max_timer_hold 0): every timer parks its run and the
//   pass after its due time continues it, so a stop never waits for a timer.
// - Stop(): no new fire, no new run; executions in flight go on. The caller bounds them with a
//   grace period and then abandons the io_context: what was in flight stays `running` with this
//   (then dead) owner and the next daemon or `tenure resume` continues it with the same keys.
// Threading: engine executor only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>

#include "engine/executor.h"
#include "engine/limits.h"

namespace tenure::engine {

struct DaemonOptions {
  std::chrono::milliseconds poll{1000};
  std::chrono::milliseconds catch_up_grace{std::chrono::minutes(1)};
  int max_fires_per_pass = 1000;
  int fire_chunk = 200;  // fires per transaction: a chunk's runs start while the next is fired
};

// One line of the daemon's own log (fires, skips, runs started and ended, errors).
struct DaemonEvent {
  SystemTime at;
  std::string kind;      // schedule_fired, schedule_skipped, run_started, run_ended, error, started, stopping
  std::string schedule;  // "" when none
  std::string run;       // "" when none
  std::string detail;
};

struct DaemonStats {
  SystemTime started_at;
  std::int64_t fired = 0;
  std::int64_t skipped = 0;
  std::int64_t runs_started = 0;
  std::int64_t runs_ended = 0;
  std::int64_t errors = 0;
  std::int64_t next_due_ms = 0;  // the earliest schedule or timer instant known at the last pass
  std::int64_t last_pass_ms = 0;
  int active = 0;                // runs executing now
};

class Daemon {
 public:
  // `log` may be empty. Every reference in `services` must outlive the Daemon.
  Daemon(Services services, ExecutorOptions executor_options, DaemonOptions options,
         std::function<void(const DaemonEvent&)> log);

  // Passes until Stop(), then waits for the executions it started. Store read errors are logged
  // and retried at the next pass; a sticky write failure stops the daemon (returns its error).
  boost::asio::awaitable<Result<void>> Run();
  // No new fires or runs from now on; Run returns once the executions in flight have returned.
  void Stop();
  // Starts a pass now (e.g. after SIGHUP).
  void Wake();

  const DaemonStats& stats() const { return stats_; }
  bool stopping() const { return stopping_; }

 private:
  boost::asio::awaitable<void> Pass();
  boost::asio::awaitable<void> FireDue(SystemTime now);
  boost::asio::awaitable<void> StartRunnable(SystemTime now);
  // Starts a run a fire just created, claimed by this process and held as stored.
  boost::asio::awaitable<void> StartFired(RunRecord run);
  // One execution: a named coroutine with its run id by value (never a capturing lambda); `fired`
  // holds the run as created when a fire of this process just made it.
  boost::asio::awaitable<void> ExecuteOne(std::string run_id, std::optional<RunRecord> fired);
  void Log(std::string kind, std::string schedule, std::string run, std::string detail);

  Services services_;
  DaemonOptions options_;
  std::function<void(const DaemonEvent&)> log_;
  Executor executor_;
  std::string owner_;
  std::set<std::string> active_;  // runs executing in this process
  WaitQueue wake_;
  WaitQueue idle_;  // notified when an execution ends
  bool stopping_ = false;
  bool woken_ = false;
  bool listed_once_ = false;  // a pass listed the runnable runs (the first also takes this owner's)
  DaemonStats stats_;
};

// An exclusive lock of the daemon role on database `db_path` (flock on "<db>.daemon.lock", which
// holds the pid). Released when destroyed or when the process dies (even by SIGKILL).
class DaemonLock {
 public:
  // Errors: kConflict "another tenure daemon (pid 123) is running on /x/tenure.db"; kIo.
  static Result<DaemonLock> Acquire(const std::string& db_path);
  // Whether a daemon holds the lock of `db_path` now; writes and creates nothing.
  static bool Held(const std::string& db_path);
  DaemonLock(DaemonLock&& o) noexcept;
  DaemonLock& operator=(DaemonLock&&) = delete;
  DaemonLock(const DaemonLock&) = delete;
  ~DaemonLock();

 private:
  explicit DaemonLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// The path of the status file a daemon keeps beside database `db_path` ("<db>.daemon.json").
std::string DaemonStatusPath(const std::string& db_path);

}  // namespace tenure::engine
