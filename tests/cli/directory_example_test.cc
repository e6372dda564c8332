// examples/offboarding-directory.yaml run twice by the real `tenure` binary against a private
// OpenLDAP slapd (the ctest fixture `slapd`, tests/connectors/slapd_ctl.sh), then the directory
// read back with the OpenLDAP client tools, not with tenure. Hidden tag: run through ctest
// (cli_tests:slapd), or by hand with TENURE_SLAPD_STATE set.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>
#include <random>
#include <string>

#include "tests/cli/support/run.h"

namespace {

using tenure::cli::testing::Ran;
using tenure::cli::testing::Shell;

std::string State() {
  const char* dir = std::getenv("TENURE_SLAPD_STATE");
  if (dir == nullptr) FAIL("TENURE_SLAPD_STATE is not set: run through ctest (fixture slapd)");
  return dir;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}



std::string Client(const std::string& tool) {
  return tool + " -x -H ldap://127.0.0.1:" + ReadFile(State() + "/port") +
         " -D cn=admin,dc=example,dc=com -y '" + State() + "/admin_password'";
}

}  // namespace

TEST_CASE("directory offboarding example: twice against slapd leaves the leaver locked out of every group",
          "[.slapd][cli]") {
  const std::string run = std::to_string(std::random_device{}() % 1'000'000);
  const std::string uid = "leaver-" + run;
  const std::string dn = "uid=" + uid + ",ou=people,dc=example,dc=com";
  const std::string stayer = "uid=stayer-" + run + ",ou=people,dc=example,dc=com";
  const std::string g = ",ou=groups,dc=example,dc=com";
  const std::string ldif =
      "dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: Lee Leaver\nsn: Leaver\nuserPassword: lp-" +
      run + "\n\n" + "dn: " + stayer + "\nobjectClass: inetOrgPerson\nuid: stayer-" + run + "\ncn: S\nsn: S\n\n" +
      "dn: cn=eng-" + run + g + "\nobjectClass: groupOfNames\ncn: eng-" + run + "\nmember: " + dn + "\nmember: " +
      stayer + "\n\n" + "dn: cn=vpn-" + run + g + "\nobjectClass: groupOfNames\ncn: vpn-" + run + "\nmember: " + dn +
      "\n\n" + "dn: cn=wiki-" + run + g + "\nobjectClass: groupOfUniqueNames\ncn: wiki-" + run +
      "\nuniqueMember: " + dn + "\n\n" + "dn: cn=shell-" + run + g + "\nobjectClass: posixGroup\ncn: shell-" + run +
      "\ngidNumber: 7000\nmemberUid: " + uid + "\nmemberUid: stayer-" + run + "\n";
  const Ran added = Shell(Client("ldapadd"), ldif);
  INFO(added.out);
  REQUIRE(added.exit_code == 0);

  const std::string password = ReadFile(State() + "/admin_password");
  const std::string db = std::filesystem::temp_directory_path() / ("tenure_dir_example_" + run + ".db");
  const std::string env = "TENURE_LDAP_URL=ldap://127.0.0.1:" + ReadFile(State() + "/port") +
                          " TENURE_LDAP_CA_FILE='" + State() + "/ca.pem' TENURE_LDAP_PASSWORD=\"$(cat '" + State() +
                          "/admin_password')\"";
  const std::string tenure = "cd '" + std::string(TENURE_SOURCE_DIR) + "' && env " + env + " '" + TENURE_BINARY +
                             "' run examples/offboarding-directory.yaml --set uid=" + uid + " --db '" + db + "'";
  const Ran first = Shell(tenure);
  INFO(first.out);
  REQUIRE(first.exit_code == 0);
  const Ran second = Shell(tenure);
  INFO(second.out);
  REQUIRE(second.exit_code == 0);
  CHECK(first.out.find(password) == std::string::npos);
  CHECK(second.out.find(password) == std::string::npos);

  // The runs' records: the first removed four memberships and listed them; the second found
  // nothing left to do. The bind password is nowhere in the database.
  const Ran runs = Shell("'" + std::string(TENURE_BINARY) + "' runs --db '" + db + "' --json");
  REQUIRE(runs.exit_code == 0);
  std::vector<std::string> ids;
  std::istringstream lines(runs.out);  // one JSON object per run
  for (std::string line; std::getline(lines, line);) {
    const boost::json::value r = boost::json::parse(line);
    ids.emplace_back(r.at("id").as_string());
  }
  REQUIRE(ids.size() == 2);
  std::map<std::string, boost::json::object> results;  // "RUN/directory.remove_groups" -> result
  for (const std::string& id : ids) {
    const Ran status = Shell("'" + std::string(TENURE_BINARY) + "' status " + id + " --db '" + db + "' --json");
    REQUIRE(status.exit_code == 0);
    const boost::json::value parsed = boost::json::parse(status.out);
    const boost::json::object& j = parsed.as_object();
    for (const auto& t : j.at("tasks").as_array()) {
      results[id + "/" + std::string(t.at("task").as_string())] = t.at("result").as_object();
    }
  }
  std::size_t removed_total = 0;
  std::size_t moved = 0;
  std::size_t disabled_changes = 0;
  for (const std::string& id : ids) {
    removed_total += results[id + "/directory.remove_groups"].at("groups").as_array().size();
    moved += results[id + "/directory.move"].at("moved").as_bool() ? 1 : 0;
    disabled_changes += results[id + "/directory.disable"].at("changed").as_bool() ? 1 : 0;
  }
  CHECK(removed_total == 4);  // all in one run, none in the other
  CHECK(moved == 1);
  CHECK(disabled_changes == 1);
  std::ifstream raw(db, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
  CHECK(bytes.find(password) == std::string::npos);

  // The directory, read with ldapsearch: locked, moved, in no group; the other member stays.
  const std::string former = "uid=" + uid + ",ou=former,dc=example,dc=com";
  const Ran user = Shell(Client("ldapsearch") + " -LLL -b '" + former + "' -s base pwdAccountLockedTime");
  INFO(user.out);
  CHECK(user.out.find("pwdAccountLockedTime: 000001010000Z") != std::string::npos);
  const Ran groups = Shell(Client("ldapsearch") + " -LLL -o ldif-wrap=no -b ou=groups,dc=example,dc=com '(cn=*-" + run +
                           ")' member uniqueMember memberUid");
  INFO(groups.out);
  CHECK(groups.out.find(uid + ",") == std::string::npos);
  CHECK(groups.out.find("memberUid: " + uid + "\n") == std::string::npos);
  CHECK(groups.out.find("member: " + stayer) != std::string::npos);
  CHECK(groups.out.find("memberUid: stayer-" + run) != std::string::npos);
  CHECK(groups.out.find("member: cn=nobody,dc=example,dc=com") != std::string::npos);  // vpn kept a member
  std::filesystem::remove(db);
}

TEST_CASE("directory offboarding read back and restored by tenure restore: unlocked, moved back, in every group again",
          "[.slapd][cli]") {
  const std::string run = std::to_string(std::random_device{}() % 1'000'000);
  const std::string uid = "rehire-" + run;
  const std::string dn = "uid=" + uid + ",ou=people,dc=example,dc=com";
  const std::string g = ",ou=groups,dc=example,dc=com";
  const std::string ldif =
      "dn: " + dn + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: R\nsn: R\n\n" + "dn: cn=eng-" + run + g +
      "\nobjectClass: groupOfNames\ncn: eng-" + run + "\nmember: " + dn + "\n\n" + "dn: cn=wiki-" + run + g +
      "\nobjectClass: groupOfUniqueNames\ncn: wiki-" + run + "\nuniqueMember: " + dn + "\n\n" + "dn: cn=shell-" + run +
      g + "\nobjectClass: posixGroup\ncn: shell-" + run + "\ngidNumber: 7001\nmemberUid: " + uid + "\n";
  const Ran added = Shell(Client("ldapadd"), ldif);
  INFO(added.out);
  REQUIRE(added.exit_code == 0);

  const std::string db = std::filesystem::temp_directory_path() / ("tenure_dir_restore_" + run + ".db");
  const std::string env = "TENURE_LDAP_URL=ldap://127.0.0.1:" + ReadFile(State() + "/port") +
                          " TENURE_LDAP_CA_FILE='" + State() + "/ca.pem' TENURE_LDAP_PASSWORD=\"$(cat '" + State() +
                          "/admin_password')\"";
  const std::string tenure = "cd '" + std::string(TENURE_SOURCE_DIR) + "' && env " + env + " '" + TENURE_BINARY + "' ";
  const Ran off = Shell(tenure + "run examples/offboarding-directory.yaml --set uid=" + uid + " --db '" + db + "'");
  INFO(off.out);
  REQUIRE(off.exit_code == 0);
  const Ran runs = Shell("'" + std::string(TENURE_BINARY) + "' runs --db '" + db + "' --json");
  const std::string id(boost::json::parse(runs.out).at("id").as_string());

  // Every destructive task recorded what it changed and read the directory back.
  const Ran status = Shell("'" + std::string(TENURE_BINARY) + "' status " + id + " --db '" + db + "' --json");
  REQUIRE(status.exit_code == 0);
  std::map<std::string, boost::json::object> results;
  const boost::json::value parsed = boost::json::parse(status.out);
  for (const auto& t : parsed.at("tasks").as_array()) {
    results[std::string(t.at("task").as_string())] = t.at("result").as_object();
  }
  for (const char* task : {"directory.disable", "directory.remove_groups", "directory.move"}) {
    INFO(task << ": " << boost::json::serialize(results[task]));
    REQUIRE(results[task].contains("read_back"));
    CHECK(results[task].at("read_back").at("agrees") == true);
    CHECK(results[task].contains("pre_state"));
  }
  CHECK(results["directory.disable"].at("pre_state").at("disabled") == false);
  CHECK(results["directory.remove_groups"].at("pre_state").at("groups").as_array().size() == 3);
  CHECK(results["directory.move"].at("pre_state").at("parent") == "ou=people,dc=example,dc=com");

  const Ran restored = Shell(tenure + "restore " + id + " --yes --db '" + db + "'");
  INFO(restored.out);
  REQUIRE(restored.exit_code == 0);
  CHECK(restored.out.find("5 calls") != std::string::npos);  // enable, 3 groups, move back
  const Ran again = Shell(tenure + "restore " + id + " --yes --db '" + db + "'");
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("already restored") != std::string::npos);

  // The directory, read with ldapsearch: back under people, unlocked, in the three groups.
  const Ran user = Shell(Client("ldapsearch") + " -LLL -b '" + dn + "' -s base pwdAccountLockedTime");
  INFO(user.out);
  CHECK(user.out.find("dn: " + dn) != std::string::npos);
  CHECK(user.out.find("pwdAccountLockedTime") == std::string::npos);
  const Ran groups = Shell(Client("ldapsearch") + " -LLL -o ldif-wrap=no -b ou=groups,dc=example,dc=com '(cn=*-" + run +
                           ")' member uniqueMember memberUid");
  INFO(groups.out);
  CHECK(groups.out.find("member: " + dn) != std::string::npos);
  CHECK(groups.out.find("uniqueMember: " + dn) != std::string::npos);
  CHECK(groups.out.find("memberUid: " + uid) != std::string::npos);
  CHECK(groups.out.find("ou=former") == std::string::npos);
  std::filesystem::remove(db);
}

TEST_CASE("reconcile reads an LDAP directory page by page and finds the planted leaver, orphan and missing person",
          "[.slapd][cli]") {
  const std::string run = std::to_string(std::random_device{}() % 1'000'000);
  const std::string people = ",ou=people,dc=example,dc=com";
  auto person = [&](const std::string& uid) {
    return "dn: uid=" + uid + people + "\nobjectClass: inetOrgPerson\nuid: " + uid + "\ncn: " + uid + "\nsn: " + uid +
           "\nmail: " + uid + "@example.com\n\n";
  };
  const std::string keep = "rc-keep-" + run, leaver = "rc-leaver-" + run, locked = "rc-locked-" + run,
                    orphan = "rc-orphan-" + run, missing = "rc-missing-" + run;
  const Ran added = Shell(Client("ldapadd"), person(keep) + person(leaver) + person(locked) + person(orphan));
  INFO(added.out);
  REQUIRE(added.exit_code == 0);
  const Ran lock = Shell(Client("ldapmodify"), "dn: uid=" + locked + people +
                                                   "\nchangetype: modify\nreplace: pwdAccountLockedTime\n"
                                                   "pwdAccountLockedTime: 000001010000Z\n");
  INFO(lock.out);
  REQUIRE(lock.exit_code == 0);
  // Groups, for the accounts' group lists and --grants: one by DN, one by memberUid.
  const std::string eng = "rc-eng-" + run, posix = "rc-posix-" + run;
  const Ran grouped = Shell(Client("ldapadd"),
                            "dn: cn=" + eng + ",ou=groups,dc=example,dc=com\nobjectClass: groupOfNames\ncn: " + eng +
                                "\nmember: uid=" + keep + people + "\nmember: uid=" + leaver + people + "\n\n" +
                                "dn: cn=" + posix + ",ou=groups,dc=example,dc=com\nobjectClass: posixGroup\ncn: " + posix +
                                "\ngidNumber: 7" + run.substr(0, 3) + "\nmemberUid: " + keep + "\n\n");
  INFO(grouped.out);
  REQUIRE(grouped.exit_code == 0);

  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("tenure_dir_reconcile_" + run);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "hr.csv") << "email,status,dept\n"
                                << keep << "@example.com,active,eng\n"
                                << leaver << "@example.com,terminated,eng\n"
                                << locked << "@example.com,terminated,eng\n"
                                << missing << "@example.com,active,eng\n";
  std::ofstream(dir / "grants.csv") << "dept,group\neng," << eng << "\n";
  std::ofstream(dir / "dir.yaml") << "playbook: directory\nconnections:\n  dir:\n    connector: ldap\n"
                                     "    url: \"${env:TENURE_LDAP_URL}\"\n    bind_dn: cn=admin,dc=example,dc=com\n"
                                     "    password: \"${env:TENURE_LDAP_PASSWORD}\"\n    base_dn: dc=example,dc=com\n"
                                     "    page_size: 3\n"
                                     "tasks:\n  look:\n    uses: dir.get_user\n    with: { uid: nobody }\n";
  const std::string env = "TENURE_LDAP_URL=ldap://127.0.0.1:" + ReadFile(State() + "/port") +
                          " TENURE_LDAP_PASSWORD=\"$(cat '" + State() + "/admin_password')\"";
  const Ran report = Shell("env " + env + " '" + std::string(TENURE_BINARY) + "' reconcile --people '" +
                           (dir / "hr.csv").string() + "' --key-column email --status-column status --playbook '" +
                           (dir / "dir.yaml").string() + "' dir --json --db '" + (dir / "t.db").string() + "'");
  INFO(report.out);
  CHECK(report.exit_code == 1);
  CHECK(report.out.find(ReadFile(State() + "/admin_password")) == std::string::npos);
  const boost::json::value parsed = boost::json::parse(report.out);
  const auto& r = parsed.as_object();
  CHECK(r.at("connections").as_array()[0].at("accounts").as_int64() >= 4);  // other tests' people too
  auto named = [&](const char* kind, const std::string& field, const std::string& value) {
    int n = 0;
    for (const auto& f : r.at(kind).as_array()) n += f.at(field) == value.c_str() ? 1 : 0;
    return n;
  };
  CHECK(named("leavers", "person", leaver + "@example.com") == 1);
  CHECK(named("leavers", "person", locked + "@example.com") == 0);  // locked: no access left
  CHECK(named("leavers", "person", keep + "@example.com") == 0);
  CHECK(named("orphans", "userName", orphan) == 1);
  CHECK(named("orphans", "userName", keep) == 0);
  CHECK(named("missing", "person", missing + "@example.com") == 1);
  CHECK(named("missing", "person", keep + "@example.com") == 0);
  for (const auto& f : r.at("leavers").as_array()) {
    if (f.at("person") == (leaver + "@example.com").c_str()) {
      CHECK(f.at("account") == ("uid=" + leaver + people).c_str());
      CHECK(boost::json::serialize(f.at("groups")) == "[\"" + eng + "\"]");  // the groups it still holds
    }
  }

  // With grants: the kept person may hold the engineering group, not the posix one.
  const Ran granted = Shell("env " + env + " '" + std::string(TENURE_BINARY) + "' reconcile --people '" +
                            (dir / "hr.csv").string() + "' --key-column email --status-column status --playbook '" +
                            (dir / "dir.yaml").string() + "' dir --json --grants '" + (dir / "grants.csv").string() +
                            "' --db '" + (dir / "t.db").string() + "'");
  INFO(granted.out);
  const auto g = boost::json::parse(granted.out).as_object();
  int excess = 0;
  for (const auto& f : g.at("excess").as_array()) {
    if (f.at("person") != (keep + "@example.com").c_str()) continue;
    ++excess;
    CHECK(boost::json::serialize(f.at("groups_not_granted")) == "[\"" + posix + "\"]");
  }
  CHECK(excess == 1);
  std::filesystem::remove_all(dir);
}
