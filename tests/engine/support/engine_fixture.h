// EngineFixture: a real SQLite store in a temp directory, a ManualClock, a FakeService and an
// io_context the test drives by hand (RunUntilIdle, Advance). Playbooks are inline YAML.
#pragma once

#include <boost/asio/io_context.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "connectors/redactor.h"
#include "engine/executor.h"
#include "engine/journal.h"
#include "engine/limits.h"
#include "engine/state_store.h"
#include "tests/engine/support/fake_connector.h"
#include "tests/engine/support/manual_clock.h"
#include "workflows/playbook.h"

namespace tenure::engine::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class RecordingReporter final : public Reporter {
 public:
  void OnEvent(const EventRecord& e) override { events.push_back(e); }
  std::vector<EventRecord> events;
};

// A StateStore that forwards to another and fails the Nth Apply (1-based) and every one after
// (leveldb's EnvWrapper-style fault injection).
class FaultyStore final : public StateStore {
 public:
  FaultyStore(StateStore& base, int fail_from_apply) : base_(base), fail_from_(fail_from_apply) {}
  Result<CreatedRun> CreateRun(const RunRecord& r) override { return base_.CreateRun(r); }
  Result<RunRecord> GetRun(const std::string& id) override { return base_.GetRun(id); }
  Result<std::vector<RunRecord>> ListRuns(const RunFilter& f) override { return base_.ListRuns(f); }
  Result<std::vector<TaskRecord>> GetTasks(const std::string& id) override { return base_.GetTasks(id); }
  Result<std::vector<EventRecord>> GetEvents(const std::string& id) override { return base_.GetEvents(id); }
  Result<void> Apply(std::span<const Transition> batch) override;
  Result<std::string> ClaimRun(const std::string& id, const std::string& owner,
                               bool (*dead)(const std::string&)) override {
    return base_.ClaimRun(id, owner, dead);
  }
  Result<std::vector<std::string>> ClaimRuns(const std::vector<std::string>& ids, const std::string& owner,
                                             bool (*dead)(const std::string&)) override {
    return base_.ClaimRuns(ids, owner, dead);
  }
  Result<void> ReleaseRun(const std::string& id, const std::string& owner) override {
    return base_.ReleaseRun(id, owner);
  }
  Result<void> RequestCancel(const std::string& id) override { return base_.RequestCancel(id); }
  Result<std::vector<std::string>> CancelRequests(const std::string& owner) override {
    return base_.CancelRequests(owner);
  }
  Result<std::vector<RunRecord>> RunnableRuns(std::int64_t now_ms, const std::string& self) override {
    return base_.RunnableRuns(now_ms, self);
  }
  Result<std::int64_t> NextTimerDue(std::int64_t now_ms) override { return base_.NextTimerDue(now_ms); }
  Result<ScheduleWrite> PutSchedule(const ScheduleRecord& s) override { return base_.PutSchedule(s); }
  Result<ScheduleRecord> GetSchedule(const std::string& id) override { return base_.GetSchedule(id); }
  Result<std::vector<ScheduleRecord>> ListSchedules(bool removed) override { return base_.ListSchedules(removed); }
  Result<ScheduleRecord> SetScheduleStatus(const std::string& id, const std::vector<ScheduleStatus>& from,
                                           ScheduleStatus to, const std::string& kind, const std::string& detail,
                                           std::int64_t at_ms) override {
    return base_.SetScheduleStatus(id, from, to, kind, detail, at_ms);
  }
  Result<std::vector<ScheduleRecord>> DueSchedules(std::int64_t now_ms, int limit) override {
    return base_.DueSchedules(now_ms, limit);
  }
  Result<std::int64_t> NextScheduleDue() override { return base_.NextScheduleDue(); }
  Result<void> FireSchedule(const ScheduleFire& f) override { return base_.FireSchedule(f); }
  Result<std::vector<Result<RunRecord>>> FireSchedules(std::span<const ScheduleFire> f) override {
    return base_.FireSchedules(f);
  }
  Result<std::vector<EventRecord>> GetScheduleEvents(const std::string& id) override {
    return base_.GetScheduleEvents(id);
  }
  std::optional<Error> WriteError() const override { return base_.WriteError(); }
  int applies = 0;

 private:
  StateStore& base_;
  int fail_from_;
};

class EngineFixture {
 public:
  // `global_max_in_flight` <= 0: unlimited. `fail_apply_from` > 0 wraps the store in a FaultyStore.
  // `db` "" = a fresh file in `dir`.
  explicit EngineFixture(int global_max_in_flight = 0, int fail_apply_from = 0, const std::string& db = "");
  ~EngineFixture();

  // Files besides the playbook (includes), by path.
  std::map<std::string, std::string> files;
  // Loads and validates `yaml` (as file "test.yaml"); FAILs the test on any diagnostic.
  workflows::Playbook Load(const std::string& yaml);
  // Creates a pending run of `yaml` with `inputs`; returns its id.
  std::string Start(const std::string& yaml, Map inputs = {}, const std::string& key = "");
  // Spawns Execute(run_id); the result lands in result() once the run stops.
  void Execute(const std::string& run_id);
  // Start + Execute + RunUntilIdle.
  std::string Run(const std::string& yaml, Map inputs = {});
  // Runs ready handlers until nothing is left to do without time passing.
  void RunUntilIdle();
  // Advances the clock by `d` and runs until idle.
  void Advance(std::chrono::milliseconds d);
  // Advances time sleeper by sleeper until the run stops (at most `limit` of simulated time).
  void RunToCompletion(std::chrono::milliseconds limit = std::chrono::hours(1));

  bool done() const { return result_.has_value(); }
  const Result<RunStatus>& result() const { return *result_; }
  RunStatus status() const;  // REQUIRES: done() and no error
  TaskRecord Task(const std::string& run_id, const std::string& task, int item = -1);
  std::vector<std::string> EventKinds(const std::string& run_id, const std::string& task);
  // "kind: detail" of every event of `task` ("" = run-level), in order.
  std::vector<std::string> EventLines(const std::string& run_id, const std::string& task);

  // First member, reset first: suspended coroutines are destroyed while what they use is alive.
  std::unique_ptr<boost::asio::io_context> io_owner = std::make_unique<boost::asio::io_context>();
  boost::asio::io_context& io = *io_owner;
  TempDir dir;
  std::string db_path;
  ManualClock clock;
  std::unique_ptr<StateStore> sqlite;
  std::unique_ptr<FaultyStore> faulty;
  StateStore* store = nullptr;
  std::unique_ptr<Journal> journal;
  Limiter limiter;
  FakeService service;
  FakeFactory factory;
  workflows::ConnectorCatalog catalog;
  connectors::Redactor redactor;
  RecordingReporter reporter;
  ExecutorOptions options;
  double random_value = 0.5;  // the jitter draw: backoff waits are half their ceiling
  const PeopleConfig* people = nullptr;  // decision links (Services::people)

 private:
  std::optional<Result<RunStatus>> result_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace tenure::engine::testing
