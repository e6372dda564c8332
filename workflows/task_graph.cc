#include "workflows/task_graph.h"

#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

namespace tenure::workflows {
namespace {

constexpr std::size_t kMaxCyclesReported = 10;

// Finds cycles with an iterative three-colour DFS over `succs`; each back edge is one cycle.
std::vector<std::vector<std::size_t>> FindCycles(const std::vector<std::vector<TaskId>>& succs) {
  enum Colour : std::uint8_t { kWhite, kGrey, kBlack };
  std::vector<Colour> colour(succs.size(), kWhite);
  std::vector<std::vector<std::size_t>> cycles;
  for (std::size_t start = 0; start < succs.size() && cycles.size() < kMaxCyclesReported; ++start) {
    if (colour[start] != kWhite) continue;
    std::vector<std::pair<std::size_t, std::size_t>> stack{{start, 0}};  // node, next successor
    colour[start] = kGrey;
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next == succs[node].size()) {
        colour[node] = kBlack;
        stack.pop_back();
        continue;
      }
      const std::size_t s = Index(succs[node][next++]);
      if (colour[s] == kWhite) {
        colour[s] = kGrey;
        stack.push_back({s, 0});
      } else if (colour[s] == kGrey && cycles.size() < kMaxCyclesReported) {
        std::vector<std::size_t> cycle;
        auto it = std::find_if(stack.begin(), stack.end(), [s](const auto& f) { return f.first == s; });
        for (; it != stack.end(); ++it) cycle.push_back(it->first);
        cycles.push_back(std::move(cycle));
      }
    }
  }
  return cycles;
}

}  // namespace

std::optional<TaskGraph> TaskGraph::Build(const Playbook& pb, Diagnostics& diags) {
  TaskGraph g;
  const std::size_t n = pb.tasks.size();
  std::unordered_map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < n; ++i) {
    g.ids_.push_back(pb.tasks[i].id);
    index.emplace(pb.tasks[i].id, i);
    g.by_name_.emplace(pb.tasks[i].id, static_cast<std::uint32_t>(i));
  }
  g.preds_.resize(n);
  g.succs_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::string& need : pb.tasks[i].needs) {
      auto it = index.find(need);
      if (it == index.end()) continue;
      const TaskId p{static_cast<std::uint32_t>(it->second)};
      if (std::find(g.preds_[i].begin(), g.preds_[i].end(), p) != g.preds_[i].end()) continue;
      g.preds_[i].push_back(p);
      g.succs_[it->second].push_back(TaskId{static_cast<std::uint32_t>(i)});
    }
  }
  const auto cycles = FindCycles(g.succs_);
  for (const auto& cycle : cycles) {
    // Report from the task that comes first in the document, so the message is stable.
    const auto first = std::min_element(cycle.begin(), cycle.end()) - cycle.begin();
    std::string path;
    for (std::size_t k = 0; k <= cycle.size(); ++k) {
      path += (k == 0 ? "" : " -> ") + g.ids_[cycle[(static_cast<std::size_t>(first) + k) % cycle.size()]];
    }
    diags.Error(pb.tasks[cycle[static_cast<std::size_t>(first)]].where, "tasks." + g.ids_[cycle[static_cast<std::size_t>(first)]] + ".needs",
                "task cycle: " + path);
  }
  if (!cycles.empty()) return std::nullopt;

  // Kahn's algorithm; the min-heap on index keeps document order among ready tasks.
  std::vector<std::size_t> waiting(n);
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i) {
    waiting[i] = g.preds_[i].size();
    if (waiting[i] == 0) ready.push(i);
  }
  g.depth_.assign(n, 0);
  const std::size_t words = (n + 63) / 64;
  g.ancestors_.assign(n, std::vector<std::uint64_t>(words, 0));
  while (!ready.empty()) {
    const std::size_t t = ready.top();
    ready.pop();
    g.order_.push_back(TaskId{static_cast<std::uint32_t>(t)});
    for (TaskId p : g.preds_[t]) {
      g.depth_[t] = std::max(g.depth_[t], g.depth_[Index(p)] + 1);
      auto& anc = g.ancestors_[t];
      const auto& panc = g.ancestors_[Index(p)];
      for (std::size_t w = 0; w < words; ++w) anc[w] |= panc[w];
      anc[Index(p) / 64] |= std::uint64_t{1} << (Index(p) % 64);
    }
    for (TaskId s : g.succs_[t]) {
      if (--waiting[Index(s)] == 0) ready.push(Index(s));
    }
  }
  return g;
}

std::optional<TaskId> TaskGraph::Find(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  if (it == by_name_.end()) return std::nullopt;
  return TaskId{it->second};
}

bool TaskGraph::IsUpstream(TaskId ancestor, TaskId t) const {
  const std::size_t a = Index(ancestor);
  return (ancestors_[Index(t)][a / 64] >> (a % 64)) & 1U;
}

}  // namespace tenure::workflows
