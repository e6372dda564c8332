// The crash test against a counting HTTP endpoint: the real `tenure` binary runs playbooks of
// `http.request` POSTs to the sandbox's echo endpoint (in-process, on an ephemeral loopback port,
// with a fixed latency so kills land mid-request); the test kills it with SIGKILL at random
// moments, resumes with `tenure resume RUN`, and repeats until each run succeeds.
//
// The echo endpoint counts requests per Idempotency-Key. A request in flight when the process was
// killed is legitimately sent again, with the same key, on resume; so the count is requests, not
// effects. What is asserted:
// - every run succeeded; the test did kill the process mid-run;
// - the set of keys that reached the endpoint is exactly the set of task and item keys the store
//   recorded as succeeded (no lost task, no request under a foreign key), every key at least once;
// - the answer the store recorded for a key is the last request made with that key (its `count`
//   equals the endpoint's final count): a finished task is never sent again;
// - re-sent requests are explained by kills: at most (kills x tasks in flight at once) of them;
// - `tenure logs RUN --json` holds each task's and item's `succeeded` event exactly once, one
//   `run_created` and one `run_succeeded`.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "engine/state_store.h"
#include "sandbox/server.h"
#include "tests/engine/support/engine_fixture.h"

extern char** environ;

namespace tenure::engine {
namespace {

constexpr int kFanItems = 6;
constexpr int kChain = 8;
constexpr int kRuns = 5;
const char* const kTokenVar = "TENURE_CRASH_HTTP_TOKEN";
const char* const kToken = "crash-http-token";

// A child process, SIGKILLed and reaped on destruction if still running (also when a REQUIRE
// throws), so no `tenure` outlives the test.
class Child {
 public:
  // Starts `args` with the parent's environment plus kTokenVar; stdout to `out`, stderr to `err`
  // ("" = /dev/null). Everything the child needs is prepared before fork (the test process
  // has a sandbox thread: only async-signal-safe calls between fork and exec).
  Child(const std::vector<std::string>& args, const std::string& out = "", const std::string& err = "") {
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::string_view(*e).starts_with(std::string(kTokenVar) + "=")) continue;
      env_strings.emplace_back(*e);
    }
    env_strings.push_back(std::string(kTokenVar) + "=" + kToken);
    std::vector<char*> envp;
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<std::string> arg_strings = args;
    std::vector<char*> argv;
    for (std::string& a : arg_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string out_path = out.empty() ? "/dev/null" : out;
    const std::string err_path = err.empty() ? "/dev/null" : err;
    pid_ = ::fork();
    if (pid_ == 0) {
      // dup2, not freopen: freopen would flush the parent's buffered output a second time.
      const int stdout_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int stderr_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (stdout_fd < 0 || stderr_fd < 0) ::_exit(126);
      ::dup2(stdout_fd, 1);
      ::dup2(stderr_fd, 2);
      ::execve(argv[0], argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pid_ > 0; }
  void Kill() { ::kill(pid_, SIGKILL); }  // the child is not reaped yet: the pid is still ours
  // Waits for the child; returns its exit code, or -signal when it was killed.
  int Wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  }
  // Waits at most `limit`; kills the child if it is still running then. Returns as Wait().
  int WaitAtMost(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        reaped_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    Kill();
    return Wait();
  }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// GET http://127.0.0.1:port/path with a plain socket (bounded by a 5 s receive timeout); returns
// the body of a 200 answer, nullopt otherwise.
std::optional<std::string> LoopbackGet(int port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string response;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
      char buf[8192];
      for (;;) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        response.append(buf, static_cast<std::size_t>(n));
        // Stop once Content-Length bytes of body arrived (keep-alive servers may not close).
        const auto head_end = response.find("\r\n\r\n");
        if (head_end == std::string::npos) continue;
        std::string head = response.substr(0, head_end);
        for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        const auto cl = head.find("content-length:");
        if (cl != std::string::npos &&
            response.size() - head_end - 4 >= static_cast<std::size_t>(std::stoll(head.substr(cl + 15)))) {
          break;
        }
      }
    }
  }
  ::close(fd);
  const auto head_end = response.find("\r\n\r\n");
  if (!response.starts_with("HTTP/1.1 200") || head_end == std::string::npos) return std::nullopt;
  return response.substr(head_end + 4);
}

std::string Playbook(const std::string& url) {
  std::string yaml = "playbook: crash-http\nconnections:\n  api:\n    connector: http\n    base_url: \"" + url +
                     "\"\n    token: \"${env:" + kTokenVar + "}\"\ntasks:\n  fan:\n    for_each: [";
  for (int i = 0; i < kFanItems; ++i) yaml += (i ? ", " : "") + std::string(1, static_cast<char>('a' + i));
  yaml +=
      "]\n    uses: api.request\n    with: { method: POST, url: \"/echo/fan/{{ item }}\", json: { item: \"{{ item }}\" } }\n";
  std::string prev = "fan";
  for (int i = 0; i < kChain; ++i) {
    const std::string name = "chain" + std::to_string(i);
    yaml += "  " + name + ":\n    needs: " + prev + "\n    uses: api.request\n    with: { method: POST, url: /echo/chain/" +
            std::to_string(i) + ", json: { step: " + std::to_string(i) + " } }\n";
    prev = name;
  }
  return yaml;
}

// The id of the run triggered with `key`, "" when none was stored yet.
std::string RunWithKey(const std::string& db, const std::string& key) {
  if (!std::filesystem::exists(db)) return "";
  auto store = OpenSqliteStore(db);
  REQUIRE(store.has_value());
  auto runs = (*store)->ListRuns({});
  REQUIRE(runs.has_value());
  for (const RunRecord& r : *runs) {
    if (r.trigger_key == key) return r.id;
  }
  return "";
}

TEST_CASE("kill -9 mid-request against a counting HTTP endpoint, resume: one effect per key", "[engine][crash]") {
  const std::string binary = TENURE_BINARY;
  if (!std::filesystem::exists(binary)) {
    WARN("skipped: " << binary << " is not built");
    return;
  }
  sandbox::SandboxOptions options;
  options.token = kToken;
  options.faults = {sandbox::FaultRule{.path_prefix = "/echo/", .latency_ms = 40}};
  auto started = sandbox::BackgroundSandbox::Start(std::move(options));
  REQUIRE(started.has_value());
  std::unique_ptr<sandbox::BackgroundSandbox> sb = std::move(*started);

  testing::TempDir dir;
  const std::string db = dir.path() + "/tenure.db";
  const std::string file = dir.path() + "/crash-http.yaml";
  std::ofstream(file) << Playbook(sb->url());

  std::mt19937 rng(4242);
  std::uniform_int_distribution<int> delay_ms(5, 120);
  int kills = 0;
  std::vector<std::string> run_ids;
  for (int r = 0; r < kRuns; ++r) {
    const std::string key = "crash-http-" + std::to_string(r);
    const int kill_rounds = 20;  // rounds that end in a kill (unless the run finished first)
    bool finished = false;
    for (int round = 0; round < kill_rounds + 3 && !finished; ++round) {
      // `run` until the run exists (a kill may come before it is stored), then `resume RUN`.
      const std::string id = RunWithKey(db, key);
      const std::string err = dir.path() + "/child.err";
      Child child(id.empty() ? std::vector<std::string>{binary, "run", file, "--db", db, "--key", key}
                             : std::vector<std::string>{binary, "resume", id, "--db", db},
                  "", err);
      REQUIRE(child.started());
      int code = 0;
      if (round < kill_rounds) {
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        child.Kill();
        code = child.Wait();
      } else {
        code = child.WaitAtMost(std::chrono::seconds(10));
      }
      if (code == -SIGKILL) ++kills;
      std::stringstream stderr_text;
      stderr_text << std::ifstream(err).rdbuf();
      INFO("run " << key << " round " << round << " exit " << code << " stderr: " << stderr_text.str());
      CHECK((code == 0 || code == -SIGKILL));
      if (round >= kill_rounds) CHECK(code == 0);
      // A kill may land after the run was recorded as succeeded, before the process exited.
      if (const std::string stored = RunWithKey(db, key); !stored.empty()) {
        auto store = OpenSqliteStore(db);
        REQUIRE(store.has_value());
        auto run = (*store)->GetRun(stored);
        REQUIRE(run.has_value());
        finished = run->status == RunStatus::kSucceeded;
        if (code == 0) CHECK(finished);
      } else {
        CHECK(code != 0);
      }
    }
    INFO("run " << key);
    REQUIRE(finished);
    run_ids.push_back(RunWithKey(db, key));
  }
  INFO("kills: " << kills);
  CHECK(kills > 0);

  const auto body = LoopbackGet(sb->port(), "/_sandbox/state");
  REQUIRE(body.has_value());
  boost::system::error_code ec;
  const boost::json::value state = boost::json::parse(*body, ec);
  REQUIRE(!ec);
  std::map<std::string, std::int64_t> echo;
  for (const auto& kv : state.at("echo_counts").as_object()) echo[std::string(kv.key())] = kv.value().as_int64();

  auto store = OpenSqliteStore(db);
  REQUIRE(store.has_value());
  std::set<std::string> keys;
  std::int64_t resent = 0;
  for (const std::string& id : run_ids) {
    auto run = (*store)->GetRun(id);
    REQUIRE(run.has_value());
    CHECK(run->status == RunStatus::kSucceeded);
    auto tasks = (*store)->GetTasks(id);
    REQUIRE(tasks.has_value());
    int steps = 0;
    for (const TaskRecord& t : *tasks) {
      INFO(id << " " << t.task << "[" << t.item << "] key " << t.idempotency_key);
      CHECK(t.status == TaskStatus::kSucceeded);
      if (t.idempotency_key.empty()) continue;  // the for_each parent row
      ++steps;
      CHECK(keys.insert(t.idempotency_key).second);  // stable per run, task and item: never shared
      REQUIRE(echo.count(t.idempotency_key) == 1);
      const std::int64_t count = echo.at(t.idempotency_key);
      CHECK(count >= 1);
      resent += count - 1;
      // The answer the store recorded came from the last request with this key.
      const boost::json::value result = boost::json::parse(t.result.ToJson());
      CHECK(result.at("status").as_int64() == 200);
      CHECK(result.at("body").at("idempotency_key").as_string() == t.idempotency_key);
      CHECK(result.at("body").at("count").as_int64() == count);
      bool masked = false;  // the bearer token from ${env:..} was sent, and the sandbox masks it
      for (const auto& h : result.at("body").at("headers").as_object()) {
        std::string name(h.key());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name == "authorization") masked = h.value().is_string() && h.value().get_string() == "***";
      }
      CHECK(masked);
    }
    CHECK(steps == kFanItems + kChain);

    // The audit log, as `tenure logs RUN --json` prints it.
    const std::string log_file = dir.path() + "/logs-" + id + ".jsonl";
    Child logs({binary, "logs", id, "--json", "--db", db}, log_file);
    REQUIRE(logs.started());
    REQUIRE(logs.WaitAtMost(std::chrono::seconds(10)) == 0);
    std::map<std::string, int> succeeded;
    std::map<std::string, int> run_events;
    std::ifstream in(log_file);
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      const boost::json::value e = boost::json::parse(line, ec);
      REQUIRE(!ec);
      const std::string task(e.at("task").as_string());
      const std::string kind(e.at("kind").as_string());
      CHECK(e.at("run").as_string() == id);
      if (task.empty()) ++run_events[kind];
      if (!task.empty() && kind == "succeeded") ++succeeded[task + "/" + std::to_string(e.at("item").as_int64())];
    }
    INFO("run " << id);
    CHECK(run_events["run_created"] == 1);
    CHECK(run_events["run_succeeded"] == 1);
    CHECK(run_events["run_failed"] == 0);
    CHECK(succeeded.size() == static_cast<std::size_t>(kFanItems + 1 + kChain));  // items, the fan-out task, the chain
    for (const TaskRecord& t : *tasks) CHECK(succeeded[t.task + "/" + std::to_string(t.item)] == 1);
  }
  // Every request that reached the endpoint carried the key of a succeeded task or item.
  CHECK(keys.size() == static_cast<std::size_t>(kRuns * (kFanItems + kChain)));
  CHECK(echo.size() == keys.size());
  for (const auto& [key, count] : echo) {
    INFO("echo key " << key);
    CHECK(keys.count(key) == 1);
  }
  // A key is sent again only when the process died with it in flight: at most kFanItems per kill.
  INFO("re-sent requests: " << resent);
  CHECK(resent <= static_cast<std::int64_t>(kills) * kFanItems);
}

}  // namespace
}  // namespace tenure::engine
