// The connectors over real HTTP (BeastTransport) against tenure's own SaaS sandbox
// (sandbox/server.h BackgroundSandbox): SCIM, Slack and the echo endpoint, plus injected faults.
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "connectors/http/beast_transport.h"
#include "connectors/http_connector/connector.h"
#include "connectors/http_support.h"
#include "connectors/scim/connector.h"
#include "connectors/slack/connector.h"
#include "sandbox/server.h"
#include "tests/connectors/support/scripted_transport.h"

namespace tenure::connectors {
namespace {

using testing::FailureOf;
using testing::InvokeOn;
using testing::ResultMap;
constexpr const char* kToken = "sandbox-test-token";

struct Fixture {
  Fixture() {
    sandbox::SandboxOptions options;
    options.token = kToken;
    sb = sandbox::BackgroundSandbox::Start(options).value();
    transport = http::MakeBeastTransport(io.get_executor());
    redactor.Add(kToken);
    scim::ScimConfig scim_config;
    scim_config.base_url = sb->url() + "/scim/v2";
    scim_config.authorization = std::string("Bearer ") + kToken;
    scim = scim::MakeScimConnector(scim_config, *transport, redactor);
    slack::SlackConfig slack_config;
    slack_config.base_url = sb->url() + "/api";
    slack_config.token = kToken;
    slack = slack::MakeSlackConnector(slack_config, *transport, redactor);
    http_connector::HttpConnectorConfig http_config;
    http_config.base_url = sb->url();
    http = http_connector::MakeHttpConnector(http_config, *transport, redactor, secrets);
  }
  Outcome Do(Connector& c, std::string action, Map args, std::string key = "run1/task1") {
    Outcome o = InvokeOn(io, c, std::move(action), std::move(args), std::move(key));
    CHECK(testing::OutcomeText(o).find(kToken) == std::string::npos);
    return o;
  }
  Value State() {
    Outcome o = Do(*http, "request", MakeMap({{"method", "GET"}, {"url", "/_sandbox/state"}}));
    return ResultMap(o).Find("body") ? *ResultMap(o).Find("body") : Value();
  }
  void SetFaults(std::string json) {
    Outcome o = Do(*http, "request",
                   MakeMap({{"method", "POST"}, {"url", "/_sandbox/faults"}, {"json", *ParseJsonBody(json)}}));
    REQUIRE(std::holds_alternative<Succeeded>(o));
  }
  std::unique_ptr<sandbox::BackgroundSandbox> sb;
  boost::asio::io_context io;
  std::unique_ptr<http::HttpTransport> transport;
  Redactor redactor;
  MapSecretResolver secrets{std::map<std::string, std::string>{}};
  std::unique_ptr<Connector> scim, slack, http;
};

TEST_CASE("sandbox: onboarding through scim and slack, twice, one effect", "[sandbox][scim][slack]") {
  Fixture f;
  Map user = MakeMap({{"userName", "ada@example.com"},
                      {"name", MakeMap({{"givenName", "Ada"}, {"familyName", "Lovelace"}})},
                      {"emails", List{Value(MakeMap({{"value", "ada@example.com"}, {"primary", true}}))}}});
  for (int run = 0; run < 2; ++run) {
    INFO("run " << run);
    Outcome u = f.Do(*f.scim, "ensure_user", user);
    REQUIRE(std::holds_alternative<Succeeded>(u));
    std::string uid = ResultMap(u).Find("id")->AsString();
    REQUIRE(std::holds_alternative<Succeeded>(f.Do(
        *f.scim, "add_to_group", MakeMap({{"user_id", uid}, {"group", "Engineering"}, {"create_missing", true}}))));
    Outcome who = f.Do(*f.slack, "lookup_user_by_email", MakeMap({{"email", "ada@example.com"}}));
    REQUIRE(std::holds_alternative<Succeeded>(who));
    Outcome inv = f.Do(*f.slack, "invite_to_channels",
                       MakeMap({{"user", ResultMap(who).Find("id")->AsString()},
                                {"channels", List{Value("#it"), Value("#general")}}}));
    INFO(testing::Describe(inv));
    REQUIRE(std::holds_alternative<Succeeded>(inv));
  }
  Value state = f.State();
  REQUIRE(state.IsMap());
  CHECK(state.AsMap().Find("users")->AsList().size() == 1);
  CHECK(state.AsMap().Find("groups")->AsList().size() == 1);
  REQUIRE(std::holds_alternative<Succeeded>(
      f.Do(*f.slack, "post_message", MakeMap({{"channel", "#general"}, {"text", "Welcome \"Ada\" $(id)"}}))));
  Value after = f.State();
  REQUIRE(after.AsMap().Find("messages")->AsList().size() == 1);
  CHECK(after.AsMap().Find("messages")->AsList()[0].AsMap().Find("text")->AsString() == "Welcome \"Ada\" $(id)");
}

TEST_CASE("sandbox: offboarding removes every membership and deactivates", "[sandbox][scim]") {
  Fixture f;
  Outcome u = f.Do(*f.scim, "ensure_user", MakeMap({{"userName", "o\"brien\\x@example.com"}}));
  REQUIRE(std::holds_alternative<Succeeded>(u));
  std::string uid = ResultMap(u).Find("id")->AsString();
  for (std::string g : {"A", "B (ops)", "C*"}) {
    REQUIRE(std::holds_alternative<Succeeded>(
        f.Do(*f.scim, "add_to_group", MakeMap({{"user_id", uid}, {"group", g}, {"create_missing", true}}))));
  }
  Outcome all = f.Do(*f.scim, "remove_from_all_groups", MakeMap({{"user_id", uid}}));
  REQUIRE(std::holds_alternative<Succeeded>(all));
  CHECK(ResultMap(all).Find("groups")->AsList().size() == 3);
  Outcome off = f.Do(*f.scim, "deactivate_user", MakeMap({{"userName", "o\"brien\\x@example.com"}}));
  REQUIRE(std::holds_alternative<Succeeded>(off));
  CHECK_FALSE(ResultMap(off).Find("active")->AsBool());
  REQUIRE(std::holds_alternative<Succeeded>(f.Do(*f.scim, "delete_user", MakeMap({{"id", uid}}))));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do(*f.scim, "delete_user", MakeMap({{"id", uid}}))));
}

TEST_CASE("sandbox: the echo endpoint sees one idempotency key across retries", "[sandbox][http-connector]") {
  Fixture f;
  Map args = MakeMap({{"method", "POST"},
                      {"url", "/echo/orders"},
                      {"json", MakeMap({{"n", 1}})},
                      {"capture", MakeMap({{"key", "/idempotency_key"}, {"count", "/count"}})}});
  Outcome first = f.Do(*f.http, "request", args, "run9/task2");
  Outcome second = f.Do(*f.http, "request", args, "run9/task2");
  REQUIRE(std::holds_alternative<Succeeded>(second));
  CHECK(ResultMap(first).Find("key")->AsString() == "run9/task2");
  CHECK(ResultMap(second).Find("count")->AsInt() == 2);  // the receiver can tell it is a repeat
}

TEST_CASE("sandbox: injected faults are classified", "[sandbox][scim][slack]") {
  Fixture f;
  f.SetFaults(R"({"path_prefix":"/scim","fail_rate":1,"fail_status":503})");
  Outcome unavailable = f.Do(*f.scim, "get_user", MakeMap({{"id", "x"}}));
  INFO(testing::Describe(unavailable));
  REQUIRE(std::holds_alternative<RetryLater>(unavailable));
  CHECK(FailureOf(unavailable)->cls == FailureClass::kTransient);
  // A post is three calls (conversations.list, conversations.history, chat.postMessage); the next
  // post's first uncached call (history) is the fourth within the second.
  f.SetFaults(R"({"path_prefix":"/api","rate":3})");
  Outcome a = f.Do(*f.slack, "post_message", MakeMap({{"channel", "#x"}, {"text", "1"}}));
  Outcome b = f.Do(*f.slack, "post_message", MakeMap({{"channel", "#x"}, {"text", "2"}}));
  CHECK(std::holds_alternative<Succeeded>(a));
  REQUIRE(std::holds_alternative<RetryLater>(b));
  CHECK(FailureOf(b)->cls == FailureClass::kThrottled);
  CHECK(std::get<RetryLater>(b).after == std::chrono::seconds(1));
  f.SetFaults(R"({"path_prefix":"/scim","stall_rate":1,"stall_ms":5000})");
  boost::asio::io_context& io = f.io;
  Context ctx;
  ctx.idempotency_key = "k";
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(800);
  Action create{"ensure_user", MakeMap({{"userName", "stalled@example.com"}})};
  Outcome stalled = testing::RunAwaitable(io, f.scim->Invoke(create, ctx));
  INFO(testing::Describe(stalled));
  CHECK_FALSE(std::holds_alternative<Succeeded>(stalled));
}

TEST_CASE("sandbox: a wrong token is permanent", "[sandbox][scim][slack]") {
  Fixture f;
  scim::ScimConfig config;
  config.base_url = f.sb->url() + "/scim/v2";
  config.authorization = "Bearer not-the-token";
  auto c = scim::MakeScimConnector(config, *f.transport, f.redactor);
  Outcome o = InvokeOn(f.io, *c, "get_user", MakeMap({{"id", "x"}}));
  REQUIRE(FailureOf(o));
  CHECK(FailureOf(o)->cls == FailureClass::kPermanent);
  slack::SlackConfig sc;
  sc.base_url = f.sb->url() + "/api";
  sc.token = "xoxb-wrong";
  auto s = slack::MakeSlackConnector(sc, *f.transport, f.redactor);
  Outcome so = InvokeOn(f.io, *s, "post_message", MakeMap({{"channel", "#x"}, {"text", "1"}}));
  REQUIRE(FailureOf(so));
  CHECK(FailureOf(so)->cls == FailureClass::kPermanent);
  CHECK(FailureOf(so)->provider_code == "invalid_auth");
}

}  // namespace
}  // namespace tenure::connectors
