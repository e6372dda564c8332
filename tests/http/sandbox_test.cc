// The sandbox beyond SCIM: echo (masking, idempotency counters), the Slack Web API, the admin
// endpoints, fault injection (rate limit, 5xx, scoping, latency) and persistence.
#include <filesystem>
#include <fstream>

#include "tests/http/http_test_support.h"

namespace tenure::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

HttpResponse Call(Client& client, const std::string& method, const std::string& url, const std::string& body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {{"Authorization", "Bearer " + kToken}}) {
  HttpRequest req;
  req.method = method;
  req.url = url;
  req.body = body;
  req.headers = std::move(headers);
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  return Ok(client.Send(req));
}

std::string CreateUser(Client& client, const std::string& base, const std::string& user_name, const std::string& email) {
  const auto res = Call(client, "POST", base + "/scim/v2/Users",
                        R"({"userName":")" + user_name + R"(","emails":[{"value":")" + email + R"(","primary":true}]})");
  REQUIRE(res.status == 201);
  return std::string(Json(res.body).at("id").as_string());
}

TEST_CASE("echo masks Authorization and secret headers and counts idempotency keys", "[sandbox]") {
  sandbox::SandboxOptions options;
  options.secret_headers = {"X-Api-Key"};
  auto sb = StartSandbox(options);
  Client client;
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization", "Bearer super-secret"}, {"X-Api-Key", "k-secret"}, {"Idempotency-Key", "run1/task1"}};
  const auto first = Json(Call(client, "POST", sb->url() + "/echo/hook", R"({"a":1})", headers).body);
  CHECK(first.at("headers").at("Authorization") == "***");
  CHECK(first.at("headers").at("X-Api-Key") == "***");
  CHECK(first.at("headers").at("Idempotency-Key") == "run1/task1");
  CHECK(first.at("json").at("a") == 1);
  CHECK(first.at("count") == 1);
  const auto second = Json(Call(client, "POST", sb->url() + "/echo/hook", R"({"a":1})", headers).body);
  CHECK(second.at("count") == 2);
  const auto state = State(client, sb->url());
  CHECK(state.at("echo_counts").at("run1/task1") == 2);
  CHECK(json::serialize(state).find("secret") == std::string::npos);
  CHECK(Call(client, "GET", sb->url() + "/echo/x?status=418").status == 418);
}

TEST_CASE("Slack: users come from SCIM, messages and invites are recorded", "[sandbox]") {
  auto sb = StartSandbox();
  Client client;
  const std::string id = CreateUser(client, sb->url(), "ada", "Ada@Example.com");
  const auto lookup = Json(Call(client, "GET", sb->url() + "/api/users.lookupByEmail?email=ada%40example.com").body);
  REQUIRE(lookup.at("ok") == true);
  const std::string slack_id(lookup.at("user").at("id").as_string());
  CHECK(slack_id == sandbox::SlackService::SlackUserId(id));
  CHECK(Json(Call(client, "POST", sb->url() + "/api/users.lookupByEmail", R"({"email":"nobody@example.com"})").body).at("error") ==
        "users_not_found");

  const auto posted = Json(Call(client, "POST", sb->url() + "/api/chat.postMessage", R"({"channel":"#general","text":"Welcome Ada"})").body);
  REQUIRE(posted.at("ok") == true);
  const std::string channel(posted.at("channel").as_string());
  CHECK(Json(Call(client, "POST", sb->url() + "/api/chat.postMessage", R"({"channel":"C9999999","text":"x"})").body).at("error") ==
        "channel_not_found");
  CHECK(Json(Call(client, "POST", sb->url() + "/api/chat.postMessage", R"({"channel":"#general"})").body).at("error") == "no_text");

  const std::string invite = R"({"channel":")" + channel + R"(","users":")" + slack_id + R"("})";
  CHECK(Json(Call(client, "POST", sb->url() + "/api/conversations.invite", invite).body).at("ok") == true);
  CHECK(Json(Call(client, "POST", sb->url() + "/api/conversations.invite", invite).body).at("error") == "already_in_channel");
  CHECK(Json(Call(client, "POST", sb->url() + "/api/conversations.invite", R"({"channel":"#general","users":"UNKNOWN1"})").body)
            .at("error") == "user_not_found");
  const auto form = Call(client, "POST", sb->url() + "/api/conversations.list", "");
  CHECK(Json(form.body).at("channels").at(0).at("name") == "general");

  Call(client, "POST", sb->url() + "/api/chat.postMessage",
       R"({"channel":"#general","text":"second","metadata":{"event_type":"tenure","event_payload":{"key":"k1"}}})");
  const auto history = Json(Call(client, "GET", sb->url() + "/api/conversations.history?channel=general&limit=1").body);
  CHECK(history.at("messages").as_array().size() == 1);
  CHECK(history.at("messages").at(0).at("text") == "second");
  CHECK(history.at("messages").at(0).at("metadata").at("event_payload").at("key") == "k1");
  CHECK(history.at("has_more") == true);
  CHECK(Json(Call(client, "GET", sb->url() + "/api/conversations.history?channel=C7654321").body).at("error") == "channel_not_found");

  const auto state = State(client, sb->url());
  CHECK(state.at("messages").at(0).at("channel_name") == "#general");
  CHECK(state.at("messages").at(0).at("text") == "Welcome Ada");
  CHECK(state.at("channels").at(0).at("members").at(0) == json::value(slack_id));
}

TEST_CASE("Slack: the colleagues outside SCIM can be looked up and sent a DM", "[sandbox]") {
  auto sb = StartSandbox();
  Client client;
  const auto mgr = Json(Call(client, "GET", sb->url() + "/api/users.lookupByEmail?email=MGR%40example.com").body);
  REQUIRE(mgr.at("ok") == true);
  CHECK(mgr.at("user").at("id") == "UMGR0001");
  CHECK(mgr.at("user").at("profile").at("email") == "mgr@example.com");
  CHECK(Json(Call(client, "GET", sb->url() + "/api/users.lookupByEmail?email=it-lead%40example.com").body).at("user").at("id") ==
        "UITLEAD1");
  const auto dm = Json(Call(client, "POST", sb->url() + "/api/chat.postMessage", R"({"channel":"UMGR0001","text":"decide"})").body);
  REQUIRE(dm.at("ok") == true);
  CHECK(dm.at("channel") == "UMGR0001");  // a DM, not a new channel named after the id
  CHECK(Json(Call(client, "POST", sb->url() + "/api/chat.postMessage", R"({"channel":"UNOBODY1","text":"x"})").body).at("channel") !=
        "UNOBODY1");
  const auto state = State(client, sb->url());
  CHECK(state.at("messages").at(0).at("channel_name") == "mgr@example.com");
  CHECK(state.at("channels").as_array().size() == 1);  // only the unknown id made a channel
  CHECK(state.at("users").as_array().empty());         // colleagues are not SCIM accounts
}

TEST_CASE("Slack: bad or missing tokens are not_authed / invalid_auth", "[sandbox]") {
  auto sb = StartSandbox();
  Client client;
  const auto missing = Call(client, "POST", sb->url() + "/api/chat.postMessage", R"({"channel":"#a","text":"x"})", {});
  CHECK(missing.status == 200);
  CHECK(Json(missing.body).at("error") == "not_authed");
  const auto wrong = Call(client, "POST", sb->url() + "/api/chat.postMessage", R"({"channel":"#a","text":"x"})",
                          {{"Authorization", "Bearer nope"}});
  CHECK(Json(wrong.body).at("error") == "invalid_auth");
  CHECK(State(client, sb->url()).at("messages").as_array().empty());
}

TEST_CASE("state lists users with their groups, and reset empties it", "[sandbox]") {
  auto sb = StartSandbox();
  Client client;
  const std::string id = CreateUser(client, sb->url(), "ada", "ada@example.com");
  const auto group = Json(Call(client, "POST", sb->url() + "/scim/v2/Groups",
                               R"({"displayName":"Eng","members":[{"value":")" + id + R"("}]})")
                              .body);
  CHECK(group.at("members").at(0).at("display") == "ada");
  auto state = State(client, sb->url());
  CHECK(state.at("users").at(0).at("userName") == "ada");
  CHECK(state.at("users").at(0).at("groups").at(0) == "Eng");
  CHECK(state.at("groups").at(0).at("members").at(0).at("display") == "ada");
  CHECK(Call(client, "POST", sb->url() + "/_sandbox/reset").status == 200);
  state = State(client, sb->url());
  CHECK(state.at("users").as_array().empty());
  CHECK(state.at("groups").as_array().empty());
}

TEST_CASE("faults: rate limit answers 429 with Retry-After, scoped by path", "[sandbox]") {
  auto sb = StartSandbox();
  Client client;
  SetFaults(client, sb->url(), R"({"path_prefix": "/scim", "rate": 2})");
  int limited = 0;
  for (int i = 0; i < 4; ++i) {
    const auto res = Call(client, "GET", sb->url() + "/scim/v2/Users");
    if (res.status == 429) {
      ++limited;
      CHECK(res.Header("Retry-After") == "1");
      CHECK(Json(res.body).at("schemas").at(0) == "urn:ietf:params:scim:api:messages:2.0:Error");
    }
  }
  CHECK(limited >= 2);  // a window boundary may let one more through
  CHECK(Call(client, "GET", sb->url() + "/echo/free").status == 200);
  const auto slack = Call(client, "POST", sb->url() + "/api/chat.postMessage", "{}");
  CHECK(slack.status == 200);  // /api is outside the rule's scope
}

TEST_CASE("faults: a share of 5xx, then cleared, and bad fault JSON is a 400", "[sandbox]") {
  auto sb = StartSandbox();
  Client client;
  SetFaults(client, sb->url(), R"([{"path_prefix": "/echo", "fail_rate": 1, "fail_status": 503}])");
  CHECK(Call(client, "GET", sb->url() + "/echo/x").status == 503);
  CHECK(Call(client, "GET", sb->url() + "/scim/v2/Users").status == 200);
  SetFaults(client, sb->url(), "[]");
  CHECK(Call(client, "GET", sb->url() + "/echo/x").status == 200);
  const auto bad = Call(client, "POST", sb->url() + "/_sandbox/faults", R"({"fail_rate": 2})");
  CHECK(bad.status == 400);
  CHECK(Json(bad.body).at("error") == "fault \"fail_rate\" must be between 0.000000 and 1.000000");
  CHECK(Json(Call(client, "POST", sb->url() + "/_sandbox/faults", R"({"nope": 1})").body).at("error") == "unknown fault \"nope\"");
}

TEST_CASE("faults: latency delays answers, and the command-line faults come back on reset", "[sandbox]") {
  sandbox::SandboxOptions options;
  options.faults = {sandbox::FaultRule{.path_prefix = "/echo", .latency_ms = 150}};
  auto sb = StartSandbox(options);
  Client client;
  auto start = std::chrono::steady_clock::now();
  Call(client, "GET", sb->url() + "/echo/x");
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
  SetFaults(client, sb->url(), "[]");
  Call(client, "POST", sb->url() + "/_sandbox/reset");
  start = std::chrono::steady_clock::now();
  Call(client, "GET", sb->url() + "/echo/x");
  CHECK(std::chrono::steady_clock::now() - start >= 150ms);
}

TEST_CASE("faults: a stalled request still takes effect (the answer is what is lost)", "[sandbox]") {
  auto sb = StartSandbox();
  Client client;
  SetFaults(client, sb->url(), R"({"path_prefix": "/scim/v2/Users", "stall_rate": 1, "stall_ms": 3000})");
  HttpRequest req;
  req.method = "POST";
  req.url = sb->url() + "/scim/v2/Users";
  req.headers = {{"Authorization", "Bearer " + kToken}};
  req.body = R"({"userName":"ada"})";
  req.timeout = 200ms;
  const auto r = client.Send(req);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().timed_out);
  CHECK(State(client, sb->url()).at("users").at(0).at("userName") == "ada");
}

TEST_CASE("the state file persists across restarts, written atomically", "[sandbox]") {
  const auto dir = std::filesystem::temp_directory_path() / ("tenure-state-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "sandbox.json").string();
  sandbox::SandboxOptions options;
  options.state_file = file;
  {
    auto sb = StartSandbox(options);
    Client client;
    CreateUser(client, sb->url(), "ada", "ada@example.com");
    Call(client, "POST", sb->url() + "/api/chat.postMessage", R"({"channel":"#general","text":"hi"})");
  }
  CHECK(std::filesystem::exists(file));
  CHECK_FALSE(std::filesystem::exists(file + ".tmp"));
  {
    auto sb = StartSandbox(options);
    Client client;
    const auto state = State(client, sb->url());
    CHECK(state.at("users").at(0).at("userName") == "ada");
    CHECK(state.at("messages").at(0).at("text") == "hi");
  }
  std::ofstream(file) << "{not json";
  auto broken = sandbox::BackgroundSandbox::Start(options);
  REQUIRE_FALSE(broken.has_value());
  CHECK_THAT(broken.error().message, Catch::StartsWith(file + ": not JSON"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tenure::testing
