// Progress reporters for `tenure run`, `resume` and `retry`: plain lines (not a terminal), an
// in-place task table (a terminal), or one JSON object per event (--json). And the end-of-run
// summary.
#pragma once

#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "engine/executor.h"
#include "engine/state_store.h"

namespace tenure::cli {

enum class ProgressStyle { kPlain, kTable, kJson };

// `tasks` are the playbook's task ids in display order (the table's rows); `earlier` the status
// each already had when this process started (resume, retry), which the table shows until the
// task's next event.
std::unique_ptr<engine::Reporter> MakeProgress(ProgressStyle style, std::ostream& out, std::vector<std::string> tasks,
                                               std::map<std::string, std::string> earlier = {});

// "plain" unless `json`; "table" when stdout is a terminal.
ProgressStyle ChooseStyle(bool json);

// The summary printed when a run stops: status, counts, the errors of failed tasks, what a
// waiting run waits for, and the command that continues it.
void PrintSummary(engine::StateStore& store, const std::string& run_id, std::ostream& out);

// One event as a JSON object (no newline).
std::string EventJson(const engine::EventRecord& e);
// "HH:MM:SS" (UTC) of Unix milliseconds, and a duration such as "1.2s", "3m04s".
std::string ClockTime(std::int64_t ms);
std::string Elapsed(std::int64_t ms);

}  // namespace tenure::cli
