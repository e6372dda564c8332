// TaskGraph: the tasks of a playbook as a DAG, with dense ids, adjacency lists, a deterministic
// topological order and ancestry queries. Immutable once built.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "workflows/diagnostic.h"
#include "workflows/playbook.h"

namespace tenure::workflows {

enum class TaskId : std::uint32_t {};
inline std::size_t Index(TaskId id) { return static_cast<std::size_t>(id); }

class TaskGraph {
 public:
  // Builds the graph of `pb`'s tasks (ids are positions in pb.tasks). Every cycle found is
  // reported as "task cycle: a -> b -> a" at the first task's location; returns nullopt then.
  // Unknown `needs` were reported by the loader and are not edges.
  static std::optional<TaskGraph> Build(const Playbook& pb, Diagnostics& diags);

  std::size_t size() const { return ids_.size(); }
  const std::string& Name(TaskId t) const { return ids_[Index(t)]; }
  std::optional<TaskId> Find(std::string_view name) const;
  const std::vector<TaskId>& Predecessors(TaskId t) const { return preds_[Index(t)]; }
  const std::vector<TaskId>& Successors(TaskId t) const { return succs_[Index(t)]; }
  // Kahn's order; among ready tasks, document order first. Same playbook, same order.
  const std::vector<TaskId>& TopologicalOrder() const { return order_; }
  // True when `ancestor` is reachable from `t` through `needs` (transitively); false for t itself.
  bool IsUpstream(TaskId ancestor, TaskId t) const;
  // Length of the longest chain of needs ending at `t` (roots are 0): the graph's "level".
  int Depth(TaskId t) const { return depth_[Index(t)]; }

 private:
  std::vector<std::string> ids_;
  std::unordered_map<std::string, std::uint32_t> by_name_;
  std::vector<std::vector<TaskId>> preds_;
  std::vector<std::vector<TaskId>> succs_;
  std::vector<TaskId> order_;
  std::vector<int> depth_;
  // ancestors_[t] is a bitset (64 tasks a word) of t's transitive predecessors.
  std::vector<std::vector<std::uint64_t>> ancestors_;
};

}  // namespace tenure::workflows
