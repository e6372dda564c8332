#include "engine/history.h"

#include <map>

#include "engine/clock.h"

namespace tenure::engine {
namespace {

Value Time(std::int64_t ms) { return ms == 0 ? Value() : Value(FormatRfc3339(FromUnixMillis(ms))); }

// {TASK: {status, result, items?}} from a run's rows (playbook tasks only).
Value TasksOf(const std::vector<TaskRecord>& rows) {
  Map tasks;
  std::map<std::string, List> items;
  for (const TaskRecord& r : rows) {
    if (r.task.find(':') != std::string::npos) continue;  // compensation steps, kHistoryRow
    Map entry;
    entry.Set("status", Value(TaskStatusName(r.status)));
    entry.Set("result", r.result);
    if (r.item >= 0) {
      List& list = items[r.task];
      if (list.size() <= static_cast<std::size_t>(r.item)) list.resize(static_cast<std::size_t>(r.item) + 1);
      list[static_cast<std::size_t>(r.item)] = Value(std::move(entry));
      continue;
    }
    tasks.Set(r.task, Value(std::move(entry)));
  }
  for (auto& [task, list] : items) {
    if (Value* entry = tasks.Find(task); entry != nullptr && entry->IsMap()) entry->AsMap().Set("items", Value(std::move(list)));
  }
  return Value(std::move(tasks));
}

}  // namespace

bool RunHasKey(const RunRecord& run, std::string_view key) {
  if (key.empty()) return false;
  if (run.trigger_key == key) return true;
  // A schedule's fire: trigger "schedule:ID:KEY" (engine/daemon.cc); ids have no ':'.
  constexpr std::string_view kSchedule = "schedule:";
  const std::string_view trigger = run.trigger;
  if (trigger.substr(0, kSchedule.size()) != kSchedule) return false;
  const auto colon = trigger.find(':', kSchedule.size());
  return colon != std::string_view::npos && trigger.substr(colon + 1) == key;
}

Result<Value> ReadHistory(StateStore& store, const std::vector<workflows::HistoryKey>& lookups,
                          const std::string& self_id, std::int64_t before_ms) {
  Map root;
  std::map<std::string, std::vector<RunRecord>> by_playbook;
  for (const workflows::HistoryKey& lookup : lookups) {
    if (!by_playbook.count(lookup.playbook)) {
      RunFilter filter;
      filter.playbook = lookup.playbook;
      auto runs = store.ListRuns(filter);
      if (!runs) return runs.error();
      by_playbook[lookup.playbook] = std::move(*runs);
    }
    const RunRecord* last = nullptr;
    for (const RunRecord& r : by_playbook[lookup.playbook]) {  // ordered by creation, then id
      if (r.id == self_id || r.created_ms > before_ms || !RunHasKey(r, lookup.key)) continue;
      last = &r;
    }
    if (last == nullptr) {
      workflows::SetHistory(root, lookup, Value());
      continue;
    }
    auto rows = store.GetTasks(last->id);
    if (!rows) return rows.error();
    Map run;
    run.Set("id", Value(last->id));
    run.Set("status", Value(RunStatusName(last->status)));
    run.Set("key", Value(lookup.key));
    run.Set("started_at", Time(last->created_ms));
    run.Set("finished_at", Time(last->finished_ms));
    run.Set("inputs", last->inputs.IsMap() ? last->inputs : Value(Map()));
    run.Set("tasks", TasksOf(*rows));
    workflows::SetHistory(root, lookup, Value(std::move(run)));
  }
  return Value(std::move(root));
}

std::string DescribeRead(const Value& root, const workflows::HistoryKey& lookup) {
  const Value* run = workflows::FindHistory(root, lookup);
  if (run == nullptr || !run->IsMap()) return lookup.Describe() + " -> none";
  const Value* id = run->AsMap().Find("id");
  const Value* status = run->AsMap().Find("status");
  return lookup.Describe() + " -> run " + (id ? id->ToText() : "?") + " (" + (status ? status->ToText() : "?") + ")";
}

}  // namespace tenure::engine
