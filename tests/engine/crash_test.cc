// The crash test: the real `tenure` binary runs a playbook of `exec` steps; the test kills it with
// SIGKILL at random moments, resumes, and repeats. Each step records its idempotency key in an
// effects file, idempotently (under flock, append only if absent) as a connector must, and logs every
// invocation. At the end: the run succeeded, every key's effect happened exactly once, every task
// ran at least once, and the audit log holds a success for each.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "engine/state_store.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

// Starts `argv` with stdout/stderr to /dev/null; returns the pid.
pid_t Spawn(const std::vector<std::string>& args) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    // dup2, not freopen: freopen would flush the parent's buffered output a second time.
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid`; returns its exit code, or -signal when it was killed.
int Wait(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

std::string Playbook(const std::string& dir) {
  const std::string step =
      "exec 9>>" + dir + "/lock; flock 9; echo \\\"$TENURE_IDEMPOTENCY_KEY\\\" >> " + dir +
      "/calls; grep -qx \\\"$TENURE_IDEMPOTENCY_KEY\\\" " + dir + "/effects 2>/dev/null || echo "
      "\\\"$TENURE_IDEMPOTENCY_KEY\\\" >> " + dir + "/effects; flock -u 9; sleep 0.1; echo '{}'";
  std::string yaml =
      "playbook: crash\nconnections:\n  sh: { connector: exec }\ntasks:\n"
      "  fan:\n    for_each: [a, b, c, d, e, f, g, h]\n    uses: sh.run\n"
      "    with: { argv: [/bin/sh, -c, \"" + step + "\"] }\n";
  std::string prev = "fan";
  for (int i = 0; i < 8; ++i) {
    const std::string name = "chain" + std::to_string(i);
    yaml += "  " + name + ":\n    needs: " + prev + "\n    uses: sh.run\n    with: { argv: [/bin/sh, -c, \"" + step +
            "\"] }\n";
    prev = name;
  }
  return yaml;
}

std::map<std::string, int> CountLines(const std::string& path) {
  std::map<std::string, int> counts;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) ++counts[line];
  }
  return counts;
}

TEST_CASE("kill -9 at random moments, resume: every effect happens exactly once", "[engine][crash]") {
  const std::string binary = TENURE_BINARY;
  if (!std::filesystem::exists(binary)) {
    WARN("skipped: " << binary << " is not built");
    return;
  }
  testing::TempDir dir;
  const std::string db = dir.path() + "/tenure.db";
  const std::string file = dir.path() + "/crash.yaml";
  std::ofstream(file) << Playbook(dir.path());

  std::mt19937 rng(4711);
  std::uniform_int_distribution<int> delay_ms(0, 300);
  int kills = 0;
  bool finished = false;
  for (int round = 0; round < 40 && !finished; ++round) {
    // `run` until the run exists (a kill may come before it is stored), then `resume --all`.
    bool exists = false;
    if (std::filesystem::exists(db)) {
      auto store = OpenSqliteStore(db);
      REQUIRE(store.has_value());
      exists = !(*store)->ListRuns({})->empty();
    }
    const pid_t pid = exists ? Spawn({binary, "resume", "--all", "--db", db})
                             : Spawn({binary, "run", file, "--db", db, "--key", "crash-test"});
    const bool kill_this_round = round < 25;
    if (kill_this_round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
      ::kill(pid, SIGKILL);
    }
    const int code = Wait(pid);
    if (code == -SIGKILL) ++kills;
    if (code == 0 || !kill_this_round) {
      auto store = OpenSqliteStore(db);
      REQUIRE(store.has_value());
      auto runs = (*store)->ListRuns({});
      REQUIRE(runs.has_value());
      finished = runs->size() == 1 && runs->front().status == RunStatus::kSucceeded;
    }
  }
  auto store = OpenSqliteStore(db);
  REQUIRE(store.has_value());
  auto runs = (*store)->ListRuns({});
  REQUIRE(runs->size() == 1);
  CHECK(runs->front().status == RunStatus::kSucceeded);
  INFO("kills: " << kills);
  CHECK(kills > 0);


  auto tasks = (*store)->GetTasks(runs->front().id);
  REQUIRE(tasks.has_value());
  const auto effects = CountLines(dir.path() + "/effects");
  const auto calls = CountLines(dir.path() + "/calls");
  int steps = 0;
  for (const TaskRecord& t : *tasks) {
    if (t.idempotency_key.empty()) continue;  // the for_each parent row
    ++steps;
    CHECK(t.status == TaskStatus::kSucceeded);
    INFO(t.task << "[" << t.item << "] key " << t.idempotency_key);
    CHECK(effects.count(t.idempotency_key) == 1);
    CHECK(effects.at(t.idempotency_key) == 1);  // once, however often it was called
    CHECK(calls.count(t.idempotency_key) == 1);
  }
  CHECK(steps == 16);
  CHECK(effects.size() == 16);
  auto events = (*store)->GetEvents(runs->front().id);
  std::map<std::string, int> succeeded;
  for (const EventRecord& e : *events) {
    if (e.kind == "succeeded") ++succeeded[e.task + "/" + std::to_string(e.item)];
  }
  CHECK(succeeded.size() == 17);  // 8 items, the fan-out task, 8 chain steps
  for (const auto& [row, n] : succeeded) CHECK(n == 1);
}

}  // namespace
}  // namespace tenure::engine
