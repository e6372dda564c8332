#include "engine/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "engine/guards.h"
#include "engine/run_control.h"
#include "engine/run_execution.h"  // RethrowIfFailed
#include "engine/scheduler.h"

namespace tenure::engine {

namespace {
ExecutorOptions ForDaemon(ExecutorOptions o) {
  o.max_timer_hold = std::chrono::milliseconds(0);  // every timer parks; a pass continues it when due
  return o;
}
}  // namespace

Daemon::Daemon(Services services, ExecutorOptions executor_options, DaemonOptions options,
               std::function<void(const DaemonEvent&)> log)
    : services_(services),
      options_(options),
      log_(std::move(log)),
      executor_(services, ForDaemon(executor_options)),
      owner_(executor_options.owner),
      wake_(services.io),
      idle_(services.io) {
  stats_.started_at = services_.clock.Now();
}

void Daemon::Log(std::string kind, std::string schedule, std::string run, std::string detail) {
  if (kind == "error") ++stats_.errors;
  if (log_) log_(DaemonEvent{services_.clock.Now(), std::move(kind), std::move(schedule), std::move(run), std::move(detail)});
}

void Daemon::Stop() {
  if (stopping_) return;
  stopping_ = true;
  Log("stopping", "", "", std::to_string(active_.size()) + " runs in flight; no new fires or runs");
  wake_.NotifyAll();
}

void Daemon::Wake() {
  woken_ = true;
  wake_.NotifyAll();
}

namespace {

// What a fire pass did, for the io thread to log: built on the journal's writer thread.
struct FireLog {
  std::string schedule;
  std::string run;     // the new run, "" when skipped or failed
  std::string kind;    // schedule_fired, schedule_skipped, error
  std::string detail;
  RunRecord created;   // the new run as stored, claimed by the daemon (id "" when none)
};

struct FireChunk {
  std::vector<FireLog> logs;
  std::size_t due = 0;    // due schedules read (the chunk was full when due == the limit)
  std::size_t fired = 0;  // fires and skips written
};

// On the journal's writer thread: fire up to `max` due schedules in one transaction (one fsync),
// deciding each one's catch-up first. Each run is created claimed by `owner`, and returned as
// stored, so the daemon starts it without reading it back.
Result<FireChunk> FireDueSchedules(StateStore& store, SystemTime now, int max, std::chrono::milliseconds grace,
                                   const workflows::ConnectorCatalog& catalog, const std::string& owner) {
  auto due = store.DueSchedules(ToUnixMillis(now), max);
  if (!due) return due.error();
  FireChunk out;
  out.due = due->size();
  std::vector<ScheduleFire> fires;
  std::vector<FireDecision> decisions;
  std::vector<const ScheduleRecord*> schedules;
  FireGuard guard(store, catalog, ToUnixMillis(now));  // blast-radius guards (docs/guards.md)
  const std::vector<std::string> ids = NewRunIds(now, due->size());
  std::size_t next_id = 0;
  for (const ScheduleRecord& s : *due) {
    auto decision = DecideFire(s, now, grace);
    if (!decision) {
      out.logs.push_back({s.id, "", "error", "cannot decide the next fire: " + decision.error().message, {}});
      continue;
    }
    if (decision->fire) {
      if (std::string why = guard.Admit(s); !why.empty()) {
        // Not fired: paused, with the reason in its audit log, until someone resumes it.
        auto held = store.SetScheduleStatus(s.id, {ScheduleStatus::kPending}, ScheduleStatus::kPaused,
                                            "schedule_held", why, ToUnixMillis(now));
        out.logs.push_back({s.id, "", held ? "schedule_held" : "error", held ? why : held.error().message, {}});
        continue;
      }
    }
    ScheduleFire fire;
    fire.schedule_id = s.id;
    fire.fire_ms = decision->fire_ms;
    fire.at_ms = ToUnixMillis(now);
    fire.next_ms = decision->next_ms;
    fire.detail = decision->detail;
    fire.trigger = "schedule:" + s.id + (s.key.empty() ? "" : ":" + s.key);
    if (decision->fire) {
      fire.run_id = ids[next_id++];
      fire.owner = owner;
    }
    fires.push_back(std::move(fire));
    decisions.push_back(std::move(*decision));
    schedules.push_back(&s);
  }
  if (fires.empty()) return out;
  auto results = store.FireSchedules(fires);
  if (!results) return results.error();
  for (std::size_t i = 0; i < fires.size(); ++i) {
    Result<RunRecord> r = std::move((*results)[i]);
    // A run id drawn twice (24 random bits a second): draw again, alone.
    for (int draw = 0; draw < 16 && !r && r.error().Is(Errc::kAlreadyExists); ++draw) {
      fires[i].run_id = NewRunId(now);
      auto again = store.FireSchedules({&fires[i], 1});
      if (!again) return again.error();
      r = std::move((*again)[0]);
    }
    const ScheduleRecord& s = *schedules[i];
    if (!r) {
      // kConflict: moved, cancelled or fired by someone else since it was read: nothing to do.
      if (!r.error().Is(Errc::kConflict)) out.logs.push_back({s.id, "", "error", r.error().message, {}});
      continue;
    }
    ++out.fired;
    const std::string key = s.key.empty() ? "" : "key " + s.key + ", ";
    if (decisions[i].fire) {
      out.logs.push_back({s.id, fires[i].run_id, "schedule_fired", key + decisions[i].detail, std::move(*r)});
    } else {
      out.logs.push_back({s.id, "", "schedule_skipped", key + decisions[i].detail, {}});
    }
  }
  return out;
}

// A fire chunk queued on the journal ahead of time; `result` is set (on the io thread) when done.
struct FireAhead {
  explicit FireAhead(boost::asio::any_io_executor ex) : ready(std::move(ex)) {}
  int asked = 0;
  std::optional<Result<FireChunk>> result;
  WaitQueue ready;
};

std::shared_ptr<FireAhead> QueueFireChunk(Journal& journal, boost::asio::any_io_executor io, SystemTime now, int chunk,
                                          std::chrono::milliseconds grace,
                                          const workflows::ConnectorCatalog* catalog, std::string owner) {
  auto ahead = std::make_shared<FireAhead>(std::move(io));
  ahead->asked = chunk;
  std::function<Result<FireChunk>(StateStore&)> op = [now, chunk, grace, catalog,
                                                       owner = std::move(owner)](StateStore& store) {
    return FireDueSchedules(store, now, chunk, grace, *catalog, owner);
  };
  // Independent: a fire writes schedules and new runs, nothing a queued transition writes.
  journal.RunThen<FireChunk>(
      std::move(op),
      [ahead](Result<FireChunk> r) {
        ahead->result = std::move(r);
        ahead->ready.NotifyAll();
      },
      /*independent=*/true);
  return ahead;
}

}  // namespace

boost::asio::awaitable<Result<void>> Daemon::Run() {
  using namespace boost::asio::experimental::awaitable_operators;
  Log("started", "", "", "owner " + owner_);
  while (!stopping_) {
    co_await Pass();
    if (auto failed = services_.journal.Failed(); failed) {
      Log("error", "", "", "the state database failed; stopping: " + failed->message);
      stopping_ = true;
      break;
    }
    if (stopping_) break;
    // Sleep until the earliest known instant, the poll interval, or a Wake/Stop.
    const SystemTime now = services_.clock.Now();
    SystemTime until = now + options_.poll;
    if (stats_.next_due_ms > 0) until = std::min(until, FromUnixMillis(stats_.next_due_ms));
    if (until > now && !woken_) {
      co_await (services_.clock.SleepUntil(services_.clock.SteadyAt(until)) || wake_.Wait());
    }
    woken_ = false;
  }
  while (!active_.empty()) co_await idle_.Wait();
  if (auto failed = services_.journal.Failed(); failed) co_return *failed;
  co_return Result<void>();
}

boost::asio::awaitable<void> Daemon::Pass() {
  // Every store access of a pass goes through the journal's writer thread: while it fires and
  // claims, the io thread goes on executing the runs of the previous pass.
  const SystemTime now = services_.clock.Now();
  stats_.last_pass_ms = ToUnixMillis(now);
  co_await FireDue(now);
  co_await StartRunnable(now);
  // Every op is a named std::function before the co_await: GCC 12 mis-destroys a lambda converted
  // to a temporary inside a co_await expression (its storage ends up inside the coroutine frame).
  std::function<Result<std::int64_t>(StateStore&)> next_op = [now](StateStore& store) -> Result<std::int64_t> {
    std::int64_t next = 0;
    if (auto s = store.NextScheduleDue(); s && *s > 0) next = *s;
    if (auto t = store.NextTimerDue(ToUnixMillis(now)); t && *t > 0) next = next == 0 ? *t : std::min(next, *t);
    return next;
  };
  auto next_due = co_await services_.journal.Run(std::move(next_op));
  stats_.next_due_ms = next_due ? *next_due : 0;
  stats_.active = static_cast<int>(active_.size());
}

boost::asio::awaitable<void> Daemon::FireDue(SystemTime now) {
  // In chunks, pipelined: the next chunk is queued on the writer thread as soon as the previous
  // one's result is back, before the io thread starts that one's runs (200 of them). The writer
  // then fires while the io thread starts runs, instead of each waiting for the other; 10,000
  // schedules due at once start within a chunk's time, not the whole pass's. A chunk queued is
  // always awaited (its runs are claimed by this process: started, or released when stopping).
  int left = options_.max_fires_per_pass;
  auto queue_next = [this, now, &left]() -> std::shared_ptr<FireAhead> {
    if (stopping_ || left <= 0) return nullptr;
    const int chunk = std::min(left, options_.fire_chunk);
    left -= chunk;
    return QueueFireChunk(services_.journal, services_.io, now, chunk, options_.catch_up_grace, &services_.catalog,
                          owner_);
  };
  // One chunk ahead: two or three filled the io thread's queue instead (docs/dev/performance.md).
  std::shared_ptr<FireAhead> ahead = queue_next();
  while (ahead) {
    while (!ahead->result) co_await ahead->ready.Wait();
    Result<FireChunk> fired = std::move(*ahead->result);
    // Fewer due than asked: none left. Nothing written: the rest are errors the next pass retries.
    const bool more = fired && fired->due >= static_cast<std::size_t>(ahead->asked) && fired->fired > 0;
    ahead = more ? queue_next() : nullptr;
    if (!fired) {
      Log("error", "", "", fired.error().message);
      continue;
    }
    for (FireLog& f : fired->logs) {
      if (f.kind == "schedule_fired") ++stats_.fired;
      if (f.kind == "schedule_skipped") ++stats_.skipped;
      RunRecord created = std::move(f.created);
      Log(std::move(f.kind), std::move(f.schedule), std::move(f.run), std::move(f.detail));
      if (!created.id.empty()) co_await StartFired(std::move(created));
    }
  }
}

boost::asio::awaitable<void> Daemon::StartFired(RunRecord run) {
  if (stopping_ || active_.count(run.id)) {
    // Created claimed by this process, which will not execute it: let the next daemon have it.
    Transition release;
    release.run_id = run.id;
    release.release_owner = owner_;
    (void)co_await services_.journal.Commit(std::move(release));
    co_return;
  }
  active_.insert(run.id);
  ++stats_.runs_started;
  Log("run_started", "", run.id, "new run of " + run.playbook);
  const std::string id = run.id;
  boost::asio::co_spawn(services_.io, ExecuteOne(id, std::move(run)), RethrowIfFailed);
}

boost::asio::awaitable<void> Daemon::StartRunnable(SystemTime now) {
  if (stopping_) co_return;
  // The first pass also takes runs owned by this very owner string: a process before this one had
  // it (a restart in a container, where the daemon gets the same pid each time) and died with them
  // claimed. Later passes leave this process's own claims to the executions holding them.
  std::function<Result<std::vector<RunRecord>>(StateStore&)> list_op =
      [now, self = listed_once_ ? owner_ : std::string()](StateStore& store) {
        return store.RunnableRuns(ToUnixMillis(now), self);
      };
  listed_once_ = true;
  auto runs = co_await services_.journal.Run(std::move(list_op));
  if (!runs) {
    Log("error", "", "", runs.error().message);
    co_return;
  }
  std::vector<std::string> candidates;
  std::map<std::string, const RunRecord*> by_id;
  for (const RunRecord& r : *runs) {
    if (active_.count(r.id)) continue;
    // Claimed by another live process (a CLI `tenure run`, a daemon on another host): its business.
    if (!r.owner.empty() && r.owner != owner_ && !OwnerGone(r.owner)) continue;
    candidates.push_back(r.id);
    by_id[r.id] = &r;
  }
  if (candidates.empty()) co_return;
  // One transaction claims them all; each Execute then finds itself the owner and writes nothing.
  std::function<Result<std::vector<std::string>>(StateStore&)> claim_op =
      [candidates = std::move(candidates), owner = owner_](StateStore& store) {
        return store.ClaimRuns(candidates, owner, &OwnerGone);
      };
  auto claimed = co_await services_.journal.Run(std::move(claim_op));
  if (!claimed) {
    Log("error", "", "", claimed.error().message);
    co_return;
  }
  for (const std::string& id : *claimed) {
    // Started meanwhile by nothing else (one pass at a time), but never twice.
    if (stopping_ || !active_.insert(id).second) continue;
    const RunRecord& r = *by_id.at(id);
    ++stats_.runs_started;
    Log("run_started", "", id,
        std::string(r.status == RunStatus::kPending   ? "new run of "
                    : r.status == RunStatus::kWaiting ? "continuing "
                                                      : "resuming interrupted ") +
            r.playbook);
    boost::asio::co_spawn(services_.io, ExecuteOne(id, std::nullopt), RethrowIfFailed);
  }
}

boost::asio::awaitable<void> Daemon::ExecuteOne(std::string run_id, std::optional<RunRecord> fired) {
  Result<RunStatus> status = Error::Io("not executed");
  std::string crash;
  try {
    if (fired) {
      std::vector<TaskRecord> no_rows;  // a run just created has none
      status = co_await executor_.ExecuteClaimed(std::move(*fired), std::move(no_rows));
    } else {
      status = co_await executor_.Execute(run_id);
    }
  } catch (const std::exception& e) {
    crash = e.what();
  }
  const bool skipped = !status && (status.error().Is(Errc::kConflict) || status.error().Is(Errc::kFailedPrecondition));
  if (crash.empty() && !status && !skipped) {
    // Claimed by this process but not executed: let the next pass (or another process) have it.
    // Before the run leaves active_: Run() returns only once every execution is done with `this`.
    Transition release;
    release.run_id = run_id;
    release.release_owner = owner_;
    (void)co_await services_.journal.Commit(std::move(release));
  }
  active_.erase(run_id);
  ++stats_.runs_ended;
  stats_.active = static_cast<int>(active_.size());
  if (!crash.empty()) {
    Log("error", "", run_id, "internal error: " + crash);
  } else if (skipped) {
    // Another process claimed it first (kConflict) or it finished meanwhile: not an error.
    Log("run_skipped", "", run_id, status.error().message);
  } else if (!status) {
    Log("error", "", run_id, status.error().message);
  } else {
    Log("run_ended", "", run_id, RunStatusName(*status));
  }
  idle_.NotifyAll();
  // A decision recorded while the run executed is news for the next pass: look again now. (A run
  // that ended otherwise unblocks nothing: every runnable run is started at once.)
  if (!stopping_ && status && *status == RunStatus::kWaiting) Wake();
}

DaemonLock::DaemonLock(DaemonLock&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

DaemonLock::~DaemonLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

Result<DaemonLock> DaemonLock::Acquire(const std::string& db_path) {
  const std::string path = db_path + ".daemon.lock";
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) return Error::Io("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char pid[32] = {};
    const ssize_t n = ::pread(fd, pid, sizeof pid - 1, 0);
    ::close(fd);
    std::string who = n > 0 ? std::string(pid, static_cast<std::size_t>(n)) : std::string("?");
    while (!who.empty() && (who.back() == '\n' || who.back() == ' ')) who.pop_back();
    return Error::Conflict("another tenure daemon (pid " + who + ") is running on " + db_path +
                           "; stop it first (one daemon per database)");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    ::close(fd);
    return Error::Io("cannot write " + path + ": " + std::strerror(errno));
  }
  return DaemonLock(fd);
}

bool DaemonLock::Held(const std::string& db_path) {
  const int fd = ::open((db_path + ".daemon.lock").c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // no daemon ever ran on this database
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);  // releases a shared lock taken by the probe
  return held;
}

std::string DaemonStatusPath(const std::string& db_path) { return db_path + ".daemon.json"; }

}  // namespace tenure::engine
