// Executor: runs one run of a playbook to completion, to a wait, or to cancellation.
//
// Design (docs/engine.md has the state machine):
// - The run is rebuilt from its stored snapshot (never the file on disk) and its task rows.
//   Rows left `running` by a process that died are attempts whose outcome is unknown: they run
//   again with the same idempotency key.
// - Record before effect: an attempt's intent (status running, attempt n) is committed through the
//   Journal BEFORE the connector is called; its result after. A commit failure halts the run: no
//   new side effect starts (sticky store failure).
// - Plan (plan.h) decides readiness and skips; the executor moves data between Plan, connectors
//   and the Journal, and renders each task's `with` at run time.
// - Every connector call passes the shared Limiter (global cap, per-connection max_in_flight,
//   rate, 429 pause) and races a per-attempt timeout and the run's cancellation.
// - Retries only for RetryLater and Unknown, with backoff (retry.h); Failed is final.
// - manual.approve / manual.task park the task as waiting; `tenure approve` records the decision
//   and a later Execute continues. timer.wait stores its due time; it is slept on while the
//   process runs (when due within ExecutorOptions::max_timer_hold), else the run parks as waiting.
// - on_failure: compensate runs the `compensate` of each succeeded task, in reverse dependency
//   order, as rows "<task>:compensate".
//
// Several runs may execute at once on one Executor (a batch, later the daemon): they share the
// parsed playbook of a snapshot (PlaybookCache) and one cancellation poll (CancelWatch).
// Threading: engine executor only. Every object passed by reference must outlive Execute, and the
// Executor must outlive every Execute it started.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "connectors/redactor.h"
#include "connectors/registry.h"
#include "engine/cancel_watch.h"
#include "engine/clock.h"
#include "engine/journal.h"
#include "engine/limits.h"
#include "engine/links.h"
#include "engine/playbook_cache.h"
#include "engine/retry.h"
#include "engine/state_store.h"
#include "workflows/connector_schema.h"

namespace tenure::engine {

// Receives every audit event once it is committed (progress display, JSON stream).
class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void OnEvent(const EventRecord& event) = 0;
};

struct ExecutorOptions {
  std::string owner;  // "host:pid", recorded as the run's executor
  std::chrono::milliseconds cancel_poll{1000};
  // A timer due within this is slept on; a later one parks the run as waiting (exit code 3).
  std::chrono::milliseconds max_timer_hold{std::chrono::minutes(5)};
};

struct Services {
  boost::asio::any_io_executor io;  // the engine's single io_context thread
  Clock& clock;
  StateStore& store;  // reads at start; writes go through `journal`
  Journal& journal;
  Limiter& limiter;
  connectors::ConnectorFactory& factory;
  const workflows::ConnectorCatalog& catalog;
  connectors::Redactor& redactor;
  Reporter* reporter = nullptr;  // may be null
  UniformRandom random;
  const PeopleConfig* people = nullptr;  // signed decision links (the daemon with --http); may be null
};

class Executor {
 public:
  Executor(Services services, ExecutorOptions options)
      : services_(std::move(services)),
        options_(std::move(options)),
        cancel_watch_(services_.io, services_.clock, services_.store, options_.owner, options_.cancel_poll) {}

  // Executes run `run_id` until it succeeds, fails (after compensation when the playbook asks
  // for it), waits (approval or timer) or is cancelled, and returns that status. Errors:
  // kNotFound for an unknown run; kFailedPrecondition when the run is finished ("run R already
  // succeeded"); kConflict when another live process executes it ("run R is being executed by
  // host:pid"); kIo when the store fails (the run halts where it was; resume continues it).
  boost::asio::awaitable<Result<RunStatus>> Execute(std::string run_id);
  // The same for a run this process already claimed and holds as stored (with its snapshot): a run
  // the daemon just created in a fire, owned by `options.owner`, with its task rows (none for a new
  // run). Nothing is read back from the store.
  boost::asio::awaitable<Result<RunStatus>> ExecuteClaimed(RunRecord run, std::vector<TaskRecord> rows);

  const PlaybookCache& playbooks() const { return playbooks_; }

 private:
  Services services_;
  ExecutorOptions options_;
  PlaybookCache playbooks_;  // runs of one snapshot share its parsed playbook
  CancelWatch cancel_watch_;  // one `tenure cancel` poll for all the runs executing here
};

// The idempotency key of (run, task row, item): hex sha256 of "run\ntask\nitem", first 32 chars.
std::string IdempotencyKey(const std::string& run_id, const std::string& task, int item);

}  // namespace tenure::engine
