// Engine throughput: a 10,000-task graph, wide (one root, 9,999 dependents) and deep (100 chains of
// 100), on a no-op connector with durable state (SQLite, WAL, synchronous=FULL, group commit).
// Baseline, measured in the same process on the same disk: single-row synchronous=FULL WAL commits
// from a plain loop. Prints task completions/s, per-task overhead, and the ratio to the baseline.
//
//   engine_bench [--tasks N] [--dir DIR]      (DIR: where the databases go; default /tmp)
#include <SQLiteCpp/SQLiteCpp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include "connectors/catalog.h"
#include "engine/clock.h"
#include "engine/executor.h"
#include "engine/journal.h"
#include "engine/limits.h"
#include "engine/run_control.h"
#include "engine/state_store.h"
#include "workflows/loader.h"
#include "workflows/validate.h"

namespace {

using namespace tenure;
using Clock = std::chrono::steady_clock;

class NoopConnector final : public connectors::Connector {
 public:
  boost::asio::awaitable<connectors::Outcome> Invoke(const connectors::Action&, const connectors::Context&) override {
    co_return connectors::Succeeded{Value(Map())};
  }
};

class NoopFactory final : public connectors::ConnectorFactory {
 public:
  Result<std::unique_ptr<connectors::Connector>> Create(const workflows::ConnectionSpec&,
                                                        connectors::Redactor&) override {
    return std::unique_ptr<connectors::Connector>(std::make_unique<NoopConnector>());
  }
};

class MemoryFiles final : public workflows::FileReader {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> Read(const std::string& path) override { return files.at(path); }
};

workflows::ConnectorCatalog Catalog() {
  auto builtin = connectors::BuiltinCatalog();
  std::vector<workflows::ConnectorSpec> specs(builtin.all().begin(), builtin.all().end());
  workflows::ConnectorSpec noop;
  noop.name = "noop";
  noop.actions.push_back({"call", "does nothing", {}, {}, {}, true, ""});
  specs.push_back(std::move(noop));
  return workflows::ConnectorCatalog(std::move(specs));
}

std::string Wide(int n) {
  std::string y = "playbook: wide\nconnections:\n  svc: { connector: noop }\ntasks:\n  t0: { uses: svc.call }\n";
  for (int i = 1; i < n; ++i) y += "  t" + std::to_string(i) + ": { uses: svc.call, needs: t0 }\n";
  return y;
}

std::string Deep(int chains, int length) {
  std::string y = "playbook: deep\nconnections:\n  svc: { connector: noop }\ntasks:\n";
  for (int c = 0; c < chains; ++c) {
    for (int i = 0; i < length; ++i) {
      y += "  c" + std::to_string(c) + "_" + std::to_string(i) + ": { uses: svc.call";
      if (i > 0) y += ", needs: c" + std::to_string(c) + "_" + std::to_string(i - 1);
      y += " }\n";
    }
  }
  return y;
}

double BaselineCommitsPerSecond(const std::string& path, int commits) {
  std::filesystem::remove(path);
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=FULL");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  const auto start = Clock::now();
  for (int i = 0; i < commits; ++i) {
    SQLite::Transaction txn(db);
    SQLite::Statement s(db, "INSERT INTO t (v) VALUES (?)");
    s.bind(1, "row");
    s.exec();
    txn.commit();
  }
  return commits / std::chrono::duration<double>(Clock::now() - start).count();
}

struct Measured {
  double seconds = 0;
  std::uint64_t transactions = 0;
  std::uint64_t transitions = 0;
  std::string status;
};

Measured RunGraph(const std::string& yaml, const std::string& db_path) {
  std::filesystem::remove(db_path);
  std::filesystem::remove(db_path + "-wal");
  std::filesystem::remove(db_path + "-shm");
  MemoryFiles files;
  files.files["bench.yaml"] = yaml;
  const auto catalog = Catalog();
  workflows::Diagnostics diags;
  workflows::Playbook pb = workflows::LoadPlaybook(files, "bench.yaml", diags);
  workflows::Validate(pb, catalog, diags);
  if (diags.HasErrors()) {
    std::fprintf(stderr, "bench playbook invalid: %s\n", diags.items().front().message.c_str());
    std::exit(1);
  }
  auto store = engine::OpenSqliteStore(db_path);
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().message.c_str());
    std::exit(1);
  }
  boost::asio::io_context io(1);
  engine::SystemClock clock;
  engine::NewRun nr;
  nr.playbook = &pb;
  nr.trigger = "bench";
  auto created = engine::CreateRun(**store, nr, clock.Now());
  Measured m;
  {
    engine::Journal journal(**store, io.get_executor());
    engine::Limiter limiter(io.get_executor(), clock, 64);  // the CLI's global cap
    NoopFactory factory;
    connectors::Redactor redactor;
    engine::Services services{io.get_executor(), clock, **store, journal, limiter, factory, catalog, redactor,
                              nullptr, engine::DefaultRandom()};
    engine::ExecutorOptions options;
    options.owner = engine::CurrentOwner();
    engine::Executor executor(std::move(services), options);
    const auto start = Clock::now();
    boost::asio::co_spawn(io, executor.Execute(created->id), [&](std::exception_ptr e, Result<engine::RunStatus> r) {
      if (e) std::rethrow_exception(e);
      m.status = r ? engine::RunStatusName(*r) : r.error().message;
      io.stop();
    });
    io.run();
    m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    journal.WaitIdle();
    m.transactions = journal.transactions();
    m.transitions = journal.transitions();
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int tasks = 10000;
  std::string dir = "/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--tasks") == 0) tasks = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--dir") == 0) dir = argv[i + 1];
  }
  const double baseline = BaselineCommitsPerSecond(dir + "/tenure-bench-baseline.db", 1000);
  std::printf("baseline: %.0f single-row synchronous=FULL WAL commits/s\n", baseline);
  const int side = 100;
  const struct {
    const char* name;
    std::string yaml;
  } graphs[] = {{"wide", Wide(tasks)}, {"deep", Deep(side, tasks / side)}};
  for (const auto& g : graphs) {
    const Measured m = RunGraph(g.yaml, dir + "/tenure-bench-" + g.name + ".db");
    const double rate = tasks / m.seconds;
    std::printf("%s: %d tasks %s in %.2fs: %.0f completions/s, %.1f us/task, %llu transitions in %llu transactions; "
                "ratio to baseline %.2fx\n",
                g.name, tasks, m.status.c_str(), m.seconds, rate, 1e6 * m.seconds / tasks,
                static_cast<unsigned long long>(m.transitions), static_cast<unsigned long long>(m.transactions),
                rate / baseline);
  }
  return 0;
}
