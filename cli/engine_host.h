// EngineHost: the composition root of the commands that execute runs. Owns the real seams (system
// clock, SQLite store, journal, limits, HTTP transport, connector registry, redactor) for one
// process, and drives the io_context until a run stops.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>

#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "connectors/registry.h"
#include "engine/clock.h"
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

  // Executes run `id` on this thread until it stops. SIGINT/SIGTERM stop the process's part:
  // nothing more is started, the run stays resumable, and the result is kInterrupted.
  // `interrupted` is set when that happened.
  Result<engine::RunStatus> Execute(const std::string& id, engine::Reporter* reporter, bool* interrupted);

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
};

// The exit code for a run that stopped in `s`.
ExitCode ExitCodeFor(engine::RunStatus s);

}  // namespace tenure::cli
