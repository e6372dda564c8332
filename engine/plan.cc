#include "engine/plan.h"

#include <algorithm>

namespace tenure::engine {

Plan::Plan(const TaskGraph& graph, std::vector<bool> continue_on_failure)
    : graph_(graph),
      continue_on_failure_(std::move(continue_on_failure)),
      status_(graph.size(), TaskStatus::kPending) {
  continue_on_failure_.resize(graph.size(), false);
}

bool Plan::Passed(TaskId pred) const {
  switch (Get(pred)) {
    case TaskStatus::kSucceeded: return true;
    case TaskStatus::kSkipped: return !Blocks(pred);
    case TaskStatus::kFailed: return continue_on_failure_[Index(pred)];
    default: return false;
  }
}

bool Plan::Blocks(TaskId t) const {
  switch (Get(t)) {
    case TaskStatus::kFailed: return !continue_on_failure_[Index(t)];
    case TaskStatus::kCancelled: return true;
    case TaskStatus::kSkipped: return PropagatesSkip(t) || Blocker(t).has_value();
    default: return false;
  }
}

std::optional<TaskId> Plan::Blocker(TaskId t) const {
  for (TaskId p : graph_.Predecessors(t)) {
    const TaskStatus s = Get(p);
    if ((s == TaskStatus::kFailed && !continue_on_failure_[Index(p)]) || s == TaskStatus::kCancelled) return p;
    if (s == TaskStatus::kSkipped) {
      if (auto root = Blocker(p)) return root;
      if (PropagatesSkip(p)) return p;
    }
  }
  return std::nullopt;
}

std::vector<TaskId> Plan::Ready() const {
  std::vector<TaskId> out;
  for (TaskId t : graph_.TopologicalOrder()) {
    if (Get(t) != TaskStatus::kPending) continue;
    const auto& preds = graph_.Predecessors(t);
    if (std::all_of(preds.begin(), preds.end(), [&](TaskId p) { return Passed(p); })) out.push_back(t);
  }
  return out;
}

std::vector<Plan::Skip> Plan::PropagateSkips() {
  std::vector<Skip> out;
  // Topological order: a task's blockers are decided before the task itself.
  for (TaskId t : graph_.TopologicalOrder()) {
    if (Get(t) != TaskStatus::kPending) continue;
    if (auto root = Blocker(t)) {
      Set(t, TaskStatus::kSkipped);
      out.push_back({t, *root});
    }
  }
  return out;
}

std::size_t Plan::CountIn(TaskStatus s) const {
  return static_cast<std::size_t>(std::count(status_.begin(), status_.end(), s));
}

RunOutcome Plan::Outcome(bool cancelled) const {
  if (CountIn(TaskStatus::kRunning) > 0) return RunOutcome::kInProgress;
  if (!cancelled && !Ready().empty()) return RunOutcome::kInProgress;
  if (cancelled) return RunOutcome::kCancelled;
  // Pending tasks that are not ready sit behind a waiting task (blocked ones were skipped).
  if (CountIn(TaskStatus::kWaiting) > 0 || CountIn(TaskStatus::kPending) > 0) return RunOutcome::kWaiting;
  for (TaskId t : graph_.TopologicalOrder()) {
    if (Get(t) == TaskStatus::kFailed && !continue_on_failure_[Index(t)]) return RunOutcome::kFailed;
    if (Get(t) == TaskStatus::kCancelled) return RunOutcome::kCancelled;
  }
  return RunOutcome::kSucceeded;
}

}  // namespace tenure::engine
