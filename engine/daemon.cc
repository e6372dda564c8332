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

boost::asio::awaitable<Result<void>> Daemon::Run() {
  using namespace boost::asio::experimental::awaitable_operators;
  Log("started", "", "", "owner " + owner_);
  while (!stopping_) {
    Pass();
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

void Daemon::Pass() {
  const SystemTime now = services_.clock.Now();
  stats_.last_pass_ms = ToUnixMillis(now);
  FireDue(now);
  StartRunnable(now);
  std::int64_t next = 0;
  if (auto s = services_.store.NextScheduleDue(); s && *s > 0) next = *s;
  if (auto t = services_.store.NextTimerDue(ToUnixMillis(now)); t && *t > 0) next = next == 0 ? *t : std::min(next, *t);
  stats_.next_due_ms = next;
  stats_.active = static_cast<int>(active_.size());
}

void Daemon::FireDue(SystemTime now) {
  auto due = services_.store.DueSchedules(ToUnixMillis(now), options_.max_fires_per_pass);
  if (!due) {
    Log("error", "", "", due.error().message);
    return;
  }
  if (due->empty() || stopping_) return;
  std::vector<ScheduleFire> fires;
  std::vector<FireDecision> decisions;
  std::vector<const ScheduleRecord*> schedules;
  for (const ScheduleRecord& s : *due) {
    auto decision = DecideFire(s, now, options_.catch_up_grace);
    if (!decision) {
      Log("error", s.id, "", "cannot decide the next fire: " + decision.error().message);
      continue;
    }
    ScheduleFire fire;
    fire.schedule_id = s.id;
    fire.fire_ms = decision->fire_ms;
    fire.at_ms = ToUnixMillis(now);
    fire.next_ms = decision->next_ms;
    fire.detail = decision->detail;
    fire.trigger = "schedule:" + s.id + (s.key.empty() ? "" : ":" + s.key);
    if (decision->fire) fire.run_id = NewRunId(now);
    fires.push_back(std::move(fire));
    decisions.push_back(std::move(*decision));
    schedules.push_back(&s);
  }
  // Every fire of the pass in one transaction (10,000 schedules due in the same minute: one fsync).
  auto results = services_.store.FireSchedules(fires);
  if (!results) {
    Log("error", "", "", results.error().message);
    return;
  }
  for (std::size_t i = 0; i < fires.size(); ++i) {
    Result<void> r = (*results)[i];
    // A run id drawn twice (24 random bits a second): draw again, alone.
    for (int draw = 0; draw < 16 && !r && r.error().Is(Errc::kAlreadyExists); ++draw) {
      fires[i].run_id = NewRunId(now);
      r = services_.store.FireSchedule(fires[i]);
    }
    const ScheduleRecord& s = *schedules[i];
    if (!r) {
      // kConflict: moved, cancelled or fired by someone else since it was read: nothing to do.
      if (!r.error().Is(Errc::kConflict)) Log("error", s.id, "", r.error().message);
      continue;
    }
    const std::string key = s.key.empty() ? "" : "key " + s.key + ", ";
    if (decisions[i].fire) {
      ++stats_.fired;
      Log("schedule_fired", s.id, fires[i].run_id, key + decisions[i].detail);
    } else {
      ++stats_.skipped;
      Log("schedule_skipped", s.id, "", key + decisions[i].detail);
    }
  }
}

void Daemon::StartRunnable(SystemTime now) {
  if (stopping_) return;
  auto runs = services_.store.RunnableRuns(ToUnixMillis(now), owner_);
  if (!runs) {
    Log("error", "", "", runs.error().message);
    return;
  }
  std::vector<std::string> candidates;
  std::map<std::string, const RunRecord*> by_id;
  for (const RunRecord& r : *runs) {
    if (active_.count(r.id)) continue;
    // Executed by another live process (a CLI `tenure run`): its business.
    if (r.status == RunStatus::kRunning && !r.owner.empty() && r.owner != owner_ && !OwnerGone(r.owner)) continue;
    candidates.push_back(r.id);
    by_id[r.id] = &r;
  }
  if (candidates.empty()) return;
  // One transaction claims them all; each Execute then finds itself the owner and writes nothing.
  auto claimed = services_.store.ClaimRuns(candidates, owner_, &OwnerGone);
  if (!claimed) {
    Log("error", "", "", claimed.error().message);
    return;
  }
  for (const std::string& id : *claimed) {
    const RunRecord& r = *by_id[id];
    active_.insert(id);
    ++stats_.runs_started;
    Log("run_started", "", id,
        std::string(r.status == RunStatus::kPending   ? "new run of "
                    : r.status == RunStatus::kWaiting ? "continuing "
                                                      : "resuming interrupted ") +
            r.playbook);
    boost::asio::co_spawn(services_.io, ExecuteOne(id), RethrowIfFailed);
  }
}

boost::asio::awaitable<void> Daemon::ExecuteOne(std::string run_id) {
  Result<RunStatus> status = Error::Io("not executed");
  std::string crash;
  try {
    status = co_await executor_.Execute(run_id);
  } catch (const std::exception& e) {
    crash = e.what();
  }
  active_.erase(run_id);
  ++stats_.runs_ended;
  stats_.active = static_cast<int>(active_.size());
  if (!crash.empty()) {
    Log("error", "", run_id, "internal error: " + crash);
  } else if (!status) {
    // Another process claimed it first (kConflict) or it finished meanwhile: not an error.
    if (status.error().Is(Errc::kConflict) || status.error().Is(Errc::kFailedPrecondition)) {
      Log("run_skipped", "", run_id, status.error().message);
    } else {
      Log("error", "", run_id, status.error().message);
    }
  } else {
    Log("run_ended", "", run_id, RunStatusName(*status));
  }
  idle_.NotifyAll();
  // A run that stopped may have unblocked nothing else, but a finished one frees limits: look again.
  if (!stopping_) Wake();
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
