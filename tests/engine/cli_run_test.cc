// The run commands through the real binary: exit codes and the exact lines a user reads.
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "engine/run_control.h"
#include "tests/engine/support/engine_fixture.h"
#include "tests/engine/support/tenure_cli.h"

namespace tenure::engine {
namespace {

using testing::Contains;
using testing::Output;
using testing::Tenure;

// The id in the first "run rID: ..." line of `tenure run`.
std::string RunId(const std::string& text) {
  const auto at = text.find("run r");
  REQUIRE(at != std::string::npos);
  return text.substr(at + 4, text.find(':', at) - at - 4);
}

using testing::BinaryBuilt;

TEST_CASE("tenure run waits for an approval, approve and resume finish it", "[engine][cli]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: approval-demo
inputs:
  name: { type: string }
connections:
  sh: { connector: exec }
tasks:
  hello:
    uses: sh.run
    with: { argv: [/bin/echo, '{"greeting": "hi {{ inputs.name }}"}'] }
  ask:
    needs: hello
    uses: manual.approve
    with: { prompt: "Give {{ inputs.name }} admin?" }
  after:
    needs: ask
    uses: sh.run
    with: { argv: [/bin/echo, '{}'] }
)";
  const Output run = Tenure("run " + dir.path() + "/p.yaml --set name=ada --key hr-1" + db);
  INFO(run.text);
  CHECK(run.code == 3);
  const std::string id = RunId(run.text);
  CHECK(Contains(run.text, "ask  waiting: waiting for approval: Give ada admin? (tenure approve " + id + " ask)"));
  CHECK(Contains(run.text, "run " + id + " waiting after "));
  CHECK(Contains(run.text, "continue with: tenure resume " + id + "\n"));

  const Output again = Tenure("run " + dir.path() + "/p.yaml --set name=ada --key hr-1" + db);
  CHECK(again.code == 3);
  CHECK(again.text == "run " + id + " already exists for key hr-1 (waiting); not starting another\n");

  const Output early = Tenure("approve " + id + " after" + db);
  CHECK(early.code == 2);
  CHECK(early.text == "tenure: task after of run " + id + " is not waiting for a decision (it is pending)\n");

  // From cron: a run waiting for a person is not an error, and nothing due prints nothing.
  const Output parked = Tenure("resume --all" + db);
  CHECK(parked.code == 0);
  CHECK(parked.text == "");

  const Output approve = Tenure("approve " + id + " ask --note 'ticket IT-1'" + db);
  CHECK(approve.code == 0);
  CHECK(Contains(approve.text, "task ask of run " + id + " approved by "));

  const Output resume = Tenure("resume --all" + db);
  INFO(resume.text);
  CHECK(resume.code == 0);
  CHECK(Contains(resume.text, "after  succeeded: attempt 1 of 3"));
  CHECK(Contains(resume.text, "run " + id + " succeeded after "));

  const Output finished = Tenure("resume " + id + db);
  CHECK(finished.code == 2);
  CHECK(finished.text == "tenure: run " + id + " already succeeded\n");

  const Output report = Tenure("report " + id + " --format md" + db);
  CHECK(report.code == 0);
  CHECK(Contains(report.text, "| hello | succeeded | 1 | "));
  CHECK(Contains(report.text, ": ticket IT-1\n"));

  const Output missing = Tenure("status nope" + db);
  CHECK(missing.code == 2);
  CHECK(missing.text == "tenure: no run 'nope'\n");
}

TEST_CASE("tenure approve refuses a user who is not among the task's approvers", "[engine][cli]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  const std::string me = CurrentUser();
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: approvers-demo
tasks:
  admin:
    uses: manual.approve
    with: { prompt: "Admin for ada?", approvers: [security-lead, ciso] }
  laptop:
    uses: manual.approve
    with: { prompt: "Laptop for ada?", approvers: [security-lead, ")" + me + R"("] }
)";
  const Output run = Tenure("run " + dir.path() + "/p.yaml" + db);
  INFO(run.text);
  REQUIRE(run.code == 3);
  const std::string id = RunId(run.text);

  for (const char* verb : {"approve", "reject"}) {
    const Output denied = Tenure(std::string(verb) + " " + id + " admin" + db);
    CHECK(denied.code == 2);
    CHECK(denied.text == "tenure: " + me + " may not decide task admin of run " + id +
                             ": its approvers are security-lead, ciso\n");
  }
  const Output status = Tenure("status " + id + db);
  CHECK(Contains(status.text, "admin"));
  CHECK_FALSE(Contains(Tenure("logs " + id + db).text, "approved by"));

  const Output approve = Tenure("approve " + id + " laptop" + db);
  CHECK(approve.code == 0);
  CHECK(Contains(approve.text, "task laptop of run " + id + " approved by " + me));
}

TEST_CASE("tenure run with a secret that is not set stops before the run exists", "[engine][cli]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: secrets-demo
connections:
  idp: { connector: scim, base_url: "http://127.0.0.1:9/scim/v2", token: "${env:TENURE_TEST_UNSET_TOKEN}" }
tasks:
  account: { uses: idp.ensure_user, with: { userName: ada@example.com } }
)";
  const Output run = Tenure("run " + dir.path() + "/p.yaml" + db);
  CHECK(run.code == 2);
  CHECK(run.text == "tenure: connection 'idp', key 'token': environment variable TENURE_TEST_UNSET_TOKEN is not set\n");
  CHECK(Tenure("runs" + db).text.find("secrets-demo") == std::string::npos);
}

TEST_CASE("an approval given before the task parks is picked up by resume --all, and a second trigger follows the run", "[engine][cli][issue9]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: race-demo
connections:
  sh: { connector: exec }
tasks:
  ask: { uses: manual.approve, with: { prompt: "Forward mail?" } }
  slow:
    uses: sh.run
    with: { argv: [/bin/sh, -c, 'while [ ! -e "$0" ]; do sleep 0.05; done; echo {}', GATE] }
  after:
    needs: ask
    uses: sh.run
    with: { argv: [/bin/echo, '{}'] }
)";
  // `slow` runs until the test opens its gate: the run is executing for as long as the test needs.
  const std::string gate = dir.path() + "/gate";
  {
    std::ifstream in(dir.path() + "/p.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    text.replace(text.find("GATE"), 4, gate);
    std::ofstream(dir.path() + "/p.yaml") << text;
  }
  const Output started = Tenure("run " + dir.path() + "/p.yaml --detach --key leaver-7" + db);
  INFO(started.text);
  REQUIRE(started.code == 0);
  REQUIRE(started.text.rfind("run r", 0) == 0);
  const std::string id = started.text.substr(4, started.text.find(' ', 4) - 4);
  // Approve as soon as `ask` waits, while `slow` still runs: the run has not parked yet.
  Output approve;
  for (int i = 0; i < 100; ++i) {
    approve = Tenure("approve " + id + " ask" + db);
    if (approve.code == 0) break;
    ::usleep(50000);
  }
  REQUIRE(approve.code == 0);
  // A second trigger with the same key while the run executes: it follows the run to where it
  // stops (waiting: this execution saw `ask` undecided) and never exits 0 before that.
  // The gate opens once it has said so (read as it prints), so the run is running when it looks.
  Output again;
  {
    FILE* p = ::popen((std::string(TENURE_BINARY) + " run " + dir.path() + "/p.yaml --key leaver-7" + db + " 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, 1, p)) > 0;) {
      again.text.append(buf, n);
      if (!std::filesystem::exists(gate) && Contains(again.text, "not starting another\n")) std::ofstream(gate) << "go\n";
    }
    const int status = ::pclose(p);
    again.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  INFO(again.text);
  CHECK(again.code == 3);
  CHECK(Contains(again.text, "run " + id + " already exists for key leaver-7 (running); not starting another\n"));
  CHECK(Contains(again.text, "run " + id + " waiting after "));

  const Output resume = Tenure("resume --all" + db);
  INFO(resume.text);
  CHECK(resume.code == 0);
  CHECK(Contains(resume.text, "run " + id + " succeeded after "));
  const Output quiet = Tenure("resume --all" + db);
  CHECK(quiet.code == 0);
  CHECK(quiet.text == "");
}

}  // namespace
}  // namespace tenure::engine
