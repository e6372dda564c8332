// Drives the real `tenure` binary: exit codes, output streams, JSON, as a user or a CI job sees them.
#include <sys/wait.h>

#include <array>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct Ran {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs `tenure ARGS` in the source tree (no shell interpolation of data: args are fixed literals).
Ran Tenure(const std::string& args) {
  const std::string err_file = std::filesystem::temp_directory_path() / ("tenure_cli_test_" + std::to_string(::getpid()));
  const std::string cmd = "cd '" + std::string(TENURE_SOURCE_DIR) + "' && '" + TENURE_BINARY + "' " + args + " 2>'" + err_file + "'";
  Ran r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  std::filesystem::remove(err_file);
  return r;
}

}  // namespace

TEST_CASE("validate: 0 for valid playbooks, 2 with every diagnostic on stderr", "[cli]") {
  auto ok = Tenure("validate examples/onboarding.yaml examples/offboarding.yaml");
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "examples/onboarding.yaml: ok (7 tasks)\nexamples/offboarding.yaml: ok (6 tasks)\n");
  auto bad = Tenure("validate tests/workflows/invalid/cycle.yaml examples/onboarding.yaml");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err ==
        "tests/workflows/invalid/cycle.yaml:5:3: error: task cycle: create_user -> grant_github -> create_user\n"
        "    create_user:\n"
        "    ^\n"
        "1 error in 2 files\n");
  CHECK(bad.out == "examples/onboarding.yaml: ok (7 tasks)\n");
}

TEST_CASE("validate --json is one machine-readable document", "[cli]") {
  auto r = Tenure("validate --json tests/workflows/invalid/unknown_needs.yaml");
  CHECK(r.exit_code == 2);
  const auto doc = boost::json::parse(r.out);
  CHECK(doc.at("valid") == false);
  const auto& d = doc.at("files").at(0).at("diagnostics").at(0);
  CHECK(d.at("line") == 9);
  CHECK(d.at("column") == 13);
  CHECK(d.at("path") == "tasks.groups.needs");
  CHECK(d.at("message") == "unknown task 'acount' in needs (did you mean 'account'?)");
}

TEST_CASE("usage errors exit 2, --version and --help exit 0", "[cli]") {
  CHECK(Tenure("validate").exit_code == 2);
  CHECK(Tenure("validate no-such-file.yaml").exit_code == 2);
  CHECK(Tenure("frobnicate").exit_code == 2);
  CHECK(Tenure("graph examples/onboarding.yaml --format png").exit_code == 2);
  auto v = Tenure("--version");
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("tenure ", 0) == 0);
  auto h = Tenure("plan --help");
  CHECK(h.exit_code == 0);
  CHECK(h.out.find("Examples:") != std::string::npos);
}

TEST_CASE("plan: inputs checked all at once, secrets never printed", "[cli]") {
  auto r = Tenure("plan examples/onboarding.yaml --input examples/inputs/jane.yaml --set laptop=true");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("  6. laptop  manual.approve\n       when {{ inputs.laptop }} -> true\n") != std::string::npos);
  CHECK(r.out.find("idp (scim) {base_url: \"***\", token: \"***\"}") != std::string::npos);
  CHECK(r.out.find("${env:") == std::string::npos);
  auto bad = Tenure("plan examples/onboarding.yaml --set first_name=Jane --set email=jane --set start_date=2026-02-30 --set colour=red");
  CHECK(bad.exit_code == 2);
  CHECK(bad.err ==
        "--set email: error: input 'email': expected an email address, got 'jane'\n"
        "--set start_date: error: input 'start_date': expected a date as YYYY-MM-DD, got '2026-02-30'\n"
        "--set colour: error: unknown input 'colour'\n"
        "examples/onboarding.yaml: error: missing required input 'last_name' (string)\n"
        "4 errors\n");
}

TEST_CASE("plan --json resolves what it can", "[cli]") {
  auto r = Tenure("plan --json examples/offboarding.yaml --input examples/inputs/jane-leaves.yaml");
  REQUIRE(r.exit_code == 0);
  const auto doc = boost::json::parse(r.out);
  const auto& tasks = doc.at("tasks").as_array();
  REQUIRE(tasks.size() == 6);
  CHECK(tasks[0].at("id") == "find");
  CHECK(tasks[0].at("with").at("userName") == "jane.doe@example.com");
  CHECK(tasks[1].at("with").at("id").at("at_run_time") == "{{ tasks.find.result.id }}");
}

TEST_CASE("graph prints text, DOT and Mermaid", "[cli]") {
  auto dot = Tenure("graph examples/offboarding.yaml --format dot");
  CHECK(dot.exit_code == 0);
  CHECK(dot.out.rfind("digraph \"standard-offboarding\" {", 0) == 0);
  CHECK(dot.out.find("  \"find\" -> \"deactivate\";\n") != std::string::npos);
  auto mm = Tenure("graph examples/offboarding.yaml --format mermaid");
  CHECK(mm.out.rfind("flowchart TD\n", 0) == 0);
  auto bad = Tenure("graph tests/workflows/invalid/cycle.yaml");
  CHECK(bad.exit_code == 2);
  CHECK(bad.out.empty());
}

TEST_CASE("docs/connectors.md is what `tenure connectors --markdown` prints", "[cli][docs]") {
  auto r = Tenure("connectors --markdown");
  REQUIRE(r.exit_code == 0);
  std::ifstream f(std::string(TENURE_SOURCE_DIR) + "/docs/connectors.md");
  const std::string doc((std::istreambuf_iterator<char>(f)), {});
  CHECK(r.out == doc);  // regenerate: tenure connectors --markdown > docs/connectors.md
  CHECK(Tenure("connectors show scmi").exit_code == 2);
}
