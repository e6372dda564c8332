// Batches from HR exports: `tenure run PLAYBOOK --inputs hires.csv` (one run per row) and
// `tenure schedule add PLAYBOOK --inputs leavers.csv` (one schedule per row).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "engine/exit_code.h"
#include "engine/state_store.h"

namespace tenure::cli {

struct BatchOptions {
  std::string playbook;
  std::string inputs;      // the batch file (.csv, .jsonl, .yaml)
  std::string key_column;  // "" = none (then a batch submitted twice starts everything twice)
  std::vector<std::string> sets;  // values for every row (a row's own cell wins)
  std::string db;
  bool json = false;
  int allow_mass = 0;  // run only: --allow-mass N (docs/guards.md)
  // schedule add only
  std::string at;
  std::string cron;
  std::string tz;
  std::string catch_up = "fire_once";
};

// The options every batch takes, from a command's flags.
inline BatchOptions MakeBatchOptions(std::string playbook, std::string inputs, std::string key_column,
                                     std::vector<std::string> sets, std::string db, bool json) {
  BatchOptions b;
  b.playbook = std::move(playbook);
  b.inputs = std::move(inputs);
  b.key_column = std::move(key_column);
  b.sets = std::move(sets);
  b.db = std::move(db);
  b.json = json;
  return b;
}

// Whether a run of `playbook` already has trigger key `key` (so starting it again starts nothing).
bool KeyTaken(engine::StateStore& store, const std::string& playbook, const std::string& key);

// Validates every row (all problems, by row and column) before anything starts; then checks the
// blast-radius guards (docs/guards.md) for the runs the batch would start; then creates one
// run per row (a row whose key already has a run starts nothing) and executes them all at once
// with a live progress line and a summary table. Exit code: the worst row's.
ExitCode RunBatch(const BatchOptions& o);

// The same for schedules: one schedule per row, keyed by the key column, so a changed row (a moved
// last day) replaces its pending schedule and an unchanged one changes nothing.
ExitCode ScheduleBatch(const BatchOptions& o);

}  // namespace tenure::cli
