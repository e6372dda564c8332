// EngineHost: the composition root of the commands that execute runs. Owns the real seams (system
// clock, SQLite store, journal, limits, HTTP transport, connector registry, redactor) for one
// process, and drives the io_context until a run stops.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "connectors/registry.h"
#include "engine/clock.h"
#include "engine/daemon.h"
#include "engine/executor.h"
#include "engine/exit_code.h"
#include "engine/journal.h"
#include "engine/limits.h"
#include "engine/state_store.h"
#include "workflows/connector_schema.h"

namespace tenure::cli {

class EngineHost {
 public:
  // Opens the database at DefaultDbPath(db_flag). Errors name the path.
  static Result<std::unique_ptr<EngineHost>> Open(const std::string& db_flag);
  ~EngineHost();

  engine::StateStore& store() { return *store_; }
  engine::Clock& clock() { return clock_; }
  connectors::Redactor& redactor() { return redactor_; }
  connectors::ConnectorFactory& factory() { return *factory_; }
  const workflows::ConnectorCatalog& catalog() const { return catalog_; }
  engine::Limiter& limiter() { return *limiter_; }
  boost::asio::any_io_executor executor() { return io_.get_executor(); }

  // Runs `op` on this thread until it completes: for commands that call connectors outside a run
  // (reconcile reads accounts). SIGINT/SIGTERM stop it and set `*interrupted`. Rethrows what `op`
  // throws.
  void Drive(boost::asio::awaitable<void> op, bool* interrupted);

  // Executes run `id` on this thread until it stops. SIGINT/SIGTERM stop the process's part:
  // nothing more is started, the run stays resumable, and the result is kInterrupted.
  // `interrupted` is set when that happened.
  Result<engine::RunStatus> Execute(const std::string& id, engine::Reporter* reporter, bool* interrupted);

  // Executes every run of `ids` at once on this thread (one Executor: shared limits and playbook
  // cache), until all have stopped. `on_end(id, status)` is called as each run stops; `on_tick`
  // about four times a second. SIGINT/SIGTERM: as Execute (then `*interrupted`).
  std::map<std::string, Result<engine::RunStatus>> ExecuteAll(
      const std::vector<std::string>& ids, std::function<void(const std::string&, const Result<engine::RunStatus>&)> on_end,
      std::function<void()> on_tick, bool* interrupted);

  // Runs the daemon on this thread until SIGTERM/SIGINT: then it stops firing and starting runs,
  // lets what is in flight finish for up to `grace`, and returns (what is still in flight stays
  // resumable). SIGHUP starts a pass at once. `on_tick` is called about once a second with the
  // daemon's stats (the status file), `on_ready` once after the first pass (systemd readiness).
  Result<void> RunDaemon(const engine::DaemonOptions& options, int max_in_flight, std::chrono::milliseconds grace,
                         std::function<void(const engine::DaemonEvent&)> log,
                         std::function<void(const engine::DaemonStats&, bool stopping)> on_tick,
                         std::function<void()> on_ready);

  // People in the loop: the daemon's links (set before RunDaemon; must outlive it), and a hook
  // called on this thread once the daemon exists (the console starts there and wakes it).
  void set_people(const engine::PeopleConfig* people) { people_ = people; }
  void set_on_daemon(std::function<void(boost::asio::io_context&, engine::Daemon&)> hook) { on_daemon_ = std::move(hook); }

 private:
  EngineHost() = default;

  // Reset first in the destructor: coroutines suspended by an interruption are destroyed while
  // the limiter, journal and store they reference still exist.
  std::unique_ptr<boost::asio::io_context> io_owner_ = std::make_unique<boost::asio::io_context>(1);
  boost::asio::io_context& io_ = *io_owner_;
  engine::SystemClock clock_;
  std::unique_ptr<engine::StateStore> store_;
  std::unique_ptr<engine::Journal> journal_;
  std::unique_ptr<engine::Limiter> limiter_;
  std::unique_ptr<connectors::http::HttpTransport> transport_;
  std::unique_ptr<connectors::ConnectorFactory> factory_;
  workflows::ConnectorCatalog catalog_{{}};
  connectors::Redactor redactor_;
  std::unique_ptr<engine::Daemon> daemon_;            // RunDaemon
  const engine::PeopleConfig* people_ = nullptr;
  std::function<void(boost::asio::io_context&, engine::Daemon&)> on_daemon_;
  std::unique_ptr<engine::Executor> batch_executor_;  // ExecuteAll (outlives interrupted runs, as daemon_)
};

// Opens the database at DefaultDbPath(db_flag) for a command that only reads runs (runs, status,
// logs, report): a missing file is an error (kNotFound "no state database at P ..."), never
// created. Other errors as OpenSqliteStore.
Result<std::unique_ptr<engine::StateStore>> OpenExistingStore(const std::string& db_flag);

// The exit code for a run that stopped in `s` (pending and running: 3, the run goes on elsewhere).
ExitCode ExitCodeFor(engine::RunStatus s);
// The exit code for an error: 70 for a failing environment (kIo: the database, the disk), 2 for
// everything a user can act on (unknown run, wrong state, denied, conflict, bad value).
ExitCode ExitCodeFor(const Error& e);

}  // namespace tenure::cli
