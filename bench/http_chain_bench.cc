// Engine overhead per task on a real network call (issue 4, benchmark 2): the real `tenure run`
// executes a 50-task sequential chain of `http.request` calls against a loopback endpoint that
// answers each request after 20 ms. Reports (wall time - 50 x 20 ms) / 50, process start,
// snapshot load and durable commits included. Target: at most 2 ms per task.
//
//   http_chain_bench [--runs N]
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr int kTasks = 50;
constexpr auto kDelay = std::chrono::milliseconds(20);

// HTTP/1.1 keep-alive: every request (no body expected) is answered `{}` after kDelay.
asio::awaitable<void> Serve(tcp::socket socket) {
  asio::streambuf buf;
  try {
    for (;;) {
      const std::size_t n = co_await asio::async_read_until(socket, buf, "\r\n\r\n", asio::use_awaitable);
      buf.consume(n);
      asio::steady_timer timer(socket.get_executor(), kDelay);
      co_await timer.async_wait(asio::use_awaitable);
      static const std::string kResponse =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
      co_await asio::async_write(socket, asio::buffer(kResponse), asio::use_awaitable);
    }
  } catch (const std::exception&) {
    // The client closed the connection.
  }
}

asio::awaitable<void> Listen(tcp::acceptor& acceptor) {
  for (;;) {
    tcp::socket s = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), Serve(std::move(s)), asio::detached);
  }
}

std::string Playbook(unsigned short port) {
  std::string y = "playbook: http-chain\nconnections:\n  api:\n    connector: http\n    base_url: \"http://127.0.0.1:" +
                  std::to_string(port) + "\"\ntasks:\n";
  for (int i = 0; i < kTasks; ++i) {
    y += "  t" + std::to_string(i) + ":\n    uses: api.request\n    with: { method: GET, url: /step/" +
         std::to_string(i) + " }\n";
    if (i > 0) y += "    needs: t" + std::to_string(i - 1) + "\n";
  }
  return y;
}

int RunTenure(const std::string& file, const std::string& db) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    ::execl(TENURE_BINARY, "tenure", "run", file.c_str(), "--db", db.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  if (argc == 3 && std::strcmp(argv[1], "--runs") == 0) runs = std::atoi(argv[2]);
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const unsigned short port = acceptor.local_endpoint().port();
  asio::co_spawn(io, Listen(acceptor), asio::detached);
  std::thread server([&] { io.run(); });

  char dir_template[] = "/tmp/tenure-http-bench-XXXXXX";
  const std::string dir = ::mkdtemp(dir_template);
  const std::string file = dir + "/chain.yaml";
  std::ofstream(file) << Playbook(port);
  std::vector<double> overhead_ms;
  for (int r = 0; r < runs; ++r) {
    const std::string db = dir + "/run" + std::to_string(r) + ".db";
    const auto start = std::chrono::steady_clock::now();
    const int code = RunTenure(file, db);
    const double wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (code != 0) {
      std::fprintf(stderr, "tenure run exited %d\n", code);
      return 1;
    }
    overhead_ms.push_back((wall - kTasks * kDelay.count()) / kTasks);
    std::printf("run %d: wall %.0f ms, overhead %.2f ms/task\n", r + 1, wall, overhead_ms.back());
  }
  std::sort(overhead_ms.begin(), overhead_ms.end());
  std::printf("median engine overhead: %.2f ms/task over a %d ms call (target <= 2 ms); baseline %d x %d ms = %d ms\n",
              overhead_ms[overhead_ms.size() / 2], static_cast<int>(kDelay.count()), kTasks,
              static_cast<int>(kDelay.count()), kTasks * static_cast<int>(kDelay.count()));
  io.stop();
  server.join();
  std::filesystem::remove_all(dir);
  return 0;
}
