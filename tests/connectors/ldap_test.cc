// The ldap connector against a real OpenLDAP slapd (tests/connectors/slapd_ctl.sh), started by
// the ctest fixture `slapd` on 127.0.0.1 with its own cn=config, ppolicy and TLS; the state
// directory is $TENURE_SLAPD_STATE. Hidden tag: run through ctest (connectors_tests:slapd), or by
// hand with the variable set. Each case uses names of its own (the directory is shared by the
// cases of one ctest run, which may run in parallel).
//
// Active Directory conventions (userAccountControl, unicodePwd, sAMAccountName, the `user`
// class) are tested against slapd with a small AD-like schema (AD's OIDs and names; see
// slapd_ctl.sh). What slapd cannot show is listed in docs/ldap.md.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <arpa/inet.h>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include "connectors/http_support.h"
#include "connectors/ldap/connector.h"
#include "connectors/ldap/escape.h"
#include "connectors/restore.h"
#include "tests/connectors/support/scripted_transport.h"
#include "workflows/diagnostic.h"
#include "workflows/yaml_tree.h"

namespace tenure::connectors::ldap {
namespace {

using testing::Describe;
using testing::FailureOf;
using testing::ResultMap;
using namespace std::string_literals;

constexpr const char* kBase = "dc=example,dc=com";
constexpr const char* kPeople = "ou=people,dc=example,dc=com";
constexpr const char* kGroups = "ou=groups,dc=example,dc=com";
constexpr const char* kAdmin = "cn=admin,dc=example,dc=com";
constexpr const char* kPlaceholder = "cn=nobody,dc=example,dc=com";

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

std::string Port() { return ReadFile(State() + "/port"); }
std::string TlsPort() { return ReadFile(State() + "/tls_port"); }
std::string AdminPassword() { return ReadFile(State() + "/admin_password"); }

// A name no other case and no earlier run against the same directory used.
std::string Unique(const std::string& base) {
  static const std::string run = std::to_string(std::random_device{}() % 1'000'000);
  return base + "-" + run;
}

Map AdminConfig() {
  Map c;
  c.Set("url", "ldap://127.0.0.1:" + Port());
  c.Set("bind_dn", kAdmin);
  c.Set("password", AdminPassword());
  c.Set("base_dn", kBase);
  c.Set("people_dn", kPeople);
  c.Set("groups_dn", kGroups);
  c.Set("group_placeholder_member", kPlaceholder);
  c.Set("timeout", "10s");
  return c;
}

// One connection (connector) to the test directory; every outcome is checked for the bind password.
struct Directory {
  explicit Directory(Map config = AdminConfig()) {
    password = config.Find("password") != nullptr ? config.Find("password")->AsString() : "";
    if (!password.empty()) redactor.Add(password);
    auto parsed = ParseLdapConfig(config);
    if (!parsed) FAIL(parsed.error().message);
    connector = MakeLdapConnector(std::move(*parsed), redactor, secrets);
  }
  Outcome Do(std::string action, Map args, const workflows::YamlNode* literal = nullptr) {
    Outcome o = testing::InvokeOn(io, *connector, std::move(action), std::move(args), "run1/task1", literal);
    INFO(Describe(o));
    if (!password.empty()) CHECK(testing::OutcomeText(o).find(password) == std::string::npos);
    CHECK(testing::OutcomeText(o).find(AdminPassword()) == std::string::npos);
    return o;
  }
  Map Ok(std::string action, Map args) {
    last = Do(action, std::move(args));
    INFO(action << ": " << Describe(last));
    REQUIRE(std::holds_alternative<Succeeded>(last));
    return ResultMap(last);
  }
  // Entries matching `filter` under `base` (the connector's own paged search).
  List Search(const std::string& filter, const std::string& base = kBase) {
    Map args;
    args.Set("filter", filter);
    args.Set("base", base);
    const Map r = Ok("search", std::move(args));
    return r.Find("entries")->AsList();
  }
  boost::asio::io_context io;
  Redactor redactor;
  MapSecretResolver secrets{{}};
  std::unique_ptr<Connector> connector;
  std::string password;
  Outcome last;
};

Map Args(std::initializer_list<Map::Entry> entries) {
  Map m;
  for (const auto& [k, v] : entries) m.Set(k, v);
  return m;
}

std::string Str(const Map& m, const char* key) {
  const Value* v = m.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : "<" + std::string(key) + " missing>";
}
bool Bool(const Map& m, const char* key) {
  const Value* v = m.Find(key);
  return v != nullptr && v->IsBool() && v->AsBool();
}

// The attribute values of the entry at `dn`, as the ldapsearch client (not the connector) reads
// them, base64-decoded where ldapsearch encodes. Run as the rootdn.
std::vector<std::string> ReadWithLdapsearch(const std::string& dn, const std::string& attribute) {
  const std::string cmd = "ldapsearch -LLL -x -o ldif-wrap=no -H ldap://127.0.0.1:" + Port() + " -D " + kAdmin +
                          " -y " + State() + "/admin_password -b '" + dn + "' -s base '(objectClass=*)' " + attribute +
                          " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  pclose(p);
  std::vector<std::string> values;
  std::size_t pos = 0;
  while (pos < out.size()) {
    std::size_t end = out.find('\n', pos);
    if (end == std::string::npos) end = out.size();
    const std::string line = out.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind(attribute + ":: ", 0) == 0) values.push_back("base64:" + line.substr(attribute.size() + 3));
    else if (line.rfind(attribute + ": ", 0) == 0) values.push_back(line.substr(attribute.size() + 2));
  }
  return values;
}

std::string Base64(const std::string& bytes) { return connectors::Base64(bytes); }

// ---------------------------------------------------------------------------------------------

TEST_CASE("slapd: ensure_user twice makes one entry - then changes only what differs", "[.slapd]") {
  Directory d;
  const std::string uid = Unique("jdoe");
  Map attrs = Args({{"givenName", "Jane"}, {"sn", "Doe"}, {"mail", uid + "@example.com"}});
  const Map& first = d.Ok("ensure_user", Args({{"uid", uid}, {"attributes", attrs}}));
  CHECK(Str(first, "dn") == "uid=" + uid + "," + kPeople);
  CHECK(Bool(first, "created"));
  const Map& second = d.Ok("ensure_user", Args({{"uid", uid}, {"attributes", attrs}}));
  CHECK_FALSE(Bool(second, "created"));
  CHECK(second.Find("changed")->AsList().empty());
  attrs.Set("mail", uid + "@corp.example.com");
  attrs.Set("telephoneNumber", List{"+1 555 0100", "+1 555 0101"});
  const Map& third = d.Ok("ensure_user", Args({{"uid", uid}, {"attributes", attrs}}));
  CHECK(third.Find("changed")->AsList() == List{"mail", "telephoneNumber"});
  CHECK(d.Search("(uid=" + uid + ")").size() == 1);
  const Map& user = d.Ok("get_user", Args({{"uid", uid}}));
  const Map& a = user.Find("attributes")->AsMap();
  CHECK(Str(a, "mail") == uid + "@corp.example.com");
  CHECK(Str(a, "cn") == uid);  // cn defaults to the uid when not given (inetOrgPerson needs one)
  CHECK_FALSE(Bool(user, "disabled"));
  // update_user: null removes an attribute.
  const Map& updated = d.Ok("update_user", Args({{"uid", uid}, {"attributes", Args({{"telephoneNumber", nullptr}})}}));
  CHECK(updated.Find("changed")->AsList() == List{"telephoneNumber"});
  CHECK(ReadWithLdapsearch(Str(user, "dn"), "telephoneNumber").empty());
}

TEST_CASE("slapd: two ensure_user at once on one connection make one entry (alreadyExists adopted)", "[.slapd]") {
  Directory d;
  const std::string uid = Unique("race");
  Outcome a, b;
  // Invoke's coroutine refers to its action and context: both live until run() returns.
  Action action1{"ensure_user", Args({{"uid", uid}, {"attributes", Args({{"sn", "Race"}})}}), nullptr};
  Action action2 = action1;
  Context ctx{"k", std::chrono::steady_clock::now() + std::chrono::seconds(20), "run", "task"};
  boost::asio::co_spawn(d.io, d.connector->Invoke(action1, ctx), [&a](std::exception_ptr e, Outcome o) {
    if (!e) a = std::move(o);
  });
  boost::asio::co_spawn(d.io, d.connector->Invoke(action2, ctx), [&b](std::exception_ptr e, Outcome o) {
    if (!e) b = std::move(o);
  });
  d.io.restart();
  d.io.run();
  INFO(Describe(a) << " / " << Describe(b));
  REQUIRE(std::holds_alternative<Succeeded>(a));
  REQUIRE(std::holds_alternative<Succeeded>(b));
  CHECK(Bool(ResultMap(a), "created") != Bool(ResultMap(b), "created"));
  CHECK(d.Search("(uid=" + uid + ")").size() == 1);
}

TEST_CASE("slapd: many actions in flight share one connection", "[.slapd]") {
  Directory d;
  const std::string uid = Unique("shared");
  d.Ok("ensure_user", Args({{"uid", uid}}));
  std::vector<Outcome> outs(24);
  Action action{"get_user", Args({{"uid", uid}}), nullptr};
  Context ctx{"k", std::chrono::steady_clock::now() + std::chrono::seconds(20), "run", "task"};
  for (Outcome& out : outs) {
    boost::asio::co_spawn(d.io, d.connector->Invoke(action, ctx), [&out](std::exception_ptr e, Outcome o) {
      out = e ? Outcome(Unknown{"exception escaped Invoke"}) : std::move(o);
    });
  }
  d.io.restart();
  d.io.run();
  for (const Outcome& o : outs) {
    INFO(Describe(o));
    REQUIRE(std::holds_alternative<Succeeded>(o));
    CHECK(Str(ResultMap(o), "uid") == uid);
  }
}

TEST_CASE("slapd: get_user - update_user and disable_user of an absent user are kNotFound", "[.slapd]") {
  Directory d;
  for (const char* action : {"get_user", "update_user", "disable_user", "set_password", "move_user"}) {
    Map args = Args({{"uid", Unique("nobody")}, {"password", "x-password"}, {"new_parent", kBase}});
    const Outcome o = d.Do(action, args);
    INFO(action << ": " << Describe(o));
    REQUIRE(std::holds_alternative<Failed>(o));
    CHECK(FailureOf(o)->cls == FailureClass::kNotFound);
  }
  const Outcome by_dn = d.Do("get_user", Args({{"dn", "uid=" + Unique("nobody") + "," + kPeople}}));
  REQUIRE(std::holds_alternative<Failed>(by_dn));
  CHECK(FailureOf(by_dn)->cls == FailureClass::kNotFound);
}

TEST_CASE("slapd: ppolicy disable locks the account - twice sends nothing - enable unlocks", "[.slapd]") {
  Directory d;
  const std::string uid = Unique("locked");
  const std::string dn = Str(d.Ok("ensure_user", Args({{"uid", uid}})), "dn");
  d.Ok("set_password", Args({{"uid", uid}, {"password", "first-Passw0rd"}}));
  auto bind_as_user = [&] {
    Map c = AdminConfig();
    c.Set("bind_dn", dn);
    c.Set("password", "first-Passw0rd");
    Directory user(c);
    return user.Do("get_user", Args({{"uid", uid}}));
  };
  REQUIRE(std::holds_alternative<Succeeded>(bind_as_user()));

  const Map& off = d.Ok("disable_user", Args({{"uid", uid}}));
  CHECK(Bool(off, "disabled"));
  CHECK(Bool(off, "changed"));
  CHECK(ReadWithLdapsearch(dn, "pwdAccountLockedTime") == std::vector<std::string>{"000001010000Z"});
  CHECK_FALSE(Bool(d.Ok("disable_user", Args({{"uid", uid}})), "changed"));
  CHECK(Bool(d.Ok("get_user", Args({{"uid", uid}})), "disabled"));
  const Outcome refused = bind_as_user();  // ppolicy refuses the bind of a locked account
  REQUIRE(std::holds_alternative<Failed>(refused));
  CHECK(FailureOf(refused)->provider_code == "49");

  const Map& on = d.Ok("enable_user", Args({{"uid", uid}}));
  CHECK_FALSE(Bool(on, "disabled"));
  CHECK(Bool(on, "changed"));
  CHECK_FALSE(Bool(d.Ok("enable_user", Args({{"uid", uid}})), "changed"));
  CHECK(ReadWithLdapsearch(dn, "pwdAccountLockedTime").empty());
  CHECK(std::holds_alternative<Succeeded>(bind_as_user()));
}

TEST_CASE("slapd: disable_method attribute sets and removes the configured attribute", "[.slapd]") {
  Map c = AdminConfig();
  c.Set("disable_method", "attribute");
  c.Set("disable_attribute", "employeeType");
  c.Set("disable_value", "disabled");
  Directory d(c);
  const std::string uid = Unique("attr");
  const std::string dn = Str(d.Ok("ensure_user", Args({{"uid", uid}})), "dn");
  CHECK(Bool(d.Ok("disable_user", Args({{"uid", uid}})), "changed"));
  CHECK(ReadWithLdapsearch(dn, "employeeType") == std::vector<std::string>{"disabled"});
  CHECK_FALSE(Bool(d.Ok("disable_user", Args({{"uid", uid}})), "changed"));
  CHECK(Bool(d.Ok("get_user", Args({{"uid", uid}})), "disabled"));
  CHECK(Bool(d.Ok("enable_user", Args({{"uid", uid}})), "changed"));
  CHECK(ReadWithLdapsearch(dn, "employeeType").empty());
}

TEST_CASE("slapd: delete_user twice - the second finds nothing to do", "[.slapd]") {
  Directory d;
  const std::string uid = Unique("gone");
  const std::string dn = Str(d.Ok("ensure_user", Args({{"uid", uid}})), "dn");
  const Map& first = d.Ok("delete_user", Args({{"uid", uid}}));
  CHECK(Bool(first, "deleted"));
  CHECK(Str(first, "dn") == dn);
  CHECK_FALSE(Bool(d.Ok("delete_user", Args({{"uid", uid}})), "deleted"));
  CHECK_FALSE(Bool(d.Ok("delete_user", Args({{"dn", dn}})), "deleted"));
  CHECK(d.Search("(uid=" + uid + ")").empty());
}

TEST_CASE("slapd: set_password with the Password Modify operation - the password never shown", "[.slapd]") {
  Directory d;
  const std::string uid = Unique("pw");
  const std::string dn = Str(d.Ok("ensure_user", Args({{"uid", uid}})), "dn");
  // Given as a secret reference, resolved by the connector and registered for redaction.
  const std::string secret = "S3cret-" + uid;
  d.secrets = MapSecretResolver({{"env:NEW_PW", secret}});
  workflows::Diagnostics diags;
  const workflows::YamlNode literal = workflows::ParseYaml("uid: x\npassword: ${env:NEW_PW}\n", "t.yaml", diags);
  const Outcome set = d.Do("set_password", Args({{"uid", uid}, {"password", "${env:NEW_PW}"}}), &literal);
  INFO(Describe(set));
  REQUIRE(std::holds_alternative<Succeeded>(set));
  CHECK(Str(ResultMap(set), "method") == "exop");
  CHECK(testing::OutcomeText(set).find(secret) == std::string::npos);
  // The stored value is a hash, not the password.
  const auto stored = ReadWithLdapsearch(dn, "userPassword");
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].find(Base64(secret)) == std::string::npos);
  // The new password binds; a wrong one is a permanent failure (49) that shows neither.
  Map c = AdminConfig();
  c.Set("bind_dn", dn);
  c.Set("password", secret);
  CHECK(std::holds_alternative<Succeeded>(Directory(c).Do("get_user", Args({{"uid", uid}}))));
  c.Set("password", "wrong-" + secret);
  Directory wrong(c);
  const Outcome refused = wrong.Do("get_user", Args({{"uid", uid}}));
  REQUIRE(std::holds_alternative<Failed>(refused));
  CHECK(FailureOf(refused)->cls == FailureClass::kPermanent);
  CHECK(FailureOf(refused)->provider_code == "49");
  CHECK(FailureOf(refused)->message.find("Invalid credentials") != std::string::npos);
  CHECK(FailureOf(refused)->message.find(secret) == std::string::npos);
}

TEST_CASE("slapd: move_user twice - the second finds it already there", "[.slapd]") {
  Directory d;
  const std::string uid = Unique("mover");
  d.Ok("ensure_user", Args({{"uid", uid}}));
  const std::string former = "ou=former,"s + kBase;
  const Map& moved = d.Ok("move_user", Args({{"uid", uid}, {"new_parent", former}}));
  CHECK(Bool(moved, "moved"));
  CHECK(Str(moved, "dn") == "uid=" + uid + "," + former);
  CHECK(Str(moved, "old_parent") == kPeople);
  const Map& again = d.Ok("move_user", Args({{"uid", uid}, {"new_parent", former}}));
  CHECK_FALSE(Bool(again, "moved"));
  CHECK(Str(d.Ok("get_user", Args({{"uid", uid}})), "dn") == "uid=" + uid + "," + former);
  // Undo: back to old_parent.
  CHECK(Bool(d.Ok("move_user", Args({{"uid", uid}, {"new_parent", kPeople}})), "moved"));
  CHECK(d.Search("(uid=" + uid + ")", kPeople).size() == 1);
}

TEST_CASE("slapd: groups of the three flavours - add and remove twice", "[.slapd]") {
  const std::string uid = Unique("member");
  for (const char* type : {"groupOfNames", "groupOfUniqueNames", "posixGroup"}) {
    Map c = AdminConfig();
    c.Set("group_type", type);
    Directory d(c);
    d.Ok("ensure_user", Args({{"uid", uid}}));
    const std::string name = Unique(std::string("g-") + type);
    const Map& made = d.Ok("ensure_group", Args({{"name", name}, {"gid_number", 5000}}));
    INFO(type);
    CHECK(Bool(made, "created"));
    CHECK_FALSE(Bool(d.Ok("ensure_group", Args({{"name", name}, {"gid_number", 5000}})), "created"));
    const std::string group_dn = Str(made, "dn");
    CHECK(Bool(d.Ok("add_to_group", Args({{"uid", uid}, {"group", name}})), "added"));
    CHECK_FALSE(Bool(d.Ok("add_to_group", Args({{"uid", uid}, {"group", name}})), "added"));
    const std::string attribute = std::string(type) == "groupOfNames"         ? "member"
                                  : std::string(type) == "groupOfUniqueNames" ? "uniqueMember"
                                                                              : "memberUid";
    const std::string value = attribute == "memberUid" ? uid : "uid=" + uid + "," + kPeople;
    // The placeholder made the group and left when the first real member came.
    CHECK(ReadWithLdapsearch(group_dn, attribute) == std::vector<std::string>{value});
    CHECK(Bool(d.Ok("remove_from_group", Args({{"uid", uid}, {"group_dn", group_dn}})), "removed"));
    CHECK_FALSE(Bool(d.Ok("remove_from_group", Args({{"uid", uid}, {"group_dn", group_dn}})), "removed"));
    const auto left = ReadWithLdapsearch(group_dn, attribute);
    if (attribute == "memberUid") {
      CHECK(left.empty());
    } else {
      CHECK(left == std::vector<std::string>{kPlaceholder});  // the last member's place is kept
    }
    const Map& no_group = d.Ok("remove_from_group", Args({{"uid", uid}, {"group", Unique("no-such-group")}}));
    CHECK_FALSE(Bool(no_group, "removed"));
    const Outcome missing = d.Do("add_to_group", Args({{"uid", uid}, {"group", Unique("no-such-group")}}));
    REQUIRE(std::holds_alternative<Failed>(missing));
    CHECK(FailureOf(missing)->cls == FailureClass::kNotFound);
  }
}

TEST_CASE("slapd: without a placeholder the last member of a groupOfNames stays - with a clear error", "[.slapd]") {
  Directory admin;
  const std::string uid = Unique("last");
  const std::string name = Unique("g-last");
  admin.Ok("ensure_user", Args({{"uid", uid}}));
  const std::string group_dn = Str(admin.Ok("ensure_group", Args({{"name", name}})), "dn");
  admin.Ok("add_to_group", Args({{"uid", uid}, {"group", name}}));  // the placeholder leaves
  Map c = AdminConfig();
  c.Set("group_placeholder_member", "");
  Directory strict(c);
  const Outcome o = strict.Do("remove_from_group", Args({{"uid", uid}, {"group", name}}));
  REQUIRE(std::holds_alternative<Failed>(o));
  CHECK(FailureOf(o)->cls == FailureClass::kPermanent);
  CHECK(FailureOf(o)->message ==
        "ldap: uid=" + uid + "," + kPeople + " is the last member of " + group_dn +
            ", and its object class requires one; nothing was changed. Set the connection's "
            "group_placeholder_member (a DN such as cn=nobody,dc=example,dc=com) to put in its place, or delete "
            "the group");
  CHECK(ReadWithLdapsearch(group_dn, "member") == std::vector<std::string>{"uid=" + uid + "," + kPeople});
  const Outcome create = strict.Do("ensure_group", Args({{"name", Unique("g-new")}}));
  REQUIRE(std::holds_alternative<Failed>(create));
  CHECK(FailureOf(create)->message.find("set the connection's group_placeholder_member") != std::string::npos);
}

TEST_CASE("slapd: remove_from_all_groups lists what it removed - twice removes nothing more", "[.slapd]") {
  const std::string uid = Unique("leaver");
  std::vector<std::string> groups;
  for (const char* type : {"groupOfNames", "groupOfUniqueNames", "posixGroup"}) {
    Map c = AdminConfig();
    c.Set("group_type", type);
    Directory d(c);
    d.Ok("ensure_user", Args({{"uid", uid}}));
    const std::string name = Unique(std::string("all-") + type);
    groups.push_back(Str(d.Ok("ensure_group", Args({{"name", name}, {"gid_number", 6000}})), "dn"));
    d.Ok("add_to_group", Args({{"uid", uid}, {"group", name}}));
  }
  Directory d;
  const Map& first = d.Ok("remove_from_all_groups", Args({{"uid", uid}}));
  const List& removed = first.Find("groups")->AsList();
  REQUIRE(removed.size() == 3);
  std::vector<std::string> dns;
  for (const Value& g : removed) dns.push_back(Str(g.AsMap(), "dn"));
  std::sort(dns.begin(), dns.end());
  std::sort(groups.begin(), groups.end());
  CHECK(dns == groups);
  CHECK(first.Find("count")->AsInt() == 3);
  const Map& second = d.Ok("remove_from_all_groups", Args({{"uid", uid}}));
  CHECK(second.Find("groups")->AsList().empty());
  const std::string dn = "uid=" + uid + "," + kPeople;
  CHECK(d.Search("(|" + EqualityFilter("member", dn) + EqualityFilter("uniqueMember", dn) +
                 EqualityFilter("memberUid", uid) + ")")
            .empty());
  // Restore from the result: add_to_group with each group_dn.
  for (const Value& g : removed) {
    CHECK(Bool(d.Ok("add_to_group", Args({{"uid", uid}, {"group_dn", Str(g.AsMap(), "dn")}})), "added"));
  }
}

TEST_CASE("slapd: paged search follows pages past the reader's size limit", "[.slapd]") {
  Directory admin;
  const std::string prefix = Unique("page");
  for (int i = 0; i < 12; ++i) admin.Ok("ensure_user", Args({{"uid", prefix + "-" + std::to_string(i)}}));
  // cn=reader may see 5 entries per search (size.soft/hard 5), more only page by page.
  Map c = AdminConfig();
  c.Set("bind_dn", "cn=reader,dc=example,dc=com");
  c.Set("password", "reader-password");
  c.Set("page_size", 3);
  Directory reader(c);
  CHECK(reader.Search("(uid=" + prefix + "-*)").size() == 12);
  Map args = Args({{"filter", "(uid=" + prefix + "-*)"}, {"page_size", 2}, {"attributes", List{"uid"}}});
  const Map& r = reader.Ok("search", args);
  CHECK(r.Find("count")->AsInt() == 12);
  CHECK(r.Find("entries")->AsList()[0].AsMap().Find("attributes")->AsMap().size() == 1);
}

TEST_CASE("slapd: error classes: down - refused credentials - no access - schema violations", "[.slapd]") {
  SECTION("nothing listens: RetryLater, transient") {
    Map c = AdminConfig();
    c.Set("url", "ldap://127.0.0.1:1");
    Directory d(c);
    const Outcome o = d.Do("get_user", Args({{"uid", "x"}}));
    REQUIRE(std::holds_alternative<RetryLater>(o));
    CHECK(FailureOf(o)->cls == FailureClass::kTransient);
  }
  SECTION("wrong bind password: Failed, permanent, password not shown") {
    Map c = AdminConfig();
    c.Set("password", "not-the-admin-password");
    Directory d(c);
    const Outcome o = d.Do("ensure_user", Args({{"uid", Unique("x")}}));
    REQUIRE(std::holds_alternative<Failed>(o));
    CHECK(FailureOf(o)->provider_code == "49");
    CHECK(FailureOf(o)->message == "bind as 'cn=admin,dc=example,dc=com': Invalid credentials (49)");
  }
  SECTION("insufficient access (50): Failed, permanent") {
    Map c = AdminConfig();
    c.Set("bind_dn", "cn=reader,dc=example,dc=com");
    c.Set("password", "reader-password");
    Directory d(c);
    const Outcome o = d.Do("ensure_user", Args({{"uid", Unique("x")}}));
    REQUIRE(std::holds_alternative<Failed>(o));
    CHECK(FailureOf(o)->cls == FailureClass::kPermanent);
    CHECK(FailureOf(o)->provider_code == "50");
  }
  SECTION("object class violation (65) and undefined attribute (17): Failed, permanent") {
    Directory d;
    const Outcome oc = d.Do("ensure_user", Args({{"uid", Unique("x")}, {"attributes", Args({{"gidNumber", 5}})}}));
    REQUIRE(std::holds_alternative<Failed>(oc));
    CHECK(FailureOf(oc)->provider_code == "65");
    const Outcome undefined =
        d.Do("ensure_user", Args({{"uid", Unique("x")}, {"attributes", Args({{"noSuchAttribute", "v"}})}}));
    REQUIRE(std::holds_alternative<Failed>(undefined));
    CHECK(FailureOf(undefined)->cls == FailureClass::kPermanent);
  }
}

TEST_CASE("slapd: TLS: ldaps and StartTLS verify the server against ca_file - a wrong CA is refused", "[.slapd]") {
  const std::string uid = Unique("tls");
  Map ldaps = AdminConfig();
  ldaps.Set("url", "ldaps://127.0.0.1:" + TlsPort());
  ldaps.Set("ca_file", State() + "/ca.pem");
  CHECK(Bool(Directory(ldaps).Ok("ensure_user", Args({{"uid", uid}})), "created"));
  Map starttls = AdminConfig();
  starttls.Set("starttls", true);
  starttls.Set("ca_file", State() + "/ca.pem");
  CHECK(Str(Directory(starttls).Ok("get_user", Args({{"uid", uid}})), "uid") == uid);
  for (Map c : {ldaps, starttls}) {
    c.Set("ca_file", State() + "/wrong_ca.pem");
    Directory d(c);
    const Outcome o = d.Do("get_user", Args({{"uid", uid}}));
    INFO(Describe(o));
    REQUIRE(std::holds_alternative<Failed>(o));
    CHECK(FailureOf(o)->cls == FailureClass::kPermanent);
    CHECK(FailureOf(o)->message.find("(TLS handshake failed)") != std::string::npos);
    CHECK(FailureOf(o)->message.find("check ca_file") != std::string::npos);
  }
}

// Values that would change a DN's or a filter's structure if they were not escaped.
const std::vector<std::string> kCorpus = {
    "*)(uid=*))(|(uid=*", "admin)(|(objectClass=*)", "nul\0byte"s, "back\\slash", "#leading-hash",
    " leading space", "trailing space ", ",+\"\\<>;=", "Jürgen Ø 東京", "*",
};

TEST_CASE("slapd: injection corpus: every value is one user - found only by itself", "[.slapd]") {
  Directory d;
  const std::string tag = Unique("inj");
  for (const std::string& raw : kCorpus) {
    if (raw.find('\0') != std::string::npos) continue;  // below: NUL cannot be in a directory string
    const std::string uid = raw + tag;
    INFO("uid '" << uid << "'");
    const Map& made = d.Ok("ensure_user", Args({{"uid", uid}}));
    CHECK(Bool(made, "created"));
    const std::string dn = Str(made, "dn");
    CHECK(Str(d.Ok("get_user", Args({{"dn", dn}})), "uid") == uid);
    // The server spells DNs its own way (hex escapes): the same entry, compared as DNs.
    CHECK(SameDn(Str(d.Ok("get_user", Args({{"uid", uid}})), "dn"), dn));
    const Map& found = d.Ok("search", Args({{"equals", Args({{"uid", uid}})}}));
    REQUIRE(found.Find("count")->AsInt() == 1);
    CHECK(SameDn(Str(found.Find("entries")->AsList()[0].AsMap(), "dn"), dn));
    CHECK_FALSE(Bool(d.Ok("ensure_user", Args({{"uid", uid}})), "created"));
  }
  // A `*` value matches only a user literally named so, never everyone.
  CHECK(d.Ok("search", Args({{"equals", Args({{"uid", "*"}})}})).Find("count")->AsInt() == 0);
  CHECK(d.Ok("search", Args({{"equals", Args({{"uid", "*" + tag}})}})).Find("count")->AsInt() == 1);
  const Outcome unknown = d.Do("get_user", Args({{"uid", "*"}}));
  REQUIRE(std::holds_alternative<Failed>(unknown));
  CHECK(FailureOf(unknown)->cls == FailureClass::kNotFound);
  // NUL: escaped into the filter (\00), refused by the server as a value; nothing is found or made.
  const Outcome nul = d.Do("get_user", Args({{"uid", "nul\0byte"s + tag}}));
  REQUIRE(std::holds_alternative<Failed>(nul));
  CHECK(FailureOf(nul)->cls == FailureClass::kNotFound);
  // Group names and DN arguments are escaped the same way.
  const std::string group = "admins)(cn=*" + tag;
  const Map& g = d.Ok("ensure_group", Args({{"name", group}}));
  CHECK(Str(g, "dn") == "cn=" + EscapeDnValue(group) + "," + kGroups);
  CHECK_FALSE(Bool(d.Ok("ensure_group", Args({{"name", group}})), "created"));
}

TEST_CASE("slapd: a search filter with a template is refused - values go in equals", "[.slapd]") {
  Directory d;
  workflows::Diagnostics diags;
  const workflows::YamlNode literal = workflows::ParseYaml("filter: \"(uid={{ inputs.uid }})\"\n", "t.yaml", diags);
  const Outcome o = d.Do("search", Args({{"filter", "(uid=*)"}}), &literal);
  REQUIRE(std::holds_alternative<Failed>(o));
  CHECK(FailureOf(o)->message ==
        "ldap search: `filter` is used as written and must not contain a {{ template }}; put values in `equals` "
        "(escaped per RFC 4515)");
}

TEST_CASE("slapd: Active Directory conventions against the AD user schema", "[.slapd]") {
  Map c = AdminConfig();
  c.Set("url", "ldaps://127.0.0.1:" + TlsPort());
  c.Set("ca_file", State() + "/ca.pem");
  c.Set("user_rdn_attribute", "cn");
  c.Set("user_id_attribute", "sAMAccountName");
  // securityPrincipal (an auxiliary class AD adds to users itself) holds sAMAccountName in the
  // fixture's AD-like schema. `user` stays last: it is the class looked up.
  c.Set("user_object_classes", List{"top", "person", "organizationalPerson", "securityPrincipal", "user"});
  c.Set("disable_method", "ad");
  c.Set("password_method", "ad");
  Directory d(c);
  const std::string sam = Unique("jsmith");
  const Map ad_made = Args({{"cn", "John Smith " + sam}, {"userAccountControl", 512}});
  const Map& made = d.Ok("ensure_user", Args({{"uid", sam}, {"attributes", ad_made}}));
  const std::string dn = Str(made, "dn");
  CHECK(dn == "cn=John Smith " + sam + "," + kPeople);
  CHECK_FALSE(Bool(d.Ok("ensure_user", Args({{"uid", sam}, {"attributes", Args({{"cn", "John Smith " + sam}})}})),
                   "created"));
  CHECK(Bool(d.Ok("disable_user", Args({{"uid", sam}})), "changed"));
  CHECK(ReadWithLdapsearch(dn, "userAccountControl") == std::vector<std::string>{"514"});
  CHECK_FALSE(Bool(d.Ok("disable_user", Args({{"uid", sam}})), "changed"));
  CHECK(Bool(d.Ok("get_user", Args({{"uid", sam}})), "disabled"));
  CHECK(Bool(d.Ok("enable_user", Args({{"uid", sam}})), "changed"));
  CHECK(ReadWithLdapsearch(dn, "userAccountControl") == std::vector<std::string>{"512"});

  // unicodePwd: the quoted password in UTF-16LE, over TLS only.
  const Map& pw = d.Ok("set_password", Args({{"uid", sam}, {"password", "Pässword1"}}));
  CHECK(Str(pw, "method") == "ad");
  const std::string utf16 = "\"\0P\0\xE4\0s\0s\0w\0o\0r\0d\0\x31\0\"\0"s;
  CHECK(ReadWithLdapsearch(dn, "unicodePwd") == std::vector<std::string>{"base64:" + Base64(utf16)});
  Map plain = c;
  plain.Set("url", "ldap://127.0.0.1:" + Port());
  Directory cleartext(plain);
  const Outcome refused = cleartext.Do("set_password", Args({{"uid", sam}, {"password", "Other-pass1"}}));
  REQUIRE(std::holds_alternative<Failed>(refused));
  CHECK(FailureOf(refused)->message ==
        "ldap set_password: Active Directory accepts unicodePwd only over an encrypted connection; use an ldaps:// "
        "url or starttls: true (nothing was sent)");
  CHECK(ReadWithLdapsearch(dn, "unicodePwd") == std::vector<std::string>{"base64:" + Base64(utf16)});
}

// A server that answers the bind and searches (one entry), then never answers anything else: a
// write sent to it times out after it was sent.
class SilentAfterSearch {
 public:
  SilentAfterSearch() {
    listen_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(listen_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    getsockname(listen_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    listen(listen_, 4);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SilentAfterSearch() {
    stop_ = true;
    thread_.join();
    close(listen_);
  }
  int port() const { return port_; }
  int writes_seen() const { return writes_; }

 private:
  static std::string Message(int id, const std::string& op) {
    std::string body = "\x02\x01"s + static_cast<char>(id) + op;
    return "\x30"s + static_cast<char>(body.size()) + body;
  }
  static std::string Tlv(char tag, const std::string& v) { return std::string(1, tag) + static_cast<char>(v.size()) + v; }
  void Serve() {
    int fd = -1;
    std::string in;
    while (!stop_) {
      pollfd p{fd >= 0 ? fd : listen_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      if (fd < 0) {
        fd = accept(listen_, nullptr, nullptr);
        continue;
      }
      char buf[4096];
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) {
        close(fd);
        fd = -1;
        continue;
      }
      in.append(buf, static_cast<std::size_t>(n));
      while (in.size() >= 2 && static_cast<unsigned char>(in[1]) < 0x80 && in.size() >= 2u + static_cast<unsigned char>(in[1])) {
        const std::string msg = in.substr(0, 2 + static_cast<unsigned char>(in[1]));
        in.erase(0, msg.size());
        const int id = msg[4];
        const char op = msg[5];
        const std::string ok = "\x0a\x01\x00\x04\x00\x04\x00"s;
        std::string out;
        if (op == 0x60) out = Message(id, Tlv(0x61, ok));  // bind -> success
        if (op == 0x63) {                                  // search -> one entry, done
          const std::string attrs = Tlv(0x30, Tlv(0x04, "uid") + Tlv(0x31, Tlv(0x04, "ghost")));
          out = Message(id, Tlv(0x64, Tlv(0x04, "uid=ghost,ou=people,dc=example,dc=com") + Tlv(0x30, attrs))) +
                Message(id, Tlv(0x65, ok));
        }
        if (op == 0x4a || op == 0x66 || op == 0x68) ++writes_;  // delete, modify, add: silence
        if (!out.empty() && write(fd, out.data(), out.size()) < 0) break;
      }
    }
    if (fd >= 0) close(fd);
  }
  int listen_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> writes_{0};
  std::thread thread_;
};

TEST_CASE("ldap: a write sent without an answer by the deadline is Unknown", "[ldap]") {
  SilentAfterSearch server;
  Map c;
  c.Set("url", "ldap://127.0.0.1:" + std::to_string(server.port()));
  c.Set("bind_dn", kAdmin);
  c.Set("password", "fake-server-password");
  c.Set("base_dn", kBase);
  c.Set("timeout", "1s");
  Redactor redactor;
  redactor.Add("fake-server-password");
  MapSecretResolver secrets({});
  auto config = ParseLdapConfig(c);
  REQUIRE(config.has_value());
  boost::asio::io_context io;  // before the connector: its socket must be closed while io lives
  auto connector = MakeLdapConnector(std::move(*config), redactor, secrets);
  const Outcome read = testing::InvokeOn(io, *connector, "get_user", Args({{"uid", "ghost"}}));
  INFO(Describe(read));
  REQUIRE(std::holds_alternative<Succeeded>(read));
  const auto start = std::chrono::steady_clock::now();
  const Outcome write = testing::InvokeOn(io, *connector, "delete_user", Args({{"uid", "ghost"}}));
  INFO(Describe(write));
  REQUIRE(std::holds_alternative<Unknown>(write));
  CHECK(std::get<Unknown>(write).why ==
        "delete uid=ghost,ou=people,dc=example,dc=com: no answer before the deadline");
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(server.writes_seen() == 1);
}

TEST_CASE("ldap: a write cancelled while waiting for its answer is Unknown and leaves nothing running", "[ldap]") {
  SilentAfterSearch server;
  Map c;
  c.Set("url", "ldap://127.0.0.1:" + std::to_string(server.port()));
  c.Set("base_dn", kBase);
  c.Set("timeout", "60s");
  Redactor redactor;
  MapSecretResolver secrets({});
  auto config = ParseLdapConfig(c);
  REQUIRE(config.has_value());
  boost::asio::io_context io;  // before the connector: its socket must be closed while io lives
  auto connector = MakeLdapConnector(std::move(*config), redactor, secrets);
  boost::asio::cancellation_signal cancel;
  Outcome out = Succeeded{};
  const Action action{"delete_user", Args({{"uid", "ghost"}}), nullptr};
  const Context ctx{"k", std::chrono::steady_clock::now() + std::chrono::seconds(60), "run", "task"};
  boost::asio::co_spawn(io, connector->Invoke(action, ctx),
                        boost::asio::bind_cancellation_slot(cancel.slot(), [&out](std::exception_ptr e, Outcome o) {
                          out = e ? Outcome(Failed{}) : std::move(o);
                        }));
  boost::asio::steady_timer later(io, std::chrono::milliseconds(300));
  later.async_wait([&](const boost::system::error_code&) { cancel.emit(boost::asio::cancellation_type::terminal); });
  const auto start = std::chrono::steady_clock::now();
  io.run();  // returns only when nothing is left waiting (no wait on the socket, no timer)
  INFO(Describe(out));
  CHECK(std::holds_alternative<Unknown>(out));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  CHECK(server.writes_seen() == 1);
}


// Proof of removal (docs/proof.md): one read of what an action is about to change, one read of
// what the directory holds once it acted; each attempt of the action sees the recorded pre-state.
Outcome ObserveOn(Directory& d, Probe probe, const std::string& action, Map args, const Value& result = Value()) {
  Context ctx{"k", std::chrono::steady_clock::now() + std::chrono::seconds(20), "run", "task"};
  const Action a{action, std::move(args), nullptr};
  return testing::RunAwaitable(d.io, d.connector->Observe(probe, a, result, ctx));
}

Value PreState(Directory& d, const std::string& action, Map args) {
  const Outcome o = ObserveOn(d, Probe::kPreState, action, std::move(args));
  INFO("pre-state of " << action << ": " << Describe(o));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  return std::get<Succeeded>(o).result;
}

// The read-back's {expected, seen}; REQUIRE that it is one.
Map ReadBack(Directory& d, const std::string& action, Map args, const Map& result) {
  const Outcome o = ObserveOn(d, Probe::kReadBack, action, std::move(args), Value(result));
  INFO("read-back of " << action << ": " << Describe(o));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  return std::get<Succeeded>(o).result.AsMap();
}

// An attempt of `action` as the engine makes it after recording `pre_state`.
Outcome AttemptWith(Directory& d, const std::string& action, Map args, const Value& pre_state) {
  Context ctx{"k", std::chrono::steady_clock::now() + std::chrono::seconds(20), "run", "task"};
  ctx.pre_state = pre_state;
  const Action a{action, std::move(args), nullptr};
  return testing::RunAwaitable(d.io, d.connector->Invoke(a, ctx));
}

void ApplyInverse(Directory& d, const std::string& action, const Value& pre_state, std::size_t calls) {
  auto inverse = InverseCalls("ldap", action, pre_state);
  INFO(action << ": " << (inverse ? "" : inverse.error().message));
  REQUIRE(inverse.has_value());
  REQUIRE(inverse->size() == calls);
  for (const InverseCall& c : *inverse) d.Ok(c.action, c.args);
}

std::set<std::string> GroupDns(const Value& groups) {
  std::set<std::string> out;
  for (const Value& g : groups.AsList()) out.insert(Str(g.AsMap(), "dn"));
  return out;
}

TEST_CASE("slapd: pre-state, read-back and restore of disable, group removal, move and delete", "[.slapd]") {
  const std::string uid = Unique("proof");
  std::set<std::string> groups;
  for (const char* type : {"groupOfNames", "groupOfUniqueNames", "posixGroup"}) {
    Map c = AdminConfig();
    c.Set("group_type", type);
    Directory d(c);
    d.Ok("ensure_user", Args({{"uid", uid}}));
    const std::string name = Unique(std::string("proof-") + type);
    groups.insert(Str(d.Ok("ensure_group", Args({{"name", name}, {"gid_number", 6100}})), "dn"));
    d.Ok("add_to_group", Args({{"uid", uid}, {"group", name}}));
  }
  Directory d;
  const std::string dn = "uid=" + uid + "," + kPeople;

  // disable_user: enabled before, read back locked; the inverse unlocks.
  const Value off_before = PreState(d, "disable_user", Args({{"uid", uid}}));
  CHECK(Str(off_before.AsMap(), "dn") == dn);
  CHECK_FALSE(Bool(off_before.AsMap(), "disabled"));
  const Map off = d.Ok("disable_user", Args({{"uid", uid}}));
  const Map off_seen = ReadBack(d, "disable_user", Args({{"uid", uid}}), off);
  CHECK(off_seen.Find("expected")->AsMap().Find("disabled")->AsBool());
  CHECK(off_seen.Find("seen")->AsMap().Find("disabled")->AsBool());
  ApplyInverse(d, "disable_user", off_before, 1);
  CHECK(ReadWithLdapsearch(dn, "pwdAccountLockedTime").empty());
  // A disable of an account that was locked already has nothing to bring back.
  d.Ok("disable_user", Args({{"uid", uid}}));
  ApplyInverse(d, "disable_user", PreState(d, "disable_user", Args({{"uid", uid}})), 0);
  d.Ok("enable_user", Args({{"uid", uid}}));

  // remove_from_group: a member before, read back absent; the inverse adds the user again.
  const std::string one = *groups.begin();
  const Value member_before = PreState(d, "remove_from_group", Args({{"uid", uid}, {"group_dn", one}}));
  CHECK(Bool(member_before.AsMap(), "member"));
  CHECK(Str(member_before.AsMap(), "group_dn") == one);
  const Map left = d.Ok("remove_from_group", Args({{"uid", uid}, {"group_dn", one}}));
  const Map left_seen = ReadBack(d, "remove_from_group", Args({{"uid", uid}, {"group_dn", one}}), left);
  CHECK_FALSE(left_seen.Find("seen")->AsMap().Find("member")->AsBool());
  ApplyInverse(d, "remove_from_group", member_before, 1);
  CHECK(Bool(PreState(d, "remove_from_group", Args({{"uid", uid}, {"group_dn", one}})).AsMap(), "member"));

  // remove_from_all_groups, as after a crash: the first attempt's effect happened, its result was
  // lost. The next attempt finds no group left; it still lists the three, from the pre-state.
  const Value held = PreState(d, "remove_from_all_groups", Args({{"uid", uid}}));
  CHECK(GroupDns(*held.AsMap().Find("groups")) == groups);
  REQUIRE(std::holds_alternative<Succeeded>(AttemptWith(d, "remove_from_all_groups", Args({{"uid", uid}}), held)));
  const Outcome again = AttemptWith(d, "remove_from_all_groups", Args({{"uid", uid}}), held);
  REQUIRE(std::holds_alternative<Succeeded>(again));
  CHECK(GroupDns(*ResultMap(again).Find("groups")) == groups);
  // Without the pre-state it would list none: that is what it found.
  CHECK(ResultMap(AttemptWith(d, "remove_from_all_groups", Args({{"uid", uid}}), Value())).Find("groups")->AsList().empty());
  const Map none = ReadBack(d, "remove_from_all_groups", Args({{"uid", uid}}), ResultMap(again));
  CHECK(none.Find("seen")->AsMap().Find("groups")->AsList().empty());
  ApplyInverse(d, "remove_from_all_groups", held, 3);
  CHECK(GroupDns(*PreState(d, "remove_from_all_groups", Args({{"uid", uid}})).AsMap().Find("groups")) == groups);

  // move_user: where it was, read back under the new parent; the inverse moves it back.
  const std::string former = "ou=former,"s + kBase;
  const Value placed = PreState(d, "move_user", Args({{"uid", uid}, {"new_parent", former}}));
  CHECK(Str(placed.AsMap(), "parent") == kPeople);
  const Map moved = d.Ok("move_user", Args({{"uid", uid}, {"new_parent", former}}));
  const Map moved_seen = ReadBack(d, "move_user", Args({{"uid", uid}, {"new_parent", former}}), moved);
  CHECK(moved_seen.Find("seen")->AsMap().Find("parent")->AsString() == former);
  ApplyInverse(d, "move_user", placed, 1);
  CHECK(Str(d.Ok("get_user", Args({{"uid", uid}})), "dn") == dn);

  // delete_user: the entry as it was (no password), read back gone; not restorable.
  d.Ok("set_password", Args({{"uid", uid}, {"password", "proof-Passw0rd"}}));
  const Value entry = PreState(d, "delete_user", Args({{"uid", uid}}));
  CHECK(Str(entry.AsMap().Find("attributes")->AsMap(), "uid") == uid);
  CHECK(entry.ToJson().find("proof-Passw0rd") == std::string::npos);
  CHECK(entry.AsMap().Find("attributes")->AsMap().Find("userPassword") == nullptr);
  const Map deleted = d.Ok("delete_user", Args({{"uid", uid}}));
  const Map gone = ReadBack(d, "delete_user", Args({{"uid", uid}}), deleted);
  CHECK_FALSE(gone.Find("seen")->AsMap().Find("exists")->AsBool());
  auto inverse = InverseCalls("ldap", "delete_user", entry);
  REQUIRE_FALSE(inverse.has_value());
  CHECK(inverse.error().Is(Errc::kFailedPrecondition));
  // The pre-state of an absent user is a kNotFound read (the engine records it as such).
  const Outcome absent = ObserveOn(d, Probe::kPreState, "disable_user", Args({{"uid", uid}}));
  REQUIRE(FailureOf(absent) != nullptr);
  CHECK(FailureOf(absent)->cls == FailureClass::kNotFound);
}

}  // namespace
}  // namespace tenure::connectors::ldap
