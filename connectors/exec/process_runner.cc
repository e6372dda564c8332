#include "connectors/exec/process_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>

namespace tenure::connectors::exec {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using Descriptor = asio::posix::stream_descriptor;
// stdin is a socket pair, not a pipe: a socket send uses MSG_NOSIGNAL, so a child that exits
// without reading its input gives EPIPE instead of a SIGPIPE that would kill tenure.
using StdinSocket = asio::local::stream_protocol::socket;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Owns a pipe's two ends until they are handed over.
struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) ::close(f);
    }
  }
  int Release(int i) { return std::exchange(fd[i], -1); }
};

// Kills and reaps the child if the run ends without reaping it (exception, cancellation).
struct ChildGuard {
  pid_t pid = -1;
  bool reaped = false;
  ~ChildGuard() {
    if (pid <= 0 || reaped) return;
    ::kill(-pid, SIGKILL);
    // XXX: blocks, but only for the instant a SIGKILLed process takes to exit.
    ::waitpid(pid, nullptr, 0);
  }
};

// RAII for the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
};

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Spawns `spec` with stdin/stdout/stderr on the pipes' child ends, in its own process group.
Result<pid_t> Spawn(ProcessSpec& spec, Pipe& in, Pipe& out, Pipe& err) {
  SpawnSetup s;
  posix_spawn_file_actions_adddup2(&s.actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&s.actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&s.actions, err.fd[1], 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&s.actions, spec.cwd.c_str());
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.env);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, argv[0], &s.actions, &s.attr, argv.data(), envp.data());
  if (rc == ENOENT) return Error::NotFound("program " + spec.argv[0] + " not found");
  if (rc != 0) return Error::Io("cannot start " + spec.argv[0] + ": " + std::strerror(rc));
  return pid;
}

awaitable<void> Feed(StdinSocket& in, const std::string& data) {
  if (!data.empty()) co_await asio::async_write(in, asio::buffer(data), kTuple);  // EPIPE: child didn't read
  boost::system::error_code ignored;
  in.close(ignored);
}

awaitable<void> Drain(Descriptor& from, std::size_t max, std::string& into, bool& truncated) {
  std::array<char, 16 * 1024> buf;
  for (;;) {
    auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), kTuple);
    std::size_t keep = std::min(n, max - std::min(max, into.size()));
    into.append(buf.data(), keep);
    if (keep < n) truncated = true;
    if (ec) co_return;  // eof, or cancelled
  }
}

// Polls waitpid: a SIGCHLD handler would be process-global state shared with other users.
awaitable<int> WaitExit(pid_t pid) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto delay = std::chrono::milliseconds(1);
  for (;;) {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) co_return status;
    if (r < 0 && errno != EINTR) co_return -1;
    timer.expires_after(delay);
    auto [ec] = co_await timer.async_wait(kTuple);
    if (ec) co_return -2;  // cancelled
    delay = std::min(delay * 2, std::chrono::milliseconds(50));
  }
}

awaitable<int> Communicate(StdinSocket& in, Descriptor& out, Descriptor& err, const ProcessSpec& spec,
                           ProcessResult& result, pid_t pid) {
  using namespace asio::experimental::awaitable_operators;
  co_await (Feed(in, spec.stdin_data) && Drain(out, spec.max_output, result.out, result.out_truncated) &&
            Drain(err, spec.max_output, result.err, result.err_truncated));
  co_return co_await WaitExit(pid);
}

awaitable<void> Sleep(std::chrono::milliseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  co_await timer.async_wait(kTuple);
}

void Decode(int status, ProcessResult& r) {
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.term_signal = WTERMSIG(status);
}

class PosixProcessRunner final : public ProcessRunner {
 public:
  awaitable<Result<ProcessResult>> Run(ProcessSpec spec) override {
    using namespace asio::experimental::awaitable_operators;
    if (spec.argv.empty() || spec.argv[0].empty()) co_return Error::InvalidArgument("argv is empty");
    Pipe in, out, err;
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in.fd) != 0 || ::pipe2(out.fd, O_CLOEXEC) != 0 ||
        ::pipe2(err.fd, O_CLOEXEC) != 0) {
      co_return Error::Io(std::string("pipe: ") + std::strerror(errno));
    }
    auto pid = Spawn(spec, in, out, err);
    if (!pid) co_return pid.error();
    ChildGuard child{*pid};
    ::close(in.Release(0));
    ::close(out.Release(1));
    ::close(err.Release(1));
    auto ex = co_await asio::this_coro::executor;
    StdinSocket in_d(ex, asio::local::stream_protocol(), in.Release(1));
    Descriptor out_d(ex, out.Release(0)), err_d(ex, err.Release(0));
    ProcessResult result;
    auto won = co_await (Communicate(in_d, out_d, err_d, spec, result, *pid) || Sleep(spec.timeout));
    auto cs = co_await asio::this_coro::cancellation_state;
    if (cs.cancelled() != asio::cancellation_type::none) {
      result.cancelled = true;
      co_return result;  // ChildGuard kills and reaps the group
    }
    int status = won.index() == 0 ? std::get<0>(won) : -1;
    if (won.index() == 1 || status < 0) {
      result.timed_out = won.index() == 1;
      ::kill(-*pid, SIGKILL);
      status = co_await WaitExit(*pid);
    }
    child.reaped = status >= 0;
    Decode(status, result);
    co_return result;
  }
};

}  // namespace

std::unique_ptr<ProcessRunner> MakePosixProcessRunner() { return std::make_unique<PosixProcessRunner>(); }

}  // namespace tenure::connectors::exec
