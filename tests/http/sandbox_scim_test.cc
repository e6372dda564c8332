// The sandbox's SCIM 2.0 semantics, exercised over HTTP through BeastTransport: auth, create,
// uniqueness, filters (and their errors), pagination, PATCH, PUT, DELETE, discovery. Plus the
// filter parser on its own.
#include "connectors/http/url.h"
#include "sandbox/scim_filter.h"
#include "tests/http/http_test_support.h"

namespace tenure::testing {
namespace {

namespace json = boost::json;

sandbox::SandboxOptions SandboxWith(sandbox::ScimOptions scim) {
  sandbox::SandboxOptions options;
  options.scim = scim;
  return options;
}

class Scim {
 public:
  explicit Scim(sandbox::ScimOptions options = {}) : sb_(StartSandbox(SandboxWith(options))) {}

  HttpResponse Call(const std::string& method, const std::string& path, const std::string& body = "",
                    const std::string& token = kToken) {
    HttpRequest req;
    req.method = method;
    req.url = sb_->url() + "/scim/v2" + path;
    if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) req.headers.emplace_back("Content-Type", "application/scim+json");
    req.body = body;
    return Ok(client_.Send(req));
  }

  // Creates a user and returns its id.
  std::string CreateUser(const std::string& user_name, const std::string& extra = "") {
    const auto res = Call("POST", "/Users", R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":)" +
                                                json::serialize(json::value(user_name)) + extra + "}");
    INFO(res.body);
    REQUIRE(res.status == 201);
    return std::string(Json(res.body).at("id").as_string());
  }

  std::string CreateGroup(const std::string& name) {
    const auto res = Call("POST", "/Groups", R"({"displayName":")" + name + R"("})");
    REQUIRE(res.status == 201);
    return std::string(Json(res.body).at("id").as_string());
  }

  json::object List(const std::string& resource, const std::string& query) {
    const auto res = Call("GET", "/" + resource + "?" + query);
    INFO(res.body);
    REQUIRE(res.status == 200);
    return Json(res.body).as_object();
  }

  json::value Filter(const std::string& resource, const std::string& filter) {
    return List(resource, "filter=" + connectors::http::PercentEncode(filter)).at("Resources");
  }

  HttpResponse Patch(const std::string& path, const std::string& operations) {
    return Call("PATCH", path, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":)" + operations + "}");
  }

  const sandbox::BackgroundSandbox& sandbox() const { return *sb_; }

 private:
  std::unique_ptr<sandbox::BackgroundSandbox> sb_;
  Client client_;
};

void CheckScimError(const HttpResponse& res, int status, const std::string& scim_type) {
  INFO(res.body);
  CHECK(res.status == status);
  CHECK(res.Header("Content-Type") == "application/scim+json");
  const auto body = Json(res.body);
  CHECK(body.at("schemas").at(0) == "urn:ietf:params:scim:api:messages:2.0:Error");
  CHECK(body.at("status") == json::value(std::to_string(status)));
  if (!scim_type.empty()) CHECK(body.at("scimType") == json::value(scim_type));
}

TEST_CASE("SCIM: requests without the bearer token get 401", "[sandbox]") {
  Scim scim;
  CheckScimError(scim.Call("GET", "/Users", "", ""), 401, "");
  CheckScimError(scim.Call("GET", "/Users", "", "wrong"), 401, "");
  CHECK(scim.Call("GET", "/Users").status == 200);
}

TEST_CASE("SCIM: create returns 201 with id, meta and Location, and GET reads it back", "[sandbox]") {
  Scim scim;
  const auto res = scim.Call("POST", "/Users", R"({"userName":"ada@example.com","name":{"givenName":"Ada"},"active":"True"})");
  REQUIRE(res.status == 201);
  const auto user = Json(res.body);
  const std::string id(user.at("id").as_string());
  CHECK(res.Header("Location") == scim.sandbox().url() + "/scim/v2/Users/" + id);
  CHECK(user.at("meta").at("resourceType") == "User");
  CHECK(user.at("meta").at("location") == json::value(res.Header("Location")));
  CHECK(user.at("active") == true);  // "True" is tolerated as a boolean
  const auto got = Json(scim.Call("GET", "/Users/" + id).body);
  CHECK(got.at("name").at("givenName") == "Ada");
  CHECK(got.at("groups").as_array().empty());
  CheckScimError(scim.Call("GET", "/Users/nope"), 404, "");
  CheckScimError(scim.Call("POST", "/Users", R"({"name":{}})"), 400, "invalidValue");
  CheckScimError(scim.Call("POST", "/Users", "not json"), 400, "invalidSyntax");
}

TEST_CASE("SCIM: duplicate userName (any case) and group displayName are 409 uniqueness", "[sandbox]") {
  Scim scim;
  scim.CreateUser("ada@example.com");
  CheckScimError(scim.Call("POST", "/Users", R"({"userName":"ADA@example.com"})"), 409, "uniqueness");
  scim.CreateGroup("Engineering");
  CheckScimError(scim.Call("POST", "/Groups", R"({"displayName":"engineering"})"), 409, "uniqueness");
}

TEST_CASE("SCIM: filters", "[sandbox]") {
  Scim scim;
  const std::string ada = scim.CreateUser("ada@example.com", R"(,"externalId":"E1","emails":[{"value":"ada@corp.example","type":"work"}])");
  const std::string quote = scim.CreateUser(R"(o"brien\x)", R"(,"externalId":"e1")");
  const std::string group = scim.CreateGroup("Eng");
  REQUIRE(scim.Patch("/Groups/" + group, R"([{"op":"add","path":"members","value":[{"value":")" + ada + R"("}]}])").status == 200);

  auto found = scim.Filter("Users", R"(userName eq "ADA@example.com")");
  REQUIRE(found.as_array().size() == 1);
  CHECK(found.at(0).at("id") == json::value(ada));
  CHECK(scim.Filter("Users", R"(userName eq "o\"brien\\x")").at(0).at("id") == json::value(quote));
  CHECK(scim.Filter("Users", R"(externalId eq "E1")").as_array().size() == 1);  // caseExact
  CHECK(scim.Filter("Users", R"(emails.value co "corp")").at(0).at("id") == json::value(ada));
  CHECK(scim.Filter("Users", R"(emails[type eq "work" and value sw "ada"])").as_array().size() == 1);
  CHECK(scim.Filter("Users", R"(userName sw "o" or externalId eq "E1")").as_array().size() == 2);
  CHECK(scim.Filter("Users", R"(not (userName eq "ada@example.com"))").at(0).at("id") == json::value(quote));
  CHECK(scim.Filter("Users", R"(urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada@example.com")").as_array().size() == 1);
  CHECK(scim.Filter("Groups", R"(displayName eq "eng")").at(0).at("id") == json::value(group));
  CHECK(scim.Filter("Groups", R"(members[value eq ")" + ada + R"("])").at(0).at("id") == json::value(group));
  CHECK(scim.Filter("Groups", R"(members[value eq ")" + quote + R"("])").as_array().empty());
  CHECK(scim.Filter("Users", R"(groups.value eq ")" + group + R"(")").at(0).at("id") == json::value(ada));
}

TEST_CASE("SCIM: filters it does not understand are 400 invalidFilter", "[sandbox]") {
  Scim scim;
  for (const std::string& bad : std::vector<std::string>{R"(userName xx "a")", R"(userName eq)", R"(userName eq "a)", R"((userName eq "a")",
                                "userName eq unquoted", "", std::string(40, '(') + "a pr" + std::string(40, ')')}) {
    INFO(bad);
    CheckScimError(scim.Call("GET", "/Users?filter=" + connectors::http::PercentEncode(bad.empty() ? " " : bad)), 400,
                   "invalidFilter");
  }
}

TEST_CASE("SCIM: startIndex and count paginate a ListResponse", "[sandbox]") {
  Scim scim;
  for (int i = 1; i <= 5; ++i) scim.CreateUser("user" + std::to_string(i));
  const auto page = scim.List("Users", "startIndex=3&count=2");
  CHECK(page.at("schemas").at(0) == "urn:ietf:params:scim:api:messages:2.0:ListResponse");
  CHECK(page.at("totalResults") == 5);
  CHECK(page.at("startIndex") == 3);
  CHECK(page.at("itemsPerPage") == 2);
  CHECK(page.at("Resources").at(0).at("userName") == "user3");
  CHECK(page.at("Resources").at(1).at("userName") == "user4");
  CHECK(scim.List("Users", "startIndex=5&count=10").at("Resources").as_array().size() == 1);
  CHECK(scim.List("Users", "count=0").at("Resources").as_array().empty());
  CHECK(scim.List("Users", "startIndex=9").at("totalResults") == 5);
}

TEST_CASE("SCIM: PATCH add, replace and remove, with member value paths", "[sandbox]") {
  Scim scim;
  const std::string ada = scim.CreateUser("ada");
  const std::string bob = scim.CreateUser("bob");
  const std::string group = scim.CreateGroup("Eng");
  const std::string add = R"([{"op":"Add","path":"members","value":[{"value":")" + ada + R"("},{"value":")" + bob + R"("}]}])";
  REQUIRE(scim.Patch("/Groups/" + group, add).status == 200);
  const auto twice = Json(scim.Patch("/Groups/" + group, add).body);  // adding members again changes nothing
  CHECK(twice.at("members").as_array().size() == 2);
  CHECK(twice.at("members").at(0).at("display") == "ada");
  CHECK(Json(scim.Call("GET", "/Users/" + ada).body).at("groups").at(0).at("display") == "Eng");

  const std::string remove_ada = R"([{"op":"REMOVE","path":"members[value eq \")" + ada + R"(\"]"}])";
  const auto removed = Json(scim.Patch("/Groups/" + group, remove_ada).body);
  REQUIRE(removed.at("members").as_array().size() == 1);
  CHECK(removed.at("members").at(0).at("value") == json::value(bob));
  CheckScimError(scim.Patch("/Groups/" + group, remove_ada), 400, "noTarget");

  const auto replaced = Json(scim.Patch("/Users/" + ada, R"([{"op":"replace","path":"active","value":false},
      {"op":"replace","value":{"name":{"givenName":"Ada"},"displayName":"Ada L"}},
      {"op":"add","path":"name.familyName","value":"Lovelace"}])").body);
  CHECK(replaced.at("active") == false);
  CHECK(replaced.at("displayName") == "Ada L");
  CHECK(replaced.at("name").at("givenName") == "Ada");
  CHECK(replaced.at("name").at("familyName") == "Lovelace");
  CHECK(replaced.at("meta").at("version") == "W/\"2\"");
  CHECK(Json(scim.Patch("/Users/" + ada, R"([{"op":"remove","path":"displayName"}])").body).as_object().contains("displayName") == false);

  CheckScimError(scim.Patch("/Users/" + ada, R"([{"op":"replace","path":"id","value":"x"}])"), 400, "mutability");
  CheckScimError(scim.Patch("/Users/" + ada, R"([{"op":"remove"}])"), 400, "noTarget");
  CheckScimError(scim.Patch("/Users/" + ada, R"([{"op":"move","path":"a"}])"), 400, "invalidSyntax");
  CheckScimError(scim.Patch("/Users/" + ada, R"([{"op":"replace","path":"userName","value":"bob"}])"), 409, "uniqueness");
  CheckScimError(scim.Patch("/Groups/" + group, R"([{"op":"add","path":"members","value":[{"value":"ghost"}]}])"), 400,
                 "invalidValue");
  CheckScimError(scim.Patch("/Users/missing", R"([{"op":"remove","path":"x"}])"), 404, "");
}

TEST_CASE("SCIM: PATCH remove members with a value list (Azure AD form)", "[sandbox]") {
  Scim scim;
  const std::string ada = scim.CreateUser("ada");
  const std::string group = scim.CreateGroup("Eng");
  scim.Patch("/Groups/" + group, R"([{"op":"add","path":"members","value":[{"value":")" + ada + R"("}]}])");
  const auto res = Json(scim.Patch("/Groups/" + group, R"([{"op":"remove","path":"members","value":[{"value":")" + ada + R"("}]}])").body);
  CHECK(res.at("members").as_array().empty());
}

TEST_CASE("SCIM: PUT replaces the resource, keeping id and created", "[sandbox]") {
  Scim scim;
  const std::string ada = scim.CreateUser("ada", R"(,"displayName":"Ada")");
  scim.CreateUser("bob");
  const auto before = Json(scim.Call("GET", "/Users/" + ada).body);
  const auto put = scim.Call("PUT", "/Users/" + ada, R"({"userName":"ada","active":false})");
  REQUIRE(put.status == 200);
  const auto after = Json(put.body);
  CHECK(after.at("id") == json::value(ada));
  CHECK(after.at("active") == false);
  CHECK_FALSE(after.as_object().contains("displayName"));
  CHECK(after.at("meta").at("created") == before.at("meta").at("created"));
  CheckScimError(scim.Call("PUT", "/Users/" + ada, R"({"userName":"BOB"})"), 409, "uniqueness");
  CheckScimError(scim.Call("PUT", "/Users/nope", R"({"userName":"x"})"), 404, "");
}

TEST_CASE("SCIM: DELETE removes the user and its memberships", "[sandbox]") {
  Scim scim;
  const std::string ada = scim.CreateUser("ada");
  const std::string group = scim.CreateGroup("Eng");
  scim.Patch("/Groups/" + group, R"([{"op":"add","path":"members","value":[{"value":")" + ada + R"("}]}])");
  CHECK(scim.Call("DELETE", "/Users/" + ada).status == 204);
  CheckScimError(scim.Call("DELETE", "/Users/" + ada), 404, "");
  CheckScimError(scim.Call("GET", "/Users/" + ada), 404, "");
  CHECK(Json(scim.Call("GET", "/Groups/" + group).body).at("members").as_array().empty());
  CHECK(scim.Call("DELETE", "/Groups/" + group).status == 204);
  CHECK(scim.List("Groups", "").at("totalResults") == 0);
}

TEST_CASE("SCIM: discovery endpoints", "[sandbox]") {
  Scim scim;
  const auto config = Json(scim.Call("GET", "/ServiceProviderConfig").body);
  CHECK(config.at("patch").at("supported") == true);
  CHECK(config.at("filter").at("maxResults") == 200);
  CHECK(config.at("authenticationSchemes").at(0).at("type") == "oauthbearertoken");
  const auto types = Json(scim.Call("GET", "/ResourceTypes").body);
  CHECK(types.at("totalResults") == 2);
  CHECK(types.at("Resources").at(1).at("endpoint") == "/Groups");
  const auto schemas = Json(scim.Call("GET", "/Schemas").body);
  CHECK(schemas.at("Resources").at(0).at("id") == "urn:ietf:params:scim:schemas:core:2.0:User");
  CHECK(scim.Call("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group").status == 200);
  CheckScimError(scim.Call("GET", "/Nothing"), 404, "");
}

TEST_CASE("SCIM: the eq-only profile takes one `attribute eq value` and has no User.groups", "[sandbox]") {
  Scim scim(sandbox::ScimOptions{.profile = sandbox::ScimProfile::kEqOnly});
  const std::string uid = scim.CreateUser("ada");
  const std::string gid = scim.CreateGroup("Eng");
  REQUIRE(scim.Patch("/Groups/" + gid, R"([{"op":"add","path":"members","value":[{"value":")" + uid + R"("}]}])").status ==
          200);
  CHECK(scim.Filter("Users", R"(userName eq "ADA")").as_array().size() == 1);
  CHECK(scim.Filter("Groups", R"(displayName eq "Eng")").at(0).at("members").at(0).at("value") == json::value(uid));
  for (const char* refused :
       {R"(members[value eq "x"])", R"(members.value eq "x")", R"(userName sw "a")",
        R"(userName eq "a" or userName eq "b")", R"(not (userName eq "a"))", R"(userName pr)"}) {
    INFO(refused);
    const auto res = scim.Call("GET", "/Groups?filter=" + connectors::http::PercentEncode(refused));
    CheckScimError(res, 400, "invalidFilter");
    CHECK(Json(res.body).at("detail") == "filter must use the form attribute eq \"value\" (this server supports no other)");
  }
  const auto user = Json(scim.Call("GET", "/Users/" + uid).body);
  CHECK_FALSE(user.as_object().contains("groups"));
  const auto schemas = Json(scim.Call("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").body);
  for (const auto& a : schemas.at("attributes").as_array()) CHECK(a.at("name") != "groups");
  // A value path in a PATCH still works: only filters are limited.
  CHECK(scim.Patch("/Groups/" + gid, R"([{"op":"remove","path":"members[value eq \")" + uid + R"(\"]"}])").status == 200);
}

TEST_CASE("SCIM: max_results caps every page, stated or not", "[sandbox]") {
  for (bool advertise : {true, false}) {
    Scim scim(sandbox::ScimOptions{.max_results = 2, .advertise_max_results = advertise});
    for (int i = 1; i <= 5; ++i) scim.CreateUser("user" + std::to_string(i));
    const auto page = scim.List("Users", "startIndex=2&count=10");
    CHECK(page.at("totalResults") == 5);
    CHECK(page.at("itemsPerPage") == 2);
    CHECK(page.at("Resources").at(0).at("userName") == "user2");
    CHECK(scim.List("Users", "").at("Resources").as_array().size() == 2);
    const auto config = Json(scim.Call("GET", "/ServiceProviderConfig").body);
    CHECK(config.at("filter").as_object().contains("maxResults") == advertise);
    if (advertise) CHECK(config.at("filter").at("maxResults") == 2);
  }
}

TEST_CASE("ScimFilter parses and matches without HTTP", "[sandbox]") {
  using sandbox::ScimFilter;
  const auto user = Json(R"({"userName":"Ada","active":true,"emails":[{"value":"a@x","primary":true}],"meta":{"created":"2026-01-02"}})").as_object();
  auto match = [&](const char* f) {
    auto parsed = ScimFilter::Parse(f);
    INFO(f << ": " << (parsed ? "" : parsed.error().message));
    REQUIRE(parsed.has_value());
    return parsed->Matches(user);
  };
  CHECK(match(R"(userName eq "ada")"));
  CHECK(match("active eq true"));
  CHECK_FALSE(match("active eq false"));
  CHECK(match("title pr or userName pr"));
  CHECK_FALSE(match("title pr"));
  CHECK(match(R"(meta.created gt "2025-12-31" and meta.created lt "2026-02")"));
  CHECK(match(R"(emails[primary eq true and value ew "@x"])"));
  CHECK(match(R"(userName ne "bob")"));
  CHECK(match(R"(userName eq "bob" or (active eq true and not (userName sw "z")))"));
  CHECK(ScimFilter::Parse(R"(userName eq "a" and)").error().message == "expected an attribute at offset 19");
  CHECK(ScimFilter::Parse(R"(userName regex "a")").error().message == "unsupported operator \"regex\" at offset 14");
}

TEST_CASE("every prefix of a filter or PATCH body fails cleanly or parses", "[sandbox]") {
  const std::string filter = R"(emails[type eq "work" and value co "\"@x"] or not (userName sw "a" and meta.created gt "2026"))";
  for (std::size_t n = 0; n <= filter.size(); ++n) {
    const auto parsed = sandbox::ScimFilter::Parse(filter.substr(0, n));
    if (!parsed) CHECK_FALSE(parsed.error().message.empty());
  }
  Scim scim;
  const std::string id = scim.CreateUser("ada");
  const std::string body = R"({"Operations":[{"op":"replace","path":"emails[type eq "work"].value","value":"a@x"},{"op":"add","value":{"active":false}}]})";
  for (std::size_t n = 0; n < body.size(); n += 7) {
    const auto res = scim.Call("PATCH", "/Users/" + id, body.substr(0, n));
    INFO(body.substr(0, n));
    CHECK(res.status == 400);
  }
}

}  // namespace
}  // namespace tenure::testing
