// Plan: pure readiness bookkeeping for one run (ninja's Plan). No I/O, no coroutines, no clock.
//
// Design: the executor tells the Plan each task's status as it changes; the Plan answers what may
// start, what must be skipped because something upstream failed, and how the run stands.
// Rules (docs/engine.md):
// - A task is ready when it is pending and every predecessor is "passable": succeeded, skipped
//   because its `when` was false, or failed with `on_failure: continue`.
// - A predecessor that failed (without continue), was cancelled, or was itself skipped because of
//   an upstream failure "blocks": the task is skipped, naming the failed task at the root.
//   Whether a skipped task blocks is derived from the graph, not stored: a `when` skip only ever
//   happens once every predecessor passed, so a skipped task blocks exactly when one of its
//   predecessors blocks, or when it has `skip: propagate` (then it is itself the root).
// Threading: plain data, single-threaded.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "engine/state_store.h"
#include "workflows/task_graph.h"

namespace tenure::engine {

using workflows::TaskGraph;
using workflows::TaskId;

// How a run stands once nothing can start and nothing is running.
enum class RunOutcome { kInProgress, kSucceeded, kFailed, kWaiting, kCancelled };

class Plan {
 public:
  // `continue_on_failure[t]` is true for tasks with `on_failure: continue`. Every task starts pending.
  // The graph must outlive the Plan.
  Plan(const TaskGraph& graph, std::vector<bool> continue_on_failure);

  void Set(TaskId t, TaskStatus s) { status_[Index(t)] = s; }
  // `propagate[t]` is true for tasks with `skip: propagate`: their `when` skip blocks dependents.
  void SetSkipPropagates(std::vector<bool> propagate) {
    propagate.resize(status_.size(), false);
    skip_propagates_ = std::move(propagate);
  }
  TaskStatus Get(TaskId t) const { return status_[Index(t)]; }

  // Pending tasks whose every predecessor passed, in topological order.
  std::vector<TaskId> Ready() const;

  struct Skip {
    TaskId task;
    TaskId because;  // the failed or cancelled task at the root of the chain
  };
  // Every pending task with a blocking predecessor, marked skipped; in topological order.
  std::vector<Skip> PropagateSkips();

  // The failed/cancelled task that blocks `t`, if any predecessor blocks (transitively).
  std::optional<TaskId> Blocker(TaskId t) const;
  // True when `t` failed/was cancelled/was skipped in a way that stops its dependents.
  bool Blocks(TaskId t) const;

  std::size_t CountIn(TaskStatus s) const;
  // kInProgress while any task is running or ready; otherwise, in this order: kCancelled if
  // `cancelled`, kWaiting if any task waits (or is pending behind one), kFailed if any task failed
  // without `on_failure: continue`, else kSucceeded.
  RunOutcome Outcome(bool cancelled) const;

  const TaskGraph& graph() const { return graph_; }

 private:
  bool Passed(TaskId pred) const;
  bool PropagatesSkip(TaskId t) const { return !skip_propagates_.empty() && skip_propagates_[Index(t)]; }

  const TaskGraph& graph_;
  std::vector<bool> continue_on_failure_;
  std::vector<TaskStatus> status_;
  std::vector<bool> skip_propagates_;  // empty: no task propagates its skip
};

}  // namespace tenure::engine
