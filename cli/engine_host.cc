#include "cli/engine_host.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
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

void EngineHost::Drive(boost::asio::awaitable<void> op, bool* interrupted) {
  std::exception_ptr crash;
  bool done = false;
  boost::asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    *interrupted = true;
    io_.stop();
  });
  boost::asio::co_spawn(io_, std::move(op), [&](std::exception_ptr e) {
    crash = e;
    done = true;
    signals.cancel();
    io_.stop();
  });
  io_.restart();
  io_.run();
  if (crash) std::rethrow_exception(crash);
  (void)done;
}

namespace {
// One run of a batch: a named coroutine with what it needs as parameters (CP.51).
boost::asio::awaitable<void> ExecuteInto(engine::Executor& executor, std::string id,
                                         std::map<std::string, Result<engine::RunStatus>>& out,
                                         std::function<void(const std::string&, const Result<engine::RunStatus>&)> on_end,
                                         std::size_t& left, boost::asio::io_context& io) {
  Result<engine::RunStatus> r = Error::Io("not executed");
  try {
    r = co_await executor.Execute(id);
  } catch (const std::exception& e) {
    r = Error::Io(std::string("internal error: ") + e.what());
  }
  out.insert_or_assign(id, r);
  if (on_end) on_end(id, r);
  if (--left == 0) io.stop();
}
}  // namespace

std::map<std::string, Result<engine::RunStatus>> EngineHost::ExecuteAll(
    const std::vector<std::string>& ids, std::function<void(const std::string&, const Result<engine::RunStatus>&)> on_end,
    std::function<void()> on_tick, bool* interrupted) {
  std::map<std::string, Result<engine::RunStatus>> out;
  if (ids.empty()) return out;
  engine::Services services{io_.get_executor(), clock_, *store_,  *journal_, *limiter_, *factory_,
                            catalog_,           redactor_, nullptr, engine::DefaultRandom()};
  engine::ExecutorOptions options;
  options.owner = engine::CurrentOwner();
  batch_executor_ = std::make_unique<engine::Executor>(services, options);
  std::size_t left = ids.size();
  boost::asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    *interrupted = true;
    io_.stop();
  });
  boost::asio::steady_timer tick(io_);
  std::function<void(const boost::system::error_code&)> on_timer = [&](const boost::system::error_code& ec) {
    if (ec) return;
    if (on_tick) on_tick();
    tick.expires_after(std::chrono::milliseconds(250));
    tick.async_wait(on_timer);
  };
  tick.expires_after(std::chrono::milliseconds(250));
  tick.async_wait(on_timer);
  for (const std::string& id : ids) {
    boost::asio::co_spawn(io_, ExecuteInto(*batch_executor_, id, out, on_end, left, io_), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
  }
  io_.restart();
  io_.run();
  signals.cancel();
  tick.cancel();
  journal_->WaitIdle();
  return out;
}

Result<void> EngineHost::RunDaemon(const engine::DaemonOptions& options, int max_in_flight,
                                   std::chrono::milliseconds grace,
                                   std::function<void(const engine::DaemonEvent&)> log,
                                   std::function<void(const engine::DaemonStats&, bool stopping)> on_tick,
                                   std::function<void()> on_ready) {
  // The daemon drives many runs at once: its global cap on calls in flight is its own (each
  // connection's rate and max_in_flight still apply), and it may need that many sockets.
  limiter_ = std::make_unique<engine::Limiter>(io_.get_executor(), clock_, max_in_flight);
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  engine::Services services{io_.get_executor(), clock_, *store_,  *journal_, *limiter_, *factory_,
                            catalog_,           redactor_, nullptr, engine::DefaultRandom()};
  services.people = people_;
  engine::ExecutorOptions executor_options;
  executor_options.owner = engine::CurrentOwner();
  // A member, not a local: executions abandoned after the grace period are destroyed with the
  // io_context (first thing in ~EngineHost), while the daemon they belong to still exists.
  daemon_ = std::make_unique<engine::Daemon>(services, executor_options, options, std::move(log));
  engine::Daemon& daemon = *daemon_;
  if (on_daemon_) on_daemon_(io_, daemon);
  std::optional<Result<void>> result;
  std::exception_ptr crash;
  boost::asio::steady_timer deadline(io_);
  boost::asio::signal_set stop_signals(io_, SIGINT, SIGTERM);
  boost::asio::signal_set hup(io_, SIGHUP);
  // Handlers, not coroutines: each re-arms itself and captures only objects of this frame, which
  // outlive io_.run() below.
  std::function<void(const boost::system::error_code&, int)> on_stop = [&](const boost::system::error_code& ec, int) {
    if (ec) return;
    daemon.Stop();
    deadline.expires_after(grace);
    deadline.async_wait([&](const boost::system::error_code& e) {
      if (!e) io_.stop();  // grace over: what is in flight stays resumable
    });
  };
  stop_signals.async_wait(on_stop);
  std::function<void(const boost::system::error_code&, int)> on_hup = [&](const boost::system::error_code& ec, int) {
    if (ec) return;
    daemon.Wake();
    hup.async_wait(on_hup);
  };
  hup.async_wait(on_hup);
  boost::asio::steady_timer tick(io_);
  bool ready = false;
  std::function<void(const boost::system::error_code&)> on_timer = [&](const boost::system::error_code& ec) {
    if (ec) return;
    if (!ready && daemon.stats().last_pass_ms > 0) {
      ready = true;
      if (on_ready) on_ready();
    }
    if (on_tick) on_tick(daemon.stats(), daemon.stopping());
    tick.expires_after(std::chrono::milliseconds(ready ? 1000 : 20));
    tick.async_wait(on_timer);
  };
  tick.expires_after(std::chrono::milliseconds(0));
  tick.async_wait(on_timer);
  boost::asio::co_spawn(io_, daemon.Run(), [&](std::exception_ptr e, Result<void> r) {
    crash = e;
    result = std::move(r);
    io_.stop();
  });
  io_.restart();
  io_.run();
  if (on_tick) on_tick(daemon.stats(), true);
  journal_->WaitIdle();
  if (crash) std::rethrow_exception(crash);
  if (!result) return Result<void>();  // stopped after the grace period
  return *result;
}

Result<std::unique_ptr<engine::StateStore>> OpenExistingStore(const std::string& db_flag) {
  const std::string path = engine::DefaultDbPath(db_flag);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error::NotFound("no state database at " + path +
                           " (nothing has run with it yet; give the right path with --db or TENURE_DB)");
  }
  return engine::OpenSqliteStore(path);
}

ExitCode ExitCodeFor(engine::RunStatus s) {
  switch (s) {
    case engine::RunStatus::kSucceeded: return ExitCode::kOk;
    case engine::RunStatus::kFailed: return ExitCode::kFailed;
    case engine::RunStatus::kWaiting: return ExitCode::kWaiting;
    case engine::RunStatus::kCancelled: return ExitCode::kCancelled;
    case engine::RunStatus::kPending:
    case engine::RunStatus::kRunning: return ExitCode::kWaiting;  // not over: never "succeeded"
  }
  return ExitCode::kInternal;
}

ExitCode ExitCodeFor(const Error& e) { return e.Is(Errc::kIo) ? ExitCode::kInternal : ExitCode::kUsage; }

}  // namespace tenure::cli
