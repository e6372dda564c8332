// ProcessRunner: the seam through which the exec connector runs programs. The real one spawns
// with posix_spawn (never a shell), in a new process group, and drives the pipes with Asio on the
// calling coroutine's executor; tests substitute a scripted runner.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "workflows/error.h"

namespace tenure::connectors::exec {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH when it has no '/'
  std::vector<std::string> env;   // "NAME=value": the child's whole environment
  std::string cwd;                // "" = the current directory
  std::string stdin_data;         // written, then stdin is closed
  std::chrono::milliseconds timeout{60'000};
  std::size_t max_output = 1 << 20;  // per stream; more is read and dropped (truncated = true)
};

struct ProcessResult {
  int exit_code = -1;   // when the program exited
  int term_signal = 0;  // when a signal ended it (SIGKILL after a timeout included)
  bool timed_out = false;
  bool cancelled = false;  // through the awaitable's cancellation slot; the group was killed
  std::string out;
  std::string err;
  bool out_truncated = false;
  bool err_truncated = false;
};

class ProcessRunner {
 public:
  virtual ~ProcessRunner() = default;
  // Runs the program to completion. After `timeout` the whole process group gets SIGKILL and the
  // result says timed_out. Cancellation through the awaitable's slot kills the group too and
  // the result says cancelled. Errors: kNotFound (no such program), kIo (spawn or pipe failure).
  // Never blocks the executor (but see ChildGuard in the .cc).
  virtual boost::asio::awaitable<Result<ProcessResult>> Run(ProcessSpec spec) = 0;
};

std::unique_ptr<ProcessRunner> MakePosixProcessRunner();

}  // namespace tenure::connectors::exec
