// The slack connector against a scripted Web API.
#include <catch2/catch.hpp>
#include <ctime>
#include <map>
#include <set>

#include "connectors/http_support.h"
#include "connectors/slack/connector.h"
#include "tests/connectors/support/scripted_transport.h"
#include "workflows/filters.h"

namespace tenure::connectors {
namespace {

using testing::FailureOf;
using testing::InvokeNow;
using testing::Response;
using testing::ResultMap;
using testing::ScriptedTransport;
using testing::SendResult;

constexpr const char* kToken = "xoxb-slack-secret-999";

// A tiny Slack: two channels, one user, membership remembered; `next_error` forces ok:false.
struct FakeSlack {
  SendResult Handle(const http::HttpRequest& r) {
    if (!next_error.empty() && r.url.find("/chat.postMessage") != std::string::npos) {
      std::string e = std::exchange(next_error, "");
      return Response(200, R"({"ok":false,"error":")" + e + R"("})", {{"Retry-After", "3"}});
    }
    auto body = ParseJsonBody(r.body).value_or(Value(Map{}));
    auto str = [&](const char* k) {
      return body.IsMap() && body.AsMap().Find(k) ? body.AsMap().Find(k)->ToText() : "";
    };
    if (r.url.find("/chat.postMessage") != std::string::npos) {
      posted.push_back(str("text"));
      const Value* meta = body.IsMap() ? body.AsMap().Find("metadata") : nullptr;
      keys.push_back(meta != nullptr ? meta->ToJson() : "");
      return Response(200, R"({"ok":true,"channel":"C1","ts":"1700000000.00010)" + std::to_string(posted.size() - 1) + R"("})");
    }
    if (r.url.find("/conversations.history") != std::string::npos) {
      std::string messages;
      for (std::size_t i = 0; i < keys.size(); ++i) {
        messages += std::string(i ? "," : "") + R"({"ts":"1700000000.00010)" + std::to_string(i) + R"(","metadata":)" +
                    (keys[i].empty() ? "null" : keys[i]) + "}";
      }
      return Response(200, R"({"ok":true,"messages":[)" + messages + "]}");
    }
    if (r.url.find("/conversations.list") != std::string::npos) {
      if (r.url.find("cursor=") == std::string::npos) {
        return Response(
            200, R"({"ok":true,"channels":[{"id":"C1","name":"general"}],"response_metadata":{"next_cursor":"p2"}})");
      }
      return Response(
          200, R"({"ok":true,"channels":[{"id":"C2","name":"it-help"}],"response_metadata":{"next_cursor":""}})");
    }
    if (r.url.find("/conversations.invite") != std::string::npos) {
      std::string ch = str("channel");
      if (ch != "C1" && ch != "C2") return Response(200, R"({"ok":false,"error":"channel_not_found"})");
      if (!members.insert(ch + "/" + str("users")).second)
        return Response(200, R"({"ok":false,"error":"already_in_channel"})");
      return Response(200, R"({"ok":true,"channel":{"id":")" + ch + R"("}})");
    }
    if (r.url.find("/users.lookupByEmail") != std::string::npos) {
      if (r.url.find("email=ada%40example.com") != std::string::npos) {
        return Response(200, R"({"ok":true,"user":{"id":"U1","name":"ada"}})");
      }
      return Response(200, R"({"ok":false,"error":"users_not_found"})");
    }
    return Response(404, "not found");
  }
  std::vector<std::string> posted;
  std::vector<std::string> keys;  // the metadata of each post, as JSON
  std::set<std::string> members;
  std::string next_error;
};

struct Fixture {
  Fixture() : transport([this](const http::HttpRequest& r) { return slack.Handle(r); }) {
    redactor.Add(kToken);
    slack::SlackConfig c;
    c.base_url = "http://slack.test/api";
    c.token = kToken;
    connector = slack::MakeSlackConnector(c, transport, redactor);
  }
  Outcome Do(std::string action, Map args) { return InvokeNow(*connector, std::move(action), std::move(args)); }
  FakeSlack slack;
  ScriptedTransport transport;
  Redactor redactor;
  std::unique_ptr<Connector> connector;
};

TEST_CASE("slack post_message sends JSON with the bearer token", "[slack]") {
  Fixture f;
  Outcome o = f.Do("post_message", MakeMap({{"channel", "#general"}, {"text", "Welcome \"Ada\" $(id) \\ 🎉"}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o).Find("ts")->AsString() == "1700000000.000100");
  CHECK(ResultMap(o).Find("channel")->AsString() == "C1");
  REQUIRE(f.slack.posted.size() == 1);
  CHECK(f.slack.posted[0] == "Welcome \"Ada\" $(id) \\ 🎉");
  // conversations.list (the #name), conversations.history (posted before?), chat.postMessage.
  REQUIRE(f.transport.requests.size() == 3);
  CHECK(f.transport.requests[1].url ==
        "http://slack.test/api/conversations.history?channel=C1&limit=200&include_all_metadata=true");
  const http::HttpRequest& req = f.transport.requests[2];
  CHECK(req.method == "POST");
  CHECK(req.url == "http://slack.test/api/chat.postMessage");
  CHECK(testing::HeaderOf(req, "Authorization") == std::string("Bearer ") + kToken);
  CHECK(req.url.find(kToken) == std::string::npos);
}

TEST_CASE("slack post_message escapes text unless mrkdwn_raw is set", "[slack]") {
  Fixture f;
  const std::string hostile = "Welcome <!channel> & <@U0BOSS> <https://evil.example|login>";
  REQUIRE(std::holds_alternative<Succeeded>(f.Do("post_message", MakeMap({{"channel", "C1"}, {"text", hostile}}))));
  REQUIRE(f.slack.posted.size() == 1);
  CHECK(f.slack.posted[0] == "Welcome &lt;!channel&gt; &amp; &lt;@U0BOSS&gt; &lt;https://evil.example|login&gt;");
  // The author's own mention, with an input escaped by the filter's function.
  const std::string vouched = "<!here> " + workflows::SlackEscape("<!channel> Ada");
  REQUIRE(std::holds_alternative<Succeeded>(
      f.Do("post_message", MakeMap({{"channel", "C1"}, {"text", vouched}, {"mrkdwn_raw", true}, {"once_key", "k2"}}))));
  REQUIRE(f.slack.posted.size() == 2);
  CHECK(f.slack.posted[1] == "<!here> &lt;!channel&gt; Ada");
  // mrkdwn_raw: false is the default.
  REQUIRE(std::holds_alternative<Succeeded>(
      f.Do("post_message", MakeMap({{"channel", "C1"}, {"text", "<!here>"}, {"mrkdwn_raw", false}, {"once_key", "k3"}}))));
  CHECK(f.slack.posted[2] == "&lt;!here&gt;");
}

TEST_CASE("slack post_message posts once per key, across retries and runs", "[slack]") {
  Fixture f;
  Map once = MakeMap({{"channel", "C1"}, {"text", "Welcome Ada"}, {"once_key", "welcome-ada@example.com"}});
  Outcome first = f.Do("post_message", once);
  Outcome again = f.Do("post_message", once);  // a second run of the playbook
  REQUIRE(std::holds_alternative<Succeeded>(first));
  REQUIRE(std::holds_alternative<Succeeded>(again));
  CHECK(f.slack.posted.size() == 1);
  CHECK(f.slack.keys[0] == R"({"event_type":"tenure_post","event_payload":{"key":"welcome-ada@example.com"}})");
  CHECK(ResultMap(first).Find("posted")->AsBool());
  CHECK_FALSE(ResultMap(again).Find("posted")->AsBool());
  CHECK(ResultMap(again).Find("ts")->AsString() == ResultMap(first).Find("ts")->AsString());
  // Without once_key the attempt's idempotency key is used: a retry does not post twice, another
  // message (another key) is posted.
  Outcome other = f.Do("post_message", MakeMap({{"channel", "C1"}, {"text", "Another"}, {"once_key", "x"}}));
  REQUIRE(std::holds_alternative<Succeeded>(other));
  CHECK(f.slack.posted.size() == 2);
}

TEST_CASE("slack invite_to_channels resolves names and is idempotent", "[slack]") {
  Fixture f;
  Map args = MakeMap({{"user", "U1"}, {"channels", List{Value("#it-help"), Value("C1")}}});
  Outcome first = f.Do("invite_to_channels", args);
  REQUIRE(std::holds_alternative<Succeeded>(first));
  const List& chans = ResultMap(first).Find("channels")->AsList();
  REQUIRE(chans.size() == 2);
  CHECK(chans[0].AsString() == "C2");
  Outcome second = f.Do("invite_to_channels", args);  // already_in_channel everywhere
  REQUIRE(std::holds_alternative<Succeeded>(second));
  CHECK(f.slack.members.size() == 2);
  Outcome missing = f.Do("invite_to_channels", MakeMap({{"user", "U1"}, {"channels", List{Value("#nope")}}}));
  REQUIRE(FailureOf(missing));
  CHECK(FailureOf(missing)->cls == FailureClass::kNotFound);
}

TEST_CASE("slack lookup_user_by_email", "[slack]") {
  Fixture f;
  Outcome o = f.Do("lookup_user_by_email", MakeMap({{"email", "ada@example.com"}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o).Find("id")->AsString() == "U1");
  CHECK(ResultMap(o).Find("name")->AsString() == "ada");
  Outcome none = f.Do("lookup_user_by_email", MakeMap({{"email", "x&y=\"z\"@example.com"}}));
  REQUIRE(FailureOf(none));
  CHECK(FailureOf(none)->cls == FailureClass::kNotFound);
  CHECK(FailureOf(none)->provider_code == "users_not_found");
  CHECK(f.transport.requests.back().url.find("email=x%26y%3D%22z%22%40example.com") != std::string::npos);
}

TEST_CASE("slack ok:false errors and HTTP errors are classified", "[slack]") {
  struct Case {
    std::string error;
    std::size_t index;
    FailureClass cls;
  };
  for (const Case& c : std::vector<Case>{{"ratelimited", 1, FailureClass::kThrottled},
                                         {"internal_error", 1, FailureClass::kTransient},
                                         {"invalid_auth", 2, FailureClass::kPermanent},
                                         {"channel_not_found", 2, FailureClass::kNotFound},
                                         {"not_in_channel", 2, FailureClass::kPermanent}}) {
    Fixture f;
    f.slack.next_error = c.error;
    Outcome o = f.Do("post_message", MakeMap({{"channel", "C1"}, {"text", "hi"}}));
    INFO(c.error << " -> " << testing::Describe(o));
    REQUIRE(o.index() == c.index);
    CHECK(FailureOf(o)->cls == c.cls);
    CHECK(FailureOf(o)->provider_code == c.error);
  }
  Fixture f;
  f.slack.next_error = "ratelimited";
  CHECK(std::get<RetryLater>(f.Do("post_message", MakeMap({{"channel", "C1"}, {"text", "x"}}))).after ==
        std::chrono::seconds(3));

  ScriptedTransport t429([](const http::HttpRequest&) -> SendResult {
    return Response(429, "", {{"Retry-After", "30"}});
  });
  Redactor r;
  slack::SlackConfig config;
  config.base_url = "http://slack.test/api";
  config.token = kToken;
  auto c = slack::MakeSlackConnector(config, t429, r);
  Outcome o = InvokeNow(*c, "post_message", MakeMap({{"channel", "C1"}, {"text", "x"}}));
  REQUIRE(std::holds_alternative<RetryLater>(o));
  CHECK(std::get<RetryLater>(o).after == std::chrono::seconds(30));
  CHECK(std::get<RetryLater>(o).failure.cls == FailureClass::kThrottled);

  // The same parser as every other connector: an HTTP-date (RFC 9110) works too.
  const std::time_t in_a_minute = std::time(nullptr) + 60;
  std::tm tm{};
  gmtime_r(&in_a_minute, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  ScriptedTransport dated([&](const http::HttpRequest&) -> SendResult {
    return Response(200, R"({"ok":false,"error":"ratelimited"})", {{"Retry-After", date}});
  });
  auto d = slack::MakeSlackConnector(config, dated, r);
  Outcome later = InvokeNow(*d, "post_message", MakeMap({{"channel", "C1"}, {"text", "x"}}));
  REQUIRE(std::holds_alternative<RetryLater>(later));
  CHECK(std::get<RetryLater>(later).after > std::chrono::seconds(50));
  CHECK(std::get<RetryLater>(later).after <= std::chrono::seconds(60));
}

TEST_CASE("slack malformed responses, timeouts and redaction", "[slack]") {
  Redactor r;
  r.Add(kToken);
  slack::SlackConfig config;
  config.base_url = "http://slack.test/api";
  config.token = kToken;
  ScriptedTransport html([](const http::HttpRequest&) -> SendResult {
    return Response(200, std::string("<html>proxy error for ") + kToken + "</html>");
  });
  auto c = slack::MakeSlackConnector(config, html, r);
  Outcome bad = InvokeNow(*c, "post_message", MakeMap({{"channel", "C1"}, {"text", "x"}}));
  REQUIRE(std::holds_alternative<Failed>(bad));
  CHECK(testing::OutcomeText(bad).find(kToken) == std::string::npos);
  CHECK(testing::OutcomeText(bad).find("malformed") != std::string::npos);

  ScriptedTransport slow([](const http::HttpRequest& req) -> SendResult {
    if (req.method == "GET" && req.url.find("conversations.history") != std::string::npos) {
      return Response(200, R"({"ok":true,"messages":[]})");
    }
    return http::TransportError{"timed out waiting for the response", true, true};
  });
  auto s = slack::MakeSlackConnector(config, slow, r);
  CHECK(std::holds_alternative<Unknown>(InvokeNow(*s, "post_message", MakeMap({{"channel", "C1"}, {"text", "x"}}))));
  CHECK(std::holds_alternative<RetryLater>(InvokeNow(*s, "lookup_user_by_email", MakeMap({{"email", "a@b"}}))));
}

TEST_CASE("slack config", "[slack]") {
  CHECK_FALSE(slack::ParseSlackConfig(Map{}).has_value());
  auto c = slack::ParseSlackConfig(MakeMap({{"token", "xoxb-1"}}));
  REQUIRE(c.has_value());
  CHECK(c->base_url == "https://slack.com/api");
}

}  // namespace
}  // namespace tenure::connectors
