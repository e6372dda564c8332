// PlaybookCache: the loaded and validated playbook of a run's snapshot, shared by every run of this
// process that executes the same snapshot. A batch of 10,000 offboardings parses its playbook once
// and holds one model and one task graph, not 10,000 (docs/performance.md, benchmark 3).
//
// Design: keyed by the snapshot's paths and sha256s, so two runs share an entry only when every
// source file is byte for byte the same. Entries are weak: a playbook lives while a run executing
// it holds it, then its memory goes, except for the few most recently loaded, which stay (a
// daemon whose runs of one playbook come and go in waves parses it once, not once per wave). What is shared is immutable (Playbook and TaskGraph are,
// once built); everything that varies per run (inputs, vars, task states) stays in the run.
// Threading: engine executor only.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/state_store.h"
#include "workflows/connector_schema.h"
#include "workflows/playbook.h"
#include "workflows/task_graph.h"

namespace tenure::engine {

struct LoadedPlaybook {
  workflows::Playbook playbook;
  workflows::TaskGraph graph;
  std::vector<bool> continue_on_failure;  // per task: on_failure: continue (the Plan's input)
};

class PlaybookCache {
 public:
  // The playbook of `sources` (main file first), loaded and validated against `catalog` unless a
  // run holds it already. Errors: kInvalidArgument "SNAPSHOT is not valid for this tenure: ..."
  // with the first diagnostics (a snapshot stored by another version of tenure), or when
  // `sources` is empty.
  Result<std::shared_ptr<const LoadedPlaybook>> Get(const std::vector<SourceSnapshot>& sources,
                                                    const workflows::ConnectorCatalog& catalog);

  // How many snapshots were parsed so far (a hit parses nothing).
  std::size_t loads() const { return loads_; }

 private:
  static constexpr std::size_t kRecent = 8;
  std::map<std::string, std::weak_ptr<const LoadedPlaybook>> entries_;
  std::vector<std::shared_ptr<const LoadedPlaybook>> recent_;  // the last kRecent loaded, held
  std::size_t loads_ = 0;
};

}  // namespace tenure::engine
