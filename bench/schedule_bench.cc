// Fire latency of schedules (issue 10): N one-shot schedules due at the same instant, fired by the
// daemon (in this process, with the CLI's real parts: SQLite store, journal, limiter with the
// daemon's global cap of 256 calls in flight (`tenure daemon --max-in-flight`, default 256), Beast
// transport, built-in connectors). Each run's first
// task is an `http.request` to a loopback endpoint in a child process, which records when each
// request arrives. Fire latency = first request of the run - the due instant.
// Baseline, measured in the same run: the same N requests sent straight through the same Beast
// transport under the same cap, starting at an instant (latency = arrival - that instant):
// the fastest any scheduler with these limits could start N runs.
//
//   schedule_bench [--schedules N] [--cap 256] [--dir DIR] [--chunk FIRES_PER_TRANSACTION]
// The daemon runs with its defaults (1,000 fires a pass, 200 per transaction) unless --chunk.
// Reports p50/p99/max fire latency, where it goes (due -> fired -> run started -> first request,
// from the daemon's log), the baseline's, their ratio, the journal's transactions, and peak RSS
// (VmHWM).
// Target (issue 10): p99 under 1 s plus what the connection limits impose, peak RSS under 300 MB.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
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
#include <sstream>
#include <string>
#include <vector>

#include "connectors/builtin_registry.h"
#include "connectors/catalog.h"
#include "connectors/http/beast_transport.h"
#include <SQLiteCpp/SQLiteCpp.h>

#include "engine/clock.h"
#include "engine/daemon.h"
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

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "schedule_bench: %s\n", why.c_str());
  std::exit(1);
}

long StatusKb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::strtol(line.c_str() + prefix.size(), nullptr, 10);
  }
  return -1;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// ---- the recording endpoint (child process) ---------------------------------------------------
// Answers every request at once and records "path arrival_ms"; writes them to `out` when the
// parent closes the pipe.
struct Recorder {
  std::vector<std::pair<std::string, std::int64_t>> hits;
};

asio::awaitable<void> Serve(tcp::socket socket, Recorder& rec) {
  asio::streambuf buf;
  try {
    for (;;) {
      const std::size_t n = co_await asio::async_read_until(socket, buf, "\r\n\r\n", asio::use_awaitable);
      const std::int64_t at = NowMs();
      std::string head(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + static_cast<long>(n));
      buf.consume(n);
      const auto sp = head.find(' ');
      rec.hits.emplace_back(head.substr(sp + 1, head.find(' ', sp + 1) - sp - 1), at);
      static const std::string kResponse =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
      co_await asio::async_write(socket, asio::buffer(kResponse), asio::use_awaitable);
    }
  } catch (const std::exception&) {
  }
}

asio::awaitable<void> Accept(tcp::acceptor& acceptor, Recorder& rec) {
  for (;;) {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), Serve(std::move(s), rec), asio::detached);
  }
}

asio::awaitable<void> WaitClose(asio::posix::stream_descriptor& pipe, asio::io_context& io) {
  char byte = 0;
  boost::system::error_code ec;
  while (!ec) co_await asio::async_read(pipe, asio::buffer(&byte, 1), asio::redirect_error(asio::use_awaitable, ec));
  io.stop();
}

struct Endpoint {
  unsigned short port = 0;
  pid_t pid = -1;
  int close_fd = -1;
};

Endpoint StartEndpoint(const std::string& out) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 4096) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Die(std::string("cannot listen on 127.0.0.1: ") + std::strerror(errno));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) Die("pipe failed");
  Endpoint e;
  e.port = ntohs(addr.sin_port);
  e.pid = ::fork();
  if (e.pid == 0) {
    ::close(pipe_fds[1]);
    asio::io_context io(1);
    tcp::acceptor acceptor(io, tcp::v4(), fd);
    asio::posix::stream_descriptor pipe(io, pipe_fds[0]);
    Recorder rec;
    asio::co_spawn(io, Accept(acceptor, rec), asio::detached);
    asio::co_spawn(io, WaitClose(pipe, io), asio::detached);
    io.run();
    std::ofstream f(out);
    for (const auto& [path, at] : rec.hits) f << path << " " << at << "\n";
    f.close();
    ::_exit(0);
  }
  ::close(fd);
  ::close(pipe_fds[0]);
  e.close_fd = pipe_fds[1];
  return e;
}

std::vector<std::pair<std::string, std::int64_t>> StopEndpoint(Endpoint& e, const std::string& out) {
  ::close(e.close_fd);
  int status = 0;
  ::waitpid(e.pid, &status, 0);
  std::vector<std::pair<std::string, std::int64_t>> hits;
  std::ifstream in(out);
  std::string path;
  std::int64_t at = 0;
  while (in >> path >> at) hits.emplace_back(path, at);
  return hits;
}

class MemoryFiles final : public workflows::FileReader {
 public:
  std::map<std::string, std::string> files;
  Result<std::string> Read(const std::string& path) override { return files.at(path); }
};

struct Stats {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t n = 0;
};

Stats Percentiles(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.p50 = v[v.size() / 2];
  s.p99 = v[std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(v.size()) * 0.99))];
  s.max = v.back();
  return s;
}

// User + system CPU time of this process so far (every thread).
double CpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// The baseline: N requests through the same transport, at most `cap` in flight.
asio::awaitable<void> SendOne(connectors::http::HttpTransport& t, std::string url, engine::Limiter& limiter,
                              int& left, asio::io_context& io) {
  engine::Permit permit = co_await limiter.Acquire("baseline", {});
  connectors::http::HttpRequest req;
  req.method = "GET";
  req.url = std::move(url);
  req.timeout = std::chrono::seconds(60);
  (void)co_await t.Send(std::move(req));
  permit.Release();
  if (--left == 0) io.stop();
}

}  // namespace

int main(int argc, char** argv) {
  int schedules = 10000;
  int cap = 256;  // the daemon's default --max-in-flight
  std::string dir = "/tmp";
  int chunk = engine::DaemonOptions{}.fire_chunk;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--schedules") schedules = std::atoi(argv[i + 1]);
    else if (flag == "--cap") cap = std::atoi(argv[i + 1]);
    else if (flag == "--dir") dir = argv[i + 1];
    else if (flag == "--chunk") chunk = std::atoi(argv[i + 1]);
    else Die("unknown flag " + flag);
  }
  const std::string hits_file = dir + "/tenure-schedule-bench.hits";
  Endpoint endpoint = StartEndpoint(hits_file);  // before any thread exists
  const std::string db_path = dir + "/tenure-schedule-bench.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path + suffix);

  MemoryFiles files;
  files.files["leaver.yaml"] =
      "playbook: leaver\ninputs:\n  email: { type: email }\nconnections:\n"
      "  api: { connector: http, base_url: \"http://127.0.0.1:" + std::to_string(endpoint.port) +
      "\" }\ntasks:\n  disable:\n    uses: api.request\n    with: { method: GET, url: \"/fire/{{ run.id }}\" }\n";
  const auto catalog = connectors::BuiltinCatalog();
  workflows::Diagnostics diags;
  workflows::Playbook pb = workflows::LoadPlaybook(files, "leaver.yaml", diags);
  workflows::Validate(pb, catalog, diags);
  if (diags.HasErrors()) Die("bench playbook invalid: " + diags.items().front().message);
  auto store = engine::OpenSqliteStore(db_path);
  if (!store) Die(store.error().message);

  // Every schedule added for tomorrow, then moved (one SQL statement) to one instant 2 s ahead.
  engine::SystemClock clock;
  const auto add_start = std::chrono::steady_clock::now();
  const std::string at = engine::FormatRfc3339(clock.Now() + std::chrono::hours(24)).substr(0, 19);
  for (int i = 0; i < schedules; ++i) {
    engine::NewSchedule s;
    s.playbook = &pb;
    s.inputs.Set("email", "leaver" + std::to_string(i) + "@example.com");
    s.at = at;
    s.time_zone = "UTC";
    s.key = "leaver-" + std::to_string(i);
    s.created_by = "bench";
    auto added = engine::AddSchedule(**store, s, clock.Now());
    if (!added) Die(added.error().message);
  }
  const double add_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - add_start).count();
  const std::int64_t due_ms = (NowMs() + 2000) / 1000 * 1000 + 1000;
  {
    SQLite::Database db(db_path, SQLite::OPEN_READWRITE);
    SQLite::Statement move(db, "UPDATE schedules SET next_ms = ?");
    move.bind(1, static_cast<int64_t>(due_ms));
    move.exec();
  }
  std::fprintf(stderr, "added %d schedules in %.1f s (one transaction each); all due at %s\n", schedules, add_s,
               engine::FormatRfc3339(engine::FromUnixMillis(due_ms)).c_str());

  asio::io_context io(1);
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> phases;  // run -> (fired, started) ms
  long rss_before = StatusKb("VmRSS");
  const double cpu_before = CpuSeconds();
  double drain_s = 0;
  {
    engine::Journal journal(**store, io.get_executor());
    engine::Limiter limiter(io.get_executor(), clock, cap);
    auto transport = connectors::http::MakeBeastTransport(io.get_executor());
    auto factory = connectors::MakeBuiltinRegistry(io.get_executor(), *transport);
    connectors::Redactor redactor;
    engine::Services services{io.get_executor(), clock, **store, journal, limiter, *factory, catalog, redactor,
                              nullptr, engine::DefaultRandom()};
    engine::ExecutorOptions options;
    options.owner = engine::CurrentOwner();
    engine::DaemonOptions daemon_options;
    daemon_options.fire_chunk = chunk;
    // Where the latency goes: when the daemon logged each run's fire and start.
    auto on_event = [&phases](const engine::DaemonEvent& e) {
      if (e.run.empty()) return;
      if (e.kind == "schedule_fired") phases[e.run].first = engine::ToUnixMillis(e.at);
      if (e.kind == "run_started") phases[e.run].second = engine::ToUnixMillis(e.at);
    };
    engine::Daemon daemon(services, options, daemon_options, on_event);
    asio::steady_timer check(io);
    std::function<void(const boost::system::error_code&)> watch = [&](const boost::system::error_code& ec) {
      if (ec) return;
      if (daemon.stats().runs_ended >= schedules) {
        drain_s = static_cast<double>(NowMs() - due_ms) / 1000.0;
        daemon.Stop();
        return;
      }
      check.expires_after(std::chrono::milliseconds(50));
      check.async_wait(watch);
    };
    check.expires_after(std::chrono::milliseconds(50));
    check.async_wait(watch);
    asio::co_spawn(io, daemon.Run(), [&](std::exception_ptr e, Result<void> r) {
      if (e) std::rethrow_exception(e);
      if (!r) Die(r.error().message);
      io.stop();
    });
    io.run();
    journal.WaitIdle();
    std::fprintf(stderr, "journal: %llu transitions in %llu transactions\n",
                 static_cast<unsigned long long>(journal.transitions()),
                 static_cast<unsigned long long>(journal.transactions()));
  }
  const long peak_kb = StatusKb("VmHWM");
  const double daemon_cpu = CpuSeconds() - cpu_before;

  // Baseline in the same run, against the same endpoint.
  double base_start_ms = 0;
  {
    asio::io_context bio(1);
    engine::Limiter limiter(bio.get_executor(), clock, cap);
    auto transport = connectors::http::MakeBeastTransport(bio.get_executor());
    int left = schedules;
    base_start_ms = static_cast<double>(NowMs());
    for (int i = 0; i < schedules; ++i) {
      asio::co_spawn(bio,
                     SendOne(*transport, "http://127.0.0.1:" + std::to_string(endpoint.port) + "/base/" + std::to_string(i),
                             limiter, left, bio),
                     asio::detached);
    }
    bio.run();
  }
  auto hits = StopEndpoint(endpoint, hits_file);

  std::map<std::string, std::int64_t> first;  // run -> first arrival
  std::vector<double> fire, base;
  for (const auto& [path, at_ms] : hits) {
    if (path.rfind("/fire/", 0) == 0) {
      auto [it, fresh] = first.emplace(path.substr(6), at_ms);
      if (!fresh) it->second = std::min(it->second, at_ms);
    } else if (path.rfind("/base/", 0) == 0) {
      base.push_back((static_cast<double>(at_ms) - base_start_ms) / 1000.0);
    }
  }
  for (const auto& [run, at_ms] : first) fire.push_back(static_cast<double>(at_ms - due_ms) / 1000.0);
  const Stats f = Percentiles(fire), b = Percentiles(base);
  std::vector<double> to_fired, to_started, to_request;
  for (const auto& [run, at_ms] : first) {
    const auto p = phases.find(run);
    if (p == phases.end() || p->second.first == 0 || p->second.second == 0) continue;
    to_fired.push_back(static_cast<double>(p->second.first - due_ms) / 1000.0);
    to_started.push_back(static_cast<double>(p->second.second - p->second.first) / 1000.0);
    to_request.push_back(static_cast<double>(at_ms - p->second.second) / 1000.0);
  }
  const Stats pf = Percentiles(to_fired), ps = Percentiles(to_started), pr = Percentiles(to_request);
  std::printf("schedules %d, cap %d in flight, runs that reached the endpoint %zu\n", schedules, cap, f.n);
  std::printf("fire latency (first request - due):  p50 %.3f s  p99 %.3f s  max %.3f s; all runs ended %.1f s after due\n",
              f.p50, f.p99, f.max, drain_s);
  std::printf("  due -> fired p50 %.3f p99 %.3f | fired -> started p50 %.3f p99 %.3f | started -> request p50 %.3f p99 %.3f\n",
              pf.p50, pf.p99, ps.p50, ps.p99, pr.p50, pr.p99);
  std::printf("baseline (same requests, same cap):   p50 %.3f s  p99 %.3f s  max %.3f s\n", b.p50, b.p99, b.max);
  std::printf("ratio p50 %.2fx  p99 %.2fx\n", b.p50 > 0 ? f.p50 / b.p50 : 0.0, b.p99 > 0 ? f.p99 / b.p99 : 0.0);
  // CPU time is steadier than latency on a noisy machine: compare builds by it too.
  std::printf("daemon CPU (this process, user + system, from start to the last run's end): %.3f s\n", daemon_cpu);
  std::printf("RSS before the daemon %.1f MB, peak %.1f MB\n", static_cast<double>(rss_before) / 1024.0,
              static_cast<double>(peak_kb) / 1024.0);
  return f.n == static_cast<std::size_t>(schedules) ? 0 : 1;
}
