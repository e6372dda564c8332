// The msgraph connector over real HTTP (BeastTransport) against the sandbox's Microsoft 365
// personality (sandbox/msgraph.h): client-credentials auth (secret and certificate) checked by the
// sandbox, users, groups, licences and mailboxes, faults, pagination, escaping, and the
// credentials never in any outcome.
#include <catch2/catch.hpp>
#include <thread>

#include "connectors/http_support.h"
#include "connectors/msgraph/connector.h"
#include "connectors/oauth/jwt.h"
#include "connectors/oauth/rest.h"
#include "sandbox/server.h"
#include "tests/connectors/support/cloud_fixture.h"

namespace tenure::connectors {
namespace {

namespace json = boost::json;
using testing::FailureOf;
using testing::InvokeOn;
using testing::ResultMap;

constexpr const char* kAda = "ada.lovelace@contoso.com";
constexpr const char* kGrace = "grace.hopper@contoso.com";
constexpr const char* kSecret = "sandbox-client-secret";
constexpr const char* kE3 = "6fd2c87f-b296-42f0-b197-1e91e994b900";

struct GraphFixture {
  explicit GraphFixture(int token_lifetime_s = 3599, std::string certificate = "") {
    sandbox::SandboxOptions options;
    options.msgraph.demo = true;
    options.msgraph.page_size = 2;  // Ada's memberOf (5 groups and a role) comes in 3 pages
    options.msgraph.token_lifetime_s = token_lifetime_s;
    options.msgraph.client_certificate_pem = std::move(certificate);
    sb = sandbox::BackgroundSandbox::Start(options).value();
    real = http::MakeBeastTransport(io.get_executor());
    counting = std::make_unique<testing::CountingTransport>(*real);
    counting->counts["/oauth2/v2.0/token"] = 0;
    counting->counts["/memberOf"] = 0;
    redactor.Add(kSecret);
    connector = Make(kSecret);
  }
  Map Config() {
    Map config;
    config.Set("tenant_id", "sandbox-tenant");
    config.Set("client_id", "tenure-sandbox-app");
    config.Set("authority", sb->url() + "/microsoft");
    config.Set("graph_base", sb->url() + "/graph/v1.0");
    return config;
  }
  std::unique_ptr<Connector> Make(const std::string& secret) {
    Map config = Config();
    config.Set("client_secret", secret);
    return FromConfig(config);
  }
  std::unique_ptr<Connector> FromConfig(const Map& config) {
    auto parsed = msgraph::ParseGraphConfig(config);
    REQUIRE(parsed.has_value());
    return msgraph::MakeGraphConnector(*parsed, *counting, secrets, redactor);
  }
  Outcome Do(std::string action, Map args, Connector* c = nullptr) {
    Outcome o = InvokeOn(io, c != nullptr ? *c : *connector, std::move(action), std::move(args));
    const std::string text = testing::OutcomeText(o);
    CHECK(text.find(kSecret) == std::string::npos);
    CHECK(text.find(".sandbox.") == std::string::npos);  // access tokens
    return o;
  }
  json::object UserState(const std::string& upn) {
    const json::value state = testing::SandboxState(io, *real, sb->url());
    for (const auto& u : state.at("msgraph").at("users").as_array()) {
      if (u.at("userPrincipalName").as_string() == upn) return u.as_object();
    }
    return {};
  }

  std::unique_ptr<sandbox::BackgroundSandbox> sb;
  boost::asio::io_context io;
  std::unique_ptr<http::HttpTransport> real;
  std::unique_ptr<testing::CountingTransport> counting;
  Redactor redactor;
  MapSecretResolver secrets{std::map<std::string, std::string>{}};
  std::unique_ptr<Connector> connector;
};

Map User(const std::string& user) { return MakeMap({{"user", user}}); }

TEST_CASE("msgraph: the offboarding steps take effect once, and a second run changes nothing", "[msgraph]") {
  GraphFixture f;
  auto manager = f.Do("get_manager", User(kAda));
  REQUIRE(std::holds_alternative<Succeeded>(manager));
  CHECK(ResultMap(manager).Find("userPrincipalName")->AsString() == kGrace);
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    auto disabled = f.Do("disable_user", User(kAda));
    REQUIRE(std::holds_alternative<Succeeded>(disabled));
    CHECK(ResultMap(disabled).Find("changed")->AsBool() == (round == 0));
    CHECK_FALSE(ResultMap(disabled).Find("accountEnabled")->AsBool());
    REQUIRE(std::holds_alternative<Succeeded>(f.Do("revoke_sessions", User(kAda))));
    auto groups = f.Do("remove_from_all_groups", User(kAda));
    REQUIRE(std::holds_alternative<Succeeded>(groups));
    CHECK(ResultMap(groups).Find("groups")->AsList().size() == (round == 0 ? 4u : 0u));
    REQUIRE(ResultMap(groups).Find("skipped")->AsList().size() == 1u);  // the dynamic group stays, said why
    CHECK(ResultMap(groups).Find("skipped")->AsList()[0].AsMap().Find("reason")->AsString().find("dynamic") !=
          std::string::npos);
    auto licenses = f.Do("remove_licenses", User(kAda));
    REQUIRE(std::holds_alternative<Succeeded>(licenses));
    CHECK(ResultMap(licenses).Find("freed")->AsList().size() == (round == 0 ? 2u : 0u));
    auto forwarding = f.Do("set_forwarding", MakeMap({{"user", kAda}, {"to", kGrace}}));
    REQUIRE(std::holds_alternative<Succeeded>(forwarding));
    CHECK(ResultMap(forwarding).Find("change")->AsString() == (round == 0 ? "created" : "none"));
    auto replies = f.Do("set_automatic_replies", MakeMap({{"user", kAda}, {"internal_message", "Ada has left; ask Grace."}}));
    REQUIRE(std::holds_alternative<Succeeded>(replies));
  }
  const json::object ada = f.UserState(kAda);
  CHECK(ada.at("accountEnabled") == false);
  CHECK(ada.at("groups") == json::array{"London (dynamic)"});
  CHECK(ada.at("licenses").as_array().empty());
  CHECK(ada.at("sessions") == 0);  // two before
  CHECK(ada.at("revocations") == 2);
  CHECK(ada.at("forwarding") == kGrace);
  CHECK(ada.at("automatic_replies") == "alwaysEnabled");
  // memberOf at two a page: 6 entries (3 pages), then the dynamic group and the role (1 page).
  CHECK(f.counting->counts["/memberOf"] == 4);
}

TEST_CASE("msgraph: users and memberships are created once", "[msgraph]") {
  GraphFixture f;
  Map args = MakeMap({{"userPrincipalName", "new.hire@contoso.com"}, {"displayName", "New Hire"}, {"usageLocation", "FR"}});
  auto first = f.Do("ensure_user", args);
  REQUIRE(std::holds_alternative<Succeeded>(first));
  CHECK(ResultMap(first).Find("created")->AsBool());
  auto again = f.Do("ensure_user", args);
  CHECK_FALSE(ResultMap(again).Find("created")->AsBool());
  CHECK_FALSE(ResultMap(again).Find("updated")->AsBool());
  args.Set("jobTitle", "Engineer");
  CHECK(ResultMap(f.Do("ensure_user", args)).Find("updated")->AsBool());
  const std::string id = ResultMap(first).Find("id")->AsString();
  Map add = MakeMap({{"user", "new.hire@contoso.com"}, {"group", "On call"}});
  CHECK(ResultMap(f.Do("add_to_group", add)).Find("added")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("add_to_group", add)).Find("added")->AsBool());
  CHECK(ResultMap(f.Do("remove_from_group", add)).Find("removed")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("remove_from_group", add)).Find("removed")->AsBool());
  Map license = MakeMap({{"user", id}, {"sku_id", kE3}});
  CHECK(ResultMap(f.Do("assign_license", license)).Find("added")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("assign_license", license)).Find("added")->AsBool());
  CHECK(ResultMap(f.Do("delete_user", User(id))).Find("deleted")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("delete_user", User(id))).Find("deleted")->AsBool());
  CHECK(f.UserState("new.hire@contoso.com").at("deleted") == true);
  auto restored = f.Do("restore_user", MakeMap({{"id", id}}));
  REQUIRE(std::holds_alternative<Succeeded>(restored));
  CHECK(ResultMap(restored).Find("restored")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("restore_user", MakeMap({{"id", id}}))).Find("restored")->AsBool());
  CHECK(f.UserState("new.hire@contoso.com").at("deleted") == false);
  auto no_manager = f.Do("get_manager", User(id));
  REQUIRE(std::holds_alternative<Succeeded>(no_manager));
  CHECK_FALSE(ResultMap(no_manager).Find("found")->AsBool());
}

TEST_CASE("msgraph: each error class comes back as the engine needs it", "[msgraph]") {
  GraphFixture f;
  auto missing = f.Do("get_user", User("nobody@contoso.com"));
  REQUIRE(FailureOf(missing) != nullptr);
  CHECK(FailureOf(missing)->cls == FailureClass::kNotFound);
  CHECK(FailureOf(missing)->http_status == 404);
  auto no_group = f.Do("add_to_group", MakeMap({{"user", kAda}, {"group", "No such group"}}));
  REQUIRE(FailureOf(no_group) != nullptr);
  CHECK(FailureOf(no_group)->cls == FailureClass::kNotFound);
  auto bad_sku = f.Do("assign_license", MakeMap({{"user", kAda}, {"sku_id", "00000000-0000-0000-0000-000000000000"}}));
  REQUIRE(std::holds_alternative<Failed>(bad_sku));
  CHECK(FailureOf(bad_sku)->cls == FailureClass::kPermanent);
  CHECK(FailureOf(bad_sku)->http_status == 400);
  const std::string wrong = "not-the-secret-0123";
  f.redactor.Add(wrong);
  auto intruder = f.Make(wrong);
  auto refused = f.Do("get_user", User(kAda), intruder.get());
  REQUIRE(std::holds_alternative<Failed>(refused));
  CHECK(FailureOf(refused)->cls == FailureClass::kPermanent);
  CHECK(FailureOf(refused)->message.find("AADSTS7000215") != std::string::npos);
  CHECK(testing::OutcomeText(refused).find(wrong) == std::string::npos);
  Map bad_tenant = f.Config();
  bad_tenant.Set("tenant_id", "other-tenant");
  bad_tenant.Set("client_secret", kSecret);
  auto elsewhere = f.FromConfig(bad_tenant);
  CHECK(FailureOf(f.Do("get_user", User(kAda), elsewhere.get()))->message.find("AADSTS90002") != std::string::npos);
  Map neither = f.Config();
  CHECK_FALSE(msgraph::ParseGraphConfig(neither).has_value());
}

TEST_CASE("msgraph: 429 and 503 are retried after Retry-After", "[msgraph]") {
  GraphFixture f;
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("get_user", User(kAda))));
  testing::SetFaults(f.io, *f.real, f.sb->url(), R"({"path_prefix":"/graph","rate":1,"retry_after":9})");
  f.Do("get_user", User(kAda));
  auto limited = f.Do("get_user", User(kAda));
  REQUIRE(std::holds_alternative<RetryLater>(limited));
  CHECK(std::get<RetryLater>(limited).after == std::chrono::seconds(9));
  CHECK(FailureOf(limited)->cls == FailureClass::kThrottled);
  CHECK(FailureOf(limited)->provider_code == "TooManyRequests");
  testing::SetFaults(f.io, *f.real, f.sb->url(), R"({"path_prefix":"/graph","fail_rate":1,"fail_status":503})");
  auto unavailable = f.Do("disable_user", User(kAda));
  REQUIRE(std::holds_alternative<RetryLater>(unavailable));
  CHECK(std::get<RetryLater>(unavailable).after == std::chrono::seconds(1));
  CHECK(FailureOf(unavailable)->cls == FailureClass::kTransient);
  testing::SetFaults(f.io, *f.real, f.sb->url(), "[]");
  CHECK(f.UserState(kAda).at("accountEnabled") == true);  // nothing happened while it failed
}

TEST_CASE("msgraph: the app token is cached and renewed before it expires", "[msgraph]") {
  GraphFixture f(/*token_lifetime_s=*/2);
  for (int i = 0; i < 3; ++i) REQUIRE(std::holds_alternative<Succeeded>(f.Do("get_user", User(kAda))));
  CHECK(f.counting->counts["/oauth2/v2.0/token"] == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("get_user", User(kAda))));
  CHECK(f.counting->counts["/oauth2/v2.0/token"] == 2);
}

TEST_CASE("msgraph: a certificate credential signs a client assertion the sandbox verifies", "[msgraph]") {
  auto key = oauth::GenerateRsaKeyPem();
  REQUIRE(key.has_value());
  auto cert = oauth::SelfSignedCertificatePem(*key, "tenure-test");
  REQUIRE(cert.has_value());
  GraphFixture f(3599, *cert);
  f.redactor.Add(*key);
  Map config = f.Config();
  config.Set("certificate", *cert);
  config.Set("private_key", *key);
  auto with_cert = f.FromConfig(config);
  auto got = f.Do("get_user", User(kAda), with_cert.get());
  REQUIRE(std::holds_alternative<Succeeded>(got));
  CHECK(testing::OutcomeText(got).find(key->substr(60, 40)) == std::string::npos);
  // Another key pair's certificate is not the registered one.
  auto other_key = oauth::GenerateRsaKeyPem();
  auto other_cert = oauth::SelfSignedCertificatePem(*other_key, "intruder");
  f.redactor.Add(*other_key);
  config.Set("certificate", *other_cert);
  config.Set("private_key", *other_key);
  auto intruder = f.FromConfig(config);
  auto refused = f.Do("get_user", User(kAda), intruder.get());
  REQUIRE(std::holds_alternative<Failed>(refused));
  CHECK(FailureOf(refused)->message.find("AADSTS700027") != std::string::npos);
}

TEST_CASE("msgraph: OData filter values and path segments cannot change the request", "[msgraph]") {
  GraphFixture f;
  CHECK(oauth::ODataString("o'brien") == "'o''brien'");
  CHECK(oauth::PathSegment("..") == "%2E%2E");
  CHECK(oauth::PathSegment("a/b?c#d") == "a%2Fb%3Fc%23d");
  // A quote in a user principal name is data: created once, found again.
  Map obrien = MakeMap({{"userPrincipalName", "o'brien@contoso.com"}, {"displayName", "Pat O'Brien"}});
  CHECK(ResultMap(f.Do("ensure_user", obrien)).Find("created")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("ensure_user", obrien)).Find("created")->AsBool());
  // A value that would widen the filter must never adopt (or change) somebody else.
  Map sneaky = MakeMap({{"userPrincipalName", "x' or userPrincipalName eq 'ada.lovelace@contoso.com"},
                        {"displayName", "Mallory"}});
  auto created = f.Do("ensure_user", sneaky);
  REQUIRE(std::holds_alternative<Succeeded>(created));
  CHECK(ResultMap(created).Find("created")->AsBool());
  CHECK(ResultMap(f.Do("get_user", User(kAda))).Find("displayName")->AsString() == "Ada Lovelace");
  auto group = f.Do("add_to_group", MakeMap({{"user", kAda}, {"group", "x' or displayName eq 'On call"}}));
  REQUIRE(FailureOf(group) != nullptr);
  CHECK(FailureOf(group)->cls == FailureClass::kNotFound);
  const std::vector<std::string> corpus = {"..", "../groups", "ada.lovelace@contoso.com/revokeSignInSessions",
                                           "x?$filter=1", "a#b", "%2e%2e", "ada.lovelace@contoso.com/manager"};
  for (const std::string& bad : corpus) {
    INFO(bad);
    auto revoked = f.Do("revoke_sessions", User(bad));
    REQUIRE(FailureOf(revoked) != nullptr);
    CHECK(FailureOf(revoked)->cls == FailureClass::kNotFound);
    CHECK(std::holds_alternative<Failed>(f.Do("disable_user", User(bad))));
  }
  CHECK(f.UserState(kAda).at("revocations") == 0);
  CHECK(f.UserState(kAda).at("sessions") == 2);
  CHECK(f.UserState(kAda).at("accountEnabled") == true);
}

}  // namespace
}  // namespace tenure::connectors
