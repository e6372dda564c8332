// `tenure sandbox serve/show/reset` as a user runs them: the real binary, an ephemeral port, a
// clean stop on SIGTERM. Needs the `tenure` target built (TENURE_BINARY).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <regex>

#include "tests/http/http_test_support.h"

namespace tenure::testing {
namespace {

// Runs `argv` with stdout on a pipe; kills it (SIGKILL) if the test ends first.
class Child {
 public:
  explicit Child(std::vector<std::string> argv) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }

  // Reads stdout until `pattern` matches (at most ~5 s); returns the first capture group.
  std::string WaitFor(const std::regex& pattern) {
    std::string text;
    std::smatch m;
    for (int i = 0; i < 100 && !std::regex_search(text, m, pattern); ++i) {
      std::array<char, 512> buf;
      ::fcntl(out_, F_SETFL, O_NONBLOCK);
      const auto n = ::read(out_, buf.data(), buf.size());
      if (n > 0) text.append(buf.data(), static_cast<std::size_t>(n));
      if (n <= 0) ::usleep(50'000);
    }
    INFO("output: " << text);
    REQUIRE(std::regex_search(text, m, pattern));
    return m.size() > 1 ? m[1].str() : m[0].str();
  }

  // Sends `sig` and returns the exit status (or -1 when it did not exit within ~5 s).
  int Stop(int sig) {
    ::kill(pid_, sig);
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::usleep(50'000);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
};

std::string RunCapture(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  while (auto n = std::fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
  const int status = ::pclose(p);
  INFO(command << "\n" << out);
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
}

TEST_CASE("tenure sandbox serve on port 0, show, reset, and a clean stop on SIGTERM", "[sandbox][cli]") {
  INFO("needs the tenure binary: cmake --build BUILD --target tenure");
  REQUIRE(std::filesystem::exists(TENURE_BINARY));
  Child serve({TENURE_BINARY, "sandbox", "serve", "--port", "0", "--token", "cli-token", "--quiet"});
  const std::string url = serve.WaitFor(std::regex("listening on (http://127\\.0\\.0\\.1:[0-9]+)"));
  Client client;
  HttpRequest create;
  create.method = "POST";
  create.url = url + "/scim/v2/Users";
  create.headers = {{"Authorization", "Bearer cli-token"}};
  create.body = R"({"userName":"grace@example.com","emails":[{"value":"grace@example.com"}]})";
  REQUIRE(Ok(client.Send(create)).status == 201);

  const std::string table = RunCapture(std::string(TENURE_BINARY) + " sandbox show --url " + url);
  CHECK_THAT(table, Catch::Contains("Accounts (1)") && Catch::Contains("grace@example.com  yes") &&
                        Catch::Contains("Slack messages (0)"));
  const auto json = Json(RunCapture(std::string(TENURE_BINARY) + " sandbox show --json --url " + url));
  CHECK(json.at("users").at(0).at("userName") == "grace@example.com");
  CHECK_THAT(RunCapture(std::string(TENURE_BINARY) + " sandbox reset --url " + url), Catch::Contains("reset"));
  CHECK(State(client, url).at("users").as_array().empty());
  CHECK(serve.Stop(SIGTERM) == 0);
}

TEST_CASE("tenure sandbox show explains an unreachable sandbox", "[sandbox][cli]") {
  REQUIRE(std::filesystem::exists(TENURE_BINARY));
  const std::string out = [] {
    std::string text;
    FILE* p = ::popen((std::string(TENURE_BINARY) + " sandbox show --url http://127.0.0.1:1 2>&1; echo exit=$?").c_str(), "r");
    std::array<char, 4096> buf;
    while (auto n = std::fread(buf.data(), 1, buf.size(), p)) text.append(buf.data(), n);
    ::pclose(p);
    return text;
  }();
  CHECK_THAT(out, Catch::Contains("GET http://127.0.0.1:1/_sandbox/state: cannot connect to 127.0.0.1:1") &&
                      Catch::Contains("is `tenure sandbox serve` running?") && Catch::EndsWith("exit=1\n"));
}

}  // namespace
}  // namespace tenure::testing
