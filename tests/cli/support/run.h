// Running the real `tenure` binary (or a shell command around it) from the CLI tests, in the source
// tree: the exit code and what it printed. Commands are fixed literals and paths built by the test,
// never data from elsewhere.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace tenure::cli::testing {

struct Ran {
  int exit_code = -1;
  std::string out;  // stdout (with Shell: stdout and stderr together)
  std::string err;  // stderr (Tenure only)
};

// A fresh file in the temporary directory (mkstemp), removed when this goes out of scope.
class TempFile {
 public:
  TempFile() {
    std::string pattern = (std::filesystem::temp_directory_path() / "tenure_cli_test_XXXXXX").string();
    const int fd = ::mkstemp(pattern.data());
    REQUIRE(fd >= 0);
    ::close(fd);
    path_ = pattern;
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `command` with popen and collects its stdout into `r.out`.
inline void Collect(const std::string& command, Ran& r) {
  FILE* p = ::popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  for (std::size_t n; (n = std::fread(buf.data(), 1, buf.size(), p)) > 0;) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// `tenure ARGS` from the source tree, with `env` ("NAME=value ...") added to its environment;
// stdout and stderr apart.
inline Ran Tenure(const std::string& args, const std::string& env = "") {
  TempFile err;
  Ran r;
  Collect("cd '" + std::string(TENURE_SOURCE_DIR) + "' && env " + env + " '" + TENURE_BINARY + "' " + args + " 2>'" +
              err.path() + "'",
          r);
  std::ifstream e(err.path());
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

// `cmd` through the shell from the source tree, with `input` on its stdin; stdout and stderr together.
inline Ran Shell(const std::string& cmd, const std::string& input = "") {
  TempFile in;
  std::ofstream(in.path()) << input;
  Ran r;
  Collect("cd '" + std::string(TENURE_SOURCE_DIR) + "' && (" + cmd + ") <'" + in.path() + "' 2>&1", r);
  return r;
}

// `tenure sandbox serve --port 0` in the background in a fresh directory named after `name`,
// stopped (SIGTERM) and removed at the end.
struct ServedSandbox {
  explicit ServedSandbox(const std::string& name) {
    dir = std::filesystem::temp_directory_path() / ("tenure_sandbox_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const std::string cmd = "cd '" + dir.string() + "' && ('" + std::string(TENURE_BINARY) +
                            "' sandbox serve --port 0 --quiet --transfer-delay 1500 --state state.json > serve.out 2>&1 "
                            "& echo $! > serve.pid)";
    REQUIRE(std::system(cmd.c_str()) == 0);
    for (int i = 0; i < 100 && Exports().empty(); ++i) ::usleep(100'000);
    REQUIRE_FALSE(Exports().empty());
    std::ifstream(dir / "serve.pid") >> pid;
  }
  ~ServedSandbox() {
    if (pid > 0) ::kill(pid, SIGTERM);
    for (int i = 0; i < 50 && pid > 0 && ::kill(pid, 0) == 0; ++i) ::usleep(100'000);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  ServedSandbox(const ServedSandbox&) = delete;
  ServedSandbox& operator=(const ServedSandbox&) = delete;

  // The printed "export A=1 B=2" lines as "A='1' B='2' " for `env` in a shell command (Tenure()'s
  // env, Shell()); the Google key file is read by that shell ("$(cat FILE)").
  std::string Exports() const {
    std::ifstream out(dir / "serve.out");
    std::string line, env;
    while (std::getline(out, line)) {
      if (!line.starts_with("  export ")) continue;
      line = line.substr(9, line.find('#') == std::string::npos ? std::string::npos : line.find('#') - 9);
      std::istringstream words(line);
      std::string word;
      while (words >> word) {
        const auto eq = word.find('=');
        std::string value = word.substr(eq + 1);
        if (value.starts_with("\"$(cat")) {  // TENURE_GOOGLE_CREDENTIALS="$(cat FILE)"
          std::string path;
          words >> path;
          env += word.substr(0, eq) + "=\"$(cat '" + path.substr(0, path.find(')')) + "')\" ";
          continue;
        }
        env += word.substr(0, eq) + "='" + value + "' ";
      }
      if (line.find("TENURE_SANDBOX_URL") != std::string::npos) return env;
    }
    return "";
  }

  std::filesystem::path dir;
  int pid = 0;
};

}  // namespace tenure::cli::testing
