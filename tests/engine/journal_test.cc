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

// Runs the io context by hand until `done()` (a journal of the test's own: the fixture's
// RunUntilIdle waits for the fixture's journal only).
template <class Pred>
bool PollUntil(testing::EngineFixture& f, Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    f.io.restart();
    f.io.poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

TEST_CASE("lazy transitions yield to urgent ones of other runs, never to their own run's, nor to a read", "[store]") {
  testing::EngineFixture f;
  CreateRun(f, "r1");
  CreateRun(f, "r2");
  // Long linger and max_defer: a lazy transition moves only when something requires it.
  Journal journal(*f.store, f.io.get_executor(), std::chrono::seconds(30), std::chrono::seconds(30));
  std::vector<std::string> order;
  journal.Submit(Row("r1", 0), [&](Result<void> r) { order.push_back(r ? "r1 result" : r.error().message); });
  auto commit = [&](std::string run, int i, std::string label) -> boost::asio::awaitable<void> {
    auto r = co_await journal.Commit(Row(run, i));
    order.push_back(r ? label : r.error().message);
  };
  // An urgent transition of another run does not wait for it.
  boost::asio::co_spawn(f.io, commit("r2", 0, "r2 intent"), boost::asio::detached);
  REQUIRE(PollUntil(f, [&] { return order.size() == 1; }));
  CHECK(order == std::vector<std::string>{"r2 intent"});
  CHECK(f.store->GetTasks("r1")->empty());
  // An urgent transition of its own run takes it along, first.
  boost::asio::co_spawn(f.io, commit("r1", 1, "r1 intent"), boost::asio::detached);
  REQUIRE(PollUntil(f, [&] { return order.size() == 3; }));
  CHECK(order == std::vector<std::string>{"r2 intent", "r1 result", "r1 intent"});
  CHECK(f.store->GetTasks("r1")->size() == 2);

  // A read op sees it; an independent op (a fire) need not.
  journal.Submit(Row("r1", 2), [&](Result<void> r) { order.push_back(r ? "r1 result 2" : r.error().message); });
  auto count_r1 = [](StateStore& store) -> Result<std::size_t> {
    auto tasks = store.GetTasks("r1");
    if (!tasks) return tasks.error();
    return tasks->size();
  };
  std::optional<std::size_t> independent_saw, read_saw;
  journal.RunThen<std::size_t>(count_r1, [&](Result<std::size_t> n) { independent_saw = n ? *n : 0; }, true);
  REQUIRE(PollUntil(f, [&] { return independent_saw.has_value(); }));
  CHECK(*independent_saw == 2);
  CHECK(order.size() == 3);
  journal.RunThen<std::size_t>(count_r1, [&](Result<std::size_t> n) { read_saw = n ? *n : 0; });
  REQUIRE(PollUntil(f, [&] { return read_saw.has_value() && order.size() == 4; }));
  CHECK(*read_saw == 3);
  CHECK(order.back() == "r1 result 2");

  // Held back at most max_defer: then it goes with the next urgent work, whatever its run.
  Journal bounded(*f.store, f.io.get_executor(), std::chrono::seconds(30), std::chrono::milliseconds(20));
  std::vector<std::string> seen;
  bounded.Submit(Row("r2", 5), [&](Result<void> r) { seen.push_back(r ? "r2 result" : r.error().message); });
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  auto urgent = [&]() -> boost::asio::awaitable<void> {
    auto r = co_await bounded.Commit(Row("r1", 9));
    seen.push_back(r ? "r1 intent" : r.error().message);
  };
  boost::asio::co_spawn(f.io, urgent(), boost::asio::detached);
  REQUIRE(PollUntil(f, [&] { return seen.size() == 2; }));
  CHECK(seen == std::vector<std::string>{"r2 result", "r1 intent"});
  CHECK(bounded.transactions() == 1);
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
