#include "cli/engine_host.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <optional>

#include "connectors/builtin_registry.h"
#include "connectors/catalog.h"
#include "connectors/http/beast_transport.h"
#include "engine/run_control.h"

namespace tenure::cli {

// Calls that may run at once across every run of this process (each connection adds its own).
constexpr int kGlobalMaxInFlight = 64;

Result<std::unique_ptr<EngineHost>> EngineHost::Open(const std::string& db_flag) {
  auto store = engine::OpenSqliteStore(engine::DefaultDbPath(db_flag));
  if (!store) return store.error();
  std::unique_ptr<EngineHost> host(new EngineHost());
  host->store_ = std::move(*store);
  host->journal_ = std::make_unique<engine::Journal>(*host->store_, host->io_.get_executor());
  host->limiter_ = std::make_unique<engine::Limiter>(host->io_.get_executor(), host->clock_, kGlobalMaxInFlight);
  host->transport_ = connectors::http::MakeBeastTransport(host->io_.get_executor());
  host->factory_ = connectors::MakeBuiltinRegistry(host->io_.get_executor(), *host->transport_);
  host->catalog_ = connectors::BuiltinCatalog();
  return host;
}

EngineHost::~EngineHost() {
  if (journal_) journal_->WaitIdle();
  io_owner_.reset();
}

Result<engine::RunStatus> EngineHost::Execute(const std::string& id, engine::Reporter* reporter, bool* interrupted) {
  engine::Services services{io_.get_executor(), clock_, *store_,  *journal_, *limiter_, *factory_,
                            catalog_,           redactor_, reporter, engine::DefaultRandom()};
  engine::ExecutorOptions options;
  options.owner = engine::CurrentOwner();
  engine::Executor executor(std::move(services), options);
  std::optional<Result<engine::RunStatus>> result;
  std::exception_ptr crash;
  boost::asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    *interrupted = true;
    io_.stop();
  });
  boost::asio::co_spawn(io_, executor.Execute(id), [&](std::exception_ptr e, Result<engine::RunStatus> r) {
    crash = e;
    result = std::move(r);
    signals.cancel();
    io_.stop();  // idle pooled connections would keep run() going
  });
  io_.restart();
  io_.run();
  journal_->WaitIdle();
  if (crash) std::rethrow_exception(crash);
  if (!result) return Error::Io("interrupted: run " + id + " stays resumable: tenure resume " + id);
  return *result;
}

ExitCode ExitCodeFor(engine::RunStatus s) {
  switch (s) {
    case engine::RunStatus::kSucceeded: return ExitCode::kOk;
    case engine::RunStatus::kFailed: return ExitCode::kFailed;
    case engine::RunStatus::kWaiting: return ExitCode::kWaiting;
    case engine::RunStatus::kCancelled: return ExitCode::kCancelled;
    case engine::RunStatus::kPending:
    case engine::RunStatus::kRunning: return ExitCode::kOk;
  }
  return ExitCode::kInternal;
}

}  // namespace tenure::cli
