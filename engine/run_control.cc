#include "engine/run_control.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <random>
#include <sys/random.h>

#include "engine/scheduler.h"

namespace tenure::engine {
namespace {

std::string HostName() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

EventRecord Ev(const std::string& run, const std::string& task, int item, std::string kind, std::string detail,
               std::int64_t at) {
  EventRecord e;
  e.run_id = run;
  e.task = task;
  e.item = item;
  e.kind = std::move(kind);
  e.detail = std::move(detail);
  e.at_ms = at;
  return e;
}

bool Finished(RunStatus s) {
  return s == RunStatus::kSucceeded || s == RunStatus::kFailed || s == RunStatus::kCancelled;
}

// Whether `user` may decide the waiting row `r`. While a manual task waits, its row's result holds
// its rendered arguments (RunManual), so `approvers` is the list as rendered for this run and item;
// an absent, null or empty list lets anyone decide. The executor refuses any other shape before it
// parks the task, so a malformed list never reaches here as "anyone".
Result<void> MayDecide(const TaskRecord& r, const std::string& run_id, const std::string& user) {
  if (!r.result.IsMap()) return {};
  const Value* approvers = r.result.AsMap().Find("approvers");
  if (approvers == nullptr || !approvers->IsList() || approvers->AsList().empty()) return {};
  std::string names;
  for (const Value& a : approvers->AsList()) {
    if (a.IsString() && a.AsString() == user) return {};
    names += (names.empty() ? "" : ", ") + a.ToText();
  }
  return Error::Denied(user + " may not decide task " + r.task + (r.item >= 0 ? " item " + std::to_string(r.item) : "") +
                       " of run " + run_id + ": its approvers are " + names);
}

// When process `pid` started, in clock ticks since boot (/proc/PID/stat, field 22), or 0 when it
// cannot be read (no such process, no /proc).
unsigned long long ProcessStart(long pid) {
  std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (f == nullptr) return 0;
  char buf[1024];
  const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
  std::fclose(f);
  buf[n] = '\0';
  // Field 2 (the command) is in parentheses and may hold spaces: count from the last ')'.
  const char* p = std::strrchr(buf, ')');
  if (p == nullptr) return 0;
  for (int field = 2; field < 22 && p != nullptr; ++field) p = std::strchr(p + 1, ' ');
  return p == nullptr ? 0 : std::strtoull(p + 1, nullptr, 10);
}

}  // namespace

std::string CurrentOwner() {
  const long pid = ::getpid();
  return HostName() + ":" + std::to_string(pid) + "@" + std::to_string(ProcessStart(pid));
}

bool OwnerGone(const std::string& owner) {
  const auto colon = owner.rfind(':');
  if (colon == std::string::npos || owner.substr(0, colon) != HostName()) return false;
  char* end = nullptr;
  const long pid = std::strtol(owner.c_str() + colon + 1, &end, 10);
  if (pid <= 0) return true;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
  // "host:pid@start": a live process with that pid that started at another time is not the
  // owner (the pid was reused). An owner without "@start" (older tenure) is judged by its pid.
  if (end != nullptr && *end == '@') {
    const unsigned long long start = std::strtoull(end + 1, nullptr, 10);
    const unsigned long long now = ProcessStart(pid);
    if (start != 0 && now != 0 && start != now) return true;
  }
  return false;
}

std::string CurrentUser() {
  if (const passwd* pw = ::getpwuid(::geteuid()); pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
  if (const char* u = std::getenv("USER"); u != nullptr) return u;
  return "uid" + std::to_string(::geteuid());
}

namespace {
std::string RunIdAt(SystemTime now, unsigned bits) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y%m%d-%H%M%S", &tm);
  char out[64];
  std::snprintf(out, sizeof out, "r%s-%06x", date, bits & 0xffffffu);
  return out;
}

unsigned RandomBits() {
  // getrandom(2), not std::random_device: a daemon firing thousands of schedules makes an id each.
  unsigned bits = 0;
  if (::getrandom(&bits, sizeof bits, 0) != static_cast<ssize_t>(sizeof bits)) bits = std::random_device{}();
  return bits;
}
}  // namespace

std::string NewRunId(SystemTime now) { return RunIdAt(now, RandomBits()); }

std::vector<std::string> NewRunIds(SystemTime now, std::size_t n) {
  std::vector<std::string> ids;
  ids.reserve(n);
  const unsigned first = RandomBits();
  for (std::size_t i = 0; i < n; ++i) ids.push_back(RunIdAt(now, first + static_cast<unsigned>(i)));
  return ids;
}

std::string NewScheduleId(SystemTime now) { return "s" + NewRunId(now).substr(1); }

Result<AddedSchedule> AddSchedule(StateStore& store, const NewSchedule& s, SystemTime now) {
  auto first = FirstFire(s.cron, s.at, s.time_zone, now);
  if (!first) return first.error();
  ScheduleRecord r;
  r.key = s.key;
  r.playbook = s.playbook->name;
  for (const workflows::SourceFile& f : s.playbook->sources) r.sources.push_back({f.path, f.text, Sha256Hex(f.text)});
  r.inputs = Value(s.inputs);
  r.cron = s.cron;
  r.at = s.cron.empty() ? s.at : "";
  r.time_zone = s.time_zone;
  r.catch_up = s.catch_up;
  r.next_ms = *first;
  r.created_by = s.created_by;
  r.created_ms = ToUnixMillis(now);
  Result<ScheduleWrite> put = Error::Io("could not draw an unused schedule id");
  for (int draw = 0; draw < 16; ++draw) {
    r.id = s.new_id(now);
    if (auto taken = store.GetSchedule(r.id); taken) continue;
    put = store.PutSchedule(r);
    break;
  }
  if (!put) return put.error();
  r.id = put->id;
  r.sources.clear();
  return AddedSchedule{std::move(r), put->replaced, put->previous_next_ms};
}

Result<CreatedRun> CreateRun(StateStore& store, const NewRun& run, SystemTime now) {
  RunRecord r;
  r.playbook = run.playbook->name;
  for (const workflows::SourceFile& f : run.playbook->sources) r.sources.push_back({f.path, f.text, Sha256Hex(f.text)});
  r.inputs = Value(run.inputs);
  r.trigger = run.trigger;
  r.trigger_key = run.trigger_key;
  r.created_ms = ToUnixMillis(now);
  if (!run.id.empty()) {
    r.id = run.id;
    return store.CreateRun(r);
  }
  // A generated id has 24 random bits per second: a batch of thousands started within one second
  // meets a taken id now and then. The store refuses a taken id in its transaction
  // (kAlreadyExists), so draw again.
  Result<CreatedRun> created = Error::Io("could not draw an unused run id");
  for (int draw = 0; draw < 16; ++draw) {
    r.id = run.new_id(now);
    created = store.CreateRun(r);
    if (created || !created.error().Is(Errc::kAlreadyExists)) return created;
  }
  return created;
}

Result<void> Decide(StateStore& store, const std::string& run_id, const std::string& task, bool approve,
                    const std::string& user, const std::string& note, SystemTime now) {
  auto run = store.GetRun(run_id);
  if (!run) return run.error();
  auto rows = store.GetTasks(run_id);
  if (!rows) return rows.error();
  Transition t;
  t.run_id = run_id;
  t.at_ms = ToUnixMillis(now);
  bool found = false;
  std::string status;
  for (TaskRecord& r : *rows) {
    if (r.task != task) continue;
    found = true;
    if (r.item < 0) status = TaskStatusName(r.status);
    if (r.status != TaskStatus::kWaiting) continue;
    if (auto allowed = MayDecide(r, run_id, user); !allowed) return allowed.error();  // nothing recorded
    r.expect = TaskStatus::kWaiting;  // a concurrent decision or resume must not be overwritten
    r.decided_by = user;
    r.note = note;
    r.finished_ms = t.at_ms;
    Map result;
    result.Set(approve ? "approved_by" : "rejected_by", user);
    result.Set("decided_by", user);  // as every other way of deciding records it (decisions.cc)
    result.Set("note", note);
    result.Set("decided_at", FormatRfc3339(now));
    r.result = Value(std::move(result));
    r.status = approve ? TaskStatus::kSucceeded : TaskStatus::kFailed;
    r.error = approve ? "" : "rejected by " + user + (note.empty() ? "" : ": " + note);
    if (r.item >= 0 || t.tasks.empty()) {
      t.events.push_back(Ev(run_id, task, r.item, approve ? "approved" : "rejected",
                            (approve ? "approved by " : "rejected by ") + user + (note.empty() ? "" : ": " + note),
                            t.at_ms));
    }
    t.tasks.push_back(r);
  }
  if (!found) return Error::NotFound("run " + run_id + " has no task '" + task + "'");
  if (t.tasks.empty()) {
    return Error::FailedPrecondition("task " + task + " of run " + run_id +
                                     " is not waiting for a decision (it is " + status + ")");
  }
  t.wake = true;  // news for `resume --all` and the daemon, even if the run is still executing
  return store.Apply({&t, 1});
}

Result<bool> Cancel(StateStore& store, const std::string& run_id, SystemTime now) {
  auto run = store.GetRun(run_id);
  if (!run) return run.error();
  if (Finished(run->status)) {
    return Error::FailedPrecondition("run " + run_id + " already " + RunStatusName(run->status));
  }
  if (auto r = store.RequestCancel(run_id); !r) return r.error();
  auto owner = store.ClaimRun(run_id, CurrentOwner(), &OwnerGone);
  if (!owner) return owner.error();
  if (*owner != CurrentOwner()) return false;  // the executing process stops it
  auto rows = store.GetTasks(run_id);
  if (!rows) return rows.error();
  Transition t;
  t.run_id = run_id;
  t.at_ms = ToUnixMillis(now);
  t.run_status = RunStatus::kCancelled;
  t.run_error = "cancelled by " + CurrentUser();
  for (TaskRecord& r : *rows) {
    if (IsTerminal(r.status)) continue;
    r.status = TaskStatus::kCancelled;
    r.error = "run cancelled before this task finished";
    r.finished_ms = t.at_ms;
    t.tasks.push_back(r);
  }
  t.events.push_back(Ev(run_id, "", -1, "run_cancelled", "cancelled by " + CurrentUser(), t.at_ms));
  auto applied = store.Apply({&t, 1});
  (void)store.ReleaseRun(run_id, CurrentOwner());
  if (!applied) return applied.error();
  return true;
}

Result<int> Retry(StateStore& store, const std::string& run_id, const std::string& task, SystemTime now) {
  auto run = store.GetRun(run_id);
  if (!run) return run.error();
  // A waiting run (a timer 90 days away, an approval) may have failed tasks too, under
  // `on_failure: continue`: they can be retried without waiting for the rest.
  if (run->status != RunStatus::kFailed && run->status != RunStatus::kCancelled &&
      run->status != RunStatus::kWaiting) {
    return Error::FailedPrecondition("run " + run_id + " has status " + RunStatusName(run->status) +
                                     "; only failed, cancelled or waiting runs can be retried");
  }
  if (!run->owner.empty() && run->owner != CurrentOwner() && !OwnerGone(run->owner)) {
    return Error::Conflict("run " + run_id + " is being executed by " + run->owner + "; retry it when that stops");
  }
  auto rows = store.GetTasks(run_id);
  if (!rows) return rows.error();
  Transition t;
  t.run_id = run_id;
  t.at_ms = ToUnixMillis(now);
  t.run_status = RunStatus::kPending;
  t.run_error = "";
  t.clear_cancel_request = true;
  t.wake = true;
  bool chosen_found = false;
  std::string rejected;  // decided approvals a whole-run retry leaves alone
  for (TaskRecord& r : *rows) {
    const bool compensation = r.task.find(':') != std::string::npos;
    const bool broken = !compensation && (r.status == TaskStatus::kFailed || r.status == TaskStatus::kCancelled);
    // A person's rejection is a decision, not a fault: only naming the task asks again.
    const bool decided = !r.decided_by.empty();
    if (broken && decided && task.empty() && r.item < 0) rejected += (rejected.empty() ? "" : ", ") + r.task;
    const bool chosen = broken && (task.empty() ? !decided : r.task == task);
    chosen_found = chosen_found || chosen;
    // Upstream skips are derived again by the Plan: if another failure still blocks a task,
    // the resumed run skips it again.
    const bool reset = chosen || (r.status == TaskStatus::kSkipped && r.error.rfind("upstream task", 0) == 0);
    if (!reset) continue;
    r.status = TaskStatus::kPending;
    r.error.clear();
    r.finished_ms = 0;
    r.attempts = 0;  // a fresh retry budget; the key stays the same
    if (chosen) {
      r.decided_by.clear();
      r.note.clear();
    }
    if (r.item < 0 && r.result.IsList()) r.result = Value();
    t.tasks.push_back(r);
  }
  if (!task.empty() && !chosen_found) {
    return Error::FailedPrecondition("task " + task + " of run " + run_id + " did not fail or get cancelled");
  }
  if (!chosen_found && run->status != RunStatus::kCancelled) {  // a cancelled run goes on anyway
    return Error::FailedPrecondition(
        "run " + run_id + " has no failed task to retry" +
        (rejected.empty() ? std::string()
                          : "; rejected by a person: " + rejected + " (ask again with: tenure retry " + run_id +
                                " --task " + rejected.substr(0, rejected.find(',')) + ")"));
  }
  if (run->status == RunStatus::kWaiting) t.run_status = RunStatus::kWaiting;  // Execute continues it
  t.events.push_back(Ev(run_id, task, -1, "retry_requested",
                        "by " + CurrentUser() + ": " + std::to_string(t.tasks.size()) + " task rows reset", t.at_ms));
  if (auto r = store.Apply({&t, 1}); !r) return r.error();
  return static_cast<int>(t.tasks.size());
}

}  // namespace tenure::engine
