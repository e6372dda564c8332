// Running the real `tenure` binary from a test: its exit code and everything it printed.
#pragma once

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <string>

namespace tenure::engine::testing {

struct Output {
  int code = -1;
  std::string text;  // stdout and stderr
};

// `env` is prepended to the command line (e.g. "TENURE_X=1"); `args` are passed through the shell.
inline Output Tenure(const std::string& args, const std::string& env = "") {
  Output out;
  FILE* p = ::popen((env + " " + std::string(TENURE_BINARY) + " " + args + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.text.append(buf, n);
  const int status = ::pclose(p);
  out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// How much slower than an optimized build the code under test runs: the sanitizer suite is a Debug
// build with AddressSanitizer, several times slower; bounds that say "fast" scale with it.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr int kSlowdown = 5;
#else
inline constexpr int kSlowdown = 1;
#endif

inline bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// False (with a warning) when the binary is not built, so a test of it can return early.
inline bool BinaryBuilt() {
  if (std::filesystem::exists(TENURE_BINARY)) return true;
  WARN("skipped: " << TENURE_BINARY << " is not built");
  return false;
}

}  // namespace tenure::engine::testing
