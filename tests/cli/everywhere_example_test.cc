// examples/offboarding-everywhere.yaml run by the real `tenure` binary against a private OpenLDAP
// slapd (the ctest fixture `slapd`, tests/connectors/slapd_ctl.sh) and `tenure sandbox serve`
// (its Google Workspace and Microsoft 365 personalities) over loopback. Every system is read back
// with something other than the run itself: ldapsearch/ldapwhoami and `tenure sandbox show --json`.
// Hidden tag: run through ctest (cli_tests:slapd), or by hand with TENURE_SLAPD_STATE set.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>

#include "tests/cli/support/run.h"

namespace {

using tenure::cli::testing::Ran;
using tenure::cli::testing::ServedSandbox;
using tenure::cli::testing::Shell;

namespace json = boost::json;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return s;
}

std::string Trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

std::string SlapdState() {
  const char* dir = std::getenv("TENURE_SLAPD_STATE");
  if (dir == nullptr) FAIL("TENURE_SLAPD_STATE is not set: run through ctest (fixture slapd)");
  return dir;
}



// An OpenLDAP client tool bound as the fixture's admin.
std::string Ldap(const std::string& tool) {
  return tool + " -x -H ldap://127.0.0.1:" + Trimmed(ReadFile(SlapdState() + "/port")) +
         " -D cn=admin,dc=example,dc=com -y '" + SlapdState() + "/admin_password'";
}

// `tenure sandbox serve` with the demo directories, and what it holds.
struct Sandbox : ServedSandbox {
  using ServedSandbox::ServedSandbox;
  // The service account's private key, as the sandbox wrote it beside its state.
  std::string GooglePrivateKey() const {
    const json::value key = json::parse(ReadFile(dir / "state.json.google-key.json"));
    return std::string(key.at("private_key").as_string());
  }
  // `tenure sandbox show`: who has what (without the request counters that --json adds).
  std::string Shown() const {
    const Ran shown = Shell("env " + Exports() + "'" + std::string(TENURE_BINARY) + "' sandbox show");
    REQUIRE(shown.exit_code == 0);
    return shown.out;
  }
  json::value State() const {
    const Ran shown = Shell("env " + Exports() + "'" + std::string(TENURE_BINARY) + "' sandbox show --json");
    REQUIRE(shown.exit_code == 0);
    return json::parse(shown.out);
  }
};

// The leaver and a colleague who stays, in groups of the three kinds, named after `tag`.
struct Leaver {
  explicit Leaver(std::string t) : tag(std::move(t)) {}
  std::string tag;
  std::string uid() const { return "ada-" + tag; }
  std::string dn() const { return "uid=" + uid() + ",ou=people,dc=example,dc=com"; }
  std::string stayer() const { return "uid=grace-" + tag + ",ou=people,dc=example,dc=com"; }
  std::string Ldif() const {
    const std::string g = "-" + tag + ",ou=groups,dc=example,dc=com";
    return "dn: " + dn() + "\nobjectClass: inetOrgPerson\nuid: " + uid() + "\ncn: Ada\nsn: Lovelace\nuserPassword: ada-pw-" +
           tag + "\n\ndn: " + stayer() + "\nobjectClass: inetOrgPerson\nuid: grace-" + tag + "\ncn: Grace\nsn: Hopper\n\n" +
           "dn: cn=eng" + g + "\nobjectClass: groupOfNames\ncn: eng-" + tag + "\nmember: " + dn() + "\nmember: " + stayer() +
           "\n\ndn: cn=vpn" + g + "\nobjectClass: groupOfNames\ncn: vpn-" + tag + "\nmember: " + dn() + "\n\n" +
           "dn: cn=wiki" + g + "\nobjectClass: groupOfUniqueNames\ncn: wiki-" + tag + "\nuniqueMember: " + dn() +
           "\nuniqueMember: " + stayer() + "\n\ndn: cn=shell" + g + "\nobjectClass: posixGroup\ncn: shell-" + tag +
           "\ngidNumber: 7100\nmemberUid: " + uid() + "\nmemberUid: grace-" + tag + "\n";
  }
  // Whether the leaver's own password still opens a session in the directory (rc 0) or not (49).
  int Bind(const std::string& where) const {
    return Shell("ldapwhoami -x -H ldap://127.0.0.1:" + Trimmed(ReadFile(SlapdState() + "/port")) + " -D uid=" + uid() +
                 "," + where + ",dc=example,dc=com -w ada-pw-" + tag)
        .exit_code;
  }
  // The leaver's entry and every group of this tag, as the directory holds them.
  std::string Directory() const {
    const Ran r = Shell(Ldap("ldapsearch") + " -LLL -o ldif-wrap=no -b dc=example,dc=com '(|(uid=" + uid() + ")(cn=*-" +
                        tag + "))' pwdAccountLockedTime member uniqueMember memberUid");
    REQUIRE(r.exit_code == 0);
    return r.out;
  }
};

struct Runner {
  const Sandbox& sandbox;
  std::string db;
  std::string ldap_password = Trimmed(ReadFile(SlapdState() + "/admin_password"));

  std::string Env() const {
    return "env " + sandbox.Exports() + "TENURE_LDAP_URL=ldap://127.0.0.1:" + Trimmed(ReadFile(SlapdState() + "/port")) +
           " TENURE_LDAP_CA_FILE='" + SlapdState() + "/ca.pem' TENURE_LDAP_PASSWORD=\"$(cat '" + SlapdState() +
           "/admin_password')\" TENURE_DB='" + db + "' ";
  }
  Ran Tenure(const std::string& args) const { return Shell(Env() + "'" + std::string(TENURE_BINARY) + "' " + args); }
  Ran Run(const Leaver& who, const std::string& extra = "") const {
    return Tenure("run examples/offboarding-everywhere.yaml --input examples/inputs/ada-leaves-everywhere.yaml --set uid=" +
                  who.uid() + extra);
  }
  static std::string RunId(const Ran& r) {
    const auto at = r.out.rfind("\nrun r");
    REQUIRE(at != std::string::npos);
    return r.out.substr(at + 5, r.out.find(' ', at + 5) - at - 5);
  }
  // Fails the test if a credential shows in `text`.
  void CheckNoSecret(const std::string& text, const std::string& where) const {
    INFO(where);
    REQUIRE(ldap_password.size() > 8);  // not a vacuous search
    CHECK(text.find(ldap_password) == std::string::npos);
    CHECK(text.find("sandbox-client-secret") == std::string::npos);
    const std::string key = sandbox.GooglePrivateKey();
    const std::string body = key.substr(key.find('\n') + 1, 64);  // a line of the key's base64
    REQUIRE(body.size() == 64);
    CHECK(text.find(body) == std::string::npos);
    CHECK(text.find("PRIVATE KEY") == std::string::npos);
  }
  // The database and its write-ahead log as bytes.
  std::string DatabaseBytes() const {
    std::string bytes = ReadFile(db);
    if (std::filesystem::exists(db + "-wal")) bytes += ReadFile(db + "-wal");
    return bytes;
  }
};

const json::object& User(const json::value& state, const char* system, const char* key, const std::string& value) {
  for (const auto& u : state.at(system).at("users").as_array()) {
    if (u.at(key).as_string() == value) return u.as_object();
  }
  FAIL("no " << system << " user " << value << " in " << json::serialize(state.at(system)));
  throw std::logic_error("unreachable");
}

}  // namespace

TEST_CASE("everywhere offboarding example: twice against slapd and the sandbox leaves no access anywhere",
          "[.slapd][cli]") {
  const Leaver ada(std::to_string(std::random_device{}() % 1'000'000));
  const Ran added = Shell(Ldap("ldapadd"), ada.Ldif());
  INFO(added.out);
  REQUIRE(added.exit_code == 0);
  REQUIRE(ada.Bind("ou=people") == 0);  // her password works before

  Sandbox sandbox("twice");
  const Runner runner{sandbox, (sandbox.dir / "tenure.db").string()};
  const Ran first = runner.Run(ada);
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("2 skipped, 16 succeeded") != std::string::npos);  // the deletions wait for delete_accounts
  const std::string directory_after_first = ada.Directory();
  const std::string shown_after_first = sandbox.Shown();
  const json::value state_after_first = sandbox.State();
  const Ran second = runner.Run(ada);
  INFO(second.out);
  REQUIRE(second.exit_code == 0);

  // The second run changed nothing anywhere.
  CHECK(ada.Directory() == directory_after_first);
  CHECK(sandbox.Shown() == shown_after_first);

  // The directory: locked (her own password no longer binds), moved, in no group; the colleague stays.
  const std::string directory = ada.Directory();
  INFO(directory);
  CHECK(directory.find("dn: uid=" + ada.uid() + ",ou=former,dc=example,dc=com\npwdAccountLockedTime: 000001010000Z") !=
        std::string::npos);
  CHECK(directory.find(ada.dn()) == std::string::npos);
  CHECK(directory.find("memberUid: " + ada.uid() + "\n") == std::string::npos);
  CHECK(directory.find("uid=" + ada.uid() + ",") == directory.find("dn: uid=" + ada.uid()) + 4);  // only her own entry
  CHECK(directory.find("member: " + ada.stayer()) != std::string::npos);
  CHECK(directory.find("uniqueMember: " + ada.stayer()) != std::string::npos);
  CHECK(directory.find("memberUid: grace-" + ada.tag) != std::string::npos);
  CHECK(directory.find("member: cn=nobody,dc=example,dc=com") != std::string::npos);  // vpn keeps a member
  CHECK(ada.Bind("ou=former") == 49);

  // Google: suspended, signed out, in the former-staff OU, no group, mail and Drive with the manager.
  const json::object& google = User(state_after_first, "google", "primaryEmail", "ada.lovelace@example.com");
  CHECK(google.at("suspended") == true);
  CHECK(google.at("sessions") == 0);
  CHECK(google.at("orgUnitPath") == "/Former employees");
  CHECK(google.at("groups").as_array().empty());
  CHECK(google.at("drive_files") == 0);
  CHECK(google.at("forwarding") == "grace.hopper@example.com");
  CHECK(User(state_after_first, "google", "primaryEmail", "grace.hopper@example.com").at("drive_files") == 17 + 42);
  REQUIRE(state_after_first.at("google").at("transfers").as_array().size() == 1);
  CHECK(state_after_first.at("google").at("transfers").at(0).at("status") == "completed");
  // Microsoft 365: sign-in blocked, sessions revoked, no licence, only the dynamic group, mail forwarded.
  const json::object& m365 = User(state_after_first, "msgraph", "userPrincipalName", "ada.lovelace@contoso.com");
  CHECK(m365.at("accountEnabled") == false);
  CHECK(m365.at("sessions") == 0);
  CHECK(m365.at("licenses").as_array().empty());
  CHECK(m365.at("groups") == json::array{"London (dynamic)"});
  CHECK(m365.at("forwarding") == "grace.hopper@contoso.com");
  CHECK(m365.at("deleted") == false);

  // The report of the first run lists what was removed, for a restore; the second's, nothing but
  // the dynamic group Graph cannot change.
  const Ran report = runner.Tenure("report " + Runner::RunId(first));
  REQUIRE(report.exit_code == 0);
  const std::string removed =
      report.out.substr(report.out.find("## Removed (for a restore)"), report.out.find("## Decisions") - report.out.find("## Removed"));
  INFO(removed);
  CHECK(removed.find("- directory.remove_groups: groups eng-" + ada.tag + ", vpn-" + ada.tag + ", wiki-" + ada.tag +
                     ", shell-" + ada.tag + "\n") != std::string::npos);
  CHECK(removed.find("- google.remove_groups: groups engineering@example.com, all-staff@example.com, oncall@example.com, "
                     "design-review@example.com, london-office@example.com\n") != std::string::npos);
  CHECK(removed.find("- m365.groups: groups Engineering, All Company, On call, Project Babbage; kept: London (dynamic)") !=
        std::string::npos);
  CHECK(removed.find("- m365.licences: freed 6fd2c87f-b296-42f0-b197-1e91e994b900, efccb6f7-") != std::string::npos);
  const Ran report2 = runner.Tenure("report " + Runner::RunId(second));
  REQUIRE(report2.exit_code == 0);
  const std::string removed2 = report2.out.substr(report2.out.find("## Removed (for a restore)"),
                                                  report2.out.find("## Decisions") - report2.out.find("## Removed"));
  INFO(removed2);
  CHECK(removed2.starts_with("## Removed (for a restore)\n\n- m365.groups: groups none; kept: London (dynamic)"));
  CHECK(removed2.find("directory.remove_groups") == std::string::npos);
  CHECK(removed2.find("google.remove_groups") == std::string::npos);
  CHECK(removed2.find("m365.licences") == std::string::npos);

  // No credential in any output, in the runs' records or in the database.
  runner.CheckNoSecret(first.out + second.out, "run output");
  runner.CheckNoSecret(report.out + report2.out, "reports");
  const Ran status = runner.Tenure("status " + Runner::RunId(first) + " --json");
  REQUIRE(status.exit_code == 0);
  runner.CheckNoSecret(status.out, "status --json");
  const Ran logs = runner.Tenure("logs " + Runner::RunId(first) + " --json");
  REQUIRE(logs.exit_code == 0);
  runner.CheckNoSecret(logs.out, "logs --json");
  runner.CheckNoSecret(runner.DatabaseBytes(), "database");
}

TEST_CASE("everywhere offboarding example: with delete_accounts the cloud accounts go only after the Drive transfer",
          "[.slapd][cli]") {
  const Leaver ada(std::to_string(std::random_device{}() % 1'000'000) + "d");
  const Ran added = Shell(Ldap("ldapadd"), ada.Ldif());
  INFO(added.out);
  REQUIRE(added.exit_code == 0);
  Sandbox sandbox("delete");  // a fresh sandbox: the transfer takes 1.5 s
  const Runner runner{sandbox, (sandbox.dir / "tenure.db").string()};
  const Ran run = runner.Run(ada, " --set delete_accounts=true");
  INFO(run.out);
  REQUIRE(run.exit_code == 0);
  CHECK(run.out.find("18 succeeded") != std::string::npos);

  const json::value state = sandbox.State();
  for (const auto& u : state.at("google").at("users").as_array()) {
    CHECK(u.at("primaryEmail") != "ada.lovelace@example.com");  // deleted...
  }
  // ... after her Drive became her manager's.
  CHECK(User(state, "google", "primaryEmail", "grace.hopper@example.com").at("drive_files") == 17 + 42);
  CHECK(state.at("google").at("transfers").at(0).at("status") == "completed");
  CHECK(User(state, "msgraph", "userPrincipalName", "ada.lovelace@contoso.com").at("deleted") == true);

  // The audit log orders it: the transfer's success comes before the deletion's first attempt.
  const Ran logs = runner.Tenure("logs " + Runner::RunId(run));
  REQUIRE(logs.exit_code == 0);
  const auto transferred = logs.out.find("google.transfer_drive  succeeded");
  const auto deleting = logs.out.find("google.delete  attempt_started");
  INFO(logs.out);
  REQUIRE(transferred != std::string::npos);
  REQUIRE(deleting != std::string::npos);
  CHECK(transferred < deleting);
}
