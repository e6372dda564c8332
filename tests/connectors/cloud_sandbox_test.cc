// The sandbox's Google Workspace and Microsoft 365 personalities on the wire, as a provider would
// answer: token endpoints that verify what they are given, error bodies, pagination tokens, fault
// answers and persistence. (The connectors against them: google_test.cc, msgraph_test.cc.)
#include <catch2/catch.hpp>
#include <filesystem>

#include "connectors/http_support.h"
#include "connectors/oauth/jwt.h"
#include "connectors/oauth/rest.h"
#include "sandbox/server.h"
#include "tests/connectors/support/cloud_fixture.h"

namespace tenure::connectors {
namespace {

namespace json = boost::json;
using testing::SandboxCall;

struct Wire {
  explicit Wire(sandbox::SandboxOptions options = {}) {
    options.google.demo = options.msgraph.demo = true;
    sb = sandbox::BackgroundSandbox::Start(options).value();
    transport = http::MakeBeastTransport(io.get_executor());
    key = ParseJsonBody(sb->google_key_json())->AsMap();
  }
  http::HttpResponse Send(std::string method, std::string path, std::string body = "",
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::HttpRequest req;
    req.method = std::move(method);
    req.url = sb->url() + path;
    req.body = std::move(body);
    req.headers = std::move(headers);
    auto r = testing::RunAwaitable(io, transport->Send(std::move(req)));
    REQUIRE(r.has_value());
    return *r;
  }
  // A token request with these claims (defaults: a valid assertion for `sub`).
  http::HttpResponse GoogleToken(Map claims, const std::string& pem) {
    auto jwt = oauth::MakeJwt(Map{}, claims, pem);
    REQUIRE(jwt.has_value());
    return Send("POST", "/google/token",
                oauth::FormEncode({{"grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"}, {"assertion", *jwt}}),
                {{"Content-Type", "application/x-www-form-urlencoded"}});
  }
  Map Claims(std::int64_t iat_offset = 0, std::int64_t life = 3600) {
    const std::int64_t now = oauth::UnixSeconds(std::chrono::system_clock::now()) + iat_offset;
    Map c;
    c.Set("iss", key.Find("client_email")->AsString());
    c.Set("scope", "https://www.googleapis.com/auth/admin.directory.user https://www.googleapis.com/auth/admin.directory.group");
    c.Set("aud", key.Find("token_uri")->AsString());
    c.Set("iat", now);
    c.Set("exp", now + life);
    c.Set("sub", "grace.hopper@example.com");
    return c;
  }
  std::string Pem() const { return key.Find("private_key")->AsString(); }

  std::unique_ptr<sandbox::BackgroundSandbox> sb;
  boost::asio::io_context io;
  std::unique_ptr<http::HttpTransport> transport;
  Map key;
};

json::value Body(const http::HttpResponse& r) { return json::parse(r.body); }

TEST_CASE("sandbox google: the token endpoint verifies the assertion", "[sandbox][google]") {
  Wire w;
  auto ok = w.GoogleToken(w.Claims(), w.Pem());
  REQUIRE(ok.status == 200);
  CHECK(Body(ok).at("token_type") == "Bearer");
  CHECK(Body(ok).at("expires_in") == 3600);
  auto other = oauth::GenerateRsaKeyPem();
  auto forged = w.GoogleToken(w.Claims(), *other);
  CHECK(forged.status == 400);
  CHECK(Body(forged).at("error") == "invalid_grant");
  CHECK(Body(forged).at("error_description") == "Invalid JWT Signature.");
  auto expired = w.GoogleToken(w.Claims(-7200), w.Pem());
  CHECK(expired.status == 400);
  CHECK(w.GoogleToken(w.Claims(0, 7200), w.Pem()).status == 400);  // more than an hour
  Map wrong_aud = w.Claims();
  wrong_aud.Set("aud", "https://oauth2.googleapis.com/elsewhere");
  CHECK(w.GoogleToken(wrong_aud, w.Pem()).status == 400);
  Map stranger = w.Claims();
  stranger.Set("sub", "mallory@elsewhere.example");
  CHECK(Body(w.GoogleToken(stranger, w.Pem())).at("error") == "unauthorized_client");
}

TEST_CASE("sandbox google: errors are Google's, pages are linked by nextPageToken", "[sandbox][google]") {
  sandbox::SandboxOptions options;
  options.google.page_size = 2;
  Wire w(options);
  auto anonymous = w.Send("GET", "/google/admin/directory/v1/users/ada.lovelace@example.com");
  CHECK(anonymous.status == 401);
  CHECK(Body(anonymous).at("error").at("status") == "UNAUTHENTICATED");
  CHECK(Body(anonymous).at("error").at("errors").at(0).at("reason") == "authError");
  const std::string token = std::string(Body(w.GoogleToken(w.Claims(), w.Pem())).at("access_token").as_string());
  const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + token}};
  auto missing = w.Send("GET", "/google/admin/directory/v1/users/nobody@example.com", "", auth);
  CHECK(missing.status == 404);
  CHECK(Body(missing).at("error").at("code") == 404);
  CHECK(Body(missing).at("error").at("errors").at(0).at("reason") == "notFound");
  std::vector<std::string> seen;
  std::string page;
  int pages = 0;
  do {
    auto r = w.Send("GET", "/google/admin/directory/v1/groups?userKey=ada.lovelace%40example.com" +
                               (page.empty() ? std::string() : "&pageToken=" + page), "", auth);
    REQUIRE(r.status == 200);
    const json::value body = Body(r);
    for (const auto& g : body.at("groups").as_array()) seen.emplace_back(g.at("email").as_string());
    page = body.as_object().contains("nextPageToken") ? std::string(body.at("nextPageToken").as_string()) : "";
    ++pages;
  } while (!page.empty() && pages < 10);
  CHECK(pages == 3);
  CHECK(seen.size() == 5);
  // A path segment with an encoded '/' stays one segment: no such user, not a sub-resource.
  auto encoded = w.Send("POST", "/google/admin/directory/v1/users/ada.lovelace%40example.com%2FsignOut", "", auth);
  CHECK(encoded.status == 404);
}

TEST_CASE("sandbox google: rate-limit answers as the Directory API gives them", "[sandbox][google]") {
  sandbox::SandboxOptions options;
  options.faults.push_back({"/google/admin", 0, 1, 0, 500, 0, 0, 60'000, 403, 12});
  Wire w(options);
  w.Send("GET", "/google/admin/directory/v1/users/x");
  auto limited = w.Send("GET", "/google/admin/directory/v1/users/x");
  CHECK(limited.status == 403);
  CHECK(limited.Header("Retry-After") == "12");
  CHECK(Body(limited).at("error").at("errors").at(0).at("reason") == "userRateLimitExceeded");
}

TEST_CASE("sandbox msgraph: client credentials are checked, errors are Graph's", "[sandbox][msgraph]") {
  Wire w;
  const std::string form = oauth::FormEncode({{"client_id", "tenure-sandbox-app"},
                                              {"scope", "https://graph.microsoft.com/.default"},
                                              {"grant_type", "client_credentials"},
                                              {"client_secret", "wrong"}});
  const std::vector<std::pair<std::string, std::string>> form_type = {{"Content-Type", "application/x-www-form-urlencoded"}};
  auto wrong = w.Send("POST", "/microsoft/sandbox-tenant/oauth2/v2.0/token", form, form_type);
  CHECK(wrong.status == 401);
  CHECK(Body(wrong).at("error") == "invalid_client");
  const std::string good = oauth::FormEncode({{"client_id", "tenure-sandbox-app"},
                                              {"scope", "https://graph.microsoft.com/.default"},
                                              {"grant_type", "client_credentials"},
                                              {"client_secret", "sandbox-client-secret"}});
  auto ok = w.Send("POST", "/microsoft/sandbox-tenant/oauth2/v2.0/token", good, form_type);
  REQUIRE(ok.status == 200);
  const std::string token = std::string(Body(ok).at("access_token").as_string());
  const std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer " + token}};
  CHECK(w.Send("GET", "/graph/v1.0/users/ada.lovelace@contoso.com").status == 401);
  auto missing = w.Send("GET", "/graph/v1.0/users/nobody@contoso.com", "", auth);
  CHECK(missing.status == 404);
  CHECK(Body(missing).at("error").at("code") == "Request_ResourceNotFound");
  auto bad_filter = w.Send("GET", "/graph/v1.0/users?$filter=" + UrlEncode("userPrincipalName eq 'a' or 1 eq 1"), "", auth);
  CHECK(bad_filter.status == 400);
  auto quoted = w.Send("GET", "/graph/v1.0/users?$filter=" + UrlEncode("displayName eq 'Ada Lovelace'"), "", auth);
  REQUIRE(quoted.status == 200);
  CHECK(Body(quoted).at("value").as_array().size() == 1);
  auto page = w.Send("GET", "/graph/v1.0/users/ada.lovelace@contoso.com/memberOf", "", auth);
  CHECK(Body(page).at("value").as_array().size() == 6);  // five groups and a directory role
}

TEST_CASE("sandbox cloud directories persist across a restart with --state", "[sandbox][google][msgraph]") {
  const auto dir = std::filesystem::temp_directory_path() / ("tenure_cloud_state_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  sandbox::SandboxOptions options;
  options.state_file = (dir / "state.json").string();
  std::string pem;
  {
    Wire w(options);
    pem = w.Pem();
    const std::string token = std::string(Body(w.GoogleToken(w.Claims(), w.Pem())).at("access_token").as_string());
    auto r = w.Send("PATCH", "/google/admin/directory/v1/users/ada.lovelace@example.com", R"({"suspended":true})",
                    {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
    REQUIRE(r.status == 200);
  }
  options.google.private_key_pem = pem;
  Wire again(options);
  const json::value state = testing::SandboxState(again.io, *again.transport, again.sb->url());
  bool found = false;
  for (const auto& u : state.at("google").at("users").as_array()) {
    if (u.at("primaryEmail") == "ada.lovelace@example.com") found = u.at("suspended") == true;
  }
  CHECK(found);
  CHECK(state.at("msgraph").at("users").as_array().size() == 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tenure::connectors
