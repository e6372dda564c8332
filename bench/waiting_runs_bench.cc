// Memory with many runs waiting at once (issue 4, benchmark 3): one process executes N runs
// concurrently on one io_context, with the CLI's real parts (SQLite store, journal, limiter, Beast
// transport, built-in connectors), and holds them all waiting:
//   --mode http       each run's first task is an `http.request` to a loopback endpoint (in a child
//                     process, so its memory is not counted) that holds every request until all N
//                     runs wait; then it answers and the runs finish.
//   --mode approval   each run parks on a `manual.approve` (the run is then only rows in SQLite).
// Reports: RSS before any run executes (baseline: store, catalog, transport, N runs created), the
// highest RSS while all N wait, the process's peak (VmHWM), KB per waiting run, peak/baseline.
// Target: peak under 300 MB for 10,000 runs.
//
//   waiting_runs_bench [--runs N] [--mode http|approval] [--in-flight K] [--dir DIR]
//     --in-flight K   the global cap on calls in flight (default N: every run has a request on the
//                     wire; 64 is the CLI's cap, the rest then wait in the limiter's queue)
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "connectors/builtin_registry.h"
#include "connectors/catalog.h"
#include "connectors/http/beast_transport.h"
#include "engine/clock.h"
#include "engine/executor.h"
#include "engine/journal.h"
#include "engine/limits.h"
#include "engine/run_control.h"
#include "engine/state_store.h"
#include "workflows/loader.h"
#include "workflows/validate.h"

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace tenure;
using SteadyClock = std::chrono::steady_clock;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "waiting_runs_bench: %s\n", why.c_str());
  std::exit(1);
}

// "VmRSS" or "VmHWM" of this process, in KiB.
long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::strtol(line.c_str() + prefix.size(), nullptr, 10);
  }
  return -1;
}

// ---- the holding endpoint (child process) ---------------------------------------------------
// Every request is held until the parent writes a byte to `release_fd`; the child writes one byte
// to `held_fd` when `expect` requests are held. After the release, requests are answered at once.
struct Gate {
  explicit Gate(asio::io_context& io) : timer(io, SteadyClock::time_point::max()) {}
  asio::steady_timer timer;
  bool open = false;
  int held = 0;
};

asio::awaitable<void> Serve(tcp::socket socket, Gate& gate, int expect, int held_fd) {
  asio::streambuf buf;
  try {
    for (;;) {
      const std::size_t n = co_await asio::async_read_until(socket, buf, "\r\n\r\n", asio::use_awaitable);
      buf.consume(n);
      if (!gate.open) {
        if (++gate.held == expect) (void)!::write(held_fd, "h", 1);
        boost::system::error_code ec;
        co_await gate.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      static const std::string kResponse =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
      co_await asio::async_write(socket, asio::buffer(kResponse), asio::use_awaitable);
    }
  } catch (const std::exception&) {
    // The client closed the connection.
  }
}

[[noreturn]] void ServeChild(int listen_fd, int expect, bool open, int held_fd, int release_fd) {
  asio::io_context io(1);
  tcp::acceptor acceptor(io, tcp::v4(), listen_fd);
  Gate gate(io);
  gate.open = open;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (;;) {
          tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
          asio::co_spawn(io, Serve(std::move(s), gate, expect, held_fd), asio::detached);
        }
      },
      asio::detached);
  asio::posix::stream_descriptor release(io, release_fd);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        char byte = 0;
        boost::system::error_code ec;
        // A byte opens the gate; end of file (the parent closed the pipe or died) ends the child.
        while (!ec) {
          co_await asio::async_read(release, asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, ec));
          gate.open = true;
          gate.timer.cancel();
        }
        io.stop();
      },
      asio::detached);
  io.run();
  ::_exit(0);
}

struct Endpoint {
  unsigned short port = 0;
  pid_t pid = -1;
  int held_fd = -1;     // parent reads: a byte when `expect` requests are held
  int release_fd = -1;  // parent writes: a byte to release them
};

Endpoint StartEndpoint(int expect, bool open) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 4096) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die(std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno));
  }
  int held[2], release[2];
  if (::pipe2(held, O_CLOEXEC) != 0 || ::pipe2(release, O_CLOEXEC) != 0) Die("pipe failed");
  Endpoint e;
  e.port = ntohs(addr.sin_port);
  e.pid = ::fork();
  if (e.pid == 0) {
    ::close(held[0]);
    ::close(release[1]);
    ServeChild(fd, expect, open, held[1], release[0]);
  }
  ::close(fd);
  ::close(held[1]);
  ::close(release[0]);
  e.held_fd = held[0];
  e.release_fd = release[1];
  return e;
}

// ---- the runs -------------------------------------------------------------------------------
class MemoryFiles final : public workflows::FileReader {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> Read(const std::string& path) override { return files.at(path); }
};

std::string Playbook(const std::string& mode, unsigned short port) {
  std::string y =
      "playbook: waiting-" + mode +
      "\ninputs:\n  email: { type: email }\nconnections:\n  api: { connector: http, base_url: \"http://127.0.0.1:" +
      std::to_string(port) + "\" }\ntasks:\n";
  if (mode == "approval") {
    y += "  ask:\n    uses: manual.approve\n    with: { prompt: \"Laptop for {{ inputs.email }}?\" }\n";
    y += "  account:\n    needs: ask\n";
  } else {
    y += "  account:\n";
  }
  y += "    uses: api.request\n    with: { method: GET, url: \"/users/{{ inputs.email }}\" }\n";
  y += "  welcome:\n    needs: account\n    uses: api.request\n    with: { method: GET, url: /welcome }\n";
  return y;
}

class StartCounter final : public engine::Reporter {
 public:
  void OnEvent(const engine::EventRecord& e) override {
    if (e.kind == "run_started") ++started;
  }
  int started = 0;
};

struct Options {
  int runs = 10000;
  std::string mode = "http";
  int in_flight = -1;
  std::string dir = "/tmp";
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--runs") o.runs = std::atoi(argv[i + 1]);
    else if (flag == "--mode") o.mode = argv[i + 1];
    else if (flag == "--in-flight") o.in_flight = std::atoi(argv[i + 1]);
    else if (flag == "--dir") o.dir = argv[i + 1];
    else Die("unknown flag " + flag);
  }
  if (o.mode != "http" && o.mode != "approval") Die("--mode is http or approval");
  if (o.in_flight < 0) o.in_flight = o.runs;
  return o;
}

void RaiseFileLimit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = Parse(argc, argv);
  RaiseFileLimit();
  const bool http = o.mode == "http";
  // Forked before any thread exists (the journal's writer thread comes later).
  Endpoint endpoint = StartEndpoint(std::min(o.runs, o.in_flight), /*open=*/!http);

  const std::string db_path = o.dir + "/tenure-waiting-bench.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
  MemoryFiles files;
  files.files["waiting.yaml"] = Playbook(o.mode, endpoint.port);
  const auto catalog = connectors::BuiltinCatalog();
  workflows::Diagnostics diags;
  workflows::Playbook pb = workflows::LoadPlaybook(files, "waiting.yaml", diags);
  workflows::Validate(pb, catalog, diags);
  if (diags.HasErrors()) Die("bench playbook invalid: " + diags.items().front().message);
  auto store = engine::OpenSqliteStore(db_path);
  if (!store) Die(store.error().message);

  engine::SystemClock clock;
  const auto create_start = SteadyClock::now();
  std::vector<std::string> ids;
  for (int i = 0; i < o.runs; ++i) {
    engine::NewRun nr;
    nr.playbook = &pb;
    nr.trigger = "bench";
    nr.inputs.Set("email", "user" + std::to_string(i) + "@example.com");
    auto created = engine::CreateRun(**store, nr, clock.Now());
    if (!created) Die(created.error().message);
    ids.push_back(created->id);
  }
  const double create_s = std::chrono::duration<double>(SteadyClock::now() - create_start).count();

  asio::io_context io(1);
  int done = 0;
  std::map<std::string, int> statuses;
  long baseline_kb = 0, waiting_kb = 0;
  double wait_s = 0, finish_s = 0;
  {
    engine::Journal journal(**store, io.get_executor());
    engine::Limiter limiter(io.get_executor(), clock, o.in_flight);
    auto transport = connectors::http::MakeBeastTransport(io.get_executor());
    auto factory = connectors::MakeBuiltinRegistry(io.get_executor(), *transport);
    connectors::Redactor redactor;
    StartCounter counter;
    engine::Services services{io.get_executor(), clock, **store, journal, limiter, *factory, catalog, redactor,
                              &counter, engine::DefaultRandom()};
    engine::ExecutorOptions options;
    options.owner = engine::CurrentOwner();
    engine::Executor executor(std::move(services), options);

    baseline_kb = StatusKb("VmRSS");
    const auto start = SteadyClock::now();
    for (const std::string& id : ids) {
      asio::co_spawn(io, executor.Execute(id), [&](std::exception_ptr e, Result<engine::RunStatus> r) {
        if (e) std::rethrow_exception(e);
        ++statuses[r ? engine::RunStatusName(*r) : r.error().message];
        if (++done == o.runs) io.stop();
      });
    }
    // Samples RSS every 50 ms; in http mode, once the endpoint holds every request it will get and
    // every run has started, keeps sampling for one second, then releases the endpoint.
    asio::posix::stream_descriptor held(io, endpoint.held_fd);
    bool all_held = !http;
    char byte = 0;
    if (http) asio::async_read(held, asio::buffer(&byte, 1), [&](boost::system::error_code, std::size_t) { all_held = true; });
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          asio::steady_timer tick(io);
          int settled = 0;
          while (done < o.runs) {
            tick.expires_after(std::chrono::milliseconds(50));
            co_await tick.async_wait(asio::use_awaitable);
            const bool waiting = all_held && counter.started == o.runs;
            if (http && waiting && settled < 20) {
              waiting_kb = std::max(waiting_kb, StatusKb("VmRSS"));
              if (++settled == 20) {
                wait_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
                (void)!::write(endpoint.release_fd, "r", 1);
              }
            }
          }
        },
        asio::detached);
    io.run();
    finish_s = std::chrono::duration<double>(SteadyClock::now() - start).count();
    if (!http) waiting_kb = StatusKb("VmRSS");
    journal.WaitIdle();
  }
  ::close(endpoint.release_fd);
  ::waitpid(endpoint.pid, nullptr, 0);
  const long hwm_kb = StatusKb("VmHWM");

  std::printf("mode %s, %d runs, global in-flight cap %d; created in %.1f s\n", o.mode.c_str(), o.runs, o.in_flight,
              create_s);
  std::string st;
  for (const auto& [s, n] : statuses) st += (st.empty() ? "" : ", ") + std::to_string(n) + " " + s;
  if (http) {
    std::printf("all %d waiting after %.1f s; finished after %.1f s: %s\n", o.runs, wait_s - 1.0, finish_s, st.c_str());
  } else {
    std::printf("all %d parked after %.1f s: %s\n", o.runs, finish_s, st.c_str());
  }
  std::printf("baseline RSS %.1f MB; RSS with %d runs waiting %.1f MB (%.1f KB per run); peak RSS (VmHWM) %.1f MB "
              "(target < 300 MB); peak/baseline %.2fx\n",
              baseline_kb / 1024.0, o.runs, waiting_kb / 1024.0,
              static_cast<double>(waiting_kb - baseline_kb) / o.runs, hwm_kb / 1024.0,
              static_cast<double>(hwm_kb) / static_cast<double>(baseline_kb));
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);
  const bool ok = statuses.size() == 1 && statuses.count(http ? "succeeded" : "waiting") == 1;
  return ok ? 0 : 1;
}
