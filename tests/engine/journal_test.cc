#include "engine/journal.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

Transition Row(const std::string& run, int i) {
  Transition t;
  t.run_id = run;
  TaskRecord row;
  row.task = "t" + std::to_string(i);
  row.status = TaskStatus::kSucceeded;
  t.tasks.push_back(row);
  return t;
}

void CreateRun(testing::EngineFixture& f, const std::string& id) {
  RunRecord run;
  run.id = id;
  run.playbook = "p";
  run.inputs = Value(Map());
  REQUIRE(f.store->CreateRun(run).has_value());
}

TEST_CASE("transitions queued while a commit is in flight share the next transaction", "[store]") {
  testing::EngineFixture f;
  CreateRun(f, "r1");
  int committed = 0;
  constexpr int kTasks = 500;
  auto commit = [&](int i) -> boost::asio::awaitable<void> {
    auto r = co_await f.journal->Commit(Row("r1", i));
    if (r) ++committed;
  };
  for (int i = 0; i < kTasks; ++i) boost::asio::co_spawn(f.io, commit(i), boost::asio::detached);
  f.RunUntilIdle();
  CHECK(committed == kTasks);
  CHECK(f.journal->transitions() == kTasks);
  CHECK(f.journal->transactions() < kTasks / 10);  // grouped, not one fsync each
  CHECK(f.store->GetTasks("r1")->size() == kTasks);
}

TEST_CASE("a store operation through the journal sees what was queued before it and completes on the io thread", "[store]") {
  testing::EngineFixture f;
  CreateRun(f, "r1");
  // A long linger: without the operation, the Submit below would wait 30 s for company.
  Journal journal(*f.store, f.io.get_executor(), std::chrono::seconds(30));
  bool submitted = false;
  journal.Submit(Row("r1", 0), [&](Result<void> r) { submitted = r.has_value(); });
  std::optional<std::size_t> rows_seen;
  std::thread::id op_thread, completion_thread;
  const std::thread::id io_thread = std::this_thread::get_id();  // RunUntilIdle runs io here
  auto read = [&]() -> boost::asio::awaitable<void> {
    std::function<Result<std::size_t>(StateStore&)> op = [&op_thread](StateStore& store) -> Result<std::size_t> {
      op_thread = std::this_thread::get_id();
      auto tasks = store.GetTasks("r1");
      if (!tasks) return tasks.error();
      return tasks->size();
    };
    auto rows = co_await journal.Run(std::move(op));
    completion_thread = std::this_thread::get_id();
    if (rows) rows_seen = *rows;
  };
  boost::asio::co_spawn(f.io, read(), boost::asio::detached);
  const auto started = std::chrono::steady_clock::now();
  f.RunUntilIdle();
  journal.WaitIdle();
  f.RunUntilIdle();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));  // did not linger
  CHECK(submitted);
  REQUIRE(rows_seen.has_value());
  CHECK(*rows_seen == 1);  // the Submit queued before it was applied first
  CHECK(op_thread != io_thread);  // the store's work happened on the writer thread
  CHECK(completion_thread == io_thread);

  // Errors come back as the operation's result.
  std::optional<Error> error;
  auto missing = [&]() -> boost::asio::awaitable<void> {
    std::function<Result<RunRecord>(StateStore&)> op = [](StateStore& store) { return store.GetRun("nope"); };
    auto run = co_await journal.Run(std::move(op));
    if (!run) error = run.error();
  };
  boost::asio::co_spawn(f.io, missing(), boost::asio::detached);
  f.RunUntilIdle();
  journal.WaitIdle();
  f.RunUntilIdle();
  REQUIRE(error.has_value());
  CHECK(error->Is(Errc::kNotFound));
}

TEST_CASE("a result nobody awaits lingers for the next intent and shares its transaction", "[store]") {
  testing::EngineFixture f;
  CreateRun(f, "r1");
  // A long linger: the Submit must be held until the Commit arrives, then both go in one Apply.
  Journal journal(*f.store, f.io.get_executor(), std::chrono::seconds(30));
  std::vector<std::string> order;
  journal.Submit(Row("r1", 0), [&](Result<void> r) { order.push_back(r ? "result" : r.error().message); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the writer is lingering now
  CHECK(journal.transactions() == 0);
  auto commit = [&]() -> boost::asio::awaitable<void> {
    auto r = co_await journal.Commit(Row("r1", 1));
    order.push_back(r ? "intent" : r.error().message);
  };
  boost::asio::co_spawn(f.io, commit(), boost::asio::detached);
  f.RunUntilIdle();
  journal.WaitIdle();
  f.RunUntilIdle();
  CHECK(order == std::vector<std::string>{"result", "intent"});  // submission order
  CHECK(journal.transactions() == 1);
  CHECK(journal.transitions() == 2);

  // Alone, a Submit is applied once the linger ends.
  Journal quick(*f.store, f.io.get_executor(), std::chrono::milliseconds(5));
  bool done = false;
  quick.Submit(Row("r1", 2), [&](Result<void> r) { done = r.has_value(); });
  quick.WaitIdle();
  f.RunUntilIdle();
  CHECK(done);
  CHECK(f.store->GetTasks("r1")->size() == 3);
}

TEST_CASE("a failed commit is sticky", "[store]") {
  testing::EngineFixture f(0, /*fail_apply_from=*/1);
  std::vector<std::string> errors;
  auto commit = [&]() -> boost::asio::awaitable<void> {
    auto r = co_await f.journal->Commit(Row("r1", 0));
    errors.push_back(r ? "ok" : r.error().message);
  };
  boost::asio::co_spawn(f.io, commit(), boost::asio::detached);
  f.RunUntilIdle();
  boost::asio::co_spawn(f.io, commit(), boost::asio::detached);
  f.RunUntilIdle();
  CHECK(errors == std::vector<std::string>{"injected write failure (disk full)", "injected write failure (disk full)"});
  CHECK(f.faulty->applies == 1);  // the second commit never reached the store
}

}  // namespace
}  // namespace tenure::engine
