// Blast-radius guards (docs/guards.md): `limits:` of a playbook and of its connections, checked
// before anything starts. A batch, a run or a schedule fire that would take the last rolling hour
// over a limit is refused as a whole, unless the operator said how many runs they mean to start
// (--allow-mass N).
#pragma once

#include <cstdint>
#include <string>

#include <map>
#include <memory>

#include "engine/playbook_cache.h"
#include "engine/state_store.h"
#include "workflows/connector_schema.h"
#include "workflows/playbook.h"

namespace tenure::engine {

// Whether an action removes or disables access: not read-only, and named deactivate*, delete*,
// remove*, suspend*, disable*, revoke*, archive*, lock*, wipe*, block* or unassign*. Generic
// actions (http.request, exec.run) are not counted: their effect is not known.
bool IsDestructive(const workflows::ActionSpec& action);

// Destructive actions one run of `pb` plans, on `connection` ("" = every connection): one per
// task using a destructive action, or per item of a literal for_each list (a templated list counts
// one: its length is known only when the run renders it).
int DestructivePerRun(const workflows::Playbook& pb, const workflows::ConnectorCatalog& catalog,
                      const std::string& connection);

struct GuardRequest {
  int new_runs = 1;          // runs about to start
  int allow_mass = 0;        // --allow-mass N (0 = not given): allows up to N new runs past the limits
  std::int64_t now_ms = 0;
  std::string source;        // for the message: "this batch", "this run", "this schedule fire"
  std::string remedy;        // what to do instead of giving --allow-mass ("" = that advice)
};

// Checks every limit of `pb` and its connections against the runs of the same playbook (by name)
// created in the hour before now_ms, plus `new_runs`. Errors: kFailedPrecondition naming the
// limit (file:line:col), the counts and the way out (--allow-mass N), or "--allow-mass N is less
// than the R runs ..."; kIo when the store cannot be read.
Result<void> CheckGuards(StateStore& store, const workflows::Playbook& pb, const workflows::ConnectorCatalog& catalog,
                         const GuardRequest& request);

// The guards of one daemon fire pass: per playbook name, the limits of the first due schedule's
// snapshot, counting the fires already admitted in this pass. Threading: one pass, one thread.
class FireGuard {
 public:
  FireGuard(StateStore& store, const workflows::ConnectorCatalog& catalog, std::int64_t now_ms)
      : store_(store), catalog_(catalog), now_ms_(now_ms) {}
  // "" when `s` may fire one run now (counted); else why not.
  std::string Admit(const ScheduleRecord& s);

 private:
  struct Entry {
    std::shared_ptr<const LoadedPlaybook> loaded;  // null: no limits, or a snapshot that does not load
    int admitted = 0;
  };
  StateStore& store_;
  const workflows::ConnectorCatalog& catalog_;
  std::int64_t now_ms_;
  PlaybookCache cache_;
  std::map<std::string, Entry> by_playbook_;
};

}  // namespace tenure::engine
