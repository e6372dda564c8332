// `tenure evidence` on an offboarding of the sandbox (docs/audit.md): the real binary, the sandbox's
// SCIM over loopback, a real database; an approval decided by a person with a note that needs
// HTML escaping; the pack checked file by file against its manifest.
#include <pwd.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "engine/state_store.h"
#include "sandbox/server.h"
#include "tests/engine/support/engine_fixture.h"
#include "tests/engine/support/tenure_cli.h"

namespace tenure::engine {
namespace {

namespace fs = std::filesystem;
using testing::Contains;
using testing::Output;
using testing::Tenure;

const char* const kToken = "evidence-secret-token-4711";

const char* const kOnboard = R"(playbook: onboard
inputs:
  email: { type: email }
connections:
  idp: { connector: scim, base_url: "${env:EV_SCIM_URL}", token: "${env:EV_SCIM_TOKEN}" }
tasks:
  account:
    uses: idp.ensure_user
    with: { userName: "{{ inputs.email }}" }
  eng:
    needs: account
    uses: idp.add_to_group
    with: { user_id: "{{ tasks.account.result.id }}", group: eng, create_missing: true }
)";

std::string Leave(const std::string& approver) {
  return R"(playbook: leave
inputs:
  email: { type: email }
  employee_id: { type: string }
connections:
  idp: { connector: scim, base_url: "${env:EV_SCIM_URL}", token: "${env:EV_SCIM_TOKEN}" }
tasks:
  hr_ok:
    uses: manual.approve
    with: { prompt: "HR confirmed the termination?", approvers: [)" + approver + R"(] }
  find:
    needs: hr_ok
    uses: idp.get_user
    with: { userName: "{{ inputs.email }}" }
  deactivate:
    needs: find
    uses: idp.deactivate_user
    with: { id: "{{ tasks.find.result.id }}" }
  groups:
    needs: find
    uses: idp.remove_from_all_groups
    with: { user_id: "{{ tasks.find.result.id }}" }
)";
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST_CASE("evidence: a sandbox offboarding as a pack an auditor can check", "[audit][evidence][cli]") {
  if (!testing::BinaryBuilt()) return;
  sandbox::SandboxOptions options;
  options.token = kToken;
  auto started = sandbox::BackgroundSandbox::Start(std::move(options));
  REQUIRE(started.has_value());
  std::unique_ptr<sandbox::BackgroundSandbox> sb = std::move(*started);
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  const std::string env = "EV_SCIM_URL=" + sb->url() + "/scim/v2 EV_SCIM_TOKEN=" + kToken;
  const std::string me = ::getpwuid(::getuid())->pw_name;
  std::ofstream(dir.path() + "/onboard.yaml") << kOnboard;
  std::ofstream(dir.path() + "/leave.yaml") << Leave(me);

  REQUIRE(Tenure("run " + dir.path() + "/onboard.yaml --set email=ada@example.com" + db, env).code == 0);
  const std::string hr = FormatRfc3339(std::chrono::system_clock::now() - std::chrono::minutes(90));
  const Output waiting = Tenure("run " + dir.path() + "/leave.yaml --set email=ada@example.com --set employee_id=E42 "
                                "--key leave-E42" + db, env);
  INFO(waiting.text);
  REQUIRE(waiting.code == 3);
  std::smatch m;
  REQUIRE(std::regex_search(waiting.text, m, std::regex("run (r[0-9a-z-]+)")));
  const std::string run = m[1].str();
  REQUIRE(Tenure("approve " + run + " hr_ok --note \"ticket <b>7</b> & 'final'\"" + db).code == 0);
  const Output done = Tenure("resume " + run + db, env);
  INFO(done.text);
  REQUIRE(done.code == 0);

  const std::string out = dir.path() + "/pack";
  const Output pack = Tenure("evidence E42 --out " + out + " --hr-terminated-at " + hr + db);
  INFO(pack.text);
  REQUIRE(pack.code == 0);
  CHECK(Contains(pack.text, "evidence pack for person E42 (1 run) written to " + out));

  // The manifest lists every file with its sha256, and the files are what it says.
  const auto manifest = boost::json::parse(Slurp(out + "/manifest.json")).as_object();
  std::set<std::string> listed;
  for (const auto& f : manifest.at("files").as_array()) {
    const std::string name(f.at("file").as_string());
    listed.insert(name);
    CHECK(Sha256Hex(Slurp(out + "/" + name)) == std::string(f.at("sha256").as_string()));
  }
  CHECK(listed == std::set<std::string>{"evidence.html", "evidence.json", "evidence.md",
                                        "playbooks/" + run + "/0-leave.yaml"});
  const std::string sums = Slurp(out + "/MANIFEST.sha256");
  CHECK(Contains(sums, Sha256Hex(Slurp(out + "/manifest.json")) + "  manifest.json\n"));
  CHECK(Contains(sums, Sha256Hex(Slurp(out + "/evidence.md")) + "  evidence.md\n"));
  CHECK(Slurp(out + "/playbooks/" + run + "/0-leave.yaml") == Leave(me));

  const auto ev = boost::json::parse(Slurp(out + "/evidence.json")).as_object();
  CHECK(ev.at("subject_kind") == "person");
  CHECK(ev.at("audit_log").at("intact") == true);
  const auto& r = ev.at("runs").as_array().at(0).as_object();
  CHECK(r.at("id") == run.c_str());
  CHECK(r.at("trigger_key") == "leave-E42");
  CHECK(r.at("audit_log").at("intact") == true);
  CHECK(r.at("playbook_sources").at(0).at("sha256") == Sha256Hex(Leave(me)).c_str());
  CHECK(r.at("playbook_sources").at(0).at("sha256_matches_text") == true);
  CHECK(r.at("inputs").at("employee_id") == "E42");
  const auto& decision = r.at("decisions").as_array().at(0);
  CHECK(decision.at("by") == me.c_str());
  CHECK(decision.at("decision") == "approved");
  CHECK(decision.at("note") == "ticket <b>7</b> & 'final'");
  CHECK(!std::string(decision.at("at").as_string()).empty());
  std::set<std::string> calls;
  for (const auto& a : r.at("actions").as_array()) {
    calls.insert(std::string(a.at("uses").as_string()));
    CHECK(a.at("status") == "succeeded");
    CHECK(!std::string(a.at("requested_at").as_string()).empty());
    // The disable was read back (verify is on by default for it) and the pack shows what was seen.
    if (a.at("uses") == "idp.deactivate_user") {
      INFO(boost::json::serialize(a));
      REQUIRE(a.at("read_back").as_array().size() == 1);
      const auto& rb = a.at("read_back").as_array().at(0);
      CHECK(rb.at("type") == "read_back");
      CHECK(rb.at("agrees") == true);
      CHECK(boost::json::serialize(rb.at("seen")) == R"({"active":false})");
    }
  }
  CHECK(calls == std::set<std::string>{"idp.get_user", "idp.deactivate_user", "idp.remove_from_all_groups"});
  const auto& removed = ev.at("access_removed").as_array().at(0).as_object();
  CHECK(removed.at("connection") == "idp");
  CHECK(removed.at("connector") == "scim");
  // The disable came after HR's instant: about 90 minutes, never negative, never more than 2 h.
  const std::int64_t delay = removed.at("after_termination_ms").as_int64();
  CHECK(delay >= 90 * 60 * 1000);
  CHECK(delay < 120 * 60 * 1000);

  // People's formats: the note escaped in HTML; no secret anywhere in the pack.
  const std::string html = Slurp(out + "/evidence.html");
  CHECK(Contains(html, "ticket &lt;b&gt;7&lt;/b&gt; &amp; &#39;final&#39;"));
  CHECK(!Contains(html, "<b>7</b>"));
  const std::string md = Slurp(out + "/evidence.md");
  CHECK(Contains(md, "| idp | scim | idp."));
  CHECK(Contains(md, R"(read back {"active":false}: agrees)"));
  CHECK(Contains(md, "- HR termination: " + hr));
  for (const auto& e : fs::recursive_directory_iterator(out)) {
    if (e.is_regular_file()) CHECK(!Contains(Slurp(e.path()), kToken));
  }

  // A non-empty --out is refused and left as it was; --force replaces it whole.
  const std::string before = Slurp(out + "/evidence.json");
  const Output again = Tenure("evidence " + run + " --out " + out + db);
  CHECK(again.code == 2);
  CHECK(Contains(again.text, "is not empty"));
  CHECK(Slurp(out + "/evidence.json") == before);
  const Output forced = Tenure("evidence " + run + " --out " + out + " --force" + db);
  INFO(forced.text);
  CHECK(forced.code == 0);
  CHECK(Contains(forced.text, "evidence pack for run " + run));
  CHECK(boost::json::parse(Slurp(out + "/evidence.json")).at("subject_kind") == "run");
  for (const auto& e : fs::directory_iterator(dir.path())) {
    CHECK(e.path().filename().string().rfind(".tenure-evidence-", 0) == std::string::npos);  // no leftovers
  }

  // A tampered log: the pack is still written, says so, and the exit code is 1.
  {
    SQLite::Database d(dir.path() + "/t.db", SQLite::OPEN_READWRITE);
    d.exec("UPDATE events SET detail = 'nothing' WHERE run_id = '" + run + "' AND kind = 'succeeded'");
  }
  const Output tampered = Tenure("evidence " + run + " --out " + dir.path() + "/tampered" + db);
  CHECK(tampered.code == 1);
  CHECK(Contains(tampered.text, "the audit log is BROKEN"));
  CHECK(Contains(Slurp(dir.path() + "/tampered/evidence.md"), "Audit log of this run: BROKEN: event "));
  const Output unknown = Tenure("evidence nobody@example.com --out " + dir.path() + "/none" + db);
  CHECK(unknown.code == 2);
  CHECK(!fs::exists(dir.path() + "/none"));
}

}  // namespace
}  // namespace tenure::engine
