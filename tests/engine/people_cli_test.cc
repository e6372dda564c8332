// tenure decide, --as for admins, and overdue decisions in runs/status/report, through the binary.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "engine/run_control.h"
#include "tests/engine/support/engine_fixture.h"
#include "tests/engine/support/tenure_cli.h"

namespace tenure::engine {
namespace {

using testing::Contains;
using testing::Output;
using testing::Tenure;

std::string RunIdOf(const std::string& text) {
  const auto at = text.find("run r");
  REQUIRE(at != std::string::npos);
  return text.substr(at + 4, text.find(':', at) - at - 4);
}

TEST_CASE("tenure decide records a choice, --as only for admins, overdue shows in runs and status and report", "[engine][cli][people]") {
  if (!testing::BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: forward-demo
tasks:
  forward:
    uses: manual.decide
    with:
      prompt: "Forward the mail?"
      approvers: [mgr@example.com]
      due: 1s
  set_forward:
    uses: manual.task
    needs: forward
    when: "{{ tasks.forward.result.choice == 'yes' }}"
    with: { prompt: "set it" }
)";
  const Output run = Tenure("run " + dir.path() + "/p.yaml" + db);
  CHECK(run.code == 3);
  const std::string id = RunIdOf(run.text);
  ::sleep(2);
  const Output overdue = Tenure("runs --overdue" + db);
  CHECK(Contains(overdue.text, id));
  const Output status = Tenure("status " + id + db);
  CHECK(Contains(status.text, "OVERDUE since "));
  const Output md = Tenure("report " + id + " --format md" + db);
  CHECK(Contains(md.text, "## Overdue\n\n- forward: due "));

  // The OS user running the test is no approver.
  const Output denied = Tenure("decide " + id + " forward --choice no" + db);
  CHECK(denied.code == 2);
  CHECK(Contains(denied.text, "may not decide task forward of run " + id + ": its approvers are mgr@example.com"));
  const Output not_admin = Tenure("decide " + id + " forward --choice no --as mgr@example.com" + db, "TENURE_ADMINS=someone");
  CHECK(not_admin.code == 2);
  CHECK(Contains(not_admin.text, "only admins may decide --as someone else"));
  const Output as = Tenure("decide " + id + " forward --choice no --note 'by phone' --as mgr@example.com" + db,
                          "TENURE_ADMINS=someone," + CurrentUser());
  INFO(as.text);
  CHECK(as.code == 0);
  const Output resumed = Tenure("resume " + id + db);
  CHECK(resumed.code == 0);
  const Output report = Tenure("report " + id + " --format md" + db);
  CHECK(Contains(report.text, "- forward: decided 'no' by mgr@example.com at "));
  CHECK(Contains(report.text, "(cli:" + CurrentUser() + " as mgr@example.com): by phone\n"));
  const Output person = Tenure("report mgr@example.com --format html" + db);
  CHECK(person.code == 0);
  CHECK(Contains(person.text, "<section><h1>Run " + id));
}

}  // namespace
}  // namespace tenure::engine
