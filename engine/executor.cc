// The run loop: loading a run from its snapshot, readiness, fan-out, skips, cancellation and the
// final status. The attempts themselves (connectors, approvals, timers, compensation) are in
// run_steps.cc.
#include "engine/executor.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <map>

#include "engine/history.h"
#include "engine/run_control.h"
#include "engine/run_execution.h"
#include "workflows/history.h"
#include "workflows/loader.h"
#include "workflows/render.h"
#include "workflows/validate.h"

namespace tenure::engine {
namespace {

using boost::asio::awaitable;
using workflows::TaskId;

}  // namespace

void RethrowIfFailed(std::exception_ptr e) {
  // A coroutine that escapes its own catch is a bug: surface it from io_context::run.
  if (e) std::rethrow_exception(e);
}

std::string IdempotencyKey(const std::string& run_id, const std::string& task, int item) {
  return Sha256Hex(run_id + "\n" + task + "\n" + std::to_string(item)).substr(0, 32);
}

namespace {
struct Claimed {
  RunRecord run;
  std::vector<TaskRecord> rows;
};

// On the journal's writer thread: the run, claimed for `owner` (unless it is already), and its
// task rows. Everything by value: the caller waits on another thread.
Result<Claimed> LoadAndClaim(StateStore& store, const std::string& run_id, const std::string& owner) {
  auto run = store.GetRun(run_id);
  if (!run) return run.error();
  switch (run->status) {
    case RunStatus::kSucceeded:
    case RunStatus::kFailed:
    case RunStatus::kCancelled:
      return Error::FailedPrecondition("run " + run_id + " already " + RunStatusName(run->status));
    default: break;
  }
  // Claimed already (the daemon claims the runs of a pass in one transaction): no write here.
  if (run->owner != owner) {
    auto current = store.ClaimRun(run_id, owner, &OwnerGone);
    if (!current) return current.error();
    if (*current != owner) return Error::Conflict("run " + run_id + " is being executed by " + *current);
    run->owner = owner;
  }
  auto rows = store.GetTasks(run_id);
  if (!rows) return rows.error();
  return Claimed{std::move(*run), std::move(*rows)};
}
}  // namespace

awaitable<Result<RunStatus>> Executor::Execute(std::string run_id) {
  // Through the journal: the reads and the claim never make the io thread wait for SQLite.
  // A named std::function, not a lambda temporary in the co_await expression (GCC 12 mis-destroys
  // those; see Daemon::Pass).
  std::function<Result<Claimed>(StateStore&)> op = [run_id, owner = options_.owner](StateStore& store) {
    return LoadAndClaim(store, run_id, owner);
  };
  auto claimed = co_await services_.journal.Run(std::move(op));
  if (!claimed) co_return claimed.error();
  co_return co_await ExecuteClaimed(std::move(claimed->run), std::move(claimed->rows));
}

awaitable<Result<RunStatus>> Executor::ExecuteClaimed(RunRecord run, std::vector<TaskRecord> rows) {
  const std::string run_id = run.id;
  Result<RunStatus> status = Error::Io("not executed");
  bool released = false;
  {
    RunExecution execution(services_, options_, playbooks_, cancel_watch_, std::move(run), std::move(rows));
    status = co_await execution.Run();
    released = execution.released();
  }
  if (released) co_return status;
  // Released through the journal: with many runs ending at once, the releases share transactions.
  Transition release;
  release.run_id = run_id;
  release.release_owner = options_.owner;
  (void)co_await services_.journal.Commit(std::move(release));
  co_return status;
}

RunExecution::RunExecution(Services& services, const ExecutorOptions& options, PlaybookCache& playbooks,
                           CancelWatch& cancel_watch, RunRecord run, std::vector<TaskRecord> rows)
    : services_(services),
      options_(options),
      playbooks_(playbooks),
      cancel_watch_(cancel_watch),
      run_(std::move(run)),
      initial_rows_(std::move(rows)),
      wake_(services.io),
      cancel_(services.io) {}

Result<void> RunExecution::Load() {
  auto loaded = playbooks_.Get(run_.sources, services_.catalog);
  if (!loaded) return Error{loaded.error().code, "run " + run_.id + ": " + loaded.error().message};
  loaded_ = std::move(*loaded);
  pb_ = &loaded_->playbook;
  graph_ = &loaded_->graph;
  plan_.emplace(*graph_, loaded_->continue_on_failure);
  std::vector<bool> propagate;
  for (const workflows::TaskSpec& t : pb_->tasks) propagate.push_back(t.skip_propagates);
  plan_->SetSkipPropagates(std::move(propagate));
  // The snapshot's text is in the shared playbook now; a run waiting for hours need not hold it.
  run_.sources.clear();
  run_.sources.shrink_to_fit();
  return {};
}

Result<void> RunExecution::RenderRunVars() {
  Map run_root;
  run_root.Set("id", run_.id);
  run_root.Set("playbook", run_.playbook);
  auto vars = workflows::RenderVars(*pb_, run_.inputs.IsMap() ? run_.inputs.AsMap() : Map(), run_root, nullptr,
                                    history_.IsNull() ? nullptr : &history_);
  if (!vars) return vars.error();
  vars_ = std::move(*vars);
  return {};
}

awaitable<Result<std::optional<TaskRecord>>> RunExecution::FreezeHistory() {
  if (!workflows::UsesHistory(*pb_)) co_return std::optional<TaskRecord>();
  for (const TaskRecord& r : initial_rows_) {
    if (r.task != kHistoryRow || r.item != -1) continue;
    history_ = r.result;  // read when the run first started: never again
    co_return std::optional<TaskRecord>();
  }
  auto lookups = workflows::HistoryLookups(*pb_, run_.inputs.IsMap() ? run_.inputs.AsMap() : Map());
  if (!lookups) co_return lookups.error();
  // A named std::function, not a lambda temporary in the co_await expression (GCC 12).
  std::function<Result<Value>(StateStore&)> op = [keys = *lookups, id = run_.id,
                                                  before = run_.created_ms](StateStore& store) {
    return ReadHistory(store, keys, id, before);
  };
  auto read = co_await services_.journal.Run(std::move(op));
  if (!read) co_return read.error();
  history_ = std::move(*read);
  TaskRecord row;
  row.task = std::string(kHistoryRow);
  row.status = TaskStatus::kSucceeded;
  row.result = history_;
  row.started_ms = row.finished_ms = ToUnixMillis(services_.clock.Now());
  history_reads_.clear();
  for (const workflows::HistoryKey& k : *lookups) history_reads_.push_back(DescribeRead(history_, k));
  co_return std::optional<TaskRecord>(std::move(row));
}

namespace {
// A manual task's `notify: <connection>` (engine/run_people.cc) needs that connection's connector.
bool NotifiesThrough(const workflows::TaskSpec& t, const std::string& name) {
  const workflows::YamlNode* n = t.call.with.IsMap() ? t.call.with.Find("notify") : nullptr;
  return n != nullptr && n->IsScalar() && n->scalar == name;
}
}  // namespace

Result<void> RunExecution::CreateConnectors() {
  for (const auto& conn : pb_->connections) {
    if (conn.builtin || connectors_.count(conn.name)) continue;
    const bool used = std::any_of(pb_->tasks.begin(), pb_->tasks.end(), [&](const workflows::TaskSpec& t) {
      return t.call.connection == conn.name || (t.compensate && t.compensate->connection == conn.name) ||
             NotifiesThrough(t, conn.name);
    });
    if (!used) continue;
    auto c = services_.factory.Create(conn, services_.redactor);
    if (!c) return c.error();  // the factory's errors name the connection and the key
    connectors_[conn.name] = std::move(*c);
  }
  return {};
}

void RunExecution::LoadRows(std::vector<TaskRecord> rows) {
  for (TaskRecord& r : rows) rows_[{r.task, r.item}] = std::move(r);
  for (TaskId t : graph_->TopologicalOrder()) {
    auto it = rows_.find({pb_->tasks[Index(t)].id, -1});
    if (it == rows_.end()) continue;
    TaskStatus s = it->second.status;
    // In flight or parked when the last process stopped: run it again (same idempotency key).
    if (s == TaskStatus::kRunning || s == TaskStatus::kWaiting) s = TaskStatus::kPending;
    plan_->Set(t, s);
    if (IsTerminal(s)) Publish(it->second);
  }
}

awaitable<Result<RunStatus>> RunExecution::Run() {
  std::optional<Result<RunStatus>> stop = co_await Start();
  if (stop) co_return std::move(*stop);
  if (run_.cancel_requested) cancelled_ = true;
  cancel_watch_.Join(run_.id, [this] { TriggerCancel(); });
  co_await MainLoop();
  co_await cancel_watch_.Leave(run_.id);
  co_await Drain();  // no completion may outlive this object
  if (halted_) co_return *halted_;
  const RunStatus status = co_await Finish();
  co_await Drain();
  if (halted_) co_return *halted_;
  co_return status;
}

awaitable<std::optional<Result<RunStatus>>> RunExecution::FailStart(std::string why) {
  co_await CommitEvent(Event("", -1, 0, "run_failed", why), RunStatus::kFailed, why);
  co_return Result<RunStatus>(RunStatus::kFailed);
}

awaitable<std::optional<Result<RunStatus>>> RunExecution::Start() {
  if (auto r = Load(); !r) co_return co_await FailStart(r.error().message);
  // history.last: read once, before vars (which may read it) and before any task.
  Result<std::optional<TaskRecord>> history = co_await FreezeHistory();
  if (!history) {
    std::string why = "run " + run_.id + ": reading history.last: " + history.error().message;
    co_return co_await FailStart(std::move(why));
  }
  if (auto r = RenderRunVars(); !r) co_return co_await FailStart(r.error().message);
  LoadRows(std::exchange(initial_rows_, {}));
  std::vector<TaskRecord> fresh;  // a row for every task, so `tenure status` lists them all
  for (const workflows::TaskSpec& spec : pb_->tasks) {
    if (!rows_.count({spec.id, -1})) fresh.push_back(Row(spec.id, -1));
  }
  std::vector<EventRecord> events;
  for (auto& entry : rows_) {
    const TaskRecord& row = entry.second;
    // A for_each parent is "running" while its items are; only attempts are recovered.
    if (row.status != TaskStatus::kRunning || !row.items.IsNull()) continue;
    events.push_back(Event(row.task, row.item, row.attempts, "recovered",
                           "attempt " + std::to_string(row.attempts) +
                               " was in flight when the previous process stopped; running it again with the same "
                               "idempotency key"));
  }
  const bool resumed = run_.status != RunStatus::kPending;
  events.push_back(Event("", -1, 0, resumed ? "run_resumed" : "run_started",
                         "playbook " + run_.playbook + " by " + options_.owner));
  if (*history) {  // committed with run_started, so durable before any task starts
    fresh.push_back(std::move(**history));
    for (std::string& read : history_reads_) events.push_back(Event("", -1, 0, "history_read", std::move(read)));
    history_reads_.clear();
  }
  // The wake-ups read with the run (before its tasks): a decision recorded after that read is
  // news for the next executor, whenever it arrives.
  if (!co_await Commit(std::move(fresh), std::move(events), RunStatus::kRunning, std::string(), run_.wakeups)) {
    co_return Result<RunStatus>(*halted_);
  }
  if (auto r = CreateConnectors(); !r) co_return co_await FailStart(r.error().message);
  co_return std::nullopt;
}

awaitable<void> RunExecution::MainLoop() {
  for (;;) {
    if (halted_) break;
    std::vector<TaskRecord> skipped;
    std::vector<EventRecord> events;
    // After a cancellation, unstarted tasks end as cancelled (Finish), not as skipped.
    std::vector<Plan::Skip> skips;
    if (!cancelled_) skips = plan_->PropagateSkips();
    for (const Plan::Skip& s : skips) {
      TaskRecord& row = Row(pb_->tasks[Index(s.task)].id, -1);
      const std::string& root = pb_->tasks[Index(s.because)].id;
      row.status = TaskStatus::kSkipped;
      const TaskStatus root_status = plan_->Get(s.because);
      row.error = "upstream task '" + root + "' " +
                  (root_status == TaskStatus::kCancelled ? "was cancelled"
                   : root_status == TaskStatus::kSkipped ? "was skipped (skip: propagate)"
                                                         : "failed");
      row.result = Value();
      skipped.push_back(row);
      events.push_back(Event(row.task, -1, 0, "skipped", row.error));
      Publish(row);
    }
    if (!skipped.empty() && !co_await Commit(std::move(skipped), std::move(events))) break;
    bool started = false;
    if (!cancelled_) {
      for (TaskId t : plan_->Ready()) {
        started = true;
        plan_->Set(t, TaskStatus::kRunning);
        ++running_;
        boost::asio::co_spawn(co_await boost::asio::this_coro::executor, RunTaskGuarded(t), RethrowIfFailed);
      }
    }
    // co_spawn may run a task inline to completion (a skip never suspends): look again before
    // concluding that nothing runs.
    if (running_ == 0) {
      if (started) continue;
      break;
    }
    while (!dirty_) co_await wake_.Wait();
    dirty_ = false;
  }
}

void RunExecution::TriggerCancel() {
  if (cancelled_) return;
  cancelled_ = true;
  cancel_.NotifyAll();
  Wake();
}

void RunExecution::Wake() {
  dirty_ = true;
  wake_.NotifyOne();
}

awaitable<void> RunExecution::RunTaskGuarded(TaskId t) {
  TaskStatus status = TaskStatus::kFailed;
  std::string crash;
  try {
    status = co_await RunTask(t);
  } catch (const std::exception& e) {
    crash = e.what();
  }
  if (!crash.empty()) {
    status = EndRow(Row(pb_->tasks[Index(t)].id, -1), TaskStatus::kFailed, "internal error: " + crash,
                    Value(), "failed", "internal error: " + crash);
  }
  plan_->Set(t, status);
  --running_;
  Wake();
}

awaitable<TaskStatus> RunExecution::RunTask(TaskId t) {
  const workflows::TaskSpec& spec = pb_->tasks[Index(t)];
  TaskRecord& row = Row(spec.id, -1);
  if (spec.when && row.items.IsNull() && row.attempts == 0) {
    Result<Value> v = workflows::RenderNode(*spec.when, ScopeOf(spec), "tasks." + spec.id + ".when");
    if (!v) co_return EndRow(row, TaskStatus::kFailed, v.error().message, Value(), "failed", v.error().message);
    if (!v->Truthy()) {
      const std::string why = "condition was false: " + spec.when->scalar;
      co_return EndRow(row, TaskStatus::kSkipped, why, Value(), "skipped", why);
    }
  }
  if (!spec.for_each) co_return co_await RunItem(t, -1, nullptr);
  const bool fresh = row.items.IsNull();  // false on a resume: the stored list is reused
  if (fresh) {
    Result<Value> v = workflows::RenderNode(*spec.for_each, ScopeOf(spec), "tasks." + spec.id + ".for_each");
    if (v && !v->IsList()) {
      v = Error::Type("tasks." + spec.id + ".for_each: expected a list, got " + std::string(v->KindName()));
    }
    if (!v) co_return EndRow(row, TaskStatus::kFailed, v.error().message, Value(), "failed", v.error().message);
    row.items = services_.redactor.RedactValue(*v);
  }
  row.status = TaskStatus::kRunning;
  if (row.started_ms == 0) row.started_ms = ToUnixMillis(services_.clock.Now());
  const List items = row.items.AsList();
  std::optional<EventRecord> fan_out;
  if (fresh) fan_out = Event(spec.id, -1, 0, "fan_out", std::to_string(items.size()) + " items");
  if (!co_await CommitRow(row, std::move(fan_out))) {
    co_return TaskStatus::kRunning;
  }
  co_return co_await RunItems(t, items);
}

awaitable<void> RunExecution::RunOneItem(TaskId t, int item, const Value* item_value, std::shared_ptr<ItemJoin> join) {
  // A named member coroutine, not a capturing lambda: everything it reads after a suspension is a
  // parameter in its own frame (CP.51). `item_value` points into the caller's list, which outlives
  // every item (RunItems waits for all of them).
  TaskStatus s = TaskStatus::kFailed;
  try {
    s = co_await RunItem(t, item, item_value);
  } catch (const std::exception&) {
    s = TaskStatus::kFailed;
  }
  join->status[static_cast<std::size_t>(item)] = s;
  if (--join->remaining == 0) join->joined.NotifyAll();
}

awaitable<TaskStatus> RunExecution::RunItems(TaskId t, const List& items) {
  const workflows::TaskSpec& spec = pb_->tasks[Index(t)];
  auto join = std::make_shared<ItemJoin>(co_await boost::asio::this_coro::executor);
  join->remaining = static_cast<int>(items.size());
  join->status.resize(items.size(), TaskStatus::kPending);
  for (std::size_t i = 0; i < items.size(); ++i) {
    boost::asio::co_spawn(co_await boost::asio::this_coro::executor,
                          RunOneItem(t, static_cast<int>(i), &items[i], join), RethrowIfFailed);
  }
  while (join->remaining > 0) co_await join->joined.Wait();

  List results;
  int failed = 0, waiting = 0, cancelled = 0, skipped = 0;
  std::string first_error;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const TaskRecord& item_row = Row(spec.id, static_cast<int>(i));
    results.push_back(item_row.result);
    switch (join->status[i]) {
      case TaskStatus::kFailed:
        if (failed++ == 0) first_error = "item " + std::to_string(i) + " (" + items[i].ToText() + "): " + item_row.error;
        break;
      case TaskStatus::kWaiting: ++waiting; break;
      case TaskStatus::kCancelled: ++cancelled; break;
      case TaskStatus::kSkipped: ++skipped; break;
      default: break;
    }
  }
  TaskRecord& row = Row(spec.id, -1);
  if (halted_) co_return TaskStatus::kRunning;
  if (failed > 0) {
    const std::string why = std::to_string(failed) + " of " + std::to_string(items.size()) + " items failed; first: " + first_error;
    co_return EndRow(row, TaskStatus::kFailed, why, Value(std::move(results)), "failed", why);
  }
  if (cancelled > 0) co_return EndRow(row, TaskStatus::kCancelled, "cancelled", Value(), "cancelled", "cancelled");
  if (waiting > 0) {
    row.status = TaskStatus::kWaiting;
    co_await CommitRow(row, std::nullopt);
    co_return TaskStatus::kWaiting;
  }
  co_return EndRow(row, TaskStatus::kSucceeded, "", Value(std::move(results)), "succeeded",
                   std::to_string(items.size() - static_cast<std::size_t>(skipped)) + " items succeeded" +
                       (skipped > 0 ? ", " + std::to_string(skipped) + " skipped by item_when" : std::string()));
}

awaitable<TaskStatus> RunExecution::RunItem(TaskId t, int item, const Value* item_value) {
  const workflows::TaskSpec& spec = pb_->tasks[Index(t)];
  TaskRecord& row = Row(spec.id, item);
  if (IsTerminal(row.status)) co_return row.status;  // finished before a resume: never run twice
  Step step{spec.id, item, &spec.call, &spec, std::nullopt, std::nullopt, "tasks." + spec.id + ".with"};
  if (item_value != nullptr) step.item_value = *item_value;
  if (spec.item_when && item >= 0 && row.attempts == 0) {
    Result<Value> v = workflows::RenderNode(*spec.item_when, ScopeOf(step), "tasks." + spec.id + ".item_when");
    if (!v) co_return EndRow(row, TaskStatus::kFailed, v.error().message, Value(), "failed", v.error().message);
    if (!v->Truthy()) {
      const std::string why = "item condition was false: " + spec.item_when->scalar;
      co_return EndRow(row, TaskStatus::kSkipped, why, Value(), "skipped", why);
    }
  }
  co_return co_await RunStep(std::move(step));
}

awaitable<RunStatus> RunExecution::Finish() {
  RunOutcome outcome = plan_->Outcome(cancelled_);
  if (outcome == RunOutcome::kFailed && pb_->on_failure == workflows::RunFailurePolicy::kCompensate) {
    co_await Compensate();
  }
  std::vector<TaskRecord> rows;
  std::vector<EventRecord> events;
  std::string error;
  RunStatus status = RunStatus::kSucceeded;
  switch (outcome) {
    case RunOutcome::kInProgress:  // the loop only ends when nothing can run: unreachable
    case RunOutcome::kWaiting: status = RunStatus::kWaiting; break;
    case RunOutcome::kSucceeded: status = RunStatus::kSucceeded; break;
    case RunOutcome::kFailed: status = RunStatus::kFailed; break;
    case RunOutcome::kCancelled: status = RunStatus::kCancelled; break;
  }
  if (status == RunStatus::kCancelled) {
    for (auto& entry : rows_) {
      TaskRecord& row = entry.second;
      if (IsTerminal(row.status)) continue;
      row.status = TaskStatus::kCancelled;
      row.error = "run cancelled before this task finished";
      rows.push_back(row);
    }
    error = "cancelled on request";
  }
  if (status == RunStatus::kFailed) {
    for (TaskId t : graph_->TopologicalOrder()) {
      const TaskRecord& row = Row(pb_->tasks[Index(t)].id, -1);
      if (plan_->Get(t) == TaskStatus::kFailed && plan_->Blocks(t)) {
        error = "task '" + row.task + "' failed: " + row.error;
        break;
      }
    }
  }
  std::string detail = error.empty() ? "every task succeeded or was skipped" : error;
  if (status == RunStatus::kSucceeded) {
    // Never "every task succeeded" beside a failure the playbook let pass (`on_failure: continue`).
    std::string tolerated;
    int count = 0;
    for (TaskId t : graph_->TopologicalOrder()) {
      const TaskRecord& row = Row(pb_->tasks[Index(t)].id, -1);
      if (row.status != TaskStatus::kFailed) continue;
      if (count++ < 3) tolerated += (tolerated.empty() ? "" : "; ") + row.task + ": " + row.error;
    }
    if (count > 0) {
      detail = std::to_string(count) + (count == 1 ? " task" : " tasks") +
               " failed and the playbook continued past (on_failure: continue): " + tolerated +
               (count > 3 ? "; ..." : "");
      error = detail;
    }
  }
  if (status == RunStatus::kWaiting) {
    std::string names;
    for (const auto& entry : rows_) {
      const TaskRecord& row = entry.second;
      if (row.status == TaskStatus::kWaiting && row.item < 0) names += (names.empty() ? "" : ", ") + row.task;
    }
    detail = "waiting for " + names + "; continue with: tenure resume " + run_.id;
  }
  events.push_back(Event("", -1, 0, "run_" + std::string(RunStatusName(status)), detail));
  // The last write of this execution: it also gives up the claim (one transition, not two).
  co_await Commit(std::move(rows), std::move(events), status, error, std::nullopt, /*release=*/true);
  co_return status;
}

}  // namespace tenure::engine
