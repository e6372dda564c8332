// RunExecution: the state of one run while an Executor drives it (private to engine/).
//
// Invariants:
// - rows_ mirrors what has been committed (or is being committed) for this run: one TaskRecord per
//   (task row, item). Memory is updated first, then the Journal commit is awaited; a failed commit
//   sets halted_ and nothing new starts.
// - plan_ holds the status of each playbook task (the item -1 row); items only feed their task.
// - running_ counts RunTask coroutines; the main loop waits on wake_ while dirty_ is false.
// Threading: engine executor only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "workflows/expr.h"
#include "engine/cancel_watch.h"
#include "engine/executor.h"
#include "engine/plan.h"
#include "engine/playbook_cache.h"
#include "workflows/playbook.h"
#include "workflows/task_graph.h"

namespace tenure::engine {

// The completion of every co_spawn in the engine.
void RethrowIfFailed(std::exception_ptr e);

class RunExecution {
 public:
  // `run` claimed by this process, with its task rows as stored (read with it).
  RunExecution(Services& services, const ExecutorOptions& options, PlaybookCache& playbooks, CancelWatch& cancel_watch,
               RunRecord run, std::vector<TaskRecord> rows);
  boost::asio::awaitable<Result<RunStatus>> Run();
  // Whether the run's last commit also gave up this process's claim on it (the run ended or
  // parked normally); else the caller releases it.
  bool released() const { return released_; }

 private:
  // One sequence of attempts of one action for one row.
  struct Step {
    std::string row;  // task id, or "<task>:compensate"
    int item = -1;
    const workflows::ActionCall* call = nullptr;
    const workflows::TaskSpec* spec = nullptr;
    std::optional<Value> item_value;  // for_each: `item` (and `index` = item)
    std::optional<Value> result;      // compensation: the task's own result
    std::string path;                 // of the `with` being rendered, for error messages
  };
  // The roots a template of `include` (-1 = top level) may read, computed when read: a task's
  // arguments rarely read `tasks`, and copying every result for every task would cost O(n^2).
  class StepScope final : public workflows::Scope {
   public:
    StepScope(const RunExecution& run, int include, const Value* item, int index, const Value* result)
        : run_(run), include_(include), item_(item), index_(index), result_(result) {}
    Result<Value> Root(std::string_view name) const override;

   private:
    const RunExecution& run_;
    int include_;
    const Value* item_;
    int index_;
    const Value* result_;
  };
  enum class Ended { kOutcome, kTimeout, kCancelled };

  Result<void> Load();
  // Renders the playbook's vars (after FreezeHistory: a var may read history.last).
  Result<void> RenderRunVars();
  // history.last (engine/history.h): sets history_ from the run's kHistoryRow, or, on the run's
  // first start, reads the store and returns the row to commit with run_started. Errors: an
  // argument that does not evaluate from the inputs, or the store's.
  boost::asio::awaitable<Result<std::optional<TaskRecord>>> FreezeHistory();
  Result<void> CreateConnectors();
  void LoadRows(std::vector<TaskRecord> rows);

  // Loads the run and records that it starts: nullopt to go on, else what Run returns. A child
  // coroutine so that what it needs is freed before the run waits.
  boost::asio::awaitable<std::optional<Result<RunStatus>>> Start();
  // Records that the run cannot start (`why`, as run_failed) and ends it failed.
  boost::asio::awaitable<std::optional<Result<RunStatus>>> FailStart(std::string why);
  boost::asio::awaitable<void> MainLoop();
  boost::asio::awaitable<void> RunTaskGuarded(workflows::TaskId t);
  boost::asio::awaitable<TaskStatus> RunTask(workflows::TaskId t);
  boost::asio::awaitable<TaskStatus> RunItems(workflows::TaskId t, const List& items);
  // The items of one for_each task still running, and their statuses by index.
  struct ItemJoin {
    explicit ItemJoin(boost::asio::any_io_executor ex) : joined(std::move(ex)) {}
    int remaining = 0;
    std::vector<TaskStatus> status;
    WaitQueue joined;
  };
  boost::asio::awaitable<void> RunOneItem(workflows::TaskId t, int item, const Value* item_value,
                                          std::shared_ptr<ItemJoin> join);
  boost::asio::awaitable<TaskStatus> RunItem(workflows::TaskId t, int item, const Value* item_value);
  boost::asio::awaitable<TaskStatus> RunStep(Step step);
  boost::asio::awaitable<TaskStatus> RunManual(Step& step);
  boost::asio::awaitable<TaskStatus> RunTimer(Step& step);
  // People in the loop (engine/run_people.cc): the deadline bookkeeping of a manual task that is
  // about to park ("" or why it cannot), and what a waiting one does when the run wakes: first
  // notices, reminders, escalation, overdue.
  std::string ParkPeople(const Step& step, TaskRecord& row);
  boost::asio::awaitable<TaskStatus> WhileWaiting(Step& step);
  struct Notice {
    std::string person;
    std::string text;
    LinkRecord link;  // id "" = no link (no daemon console): the text says how to decide instead
  };
  std::vector<Notice> PrepareNotices(const Step& step, const TaskRecord& row, const std::vector<std::string>& people,
                                     const std::string& purpose, std::int64_t due_ms);
  boost::asio::awaitable<void> SendNotices(Step& step, std::string connection, std::vector<Notice> notices);
  // `polled`: for `until`, a success is stored there and returned without ending the row.
  boost::asio::awaitable<TaskStatus> RunConnector(Step& step, Map args, Value* polled = nullptr);
  // `until`: polls the action until its condition holds (durable between polls through due_ms).
  boost::asio::awaitable<TaskStatus> RunPolling(Step& step, Map args);
  // One call (`op`, not yet started) raced against `timeout` and the run's cancellation.
  boost::asio::awaitable<std::pair<Ended, connectors::Outcome>> Race(boost::asio::awaitable<connectors::Outcome> op,
                                                                      workflows::Duration timeout);
  // `c.Invoke(action, ctx)` raced the same way. Not a coroutine: no frame of its own.
  boost::asio::awaitable<std::pair<Ended, connectors::Outcome>> Invoke(connectors::Connector& c,
                                                                        const connectors::Action& action,
                                                                        const connectors::Context& ctx,
                                                                        workflows::Duration timeout) {
    return Race(c.Invoke(action, ctx), timeout);
  }
  // After a destructive action succeeded (`verify`): reads the system back through
  // Connector::Observe, within the connection's limits, up to three tries for transient failures.
  // Adds `read_back` ({expected, seen, agrees}) to `result`; returns "" when it agrees, else why
  // the task fails ("read-back disagrees: expected active=false, read back active=true").
  boost::asio::awaitable<std::string> ReadBack(const Step& step, const workflows::ConnectionSpec& conn,
                                               connectors::Connector& c, const connectors::Action& action,
                                               const connectors::Context& ctx, workflows::Duration timeout,
                                               Value& result);
  // The connection's `rate`, else its connector's published default.
  double RateOf(const workflows::ConnectionSpec& conn) const;
  boost::asio::awaitable<void> Compensate();
  boost::asio::awaitable<RunStatus> Finish();

  // Commits the rows (copied into rows_ first) and events; reports the events on success.
  boost::asio::awaitable<bool> Commit(std::vector<TaskRecord> rows, std::vector<EventRecord> events,
                                      std::optional<RunStatus> status = std::nullopt,
                                      std::optional<std::string> run_error = std::nullopt,
                                      std::optional<std::int64_t> wakeups_seen = std::nullopt,
                                      bool release = false);
  // The same for one row and at most one event, and for one run-level event. (GCC 12 cannot
  // compile braced lists inside co_await expressions: "array used as initializer".)
  // `row` is copied before the first suspension (pass rows_ entries: no copy in the caller's frame).
  boost::asio::awaitable<bool> CommitRow(const TaskRecord& row, std::optional<EventRecord> event);
  boost::asio::awaitable<bool> CommitEvent(EventRecord event, std::optional<RunStatus> status = std::nullopt,
                                           std::optional<std::string> run_error = std::nullopt);
  // The same with the event built by `make_event()` inside this short-lived coroutine: a caller
  // that waits for hours afterwards (a connector call) does not keep the event and the strings
  // that built it in its own frame (benchmark 3). `make_event` may capture by reference.
  template <class MakeEvent>
  boost::asio::awaitable<bool> CommitRowWith(const TaskRecord& row, MakeEvent make_event) {
    co_return co_await CommitRow(row, make_event());
  }
  template <class MakeEvent>
  boost::asio::awaitable<bool> CommitEventWith(MakeEvent make_event) {
    co_return co_await CommitEvent(make_event());
  }
  // Records a finished row without waiting for the commit (group commit across a chain: the next
  // task's intent shares the transaction). Safe because the journal applies in order: a dependent's
  // intent is never durable without this result. A failure sets halted_.
  void CommitLater(TaskRecord row, EventRecord event);
  // Waits until everything submitted so far is committed (before the run returns).
  boost::asio::awaitable<void> Drain();
  // Ends a row (result committed later, see CommitLater) and returns the status to report. Not a
  // coroutine on purpose: every `co_await` call site would keep its argument temporaries (a row
  // copy, strings) in the caller's coroutine frame for the run's lifetime (benchmark 3).
  TaskStatus EndRow(TaskRecord row, TaskStatus status, std::string error, Value result, std::string kind,
                    std::string detail);
  EventRecord Event(const std::string& task, int item, int attempt, std::string kind, std::string detail) const;
  TaskRecord& Row(const std::string& task, int item);
  void Publish(const TaskRecord& row);  // the task's entry in the `tasks` scope root
  const Map& TasksRoot() const;
  void Wake();
  void TriggerCancel();

  StepScope ScopeOf(const Step& step) const;
  StepScope ScopeOf(const workflows::TaskSpec& spec) const { return StepScope(*this, spec.include, nullptr, -1, nullptr); }
  Result<Map> Params(int include) const;

  Services& services_;
  const ExecutorOptions& options_;
  PlaybookCache& playbooks_;
  CancelWatch& cancel_watch_;
  RunRecord run_;
  std::vector<TaskRecord> initial_rows_;  // until Start() takes them

  std::shared_ptr<const LoadedPlaybook> loaded_;  // shared with the runs of the same snapshot
  const workflows::Playbook* pb_ = nullptr;       // loaded_->playbook, set by Load
  const workflows::TaskGraph* graph_ = nullptr;   // loaded_->graph
  std::optional<Plan> plan_;
  Map vars_;
  Value history_;  // the frozen `history` root; null when the playbook never calls history.last
  std::vector<std::string> history_reads_;  // FreezeHistory -> Start: what was read, for the log
  // The `tasks` scope root, built when a template first reads it: Map::Set is linear, and most
  // tasks never read `tasks`, so entries wait in pending_entries_ until then.
  mutable Map tasks_root_;
  mutable std::vector<std::pair<std::string, Value>> pending_entries_;
  std::map<std::string, std::unique_ptr<connectors::Connector>> connectors_;
  std::map<std::pair<std::string, int>, TaskRecord> rows_;

  WaitQueue wake_;
  WaitQueue cancel_;  // NotifyAll on cancellation: every in-flight wait races it
  bool dirty_ = false;
  int running_ = 0;
  int detached_commits_ = 0;  // CommitLater transitions not yet completed
  bool cancelled_ = false;
  std::optional<Error> halted_;  // the store failure that stopped the run
  bool released_ = false;        // Finish's commit released the claim
};

}  // namespace tenure::engine
