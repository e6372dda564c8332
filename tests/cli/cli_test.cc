// Drives the real `tenure` binary: exit codes, output streams, JSON, as a user or a CI job sees them.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "tests/cli/support/run.h"

namespace {

using tenure::cli::testing::Ran;
using tenure::cli::testing::ServedSandbox;
using tenure::cli::testing::Tenure;

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
        "  see docs/playbooks.md#tasks.id.needs\n"
        "1 error\n");
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
  auto r = Tenure("plan examples/onboarding.yaml --input examples/inputs/jane.yaml --set laptop=true", "-u TENURE_SCIM_URL");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("  6. laptop  manual.approve\n       when {{ inputs.laptop }} -> true\n") != std::string::npos);
  // Without SCIM_URL in the environment the setting shows as written; the token never shows.
  CHECK(r.out.find("idp (scim) {base_url: \"${env:TENURE_SCIM_URL}\", token: \"***\"}") != std::string::npos);
  CHECK(r.out.find("${env:TENURE_SCIM_TOKEN}") == std::string::npos);
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

TEST_CASE("connectors --json: every connector, its settings, actions and result fields, as the catalog has them",
          "[cli][issue15]") {
  const auto all = Tenure("connectors --json");
  REQUIRE(all.exit_code == 0);
  const boost::json::value doc = boost::json::parse(all.out);
  const auto& list = doc.at("connectors").as_array();
  std::set<std::string> names;
  for (const auto& c : list) names.insert(std::string(c.at("name").as_string()));
  CHECK(names.contains("scim"));
  CHECK(names.contains("manual"));
  CHECK(names.size() == list.size());

  const auto scim = Tenure("connectors show scim --json");
  REQUIRE(scim.exit_code == 0);
  const boost::json::value connector = boost::json::parse(scim.out);
  bool token_is_secret = false;
  for (const auto& s : connector.at("settings").as_array()) {
    if (s.at("name") == "token") token_is_secret = s.at("secret").as_bool();
  }
  CHECK(token_is_secret);

  const auto action = Tenure("connectors show scim deactivate_user --json");
  REQUIRE(action.exit_code == 0);
  const boost::json::value a = boost::json::parse(action.out);
  CHECK(a.at("connector") == "scim");
  CHECK(a.at("name") == "deactivate_user");
  CHECK(a.at("undo") == "reactivate_user");
  CHECK(a.at("one_of").as_array().at(0).as_array().size() == 2);
  std::set<std::string> results;
  for (const auto& r : a.at("results").as_array()) results.insert(std::string(r.at("name").as_string()));
  CHECK(results.contains("active"));  // result fields are part of it, unlike before
  CHECK(boost::json::parse(Tenure("connectors show scim get_user --json").out).at("read_only") == true);
  CHECK(boost::json::parse(Tenure("connectors show scim get_user --json").out).at("undo").is_null());

  CHECK(Tenure("connectors show scim nope --json").exit_code == 2);
  CHECK(Tenure("connectors show scim get_user --json --snippet").exit_code == 2);
}

// Every relative link in README.md and docs/ (docs/dev/ included) names a file that exists, and
// every docs/*.md that another page mentions as "docs/X.md" exists too.
TEST_CASE("the links between the docs resolve", "[cli][docs]") {
  namespace fs = std::filesystem;
  const fs::path root(TENURE_SOURCE_DIR);
  std::vector<fs::path> pages = {root / "README.md"};
  for (const char* dir : {"docs", "docs/dev"}) {
    for (const auto& e : fs::directory_iterator(root / dir)) {
      if (e.path().extension() == ".md") pages.push_back(e.path());
    }
  }
  int links = 0;
  for (const fs::path& page : pages) {
    std::ifstream f(page);
    const std::string text((std::istreambuf_iterator<char>(f)), {});
    for (std::size_t at = text.find("]("); at != std::string::npos; at = text.find("](", at + 2)) {
      const std::size_t end = text.find_first_of(")#", at + 2);
      const std::string target = text.substr(at + 2, end - at - 2);
      if (target.empty() || target.find("://") != std::string::npos || target.starts_with("mailto:")) continue;
      ++links;
      INFO(page.string() << " links to " << target);
      CHECK(fs::exists(page.parent_path() / target));
    }
    for (std::size_t at = text.find("docs/"); at != std::string::npos; at = text.find("docs/", at + 5)) {
      const std::size_t end = text.find_first_not_of("abcdefghijklmnopqrstuvwxyz_-./", at);
      std::string name = text.substr(at, end - at);
      while (!name.empty() && name.back() == '.') name.pop_back();  // the end of a sentence
      if (!name.ends_with(".md")) continue;
      INFO(page.string() << " mentions " << name);
      CHECK(fs::exists(root / name));
    }
  }
  CHECK(links > 20);
}

TEST_CASE("an unknown command says so and suggests the nearest one, also with --help", "[cli]") {
  auto typo = Tenure("shedule list");
  CHECK(typo.exit_code == 2);
  CHECK(typo.err == "tenure: unknown command 'shedule'; did you mean 'schedule'?\n");
  auto far = Tenure("offboard-everyone now");
  CHECK(far.exit_code == 2);
  CHECK(far.err == "tenure: unknown command 'offboard-everyone'; run 'tenure --help' for the list of commands\n");
  auto near = Tenure("valdate examples/onboarding.yaml");
  CHECK(near.exit_code == 2);
  CHECK(near.err == "tenure: unknown command 'valdate'; did you mean 'validate'?\n");
  auto help = Tenure("shedule --help");  // an unknown command with --help is still an error
  CHECK(help.exit_code == 2);
  CHECK(help.out.empty());
  CHECK(help.err == "tenure: unknown command 'shedule'; did you mean 'schedule'?\n");
  auto sub_help = Tenure("schedule --help");
  CHECK(sub_help.exit_code == 0);
  CHECK(sub_help.out.find("Runs at an instant or on a cron rule") != std::string::npos);
  auto nested = Tenure("sandbox srve");
  CHECK(nested.exit_code == 2);
  CHECK(nested.err == "tenure: unknown command 'sandbox srve'; did you mean 'sandbox serve'?\n");
  auto run_help = Tenure("run --help");
  CHECK(run_help.exit_code == 0);
  CHECK(run_help.out.find("Start a run of a playbook") != std::string::npos);
  auto serve_help = Tenure("sandbox serve --help");
  CHECK(serve_help.exit_code == 0);
  CHECK(serve_help.out.find("--latency") != std::string::npos);
}

TEST_CASE("plan and run refuse a time zone from the inputs that the timer would refuse, with one message", "[cli]") {
  const std::filesystem::path db =
      std::filesystem::temp_directory_path() / ("tenure_cli_zone_" + std::to_string(::getpid()) + ".db");
  const std::string args = "tests/cli/playbooks/leaver_timers.yaml --set last_day=2026-12-31 --set time_zone=EMEA";
  const std::string expected =
      "tests/cli/playbooks/leaver_timers.yaml:13:18: error: timer.wait: unknown time zone 'EMEA' (expected an IANA "
      "name like Europe/Paris)\n"
      "        time_zone: \"{{ inputs.time_zone }}\"\n"
      "                   ^\n"
      "1 error\n";
  auto plan = Tenure("plan " + args);
  CHECK(plan.exit_code == 2);
  CHECK(plan.err == expected);
  CHECK(plan.out.empty());
  auto run = Tenure("run " + args + " --db '" + db.string() + "'");
  CHECK(run.exit_code == 2);
  CHECK(run.err == expected);
  CHECK(run.out.empty());
  CHECK_FALSE(std::filesystem::exists(db));  // nothing recorded, nothing started
  auto fine = Tenure("plan tests/cli/playbooks/leaver_timers.yaml --set last_day=2026-12-31");
  CHECK(fine.exit_code == 0);
  CHECK(fine.out.find("time_zone: \"Europe/Paris\"") != std::string::npos);
}

TEST_CASE("plan and run refuse a duration and an approver from the inputs as the run would", "[cli]") {
  const std::filesystem::path db =
      std::filesystem::temp_directory_path() / ("tenure_cli_grace_" + std::to_string(::getpid()) + ".db");
  const std::string args =
      "tests/cli/playbooks/leaver_timers.yaml --set last_day=2026-12-31 --set grace=4wk --set manager=jane@examplecom";
  const std::string expected =
      "tests/cli/playbooks/leaver_timers.yaml:17:18: error: timer.wait: `for` invalid duration '4wk': expected a "
      "number and a unit (ms, s, m, h, d, w), like 30s, 5m, 2h, 7d, 4w or 1h30m\n"
      "      with: { for: \"{{ inputs.grace }}\" }\n"
      "                   ^\n"
      "tests/cli/playbooks/leaver_timers.yaml:21:55: error: tasks.sign_off.with.approvers[0]: \"jane@examplecom\" is "
      "neither an e-mail address (name@example.com) nor an OS user name\n"
      "      with: { prompt: \"remove the archive?\", approvers: [\"{{ inputs.manager }}\"] }\n"
      "  " + std::string(54, ' ') + "^\n"
      "2 errors\n";
  auto plan = Tenure("plan " + args);
  CHECK(plan.exit_code == 2);
  CHECK(plan.err == expected);
  auto run = Tenure("run " + args + " --db '" + db.string() + "'");
  CHECK(run.exit_code == 2);
  CHECK(run.err == expected);
  CHECK_FALSE(std::filesystem::exists(db));
}

TEST_CASE("a list input from --set takes JSON as jq -c prints it", "[cli]") {
  auto json = Tenure("plan --json tests/cli/playbooks/groups.yaml --set 'groups=[\"Sales, EMEA\",\"support\"]'");
  REQUIRE(json.exit_code == 0);
  const auto doc = boost::json::parse(json.out);
  CHECK(doc.at("inputs").at("groups") == boost::json::parse(R"(["Sales, EMEA","support"])"));
  CHECK(doc.at("tasks").at(0).at("for_each").at("count") == 2);
  CHECK(doc.at("tasks").at(0).at("for_each").at("items").at(0).at("with").at("prompt") == "add to Sales, EMEA");
  auto plain = Tenure("plan --json tests/cli/playbooks/groups.yaml --set groups=everyone,support");
  REQUIRE(plain.exit_code == 0);
  CHECK(boost::json::parse(plain.out).at("inputs").at("groups") == boost::json::parse(R"(["everyone","support"])"));
}

TEST_CASE("plan shows settings read from references, but never credentials", "[cli]") {
  auto r = Tenure("plan examples/onboarding.yaml --input examples/inputs/jane.yaml",
                  "TENURE_SCIM_URL=https://idp.example.com/scim/v2 TENURE_SCIM_TOKEN=scim-token-never-shown");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("idp (scim) {base_url: \"https://idp.example.com/scim/v2\", token: \"***\"}") != std::string::npos);
  CHECK(r.out.find("scim-token-never-shown") == std::string::npos);
}


TEST_CASE("the cloud offboarding runs twice against tenure sandbox serve and leaves no access", "[cli]") {
  ServedSandbox sb("cloud");
  const std::string env = sb.Exports() + "TENURE_DB='" + (sb.dir / "tenure.db").string() + "'";
  const std::string run = "run examples/offboarding-cloud.yaml --input examples/inputs/ada-leaves.yaml";
  auto first = Tenure(run, env);
  INFO(first.out << first.err);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("2 skipped, 12 succeeded") != std::string::npos);  // the deletions wait for delete_accounts
  auto shown = Tenure("sandbox show", env);
  REQUIRE(shown.exit_code == 0);
  auto second = Tenure(run, env);
  REQUIRE(second.exit_code == 0);
  CHECK(Tenure("sandbox show", env).out == shown.out);  // nothing changed the second time
  CHECK(second.out.find("sandbox-client-secret") == std::string::npos);
  CHECK(second.out.find("PRIVATE KEY") == std::string::npos);

  const auto state = boost::json::parse(Tenure("sandbox show --json", env).out);
  for (const auto& u : state.at("google").at("users").as_array()) {
    if (u.at("primaryEmail") != "ada.lovelace@example.com") continue;
    CHECK(u.at("suspended") == true);
    CHECK(u.at("sessions") == 0);
    CHECK(u.at("orgUnitPath") == "/Former employees");
    CHECK(u.at("groups").as_array().empty());
    CHECK(u.at("drive_files") == 0);
    CHECK(u.at("forwarding") == "grace.hopper@example.com");
  }
  CHECK(state.at("google").at("transfers").as_array().size() == 1);
  CHECK(state.at("google").at("transfers").at(0).at("status") == "completed");
  for (const auto& u : state.at("msgraph").at("users").as_array()) {
    if (u.at("userPrincipalName") != "ada.lovelace@contoso.com") continue;
    CHECK(u.at("accountEnabled") == false);
    CHECK(u.at("sessions") == 0);
    CHECK(u.at("licenses").as_array().empty());
    CHECK(u.at("groups") == boost::json::array{"London (dynamic)"});  // dynamic: Graph cannot remove it
  }
  // What was removed is in the run's results, for a restore.
  const auto at = first.out.find("run r");
  REQUIRE(at != std::string::npos);
  const std::string run_id = first.out.substr(at + 4, first.out.find(' ', at + 4) - at - 4);
  auto report = Tenure("report " + run_id + " --format json", env);
  REQUIRE(report.exit_code == 0);
  CHECK(report.out.find("engineering@example.com") != std::string::npos);
  CHECK(report.out.find("6fd2c87f-b296-42f0-b197-1e91e994b900") != std::string::npos);
  // ... and named, one line per removal, in the report people read.
  auto md = Tenure("report " + run_id, env);
  REQUIRE(md.exit_code == 0);
  // (in the order the run reached the tasks: the report lists tasks in dependency order)
  const std::size_t removed_at = md.out.find("## Removed (for a restore)\n\n");
  REQUIRE(removed_at != std::string::npos);
  const std::string removed = md.out.substr(removed_at, md.out.find("\n\n## Decisions") - removed_at);
  CHECK(removed.find("\n- google.remove_groups: groups engineering@example.com, all-staff@example.com, "
                     "oncall@example.com, design-review@example.com, london-office@example.com") != std::string::npos);
  CHECK(removed.find("\n- m365.groups: groups Engineering, All Company, On call, Project Babbage; kept: London "
                     "(dynamic): dynamic membership (change the rule instead)") != std::string::npos);
  CHECK(removed.find("\n- m365.licences: freed 6fd2c87f-b296-42f0-b197-1e91e994b900, "
                     "efccb6f7-5641-4e0e-bd10-b4976e1bf68e") != std::string::npos);
  CHECK(std::count(removed.begin(), removed.end(), '\n') == 4);  // the heading, a blank line, three removals
  auto html = Tenure("report " + run_id + " --format html", env);
  REQUIRE(html.exit_code == 0);
  CHECK(html.out.find("<h2>Removed (for a restore)</h2><ul><li>") != std::string::npos);
  CHECK(html.out.find("<li>google.remove_groups: groups engineering@example.com, ") != std::string::npos);
}
