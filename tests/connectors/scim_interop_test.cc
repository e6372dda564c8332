// The scim connector across SCIM 2.0 providers that differ: one test body, run over real HTTP
// (BeastTransport) against every server we can start here:
//   scimmy        scimmy + scimmy-routers from npm: full filters, users with `groups`
//   better-auth   Better Auth's SCIM plugin from npm: only `attribute eq "value"` filters, users
//                 without `groups`, pages capped at 100
//   sandbox       tenure's own sandbox (sandbox/scim.h), profile `full`
//   sandbox eq-only  the sandbox standing in for an eq-only provider without User.groups
// The npm servers come from the ctest fixture `scim_servers` (scim_server_ctl.sh writes their
// ports into $TENURE_SCIM_STATE); their cases are hidden ([.scim_servers]) and run through ctest
// (connectors_tests:scim_servers). The sandbox cases start the sandbox in-process and always run.
//
// Done means, on every server: onboarding twice creates one user; offboarding twice removes every
// membership (read back from the groups themselves) and deactivates (read back from the user).
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <random>
#include <set>

#include "connectors/http/beast_transport.h"
#include "connectors/http_support.h"
#include "connectors/scim/connector.h"
#include "connectors/scim/filter.h"
#include "sandbox/server.h"
#include "tests/connectors/support/scripted_transport.h"

namespace tenure::connectors {
namespace {

using testing::InvokeOn;
using testing::ResultMap;
constexpr const char* kToken = "tenure-scimmy-token";  // the fixture's servers and our sandboxes

// A name no earlier run against the same (long-lived) server used.
std::string Unique(const std::string& base) {
  static const std::string run = std::to_string(std::random_device{}() % 1'000'000);
  static int n = 0;
  return base + "-" + run + "-" + std::to_string(++n);
}

std::string FixturePort(const std::string& name) {
  const char* dir = std::getenv("TENURE_SCIM_STATE");
  if (dir == nullptr) FAIL("TENURE_SCIM_STATE is not set: run through ctest (fixture scim_servers)");
  std::ifstream in(std::string(dir) + "/" + name);
  std::string port;
  in >> port;
  if (port.empty()) FAIL("no SCIM server port in " << dir << "/" << name);
  return port;
}

// One SCIM server and a scim connector for it.
struct Target {
  // `which`: scimmy, better-auth, sandbox, sandbox-eq-only. `sandbox_options` only for sandboxes;
  // `page_size` is the connector's.
  Target(const std::string& which, sandbox::ScimOptions sandbox_options = {}, int page_size = 0) {
    if (which == "scimmy") {
      base_url = "http://127.0.0.1:" + FixturePort("port") + "/scim/v2";
    } else if (which == "better-auth") {
      base_url = "http://127.0.0.1:" + FixturePort("better_auth_port") + "/api/auth/scim/v2";
    } else {
      sandbox::SandboxOptions options;
      options.token = kToken;
      options.scim = sandbox_options;
      if (which == "sandbox-eq-only") options.scim.profile = sandbox::ScimProfile::kEqOnly;
      sb = sandbox::BackgroundSandbox::Start(options).value();
      base_url = sb->url() + "/scim/v2";
    }
    transport = http::MakeBeastTransport(io.get_executor());
    redactor.Add(kToken);
    scim::ScimConfig config;
    config.base_url = base_url;
    config.authorization = std::string("Bearer ") + kToken;
    config.page_size = page_size;
    connector = scim::MakeScimConnector(config, *transport, redactor);
  }

  Outcome Do(std::string action, Map args) {
    Outcome o = InvokeOn(io, *connector, std::move(action), std::move(args));
    INFO(testing::Describe(o));
    CHECK(testing::OutcomeText(o).find(kToken) == std::string::npos);
    return o;
  }
  Outcome Ok(std::string action, Map args) {
    std::string what = action;
    Outcome o = Do(std::move(action), std::move(args));
    INFO(what << ": " << testing::Describe(o));
    REQUIRE(std::holds_alternative<Succeeded>(o));
    return o;
  }

  // GET base_url + path, straight to the server (not through the connector): what it holds.
  Map Get(const std::string& path) {
    http::HttpRequest req;
    req.url = base_url + path;
    req.headers.emplace_back("Authorization", std::string("Bearer ") + kToken);
    req.headers.emplace_back("Accept", "application/scim+json");
    auto r = testing::RunAwaitable(io, transport->Send(req));
    REQUIRE(r.has_value());
    INFO("GET " << path << ": " << r->status << " " << r->body);
    REQUIRE(r->status == 200);
    auto body = ParseJsonBody(r->body);
    REQUIRE(body.has_value());
    REQUIRE(body->IsMap());
    return body->AsMap();
  }
  int UsersNamed(const std::string& user_name) {
    Map list = Get("/Users?filter=" + UrlEncode(scim::EqFilter("userName", user_name)));
    int n = 0;
    for (const Value& u : list.Find("Resources")->AsList()) {
      if (u.AsMap().Find("userName")->AsString() == user_name) ++n;
    }
    return n;
  }
  std::set<std::string> MembersOf(const std::string& group_id) {
    Map group = Get(scim::ResourcePath("/Groups", group_id));
    std::set<std::string> out;
    if (const Value* m = group.Find("members"); m != nullptr && m->IsList()) {
      for (const Value& v : m->AsList()) out.insert(v.AsMap().Find("value")->AsString());
    }
    return out;
  }

  std::unique_ptr<sandbox::BackgroundSandbox> sb;
  std::string base_url;
  boost::asio::io_context io;
  std::unique_ptr<http::HttpTransport> transport;
  Redactor redactor;
  std::unique_ptr<Connector> connector;
};

std::string Id(const Outcome& o) { return ResultMap(o).Find("id")->AsString(); }

// Better Auth requires an e-mail address for a userName that is not one: every user has one.
Map Person(const std::string& user_name) {
  return MakeMap({{"userName", user_name},
                  {"name", MakeMap({{"givenName", "Ada"}, {"familyName", "Lovelace"}})},
                  {"emails", List{Value(MakeMap({{"value", user_name}, {"type", "work"}, {"primary", true}}))}}});
}

std::set<std::string> GroupIds(const Outcome& o) {
  std::set<std::string> out;
  for (const Value& g : ResultMap(o).Find("groups")->AsList()) out.insert(g.AsMap().Find("id")->AsString());
  return out;
}

// The test body. `fallback_note` is the note remove_from_all_groups must carry the first time
// on a provider that cannot filter groups by member ("" = the provider can: no notes at all).
void OnboardAndOffboardTwice(Target& t, const std::string& fallback_note) {
  const std::string name = Unique("leaver") + "@example.com";
  Outcome first = t.Ok("ensure_user", Person(name));
  Outcome second = t.Ok("ensure_user", Person(name));
  const std::string uid = Id(first);
  CHECK(Id(second) == uid);
  CHECK(t.UsersNamed(name) == 1);
  CHECK(ResultMap(first).Find("notes") == nullptr);
  const std::string bystander = Id(t.Ok("ensure_user", Person(Unique("stayer") + "@example.com")));

  std::set<std::string> groups;
  std::string shared;  // the group the bystander is in too
  for (int i = 0; i < 3; ++i) {
    const std::string group = Unique("team " + std::to_string(i) + " \"quoted\"");
    std::string gid = Id(t.Ok("ensure_group", MakeMap({{"displayName", group}})));
    Outcome added = t.Ok("add_to_group", MakeMap({{"user_id", uid}, {"group", group}}));
    CHECK(ResultMap(added).Find("added")->AsBool());
    CHECK(Id(added) == gid);
    if (i == 0) {
      shared = gid;
      t.Ok("add_to_group", MakeMap({{"user_id", bystander}, {"group_id", gid}}));
      Outcome again = t.Ok("add_to_group", MakeMap({{"user_id", uid}, {"group_id", gid}}));
      CHECK_FALSE(ResultMap(again).Find("added")->AsBool());
    }
    groups.insert(gid);
  }
  for (const std::string& gid : groups) CHECK(t.MembersOf(gid).count(uid) == 1);

  Outcome off = t.Ok("remove_from_all_groups", MakeMap({{"user_id", uid}}));
  CHECK(GroupIds(off) == groups);
  if (fallback_note.empty()) {
    CHECK(ResultMap(off).Find("notes") == nullptr);
  } else {
    REQUIRE(ResultMap(off).Find("notes") != nullptr);
    const List& notes = ResultMap(off).Find("notes")->AsList();
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].AsString() == fallback_note);
  }
  Outcome again = t.Ok("remove_from_all_groups", MakeMap({{"user_id", uid}}));
  CHECK(GroupIds(again).empty());
  CHECK(ResultMap(again).Find("notes") == nullptr);  // said once per connection
  for (const std::string& gid : groups) {
    INFO("group " << gid);
    CHECK(t.MembersOf(gid).count(uid) == 0);
  }
  CHECK(t.MembersOf(shared) == std::set<std::string>{bystander});  // nobody else was removed

  Outcome deactivated = t.Ok("deactivate_user", MakeMap({{"id", uid}}));
  CHECK_FALSE(ResultMap(deactivated).Find("active")->AsBool());
  Outcome twice = t.Ok("deactivate_user", MakeMap({{"userName", name}}));
  CHECK_FALSE(ResultMap(twice).Find("active")->AsBool());
  Map user = t.Get(scim::ResourcePath("/Users", uid));
  REQUIRE(user.Find("active") != nullptr);
  CHECK(user.Find("active")->ToJson() == "false");
  CHECK(t.UsersNamed(name) == 1);
}

const std::string kEqOnlySandboxNote =
    "the provider refused the filter members[value eq \"...\"] on /Groups (HTTP 400 invalidFilter: filter must use "
    "the form attribute eq \"value\" (this server supports no other)), and its User schema has no `groups` "
    "attribute: group memberships are found by reading every group's members";

TEST_CASE("scim across providers: the sandbox, full and eq-only", "[scim][sandbox]") {
  const std::string which = GENERATE(as<std::string>{}, "sandbox", "sandbox-eq-only");
  INFO("server: " << which);
  Target t(which);
  OnboardAndOffboardTwice(t, which == "sandbox" ? "" : kEqOnlySandboxNote);
}

TEST_CASE("scim across providers: scimmy and Better Auth from npm", "[.scim_servers][scim]") {
  const std::string which = GENERATE(as<std::string>{}, "scimmy", "better-auth");
  INFO("server: " << which);
  Target t(which);
  OnboardAndOffboardTwice(
      t, which == "scimmy"
             ? ""
             : "the provider refused the filter members[value eq \"...\"] on /Groups (HTTP 400 invalidFilter: filter "
               "must use the form attribute eq \"value\"), and its User schema has no `groups` attribute: group "
               "memberships are found by reading every group's members");
}

TEST_CASE("scim across providers: a server that caps count, over several pages", "[scim][sandbox]") {
  // The connector asks for 50 a page; the eq-only sandbox serves 3 and does not say so.
  sandbox::ScimOptions capped;
  capped.max_results = 3;
  capped.advertise_max_results = false;
  Target t("sandbox-eq-only", capped, 50);
  const std::string prefix = Unique("paged");
  std::set<std::string> ids;
  for (int i = 0; i < 11; ++i) ids.insert(Id(t.Ok("ensure_user", Person(prefix + "-" + std::to_string(i) + "@x.test"))));
  REQUIRE(ids.size() == 11);
  Outcome listed = t.Ok("list_users", MakeMap({}));
  CHECK(ResultMap(listed).Find("total")->AsInt() == 11);
  std::set<std::string> seen;
  for (const Value& u : ResultMap(listed).Find("resources")->AsList()) seen.insert(u.AsMap().Find("id")->AsString());
  CHECK(seen == ids);
  CHECK(t.Get("/Users?count=50").Find("Resources")->AsList().size() == 3);  // the cap is real

  // 8 groups over 3 pages; the leaver is in the first, a middle and the last one.
  const std::string uid = *ids.begin();
  std::set<std::string> member_of;
  for (int i = 0; i < 8; ++i) {
    const std::string group = Unique("g" + std::to_string(i));
    std::string gid = Id(t.Ok("ensure_group", MakeMap({{"displayName", group}})));
    if (i == 0 || i == 4 || i == 7) {
      t.Ok("add_to_group", MakeMap({{"user_id", uid}, {"group_id", gid}}));
      member_of.insert(gid);
    }
  }
  Outcome off = t.Ok("remove_from_all_groups", MakeMap({{"user_id", uid}}));
  CHECK(GroupIds(off) == member_of);
  for (const std::string& gid : member_of) CHECK(t.MembersOf(gid).count(uid) == 0);
  CHECK(GroupIds(t.Ok("remove_from_all_groups", MakeMap({{"user_id", uid}}))).empty());
}

}  // namespace
}  // namespace tenure::connectors
