// The real `tenure daemon`, killed with SIGKILL at random moments around the fire times and
// restarted, many times. Each schedule's run must exist exactly once and succeed, and each durable
// timer inside a run must fire and let its run finish. The exec step records its idempotency key
// idempotently (under flock, appended only if absent), as a connector must, and logs every call.
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
#include <set>
#include <thread>

#include "engine/clock.h"
#include "engine/state_store.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::engine {
namespace {

pid_t SpawnDaemon(const std::string& db, const std::string& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    // The test framework's handlers must not run in the child before exec.
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    ::dup2(out, 1);
    ::dup2(out, 2);
    const std::string bin = TENURE_BINARY;
    std::vector<std::string> args = {bin, "daemon", "--db", db, "--poll", "100ms", "--grace", "1s"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

int Shell(const std::string& cmd, std::string* out = nullptr) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) text.append(buf, n);
  const int status = ::pclose(p);
  if (out != nullptr) *out = text;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Step(const std::string& dir) {
  return "exec 9>>" + dir + "/lock; flock 9; echo \\\"$TENURE_IDEMPOTENCY_KEY\\\" >> " + dir +
         "/calls; grep -qx \\\"$TENURE_IDEMPOTENCY_KEY\\\" " + dir + "/effects 2>/dev/null || echo "
         "\\\"$TENURE_IDEMPOTENCY_KEY\\\" >> " + dir + "/effects; flock -u 9; sleep 0.2; echo '{}'";
}

std::set<std::string> Lines(const std::string& path) {
  std::set<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.insert(line);
  }
  return out;
}

TEST_CASE("SIGKILL around the fire time: every schedule runs exactly once, every timer fires", "[daemon][cli][crash]") {
  if (!std::filesystem::exists(TENURE_BINARY)) {
    WARN("skipped: " << TENURE_BINARY << " is not built");
    return;
  }
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  std::ofstream(dir.path() + "/p.yaml") << "playbook: leaver\ninputs:\n  who: { type: string }\n"
                                           "connections:\n  sh: { connector: exec }\ntasks:\n"
                                           "  disable:\n    uses: sh.run\n"
                                           "    with: { argv: [/bin/sh, -c, \"" + Step(dir.path()) + "\"] }\n"
                                           "  later:\n    needs: disable\n    uses: timer.wait\n"
                                           "    with: { for: 2s }\n"
                                           "  delete:\n    needs: later\n    uses: sh.run\n"
                                           "    with: { argv: [/bin/sh, -c, \"" + Step(dir.path()) + "\"] }\n";
  // Six leavers, due 2 to 4.5 s from now, half a second apart (UTC, to the second).
  constexpr int kSchedules = 6;
  const auto start = std::chrono::system_clock::now();
  for (int i = 0; i < kSchedules; ++i) {
    const std::string at = FormatRfc3339(start + std::chrono::milliseconds(2000 + 500 * i)).substr(0, 19);
    std::string out;
    const int code = Shell(std::string(TENURE_BINARY) + " schedule add " + dir.path() + "/p.yaml --at " + at +
                               " --tz UTC --set who=p" + std::to_string(i) + " --key leaver-" + std::to_string(i) +
                               " --db " + db,
                           &out);
    INFO(out);
    REQUIRE(code == 0);
  }
  std::mt19937 rng(20261202);
  std::uniform_int_distribution<int> pause(150, 900);
  const std::string log = dir.path() + "/daemon.log";
  int kills = 0;
  auto store = OpenSqliteStore(db);
  REQUIRE(store.has_value());
  auto all_done = [&] {
    auto runs = (*store)->ListRuns({});
    if (!runs || runs->size() < kSchedules) return false;
    for (const auto& r : *runs) {
      if (r.status != RunStatus::kSucceeded) return false;
    }
    return true;
  };
  // Kill it at random moments until every run has ended (at most ~40 s).
  for (int round = 0; round < 60 && !all_done(); ++round) {
    const pid_t pid = SpawnDaemon(db, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ++kills;
  }
  // Then let one daemon finish the rest and stop it with SIGTERM.
  const pid_t last = SpawnDaemon(db, log);
  for (int i = 0; i < 200 && !all_done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 50 && Shell(std::string(TENURE_BINARY) + " daemon status --db " + db) != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // SIGTERM a daemon that is up
  }
  ::kill(last, SIGTERM);
  int status = 0;
  ::waitpid(last, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  INFO("kills: " << kills);
  REQUIRE(all_done());

  auto runs = (*store)->ListRuns({});
  REQUIRE(runs.has_value());
  CHECK(runs->size() == kSchedules);  // exactly one run per schedule, however many kills
  std::set<std::string> triggers;
  for (const auto& r : *runs) triggers.insert(r.trigger);
  CHECK(triggers.size() == kSchedules);
  for (int i = 0; i < kSchedules; ++i) {
    auto s = (*store)->GetSchedule("leaver-" + std::to_string(i));
    REQUIRE(s.has_value());
    CHECK(s->status == ScheduleStatus::kFired);
    CHECK(s->fires == 1);
    auto events = (*store)->GetScheduleEvents(s->id);
    int fired = 0;
    for (const auto& e : *events) fired += e.kind == "schedule_fired";
    CHECK(fired == 1);
  }
  // Two steps per run: every effect exactly once (keys are per run and task).
  CHECK(Lines(dir.path() + "/effects").size() == 2 * kSchedules);
  CHECK(Lines(dir.path() + "/calls").size() == 2 * kSchedules);
}

TEST_CASE("tenure daemon refuses a second daemon on the same database and reports its status", "[daemon][cli]") {
  if (!std::filesystem::exists(TENURE_BINARY)) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  const std::string log = dir.path() + "/daemon.log";
  const pid_t first = SpawnDaemon(db, log);
  std::string status;
  int code = 0;
  for (int i = 0; i < 50; ++i) {
    code = Shell(std::string(TENURE_BINARY) + " daemon status --db " + db, &status);
    if (code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  INFO(status);
  CHECK(code == 0);
  CHECK(status.find("daemon     running on " + db) != std::string::npos);
  std::string second;
  CHECK(Shell(std::string(TENURE_BINARY) + " daemon --db " + db, &second) == 2);
  CHECK(second == "tenure: another tenure daemon (pid " + std::to_string(first) + ") is running on " + db +
                      "; stop it first (one daemon per database)\n");
  ::kill(first, SIGTERM);
  int st = 0;
  ::waitpid(first, &st, 0);
  CHECK(WEXITSTATUS(st) == 0);
  CHECK(Shell(std::string(TENURE_BINARY) + " daemon status --db " + db, &status) == 3);
  CHECK(status.find("daemon     not running on " + db) != std::string::npos);
}

}  // namespace
}  // namespace tenure::engine
