// history.last: reading a person's earlier runs from the store, once, when a run starts.
//
// Design: the lookups of a playbook are known statically (workflows/history.h) and their
// arguments come from inputs alone, so the executor reads them all when the run first starts and
// records what it read in the run's own row kHistoryRow (its result is the `history` root). Every
// later execution of the run (resume, retry, another process after a crash) reads that row and
// never the store again: a newer run of the same playbook and key changes nothing for it. No
// schema change: the row is an ordinary task row, like the "<task>:compensate" rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/state_store.h"
#include "workflows/expr.h"

namespace tenure::engine {

// The task row holding a run's frozen `history` root. Never a task id (ids cannot start with ':').
inline constexpr std::string_view kHistoryRow = ":history";

// Whether `run` was triggered with `key`: `tenure run --key K` (its trigger key is K) or a fire of
// a schedule added with `--key K` (its trigger is "schedule:ID:K").
bool RunHasKey(const RunRecord& run, std::string_view key);

// The `history` root for `lookups`: for each, the most recent run of that playbook with that key
// created before `before_ms` (ties: the greater id), other than `self_id`, as the map
// {id, status, key, started_at, finished_at (null while not finished), inputs (as stored:
// redacted), tasks: {TASK: {status, result, items?: [{status, result}]}}}, or null when there is
// none. Compensation rows and kHistoryRow are left out. Reads only (ListRuns, GetTasks); errors
// are the store's.
Result<Value> ReadHistory(StateStore& store, const std::vector<workflows::HistoryKey>& lookups,
                          const std::string& self_id, std::int64_t before_ms);

// "history.last(playbook='p', key='k') -> run R (succeeded)" or "... -> none", for the audit log.
std::string DescribeRead(const Value& root, const workflows::HistoryKey& lookup);

}  // namespace tenure::engine
