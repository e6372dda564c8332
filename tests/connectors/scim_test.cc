// The scim connector against an in-memory provider (FakeScimProvider) with switchable quirks,
// and against scripted failures.
#include <catch2/catch.hpp>

#include "connectors/http_support.h"
#include "connectors/scim/connector.h"
#include "connectors/scim/filter.h"
#include "tests/connectors/support/fake_scim.h"

namespace tenure::connectors {
namespace {

using testing::FailureOf;
using testing::FakeScimProvider;
using testing::InvokeNow;
using testing::ResultMap;
using testing::ScimQuirks;
using testing::ScriptedTransport;

constexpr const char* kToken = "scim-secret-token-4711";

struct Fixture {
  explicit Fixture(ScimQuirks q = {})
      : provider(q), transport([this](const http::HttpRequest& r) { return provider.Handle(r); }) {
    redactor.Add(kToken);
    scim::ScimConfig config;
    config.base_url = "http://scim.test/v2";
    config.authorization = std::string("Bearer ") + kToken;
    connector = scim::MakeScimConnector(config, transport, redactor);
  }
  Outcome Do(std::string action, Map args) { return InvokeNow(*connector, std::move(action), std::move(args)); }
  std::vector<std::string> Methods() const {
    std::vector<std::string> out;
    for (const auto& r : transport.requests) out.push_back(r.method);
    return out;
  }
  FakeScimProvider provider;
  ScriptedTransport transport;
  Redactor redactor;
  std::unique_ptr<Connector> connector;
};

Map Args(std::initializer_list<Map::Entry> e) { return MakeMap(e); }

bool IsMemberOf(const Map& group, const std::string& user_id) {
  const Value* m = group.Find("members");
  if (m == nullptr || !m->IsList()) return false;
  for (const Value& v : m->AsList()) {
    if (v.AsMap().Find("value")->AsString() == user_id) return true;
  }
  return false;
}

std::string OnlyUserName(const FakeScimProvider& p) {
  REQUIRE(p.users.size() == 1);
  return p.users.begin()->second.Find("userName")->AsString();
}

TEST_CASE("scim filter values are JSON string literals", "[scim]") {
  CHECK(scim::EqFilter("userName", "plain") == R"(userName eq "plain")");
  CHECK(scim::EqFilter("userName", R"(a"b\c)") == R"(userName eq "a\"b\\c")");
  CHECK(scim::EqFilter("userName", "x\ny") == R"(userName eq "x\ny")");
  CHECK(scim::EqFilter("userName", ") or (userName pr") == R"(userName eq ") or (userName pr")");
  CHECK(scim::ResourcePath("/Users", "a/b c?") == "/Users/a%2Fb%20c%3F");
}

TEST_CASE("scim ensure_user creates once, a second run changes nothing", "[scim]") {
  Fixture f;
  Map args = Args({{"userName", "ada@example.com"}, {"name", Args({{"givenName", "Ada"}})}, {"externalId", "E1"}});
  Outcome first = f.Do("ensure_user", args);
  REQUIRE(std::holds_alternative<Succeeded>(first));
  CHECK(ResultMap(first).Find("id")->AsString() == "id-1");
  CHECK(ResultMap(first).Find("active")->AsBool());
  int writes = f.provider.writes;
  Outcome second = f.Do("ensure_user", args);
  REQUIRE(std::holds_alternative<Succeeded>(second));
  CHECK(ResultMap(second).Find("id")->AsString() == "id-1");
  CHECK(f.provider.creates == 1);
  CHECK(f.provider.writes == writes);
  CHECK(testing::HeaderOf(f.transport.requests[0], "Authorization") == std::string("Bearer ") + kToken);
}

TEST_CASE("scim ensure_user patches only what differs", "[scim]") {
  Fixture f;
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "bob"}, {"externalId", "E1"}}))));
  Outcome o = f.Do("ensure_user", Args({{"userName", "bob"}, {"externalId", "E1"}, {"displayName", "Bob B"}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  const http::HttpRequest& patch = f.transport.requests.back();
  REQUIRE(patch.method == "PATCH");
  CHECK(patch.url == "http://scim.test/v2/Users/id-1");
  CHECK(
      patch.body ==
      R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"displayName","value":"Bob B"}]})");
}

TEST_CASE("scim userName with quotes and backslashes reaches the provider intact", "[scim]") {
  Fixture f;
  const std::string name = R"(o"brien\x@example.com)";
  Outcome o = f.Do("ensure_user", Args({{"userName", name}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(OnlyUserName(f.provider) == name);
  REQUIRE(!f.provider.filters.empty());
  CHECK(f.provider.filters[0] == R"(userName eq "o\"brien\\x@example.com")");
  CHECK(f.transport.requests[1].url.find("filter=userName%20eq%20%22o%5C%22brien%5C%5Cx%40example.com%22") !=
        std::string::npos);
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", name}}))));
  CHECK(f.provider.creates == 1);
}

TEST_CASE("scim injection corpus arrives as data", "[scim]") {
  const std::vector<std::string> corpus = {"$(rm -rf /)@x.com",
                                           "`id`@x.com",
                                           "line\nbreak@x.com",
                                           "star*(paren)@x.com",
                                           ") or (userName pr",
                                           "a\" or userName pr or \"",
                                           "back\\\\slash",
                                           "名前@例え.jp",
                                           "émile@x.com",
                                           "tab\there",
                                           "semi;colon&amp=1",
                                           "percent%20sign",
                                           "brackets[value eq \"x\"]"};
  Fixture f;
  for (const std::string& name : corpus) {
    INFO(name);
    Outcome o = f.Do("ensure_user", Args({{"userName", name}, {"displayName", name}}));
    REQUIRE(std::holds_alternative<Succeeded>(o));
    CHECK(ResultMap(o).Find("userName")->AsString() == name);
    Outcome again = f.Do("ensure_user", Args({{"userName", name}, {"displayName", name}}));
    REQUIRE(std::holds_alternative<Succeeded>(again));
    CHECK(ResultMap(again).Find("id")->AsString() == ResultMap(o).Find("id")->AsString());
  }
  CHECK(f.provider.creates == static_cast<int>(corpus.size()));
  for (const auto& [id, user] : f.provider.users) {
    CHECK(user.Find("displayName")->AsString() == user.Find("userName")->AsString());
  }
}

TEST_CASE("scim 409 on create adopts the existing user", "[scim]") {
  Fixture f;
  f.provider.users["id-9"] = Args({{"id", "id-9"}, {"userName", "race@x.com"}, {"active", true}});
  // The lookup misses (a replica lagging behind), so the connector tries to create.
  bool hide = true;
  ScriptedTransport lagging([&](const http::HttpRequest& r) -> testing::SendResult {
    if (hide && r.method == "GET" && r.url.find("filter=") != std::string::npos) {
      hide = false;
      return testing::Response(200, R"({"totalResults":0,"Resources":[]})");
    }
    return f.provider.Handle(r);
  });
  scim::ScimConfig config;
  config.base_url = "http://scim.test/v2";
  auto c = scim::MakeScimConnector(config, lagging, f.redactor);
  Outcome o = InvokeNow(*c, "ensure_user", Args({{"userName", "race@x.com"}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o).Find("id")->AsString() == "id-9");
  CHECK(f.provider.users.size() == 1);
}

TEST_CASE("scim without PATCH support PUTs the full representation", "[scim]") {
  Fixture f(ScimQuirks{.patch_supported = false});
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "carl"}, {"externalId", "E7"}}))));
  Outcome o = f.Do("deactivate_user", Args({{"userName", "carl"}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK_FALSE(ResultMap(o).Find("active")->AsBool());
  const http::HttpRequest& put = f.transport.requests.back();
  CHECK(put.method == "PUT");
  auto body = ParseJsonBody(put.body);
  REQUIRE(body);
  CHECK(body->AsMap().Find("externalId")->AsString() == "E7");
  CHECK(body->AsMap().Find("userName")->AsString() == "carl");
  CHECK_FALSE(body->AsMap().Contains("groups"));
  CHECK_FALSE(f.provider.users["id-1"].Find("active")->AsBool());
}

TEST_CASE("scim tolerates 204 PATCH, bodiless POST and string booleans", "[scim]") {
  Fixture f(ScimQuirks{.patch_returns_204 = true, .post_returns_no_body = true, .string_booleans = true});
  Outcome created = f.Do("ensure_user", Args({{"userName", "dora"}}));
  REQUIRE(std::holds_alternative<Succeeded>(created));
  CHECK(ResultMap(created).Find("id")->AsString() == "id-1");
  int writes = f.provider.writes;
  Outcome same = f.Do("reactivate_user", Args({{"userName", "dora"}}));  // "True" already
  REQUIRE(std::holds_alternative<Succeeded>(same));
  CHECK(f.provider.writes == writes);
  Outcome off = f.Do("deactivate_user", Args({{"id", "id-1"}}));
  REQUIRE(std::holds_alternative<Succeeded>(off));
  CHECK_FALSE(ResultMap(off).Find("active")->AsBool());
  CHECK(f.provider.writes == writes + 1);
}

TEST_CASE("scim get_user, update_user and delete_user", "[scim]") {
  Fixture f;
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "eve"}}))));
  Outcome got = f.Do("get_user", Args({{"userName", "EVE"}}));
  REQUIRE(std::holds_alternative<Succeeded>(got));
  CHECK(ResultMap(got).Find("id")->AsString() == "id-1");
  Outcome missing = f.Do("get_user", Args({{"id", "nope"}}));
  REQUIRE(FailureOf(missing));
  CHECK(FailureOf(missing)->cls == FailureClass::kNotFound);
  Outcome missing_name = f.Do("get_user", Args({{"userName", "nobody"}}));
  REQUIRE(FailureOf(missing_name));
  CHECK(FailureOf(missing_name)->cls == FailureClass::kNotFound);
  Outcome updated = f.Do("update_user", Args({{"id", "id-1"}, {"attributes", Args({{"title", "CFO"}})}}));
  REQUIRE(std::holds_alternative<Succeeded>(updated));
  CHECK(f.provider.users["id-1"].Find("title")->AsString() == "CFO");
  Outcome del1 = f.Do("delete_user", Args({{"id", "id-1"}}));
  Outcome del2 = f.Do("delete_user", Args({{"id", "id-1"}}));
  Outcome del3 = f.Do("delete_user", Args({{"userName", "eve"}}));
  REQUIRE(std::holds_alternative<Succeeded>(del1));
  REQUIRE(std::holds_alternative<Succeeded>(del2));
  REQUIRE(std::holds_alternative<Succeeded>(del3));
  CHECK(ResultMap(del1).Find("deleted")->AsBool());
  CHECK_FALSE(ResultMap(del2).Find("deleted")->AsBool());
  CHECK(f.provider.users.empty());
}

TEST_CASE("scim groups: ensure, add, remove, remove from all", "[scim]") {
  for (bool omit_groups : {false, true}) {
    DYNAMIC_SECTION("user groups attribute " << (omit_groups ? "absent" : "present")) {
      Fixture f(ScimQuirks{.omit_user_groups = omit_groups});
      REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "gus"}}))));
      Outcome g1 = f.Do("ensure_group", Args({{"displayName", "Eng \"core\""}}));
      Outcome g1again = f.Do("ensure_group", Args({{"displayName", "Eng \"core\""}}));
      REQUIRE(std::holds_alternative<Succeeded>(g1again));
      CHECK(ResultMap(g1).Find("id")->AsString() == ResultMap(g1again).Find("id")->AsString());
      std::string gid = ResultMap(g1).Find("id")->AsString();
      Outcome add1 = f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group", "Eng \"core\""}}));
      Outcome add2 = f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group_id", gid}}));
      REQUIRE(std::holds_alternative<Succeeded>(add2));
      CHECK(ResultMap(add1).Find("added")->AsBool());
      CHECK_FALSE(ResultMap(add2).Find("added")->AsBool());
      Outcome missing = f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group", "Sales"}}));
      REQUIRE(FailureOf(missing));
      CHECK(FailureOf(missing)->cls == FailureClass::kNotFound);
      Outcome created = f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group", "Sales"}, {"create_missing", true}}));
      REQUIRE(std::holds_alternative<Succeeded>(created));
      Outcome rm1 = f.Do("remove_from_group", Args({{"user_id", "id-1"}, {"group", "Sales"}}));
      Outcome rm2 = f.Do("remove_from_group", Args({{"user_id", "id-1"}, {"group", "Sales"}}));
      Outcome rm3 = f.Do("remove_from_group", Args({{"user_id", "id-1"}, {"group", "Nope"}}));
      REQUIRE(std::holds_alternative<Succeeded>(rm2));
      REQUIRE(std::holds_alternative<Succeeded>(rm3));
      CHECK(ResultMap(rm1).Find("removed")->AsBool());
      CHECK_FALSE(ResultMap(rm2).Find("removed")->AsBool());
      REQUIRE(std::holds_alternative<Succeeded>(f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group", "Sales"}}))));
      Outcome all = f.Do("remove_from_all_groups", Args({{"user_id", "id-1"}}));
      REQUIRE(std::holds_alternative<Succeeded>(all));
      const List& left = ResultMap(all).Find("groups")->AsList();
      REQUIRE(left.size() == 2);
      CHECK(left[0].AsMap().Find("displayName")->AsString() == "Eng \"core\"");
      Outcome again = f.Do("remove_from_all_groups", Args({{"user_id", "id-1"}}));
      REQUIRE(std::holds_alternative<Succeeded>(again));
      CHECK(ResultMap(again).Find("groups")->AsList().empty());
      for (const auto& [id, g] : f.provider.groups) CHECK(g.Find("members")->AsList().empty());
    }
  }
}

TEST_CASE("scim list_users follows pagination to the end", "[scim]") {
  Fixture f;
  for (int i = 0; i < 5; ++i) {
    REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "u" + std::to_string(i)}}))));
  }
  Outcome o = f.Do("list_users", Args({}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o).Find("total")->AsInt() == 5);
  CHECK(ResultMap(o).Find("resources")->AsList().size() == 5);
  Outcome groups = f.Do("list_groups", Args({{"filter", "displayName eq \"x\""}}));
  REQUIRE(std::holds_alternative<Succeeded>(groups));
  CHECK(ResultMap(groups).Find("total")->AsInt() == 0);
}

TEST_CASE("scim without filter support scans", "[scim]") {
  Fixture f(ScimQuirks{.filter_supported = false});
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "a"}}))));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "b"}}))));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "c"}}))));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "c"}}))));
  CHECK(f.provider.creates == 3);
  CHECK(f.provider.filters.empty());
}

// A provider answering every request (but /ServiceProviderConfig) with `response`.
struct Canned {
  explicit Canned(testing::SendResult response)
      : transport([response](const http::HttpRequest& r) -> testing::SendResult {
          if (r.url.ends_with("/ServiceProviderConfig")) return testing::Response(200, "{}");
          return response;
        }) {
    redactor.Add(kToken);
    scim::ScimConfig config;
    config.base_url = "http://scim.test/v2";
    config.authorization = std::string("Bearer ") + kToken;
    connector = scim::MakeScimConnector(config, transport, redactor);
  }
  ScriptedTransport transport;
  Redactor redactor;
  std::unique_ptr<Connector> connector;
};

TEST_CASE("scim error classes", "[scim]") {
  auto scim_error = [](int status, std::string type) {
    return testing::Response(status,
                             R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":")" +
                                 std::to_string(status) + R"(","scimType":")" + type +
                                 R"(","detail":"provider says no"})",
                             {{"Retry-After", "7"}});
  };
  struct Case {
    testing::SendResult response;
    int index;  // of the Outcome variant
    FailureClass cls;
  };
  http::TransportError refused{"connection refused", false, false};
  std::vector<Case> cases = {
      {scim_error(429, ""), 1, FailureClass::kThrottled},
      {scim_error(503, ""), 1, FailureClass::kTransient},
      {scim_error(500, ""), 1, FailureClass::kTransient},
      {scim_error(401, ""), 2, FailureClass::kPermanent},
      {scim_error(403, ""), 2, FailureClass::kPermanent},
      {scim_error(400, "invalidValue"), 2, FailureClass::kPermanent},
      {testing::SendResult(refused), 1, FailureClass::kTransient},
  };
  for (const Case& c : cases) {
    Canned canned(c.response);
    Outcome o = InvokeNow(*canned.connector, "get_user", Args({{"id", "x"}}));
    INFO(testing::Describe(o));
    REQUIRE(o.index() == static_cast<std::size_t>(c.index));
    CHECK(FailureOf(o)->cls == c.cls);
  }
  Canned throttled(scim_error(429, ""));
  Outcome o = InvokeNow(*throttled.connector, "get_user", Args({{"id", "x"}}));
  CHECK(std::get<RetryLater>(o).after == std::chrono::seconds(7));
  Canned invalid(scim_error(400, "invalidValue"));
  Outcome bad = InvokeNow(*invalid.connector, "ensure_user", Args({{"userName", "x"}}));
  REQUIRE(FailureOf(bad));
  CHECK(FailureOf(bad)->provider_code == "invalidValue");
  CHECK(FailureOf(bad)->http_status == 400);
  CHECK(FailureOf(bad)->message.find("provider says no") != std::string::npos);
}

TEST_CASE("scim a dropped connection after a create is Unknown, a GET timeout is retryable", "[scim]") {
  http::TransportError dropped{"connection reset after sending", true, false};
  Canned canned{testing::SendResult(dropped)};
  Outcome get = InvokeNow(*canned.connector, "get_user", Args({{"id", "x"}}));
  CHECK(std::holds_alternative<RetryLater>(get));
  ScriptedTransport t([&](const http::HttpRequest& r) -> testing::SendResult {
    if (r.method == "POST") return dropped;
    if (r.url.ends_with("/ServiceProviderConfig")) return testing::Response(200, "{}");
    return testing::Response(200, R"({"totalResults":0,"Resources":[]})");
  });
  Redactor redactor;
  scim::ScimConfig config;
  config.base_url = "http://scim.test/v2";
  auto c = scim::MakeScimConnector(config, t, redactor);
  Outcome o = InvokeNow(*c, "ensure_user", Args({{"userName", "x"}}));
  CHECK(std::holds_alternative<Unknown>(o));
}

TEST_CASE("scim malformed responses fail cleanly", "[scim]") {
  for (std::string body : {"<html><body>Bad gateway</body></html>", "{\"id\": ", "[1,2,3]", ""}) {
    Canned canned(testing::Response(200, body));
    Outcome get = InvokeNow(*canned.connector, "get_user", Args({{"id", "x"}}));
    INFO(body << " -> " << testing::Describe(get));
    REQUIRE(std::holds_alternative<Failed>(get));
    CHECK(std::get<Failed>(get).failure.cls == FailureClass::kPermanent);
    Outcome list = InvokeNow(*canned.connector, "list_users", Args({}));
    CHECK_FALSE(std::holds_alternative<Succeeded>(list));
  }
}

TEST_CASE("scim a provider that ignores startIndex is an error, not a short list", "[scim]") {
  Canned canned(testing::Response(
      200, R"({"totalResults":50,"Resources":[{"id":"1","userName":"a"},{"id":"2","userName":"b"}]})"));
  Outcome o = InvokeNow(*canned.connector, "list_users", Args({}));
  REQUIRE(std::holds_alternative<Failed>(o));
  CHECK(std::get<Failed>(o).failure.cls == FailureClass::kPermanent);
  CHECK(std::get<Failed>(o).failure.message ==
        "SCIM GET /Users: the provider served the same resources again at startIndex 3 after 2 of 50 (does it "
        "ignore startIndex?)");
  CHECK(canned.transport.requests.size() == 3);  // config, page 1, page 1 again
}

TEST_CASE("scim a provider that ignores startIndex and has served everything is fine", "[scim]") {
  Fixture f(ScimQuirks{.ignore_start_index = true});
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "a"}}))));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "b"}}))));
  Outcome o = f.Do("list_users", Args({}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o).Find("total")->AsInt() == 2);
}

TEST_CASE("scim a listing that never ends is cut with a clear error", "[scim]") {
  // Every page holds new ids and totalResults is absent: only the page cap ends it.
  int n = 0;
  ScriptedTransport transport([&n](const http::HttpRequest& r) -> testing::SendResult {
    if (r.url.ends_with("/ServiceProviderConfig")) return testing::Response(200, "{}");
    ++n;
    return testing::Response(200, R"({"Resources":[{"id":"r)" + std::to_string(n) + R"("}]})");
  });
  Redactor redactor;
  scim::ScimConfig config;
  config.base_url = "http://scim.test/v2";
  auto connector = scim::MakeScimConnector(config, transport, redactor);
  Outcome o = InvokeNow(*connector, "list_groups", Args({}));
  REQUIRE(std::holds_alternative<Failed>(o));
  CHECK(std::get<Failed>(o).failure.message ==
        "SCIM GET /Groups: the listing did not end after 10000 pages (next startIndex 10001, 10000 resources so far)");
  CHECK(n == 10'000);
}

TEST_CASE("scim pagination without totalResults reads until an empty page", "[scim]") {
  Fixture f(ScimQuirks{.omit_total_results = true});
  for (int i = 0; i < 5; ++i) {
    REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "u" + std::to_string(i)}}))));
  }
  std::size_t before = f.transport.requests.size();
  Outcome o = f.Do("list_users", Args({}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o).Find("total")->AsInt() == 5);
  // Pages of 2 (the provider's cap, below the maxResults of 100 it states): 1, 3, 5, then empty.
  std::vector<std::string> urls;
  for (std::size_t i = before; i < f.transport.requests.size(); ++i) urls.push_back(f.transport.requests[i].url);
  CHECK(urls == std::vector<std::string>{"http://scim.test/v2/Users?startIndex=1&count=100",
                                         "http://scim.test/v2/Users?startIndex=3&count=100",
                                         "http://scim.test/v2/Users?startIndex=5&count=100",
                                         "http://scim.test/v2/Users?startIndex=6&count=100"});
}

TEST_CASE("scim remove_from_all_groups on an eq-only provider without User.groups", "[scim]") {
  Fixture f(ScimQuirks{.omit_user_groups = true, .page_size = 2, .eq_only = true});
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "leaver"}}))));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "stayer"}}))));
  for (std::string g : {"a", "b", "c", "d", "e"}) {
    REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_group", Args({{"displayName", g}}))));
  }
  // ids: users id-1, id-2; groups id-3..id-7. The leaver is in a, c and e; the stayer in c.
  for (std::string gid : {"id-3", "id-5", "id-7"}) {
    REQUIRE(std::holds_alternative<Succeeded>(f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group_id", gid}}))));
  }
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("add_to_group", Args({{"user_id", "id-2"}, {"group_id", "id-5"}}))));
  Outcome off = f.Do("remove_from_all_groups", Args({{"user_id", "id-1"}}));
  INFO(testing::Describe(off));
  REQUIRE(std::holds_alternative<Succeeded>(off));
  const List& removed = ResultMap(off).Find("groups")->AsList();
  REQUIRE(removed.size() == 3);
  CHECK(removed[0].AsMap().Find("id")->AsString() == "id-3");
  CHECK(removed[2].AsMap().Find("displayName")->AsString() == "e");
  REQUIRE(ResultMap(off).Find("notes") != nullptr);
  CHECK(ResultMap(off).Find("notes")->ToJson() ==
        R"(["the provider refused the filter members[value eq \"...\"] on /Groups (HTTP 400 invalidFilter: only )"
        R"(attribute eq \"value\" filters), and the user carries no `groups` attribute: group memberships are )"
        R"(found by reading every group's members"])");
  for (const auto& [id, g] : f.provider.groups) {
    INFO(id);
    const List& members = g.Find("members")->AsList();
    CHECK(members.size() == (id == "id-5" ? 1u : 0u));
  }
  // Offboarding again: nothing left, no note (said once), and the refused filter is not retried.
  std::size_t member_filters = 0;
  for (const std::string& fl : f.provider.filters) member_filters += fl.starts_with("members[") ? 1 : 0;
  Outcome again = f.Do("remove_from_all_groups", Args({{"user_id", "id-1"}}));
  REQUIRE(std::holds_alternative<Succeeded>(again));
  CHECK(ResultMap(again).Find("groups")->AsList().empty());
  CHECK(ResultMap(again).Find("notes") == nullptr);
  std::size_t member_filters_after = 0;
  for (const std::string& fl : f.provider.filters) member_filters_after += fl.starts_with("members[") ? 1 : 0;
  CHECK(member_filters_after == member_filters);
}

TEST_CASE("scim a PATCH value path refused falls back to PUT of the group", "[scim]") {
  Fixture f(ScimQuirks{.refuse_patch_value_path = true});
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "u"}}))));
  REQUIRE(std::holds_alternative<Succeeded>(
      f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group", "g"}, {"create_missing", true}}))));
  Outcome rm = f.Do("remove_from_group", Args({{"user_id", "id-1"}, {"group", "g"}}));
  INFO(testing::Describe(rm));
  REQUIRE(std::holds_alternative<Succeeded>(rm));
  CHECK(ResultMap(rm).Find("removed")->AsBool());
  CHECK(f.provider.groups["id-2"].Find("members")->AsList().empty());
  CHECK(f.provider.groups["id-2"].Find("displayName")->AsString() == "g");
  CHECK(f.Methods().back() == "PUT");
  CHECK(ResultMap(rm).Find("notes")->ToJson() ==
        R"(["the provider refused the PATCH path members[value eq \"...\"] (400 invalidPath): memberships are )"
        R"(removed with PUT of the whole group"])");
}

TEST_CASE("scim PUT of a group's members carries If-Match and reads again on 412", "[scim]") {
  Fixture f(ScimQuirks{.patch_supported = false, .etag = true, .concurrent_writes = 1});
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "u"}}))));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_group", Args({{"displayName", "g"}}))));
  Outcome add = f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group_id", "id-2"}}));
  INFO(testing::Describe(add));
  REQUIRE(std::holds_alternative<Succeeded>(add));
  CHECK(ResultMap(add).Find("added")->AsBool());
  std::vector<std::string> if_match;
  for (const auto& r : f.transport.requests) {
    if (r.method == "PUT") if_match.push_back(testing::HeaderOf(r, "If-Match").value_or("(none)"));
  }
  // The first PUT met a concurrent write (412); the group was read again and the second matched.
  CHECK(if_match == std::vector<std::string>{"W/\"new\"", "W/\"new\"+"});
  CHECK(IsMemberOf(f.provider.groups["id-2"], "id-1"));
}

TEST_CASE("scim discovery is read once per connection", "[scim]") {
  Fixture f(ScimQuirks{.omit_user_groups = true});
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("ensure_user", Args({{"userName", "u"}}))));
  REQUIRE(std::holds_alternative<Succeeded>(
      f.Do("add_to_group", Args({{"user_id", "id-1"}, {"group", "g"}, {"create_missing", true}}))));
  for (int i = 0; i < 2; ++i) {
    REQUIRE(std::holds_alternative<Succeeded>(f.Do("remove_from_all_groups", Args({{"user_id", "id-1"}}))));
  }
  std::map<std::string, int> reads;
  for (const auto& r : f.transport.requests) {
    for (std::string ep : {"/ServiceProviderConfig", "/ResourceTypes", "/Schemas"}) {
      if (r.url.ends_with(ep)) ++reads[ep];
    }
  }
  // The fake has no /ResourceTypes or /Schemas (404): unknown, asked once all the same.
  CHECK(reads == std::map<std::string, int>{{"/ResourceTypes", 1}, {"/Schemas", 1}, {"/ServiceProviderConfig", 1}});
}

TEST_CASE("scim never returns the token", "[scim]") {
  std::string echo = std::string(R"({"status":"401","detail":"bad token )") + kToken + R"("})";
  Canned canned(testing::Response(401, echo));
  Outcome o = InvokeNow(*canned.connector, "ensure_user", Args({{"userName", "x"}}));
  REQUIRE(FailureOf(o));
  CHECK(testing::OutcomeText(o).find(kToken) == std::string::npos);
  CHECK(testing::OutcomeText(o).find("***") != std::string::npos);
  Canned leaky(testing::Response(200, std::string(R"({"id":"1","userName":"x","note":")") + kToken + R"("})"));
  Outcome ok = InvokeNow(*leaky.connector, "get_user", Args({{"id", "1"}}));
  REQUIRE(std::holds_alternative<Succeeded>(ok));
  CHECK(testing::OutcomeText(ok).find(kToken) == std::string::npos);
}

TEST_CASE("scim config parsing", "[scim]") {
  auto ok = scim::ParseScimConfig(Args({{"base_url", "https://idp/scim/v2/"}, {"username", "u"}, {"password", "p"}}));
  REQUIRE(ok.has_value());
  CHECK(ok->base_url == "https://idp/scim/v2");
  CHECK(ok->authorization == "Basic dTpw");
  CHECK_FALSE(scim::ParseScimConfig(Args({{"base_url", "ftp://x"}})).has_value());
  CHECK_FALSE(scim::ParseScimConfig(Args({{"base_url", "https://x"}, {"page_size", 0}})).has_value());
}

}  // namespace
}  // namespace tenure::connectors
