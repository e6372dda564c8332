// Reconcile at the rate limits (issue 14): the real `tenure reconcile` reads 10,000 accounts across
// three sandbox connections (three sandboxes, the same 3,334 people each, pages of 100) whose `rate` is
// 10 requests/s each, and compares the wall time with the bound the limits set: a connection of
// P pages needs (P - 1) / rate seconds (the token bucket's first token is free), the three read at
// once. Target: within 1.2x of the bound.
//
//   reconcile_bench [--accounts N] [--rate R]
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/server.h"

namespace {

constexpr int kConnections = 3;
constexpr int kPage = 100;

std::unique_ptr<tenure::sandbox::BackgroundSandbox> Company(const std::string& dir, int c, int users) {
  boost::json::array list;
  for (int i = 0; i < users; ++i) {
    const std::string name = "p" + std::to_string(i) + "@example.com";
    list.push_back(boost::json::object{{"schemas", boost::json::array{"urn:ietf:params:scim:schemas:core:2.0:User"}},
                                       {"id", "u" + std::to_string(c) + "-" + std::to_string(i)},
                                       {"userName", name},
                                       {"active", true},
                                       {"meta", boost::json::object{{"resourceType", "User"}}}});
  }
  const std::string path = dir + "/company" + std::to_string(c) + ".json";
  std::ofstream(path) << boost::json::serialize(boost::json::object{{"users", std::move(list)}, {"groups", boost::json::array{}}});
  tenure::sandbox::SandboxOptions options;
  options.token = "bench-token";
  options.state_file = path;
  options.scim.max_results = kPage;
  auto sb = tenure::sandbox::BackgroundSandbox::Start(options);
  if (!sb) {
    std::fprintf(stderr, "cannot start a sandbox: %s\n", sb.error().message.c_str());
    std::exit(1);
  }
  return std::move(*sb);
}

}  // namespace

int main(int argc, char** argv) {
  int accounts = 10'000;
  double rate = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--accounts") accounts = std::atoi(argv[i + 1]);
    if (flag == "--rate") rate = std::atof(argv[i + 1]);
  }
  const std::string dir = std::filesystem::temp_directory_path() / ("reconcile_bench_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::vector<std::unique_ptr<tenure::sandbox::BackgroundSandbox>> sandboxes;
  std::string playbook = "playbook: read\nconnections:\n";
  std::string names;
  int pages = 0;
  std::ofstream hr(dir + "/hr.csv");
  hr << "email\n";
  // The same people in every system (so there is no drift): accounts / 3, rounded up, each.
  const int users = (accounts + kConnections - 1) / kConnections;
  for (int i = 0; i < users; ++i) hr << "p" << i << "@example.com\n";
  for (int c = 0; c < kConnections; ++c) {
    sandboxes.push_back(Company(dir, c, users));
    playbook += "  idp" + std::to_string(c) + ": { connector: scim, base_url: \"" + sandboxes.back()->url() +
                "/scim/v2\", token: \"${env:BENCH_TOKEN}\", rate: " + std::to_string(static_cast<int>(rate)) + "/s }\n";
    names += " idp" + std::to_string(c);
    pages = std::max(pages, (users + kPage - 1) / kPage);
  }
  hr.close();
  playbook += "tasks:\n  a: { uses: idp0.get_user, with: { id: x } }\n";
  std::ofstream(dir + "/read.yaml") << playbook;
  const std::string cmd = "BENCH_TOKEN=bench-token " + std::string(TENURE_BINARY) + " reconcile --people " + dir +
                          "/hr.csv --key-column email --playbook " + dir + "/read.yaml --json --db " + dir + "/t.db" +
                          names + " > " + dir + "/out.json";
  const auto start = std::chrono::steady_clock::now();
  const int status = std::system(cmd.c_str());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double bound = (pages - 1) / rate;
  std::ifstream in(dir + "/out.json");
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::printf("reconcile of %d accounts across %d connections (%d pages each at most, rate %.0f/s each): exit %d\n",
              users * kConnections, kConnections, pages, rate, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  std::printf("wall %.2f s, rate-limit bound %.2f s, ratio %.2fx (target <= 1.2x)\n", wall, bound, wall / bound);
  std::printf("report: %s\n", out.substr(0, 200).c_str());
  std::filesystem::remove_all(dir);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
