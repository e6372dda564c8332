#include "tests/engine/support/engine_fixture.h"

#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <unistd.h>

#include "engine/run_control.h"
#include "workflows/loader.h"
#include "workflows/validate.h"

namespace tenure::engine::testing {
namespace {

class InlineFiles final : public workflows::FileReader {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> Read(const std::string& path) override {
    auto it = files.find(path);
    if (it == files.end()) return Error::NotFound("no file " + path);
    return it->second;
  }
};

}  // namespace

TempDir::TempDir() {
  char tmpl[] = "/tmp/tenure-test-XXXXXX";
  const char* made = ::mkdtemp(tmpl);
  REQUIRE(made != nullptr);
  path_ = made;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Result<void> FaultyStore::Apply(std::span<const Transition> batch) {
  if (++applies >= fail_from_) return Error::Io("injected write failure (disk full)");
  return base_.Apply(batch);
}

EngineFixture::EngineFixture(int global_max_in_flight, int fail_apply_from, const std::string& db)
    : db_path(db.empty() ? dir.path() + "/tenure.db" : db),
      limiter(io.get_executor(), clock, global_max_in_flight),
      service(clock),
      factory(service),
      catalog(TestCatalog()) {
  auto opened = OpenSqliteStore(db_path);
  REQUIRE(opened.has_value());
  sqlite = std::move(*opened);
  store = sqlite.get();
  if (fail_apply_from > 0) {
    faulty = std::make_unique<FaultyStore>(*sqlite, fail_apply_from);
    store = faulty.get();
  }
  journal = std::make_unique<Journal>(*store, io.get_executor());
  // Not CurrentOwner(): `tenure cancel` in the same test process must see another live owner.
  options.owner = "engine-test:" + std::to_string(::getpid());
}

EngineFixture::~EngineFixture() {
  // Let every coroutine finish or be destroyed before the services they use.
  journal->WaitIdle();
  io_owner.reset();
}

workflows::Playbook EngineFixture::Load(const std::string& yaml) {
  InlineFiles inline_files;
  inline_files.files = files;
  inline_files.files["test.yaml"] = yaml;
  workflows::CheckedPlaybook checked = workflows::LoadAndValidate(inline_files, catalog, "test.yaml");
  std::string rendered;
  for (const auto& d : checked.diags.items()) rendered += workflows::Render(d);
  INFO(rendered);
  REQUIRE(checked.ok());
  return std::move(checked.pb);
}

std::string EngineFixture::Start(const std::string& yaml, Map inputs, const std::string& key) {
  workflows::Playbook pb = Load(yaml);
  NewRun run;
  run.playbook = &pb;
  run.inputs = std::move(inputs);
  run.trigger = "test";
  run.trigger_key = key;
  auto created = CreateRun(*store, run, clock.Now());
  REQUIRE(created.has_value());
  return created->id;
}

void EngineFixture::Execute(const std::string& run_id) {
  result_.reset();
  Services services{io.get_executor(), clock,   *store,   *journal, limiter, factory,
                    catalog,           redactor, &reporter, [this] { return random_value; }};
  services.people = people;
  executor_ = std::make_unique<Executor>(std::move(services), options);
  boost::asio::co_spawn(io, executor_->Execute(run_id), [this](std::exception_ptr e, Result<RunStatus> r) {
    if (e) std::rethrow_exception(e);
    result_ = std::move(r);
  });
}

std::string EngineFixture::Run(const std::string& yaml, Map inputs) {
  std::string id = Start(yaml, std::move(inputs));
  Execute(id);
  RunUntilIdle();
  return id;
}

void EngineFixture::RunUntilIdle() {
  for (;;) {
    io.restart();
    std::size_t n = io.poll();
    journal->WaitIdle();
    io.restart();
    n += io.poll();
    if (n == 0) return;
  }
}

void EngineFixture::Advance(std::chrono::milliseconds d) {
  clock.Advance(d);
  RunUntilIdle();
}

void EngineFixture::RunToCompletion(std::chrono::milliseconds limit) {
  const SteadyTime end = clock.SteadyNow() + limit;
  RunUntilIdle();
  while (!done() && clock.NextDeadline() <= end) {
    Advance(std::chrono::ceil<std::chrono::milliseconds>(clock.NextDeadline() - clock.SteadyNow()));
  }
}

RunStatus EngineFixture::status() const {
  REQUIRE(result_.has_value());
  INFO((result_->has_error() ? result_->error().message : std::string()));
  REQUIRE(result_->has_value());
  return **result_;
}

TaskRecord EngineFixture::Task(const std::string& run_id, const std::string& task, int item) {
  auto rows = sqlite->GetTasks(run_id);
  REQUIRE(rows.has_value());
  for (const TaskRecord& r : *rows) {
    if (r.task == task && r.item == item) return r;
  }
  FAIL("no row for task " << task << " item " << item);
  return {};
}

std::vector<std::string> EngineFixture::EventKinds(const std::string& run_id, const std::string& task) {
  std::vector<std::string> out;
  auto events = sqlite->GetEvents(run_id);
  REQUIRE(events.has_value());
  for (const EventRecord& e : *events) {
    if (e.task == task) out.push_back(e.kind);
  }
  return out;
}

std::vector<std::string> EngineFixture::EventLines(const std::string& run_id, const std::string& task) {
  std::vector<std::string> out;
  auto events = sqlite->GetEvents(run_id);
  REQUIRE(events.has_value());
  for (const EventRecord& e : *events) {
    if (e.task == task) out.push_back(e.kind + ": " + e.detail);
  }
  return out;
}

}  // namespace tenure::engine::testing
