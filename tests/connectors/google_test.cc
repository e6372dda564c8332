// The google connector over real HTTP (BeastTransport) against the sandbox's Google Workspace
// personality (sandbox/google.h): JWT bearer auth verified by the sandbox, Directory, Gmail and
// Data Transfer APIs, faults, pagination, escaping, and the key never in any outcome.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "connectors/google/connector.h"
#include "connectors/http_support.h"
#include "connectors/oauth/jwt.h"
#include "sandbox/server.h"
#include "workflows/diagnostic.h"
#include "workflows/yaml_tree.h"
#include "tests/connectors/support/cloud_fixture.h"

namespace tenure::connectors {
namespace {

namespace json = boost::json;
using testing::FailureOf;
using testing::InvokeOn;
using testing::ResultMap;

constexpr const char* kAda = "ada.lovelace@example.com";
constexpr const char* kGrace = "grace.hopper@example.com";

struct GoogleFixture {
  explicit GoogleFixture(int token_lifetime_s = 3600, int transfer_delay_ms = 1500) {
    sandbox::SandboxOptions options;
    options.google.demo = true;
    options.google.page_size = 2;  // Ada's 5 groups come in 3 pages
    options.google.token_lifetime_s = token_lifetime_s;
    options.google.transfer_delay_ms = transfer_delay_ms;
    sb = sandbox::BackgroundSandbox::Start(options).value();
    real = http::MakeBeastTransport(io.get_executor());
    counting = std::make_unique<testing::CountingTransport>(*real);
    counting->counts["/google/token"] = 0;
    counting->counts["/groups?userKey"] = 0;
    connector = Make(sb->google_key_json());
    // A distinctive piece of the key (a line of its base64 body) must never appear anywhere.
    auto key = ParseJsonBody(sb->google_key_json())->AsMap().Find("private_key")->AsString();
    key_line = key.substr(key.find('\n') + 1, 64);
  }
  std::unique_ptr<Connector> Make(const std::string& key_json, std::string subject = kGrace) {
    Map config;
    config.Set("credentials", key_json);
    config.Set("subject", std::move(subject));
    config.Set("base_url", sb->url() + "/google");
    config.Set("gmail_url", sb->url() + "/google");
    config.Set("transfer_wait", "10s");
    auto parsed = google::ParseGoogleConfig(config);
    REQUIRE(parsed.has_value());
    return google::MakeGoogleConnector(*parsed, *counting, secrets, redactor);
  }
  Outcome Do(std::string action, Map args, Connector* c = nullptr) {
    Outcome o = InvokeOn(io, c != nullptr ? *c : *connector, std::move(action), std::move(args));
    const std::string text = testing::OutcomeText(o);
    CHECK(text.find(key_line) == std::string::npos);
    CHECK(text.find("PRIVATE KEY") == std::string::npos);
    CHECK(text.find("ya29.sandbox-") == std::string::npos);  // access tokens are secrets too
    return o;
  }
  json::value State() { return testing::SandboxState(io, *real, sb->url()); }
  json::object UserState(const std::string& email) {
    const json::value state = State();
    for (const auto& u : state.at("google").at("users").as_array()) {
      if (u.at("primaryEmail").as_string() == email) return u.as_object();
    }
    return {};
  }

  std::unique_ptr<sandbox::BackgroundSandbox> sb;
  boost::asio::io_context io;
  std::unique_ptr<http::HttpTransport> real;
  std::unique_ptr<testing::CountingTransport> counting;
  Redactor redactor;
  MapSecretResolver secrets{std::map<std::string, std::string>{{"env:NEW_PASSWORD", "Correct-Horse-42"}}};
  std::unique_ptr<Connector> connector;
  std::string key_line;
};

Map User(const std::string& user) { return MakeMap({{"user", user}}); }

TEST_CASE("google: the offboarding steps take effect once, and a second run changes nothing", "[google]") {
  GoogleFixture f;
  for (int round = 0; round < 2; ++round) {
    INFO("round " << round);
    auto suspended = f.Do("suspend_user", User(kAda));
    REQUIRE(std::holds_alternative<Succeeded>(suspended));
    CHECK(ResultMap(suspended).Find("changed")->AsBool() == (round == 0));
    CHECK(ResultMap(suspended).Find("suspended")->AsBool());
    REQUIRE(std::holds_alternative<Succeeded>(f.Do("sign_out", User(kAda))));
    auto moved = f.Do("move_to_org_unit", MakeMap({{"user", kAda}, {"org_unit_path", "/Former employees"}}));
    REQUIRE(std::holds_alternative<Succeeded>(moved));
    CHECK(ResultMap(moved).Find("changed")->AsBool() == (round == 0));
    CHECK(ResultMap(moved).Find("previous_org_unit_path")->AsString() ==
          (round == 0 ? "/Engineering" : "/Former employees"));
    auto forwarded = f.Do("set_forwarding", MakeMap({{"user", kAda}, {"to", kGrace}}));
    REQUIRE(std::holds_alternative<Succeeded>(forwarded));
    CHECK(ResultMap(forwarded).Find("verification_status")->AsString() == "accepted");
    auto groups = f.Do("remove_from_all_groups", User(kAda));
    REQUIRE(std::holds_alternative<Succeeded>(groups));
    CHECK(ResultMap(groups).Find("groups")->AsList().size() == (round == 0 ? 5u : 0u));
    auto transfer = f.Do("transfer_data", MakeMap({{"user", kAda}, {"to", kGrace}}));
    REQUIRE(std::holds_alternative<Succeeded>(transfer));
    CHECK(ResultMap(transfer).Find("status")->AsString() == "completed");
    CHECK(ResultMap(transfer).Find("created")->AsBool() == (round == 0));
  }
  const json::object ada = f.UserState(kAda);
  CHECK(ada.at("suspended") == true);
  CHECK(ada.at("orgUnitPath") == "/Former employees");
  CHECK(ada.at("groups").as_array().empty());
  CHECK(ada.at("drive_files") == 0);
  CHECK(ada.at("forwarding") == kGrace);
  CHECK(ada.at("sessions") == 0);   // three before
  CHECK(ada.at("sign_outs") == 2);  // the second signOut finds every session already ended
  CHECK(f.UserState(kGrace).at("drive_files") == 17 + 42);
  CHECK(f.State().at("google").at("transfers").as_array().size() == 1);
  // Five groups at two a page: three pages the first round, one (empty) page the second.
  CHECK(f.counting->counts["/groups?userKey"] == 4);
}

TEST_CASE("google: ensure_user creates once, then updates only what differs", "[google]") {
  GoogleFixture f;
  Map args = MakeMap({{"primaryEmail", "new.hire@example.com"},
                      {"name", MakeMap({{"givenName", "New"}, {"familyName", "Hire"}})},
                      {"orgUnitPath", "/Sales"}});
  auto first = f.Do("ensure_user", args);
  REQUIRE(std::holds_alternative<Succeeded>(first));
  CHECK(ResultMap(first).Find("created")->AsBool());
  auto again = f.Do("ensure_user", args);
  REQUIRE(std::holds_alternative<Succeeded>(again));
  CHECK_FALSE(ResultMap(again).Find("created")->AsBool());
  CHECK_FALSE(ResultMap(again).Find("updated")->AsBool());
  CHECK(ResultMap(again).Find("id")->AsString() == ResultMap(first).Find("id")->AsString());
  args.Set("orgUnitPath", "/Marketing");
  auto moved = f.Do("ensure_user", args);
  CHECK(ResultMap(moved).Find("updated")->AsBool());
  CHECK(f.State().at("google").at("users").as_array().size() == 3);
  auto alias = f.Do("add_alias", MakeMap({{"user", "new.hire@example.com"}, {"alias", "nh@example.com"}}));
  CHECK(ResultMap(alias).Find("added")->AsBool());
  auto alias_again = f.Do("add_alias", MakeMap({{"user", "new.hire@example.com"}, {"alias", "nh@example.com"}}));
  CHECK_FALSE(ResultMap(alias_again).Find("added")->AsBool());
  CHECK(ResultMap(f.Do("get_user", User("nh@example.com"))).Find("primaryEmail")->AsString() == "new.hire@example.com");
  CHECK(ResultMap(f.Do("remove_alias", MakeMap({{"user", "new.hire@example.com"}, {"alias", "nh@example.com"}})))
            .Find("removed")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("remove_alias", MakeMap({{"user", "new.hire@example.com"}, {"alias", "nh@example.com"}})))
                  .Find("removed")->AsBool());
  auto added = f.Do("add_to_group", MakeMap({{"user", "new.hire@example.com"}, {"group", "oncall@example.com"}}));
  CHECK(ResultMap(added).Find("added")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("add_to_group", MakeMap({{"user", "new.hire@example.com"}, {"group", "oncall@example.com"}})))
                  .Find("added")->AsBool());
  CHECK(ResultMap(f.Do("remove_from_group", MakeMap({{"user", "new.hire@example.com"}, {"group", "oncall@example.com"}})))
            .Find("removed")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("remove_from_group", MakeMap({{"user", "new.hire@example.com"}, {"group", "oncall@example.com"}})))
                  .Find("removed")->AsBool());
  CHECK(ResultMap(f.Do("delete_user", User("new.hire@example.com"))).Find("deleted")->AsBool());
  CHECK_FALSE(ResultMap(f.Do("delete_user", User("new.hire@example.com"))).Find("deleted")->AsBool());
}

TEST_CASE("google: each error class comes back as the engine needs it", "[google]") {
  GoogleFixture f;
  auto missing = f.Do("get_user", User("nobody@example.com"));
  REQUIRE(FailureOf(missing) != nullptr);
  CHECK(FailureOf(missing)->cls == FailureClass::kNotFound);
  auto no_group = f.Do("add_to_group", MakeMap({{"user", kAda}, {"group", "nope@example.com"}}));
  REQUIRE(std::holds_alternative<Failed>(no_group));
  CHECK(FailureOf(no_group)->cls == FailureClass::kNotFound);
  CHECK(FailureOf(no_group)->provider_code == "notFound");
  auto bad_ou = f.Do("update_user", MakeMap({{"user", kAda}, {"attributes", MakeMap({{"orgUnitPath", "Sales"}})}}));
  REQUIRE(std::holds_alternative<Failed>(bad_ou));
  CHECK(FailureOf(bad_ou)->cls == FailureClass::kPermanent);
  CHECK(FailureOf(bad_ou)->http_status == 400);
  auto external = f.Do("set_forwarding", MakeMap({{"user", kAda}, {"to", "someone@elsewhere.example"}}));
  REQUIRE(std::holds_alternative<Failed>(external));
  CHECK(FailureOf(external)->message.find("awaits verification") != std::string::npos);
  // A key the sandbox does not know: the token endpoint refuses the signature.
  auto other_key = connectors::oauth::GenerateRsaKeyPem();
  REQUIRE(other_key.has_value());
  auto forged = ParseJsonBody(f.sb->google_key_json())->AsMap();
  forged.Set("private_key", *other_key);
  f.redactor.Add(*other_key);
  auto forger = f.Make(Value(forged).ToJson());
  auto refused = f.Do("get_user", User(kAda), forger.get());
  REQUIRE(std::holds_alternative<Failed>(refused));
  CHECK(FailureOf(refused)->cls == FailureClass::kPermanent);
  CHECK(FailureOf(refused)->message.find("invalid_grant") != std::string::npos);
  CHECK(testing::OutcomeText(refused).find(other_key->substr(40, 40)) == std::string::npos);
  // Delegation to someone outside the directory.
  auto stranger = f.Make(f.sb->google_key_json(), "mallory@elsewhere.example");
  auto denied = f.Do("get_user", User(kAda), stranger.get());
  REQUIRE(std::holds_alternative<Failed>(denied));
  CHECK(FailureOf(denied)->message.find("unauthorized_client") != std::string::npos);
  // Nothing listening: retry later, nothing was sent.
  GoogleFixture g;
  g.sb.reset();
  auto down = g.Do("get_user", User(kAda));
  REQUIRE(std::holds_alternative<RetryLater>(down));
  CHECK(FailureOf(down)->cls == FailureClass::kTransient);
}

TEST_CASE("google: throttling answers are retried after Retry-After", "[google]") {
  GoogleFixture f;
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("get_user", User(kAda))));  // token fetched
  testing::SetFaults(f.io, *f.real, f.sb->url(),
                     R"({"path_prefix":"/google/admin","rate":1,"rate_status":403,"retry_after":7})");
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("get_user", User(kAda))));
  auto limited = f.Do("get_user", User(kAda));
  REQUIRE(std::holds_alternative<RetryLater>(limited));
  CHECK(std::get<RetryLater>(limited).after == std::chrono::seconds(7));
  CHECK(FailureOf(limited)->cls == FailureClass::kThrottled);
  CHECK(FailureOf(limited)->provider_code == "userRateLimitExceeded");
  testing::SetFaults(f.io, *f.real, f.sb->url(), R"({"path_prefix":"/google/admin","rate":1,"retry_after":3})");
  f.Do("get_user", User(kAda));
  auto too_many = f.Do("get_user", User(kAda));
  REQUIRE(std::holds_alternative<RetryLater>(too_many));
  CHECK(std::get<RetryLater>(too_many).after == std::chrono::seconds(3));
  CHECK(FailureOf(too_many)->cls == FailureClass::kThrottled);
  testing::SetFaults(f.io, *f.real, f.sb->url(), R"({"path_prefix":"/google/admin","fail_rate":1,"fail_status":503})");
  auto unavailable = f.Do("suspend_user", User(kAda));
  REQUIRE(std::holds_alternative<RetryLater>(unavailable));
  CHECK(FailureOf(unavailable)->cls == FailureClass::kTransient);
}

TEST_CASE("google: access tokens are cached per subject and renewed before they expire", "[google]") {
  GoogleFixture f(/*token_lifetime_s=*/2);
  for (int i = 0; i < 3; ++i) REQUIRE(std::holds_alternative<Succeeded>(f.Do("get_user", User(kAda))));
  CHECK(f.counting->counts["/google/token"] == 1);
  // Gmail settings are changed as the mailbox's owner: a second token, for that subject.
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("set_out_of_office", MakeMap({{"user", kAda}, {"message", "Gone"}}))));
  CHECK(f.counting->counts["/google/token"] == 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // past half of a 2 s life
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("get_user", User(kAda))));
  CHECK(f.counting->counts["/google/token"] == 3);
}

TEST_CASE("google: a transfer still running answers retry-later, and the retry adopts it", "[google]") {
  GoogleFixture f(3600, /*transfer_delay_ms=*/2500);
  auto first = f.Do("transfer_data", MakeMap({{"user", kAda}, {"to", kGrace}, {"wait", "0s"}}));
  REQUIRE(std::holds_alternative<RetryLater>(first));
  CHECK(FailureOf(first)->cls == FailureClass::kTransient);
  CHECK(std::get<RetryLater>(first).after.count() == 0);  // the engine's backoff, no connection pause
  CHECK(f.State().at("google").at("transfers").at(0).at("status") == "inProgress");
  auto second = f.Do("transfer_data", MakeMap({{"user", kAda}, {"to", kGrace}, {"wait", "10s"}}));
  REQUIRE(std::holds_alternative<Succeeded>(second));
  CHECK_FALSE(ResultMap(second).Find("created")->AsBool());
  CHECK(f.State().at("google").at("transfers").as_array().size() == 1);
  CHECK(f.UserState(kGrace).at("drive_files") == 59);
}

TEST_CASE("google: values are confined to their URL path segment", "[google]") {
  GoogleFixture f;
  const std::vector<std::string> corpus = {"..", ".", "../groups", "ada.lovelace@example.com/signOut",
                                           "x?userKey=ada.lovelace@example.com", "a#b", "%2e%2e", "a%2Fb",
                                           "ada.lovelace@example.com/aliases", " ada.lovelace@example.com",
                                           "grace.hopper@example.com\r\nX: y"};
  for (const std::string& bad : corpus) {
    INFO(bad);
    auto got = f.Do("get_user", User(bad));
    REQUIRE(FailureOf(got) != nullptr);
    CHECK(FailureOf(got)->cls == FailureClass::kNotFound);
    auto signed_out = f.Do("sign_out", User(bad));
    CHECK(std::holds_alternative<Failed>(signed_out));
    auto removed = f.Do("remove_from_group", MakeMap({{"user", bad}, {"group", "engineering@example.com"}}));
    REQUIRE(std::holds_alternative<Succeeded>(removed));
    CHECK_FALSE(ResultMap(removed).Find("removed")->AsBool());
  }
  CHECK(f.UserState(kAda).at("sign_outs") == 0);
  CHECK(f.UserState(kAda).at("sessions") == 3);
  CHECK(f.UserState(kAda).at("groups").as_array().size() == 5);
}

TEST_CASE("google: a generated password goes to a 0600 file, never to the result", "[google]") {
  GoogleFixture f;
  const auto dir = std::filesystem::temp_directory_path() / ("tenure_google_pw_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "password").string();
  auto reset = f.Do("reset_password", MakeMap({{"user", kAda}, {"deliver_to", file}}));
  REQUIRE(std::holds_alternative<Succeeded>(reset));
  std::ifstream in(file);
  std::string password;
  std::getline(in, password);
  CHECK(password.size() == 24);
  CHECK(testing::OutcomeText(reset).find(password) == std::string::npos);
  CHECK((std::filesystem::status(file).permissions() & std::filesystem::perms::group_all) == std::filesystem::perms::none);
  CHECK(f.redactor.Redact("pw " + password) == "pw ***");
  CHECK(f.UserState(kAda).at("password_changes") == 1);
  // From a secret reference, written by the author as text.
  workflows::Diagnostics diags;
  const workflows::YamlNode with = workflows::ParseYaml("password: \"${env:NEW_PASSWORD}\"\n", "t.yaml", diags);
  auto set = InvokeOn(f.io, *f.connector, "reset_password",
                      MakeMap({{"user", kAda}, {"password", "${env:NEW_PASSWORD}"}}), "k", &with);
  REQUIRE(std::holds_alternative<Succeeded>(set));
  CHECK(testing::OutcomeText(set).find("Correct-Horse-42") == std::string::npos);
  CHECK(f.UserState(kAda).at("password_changes") == 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tenure::connectors
