// The http connector (action `request`) against a scripted transport.
#include <catch2/catch.hpp>
#include <set>

#include "connectors/http_connector/connector.h"
#include "connectors/http_support.h"
#include "tests/connectors/support/scripted_transport.h"
#include "workflows/render.h"
#include "workflows/yaml_tree.h"

namespace tenure::connectors {
namespace {

using testing::FailureOf;
using testing::HeaderOf;
using testing::InvokeNow;
using testing::Response;
using testing::ResultMap;
using testing::ScriptedTransport;
using testing::SendResult;

constexpr const char* kArgSecret = "arg-level-secret-0815";
constexpr const char* kConnToken = "connection-token-4242";

struct Fixture {
  explicit Fixture(std::function<SendResult(const http::HttpRequest&)> handler = nullptr,
                   std::string idempotency_header = "Idempotency-Key")
      : transport(handler ? handler : [](const http::HttpRequest&) -> SendResult {
          return Response(201, R"({"data":{"id":"r-1","tags":["a","b"],"a/b":{"m~n":5}}})");
        }),
        secrets(std::map<std::string, std::string>{{"env:API_KEY", kArgSecret}}) {
    http_connector::HttpConnectorConfig c;
    c.base_url = "http://api.test/v1";
    c.token = kConnToken;
    c.idempotency_header = std::move(idempotency_header);
    redactor.Add(kConnToken);
    connector = http_connector::MakeHttpConnector(c, transport, redactor, secrets);
  }
  Outcome Do(Map args, std::string key = "run1/task1") {
    return InvokeNow(*connector, "request", std::move(args), std::move(key));
  }
  // As the engine calls it: `with_yaml` (the author's text) rendered against `inputs`, and passed
  // along as the Action's literal.
  Outcome DoYaml(const std::string& with_yaml, Map inputs = {}) {
    workflows::Diagnostics diags;
    literal = workflows::ParseYaml(with_yaml, "test.yaml", diags);
    REQUIRE_FALSE(diags.HasErrors());
    Map roots;
    roots.Set("inputs", Value(std::move(inputs)));
    auto args = workflows::RenderNode(literal, workflows::MapScope(std::move(roots)), "tasks.t.with");
    REQUIRE(args.has_value());
    REQUIRE(args->IsMap());
    return InvokeNow(*connector, "request", args->AsMap(), "run1/task1", &literal);
  }
  workflows::YamlNode literal;
  ScriptedTransport transport;
  MapSecretResolver secrets;
  Redactor redactor;
  std::unique_ptr<Connector> connector;
};

TEST_CASE("http request: URL, query, JSON body, capture", "[http-connector]") {
  Fixture f;
  Outcome o = f.Do(
      MakeMap({{"method", "post"},
               {"url", "items"},
               {"query", MakeMap({{"q", "a b&c=\"d\""}, {"tag", List{Value("x"), Value("é")}}})},
               {"json", MakeMap({{"name", "O'Brien \"$(id)\"\n"}})},
               {"capture", MakeMap({{"id", "/data/id"}, {"second", "/data/tags/1"}, {"odd", "/data/a~1b/m~0n"}})}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  const Map& r = ResultMap(o);
  CHECK(r.Find("status")->AsInt() == 201);
  CHECK(r.Find("id")->AsString() == "r-1");
  CHECK(r.Find("second")->AsString() == "b");
  CHECK(r.Find("odd")->AsInt() == 5);
  const http::HttpRequest& req = f.transport.requests[0];
  CHECK(req.method == "POST");
  CHECK(req.url == "http://api.test/v1/items?q=a%20b%26c%3D%22d%22&tag=x&tag=%C3%A9");
  CHECK(req.body == R"({"name":"O'Brien \"$(id)\"\n"})");
  CHECK(HeaderOf(req, "Content-Type") == "application/json");
  CHECK(HeaderOf(req, "Authorization") == std::string("Bearer ") + kConnToken);
  // The transport's deadline is what is left of the attempt's (InvokeNow gives it 20 s).
  CHECK(req.timeout <= std::chrono::seconds(20));
  CHECK(req.timeout > std::chrono::seconds(15));
}

TEST_CASE("http request: idempotency key on every non-GET request", "[http-connector]") {
  Fixture f;
  for (std::string m : {"POST", "PUT", "PATCH", "DELETE", "GET"}) {
    REQUIRE(std::holds_alternative<Succeeded>(f.Do(MakeMap({{"method", m}, {"url", "/x"}}), "run7/task3/item2")));
    auto key = HeaderOf(f.transport.requests.back(), "Idempotency-Key");
    if (m == "GET") {
      CHECK_FALSE(key.has_value());
    } else {
      CHECK(key == "run7/task3/item2");
    }
  }
  Fixture custom(nullptr, "X-Request-Id");
  REQUIRE(std::holds_alternative<Succeeded>(custom.Do(MakeMap({{"method", "POST"}, {"url", "/x"}}))));
  CHECK(HeaderOf(custom.transport.requests[0], "X-Request-Id") == "run1/task1");
  Fixture off(nullptr, "");
  REQUIRE(std::holds_alternative<Succeeded>(off.Do(MakeMap({{"method", "POST"}, {"url", "/x"}}))));
  CHECK_FALSE(HeaderOf(off.transport.requests[0], "Idempotency-Key").has_value());
}

TEST_CASE("http request: a retried request carries the same key (one effect at the receiver)", "[http-connector]") {
  std::set<std::string> seen;
  int effects = 0;
  Fixture f([&](const http::HttpRequest& r) -> SendResult {
    if (seen.insert(*HeaderOf(r, "Idempotency-Key")).second) ++effects;
    return Response(200, "{}");
  });
  Map args = MakeMap({{"method", "POST"}, {"url", "/orders"}, {"json", MakeMap({{"n", 1}})}});
  REQUIRE(std::holds_alternative<Succeeded>(f.Do(args, "run1/order")));
  REQUIRE(std::holds_alternative<Succeeded>(f.Do(args, "run1/order")));
  CHECK(effects == 1);
}

TEST_CASE("http request: auth from secret references, never echoed", "[http-connector]") {
  Fixture f([](const http::HttpRequest& r) -> SendResult {
    return Response(403, R"({"message":"key )" +
                             HeaderOf(r, "X-Api-Key").value_or(HeaderOf(r, "Authorization").value_or("")) +
                             R"( is not allowed"})");
  });
  Outcome o = f.DoYaml("{method: GET, url: /x, auth: {header: X-Api-Key, value: '${env:API_KEY}'}}");
  REQUIRE(FailureOf(o));
  CHECK(FailureOf(o)->cls == FailureClass::kPermanent);
  CHECK(HeaderOf(f.transport.requests[0], "X-Api-Key") == kArgSecret);
  CHECK(testing::OutcomeText(o).find(kArgSecret) == std::string::npos);
  Outcome basic = f.DoYaml("{method: GET, url: /x, auth: {basic: {username: svc, password: '${env:API_KEY}'}}}");
  CHECK(HeaderOf(f.transport.requests[1], "Authorization") == "Basic " + Base64(std::string("svc:") + kArgSecret));
  CHECK(testing::OutcomeText(basic).find(Base64(std::string("svc:") + kArgSecret)) == std::string::npos);
  Outcome bearer = f.DoYaml("{method: GET, url: /x, auth: {bearer: '${env:API_KEY}'}}");
  CHECK(HeaderOf(f.transport.requests[2], "Authorization") == std::string("Bearer ") + kArgSecret);
  CHECK(testing::OutcomeText(bearer).find(kArgSecret) == std::string::npos);
  Outcome missing = f.DoYaml("{method: GET, url: /x, auth: {bearer: '${env:NOPE}'}}");
  REQUIRE(FailureOf(missing));
  CHECK(FailureOf(missing)->message == "http request: auth.bearer: environment variable NOPE is not set");
  CHECK(f.transport.requests.size() == 3);
}

TEST_CASE("http request: a secret reference that came from an input is sent as text", "[http-connector]") {
  Fixture f([](const http::HttpRequest& r) -> SendResult {
    return Response(403, "denied: " + HeaderOf(r, "Authorization").value_or("") + HeaderOf(r, "X-Key").value_or(""));
  });
  const std::string taint = "${env:API_KEY}|${file:/etc/passwd}";
  auto inputs = [&] { return MakeMap({{"x", taint}}); };
  // Every credential field and every header, each rendered from the input.
  f.DoYaml("{method: GET, url: /x, auth: {bearer: '{{ inputs.x }}'}, headers: {X-H: '{{ inputs.x }}'}}", inputs());
  f.DoYaml("{method: GET, url: /x, auth: {basic: {username: '{{ inputs.x }}', password: '{{ inputs.x }}'}}}", inputs());
  Outcome custom = f.DoYaml("{method: GET, url: /x, auth: {header: X-Key, value: '{{ inputs.x }}'}}", inputs());
  // A whole map rendered from an input is data too (here: the headers).
  f.DoYaml("{method: GET, url: /x, headers: '{{ inputs.h }}'}", MakeMap({{"h", MakeMap({{"X-All", taint}})}}));
  REQUIRE(f.transport.requests.size() == 4);
  CHECK(HeaderOf(f.transport.requests[0], "Authorization") == "Bearer " + taint);
  CHECK(HeaderOf(f.transport.requests[0], "X-H") == taint);
  CHECK(HeaderOf(f.transport.requests[1], "Authorization") == "Basic " + Base64(taint + ":" + taint));
  CHECK(HeaderOf(f.transport.requests[2], "X-Key") == taint);
  CHECK(HeaderOf(f.transport.requests[3], "X-All") == taint);
  for (const http::HttpRequest& r : f.transport.requests) {
    for (const auto& [k, v] : r.headers) CHECK(v.find(kArgSecret) == std::string::npos);
  }
  // What is sent as a credential is still redacted from what comes back.
  REQUIRE(FailureOf(custom));
  CHECK(FailureOf(custom)->message.find(taint) == std::string::npos);
}

TEST_CASE("http request: a secret reference beside a template in one value is refused", "[http-connector]") {
  Fixture f;
  Outcome o = f.DoYaml("{method: GET, url: /x, auth: {bearer: '${env:API_KEY}{{ inputs.x }}'}}", MakeMap({{"x", "y"}}));
  REQUIRE(FailureOf(o));
  CHECK(FailureOf(o)->message ==
        "http request: auth.bearer: a secret reference cannot be combined with a {{ template }} in one value; write "
        "the reference alone");
  CHECK(f.transport.requests.empty());
}

TEST_CASE("http request: expect, statuses and transport errors", "[http-connector]") {
  int status = 404;
  Fixture f([&](const http::HttpRequest&) -> SendResult {
    return Response(status, R"({"error":"nope"})", {{"Retry-After", "9"}});
  });
  Outcome accepted = f.Do(MakeMap({{"method", "DELETE"}, {"url", "/x"}, {"expect", List{Value(200), Value(404)}}}));
  REQUIRE(std::holds_alternative<Succeeded>(accepted));
  CHECK(ResultMap(accepted).Find("status")->AsInt() == 404);
  Outcome nf = f.Do(MakeMap({{"method", "GET"}, {"url", "/x"}}));
  REQUIRE(FailureOf(nf));
  CHECK(FailureOf(nf)->cls == FailureClass::kNotFound);
  status = 429;
  Outcome throttled = f.Do(MakeMap({{"method", "GET"}, {"url", "/x"}}));
  REQUIRE(std::holds_alternative<RetryLater>(throttled));
  CHECK(std::get<RetryLater>(throttled).after == std::chrono::seconds(9));
  status = 409;
  CHECK(FailureOf(f.Do(MakeMap({{"method", "POST"}, {"url", "/x"}})))->cls == FailureClass::kConflict);
  status = 200;
  Outcome unexpected = f.Do(MakeMap({{"method", "POST"}, {"url", "/x"}, {"expect", List{Value(201)}}}));
  REQUIRE(FailureOf(unexpected));
  CHECK(FailureOf(unexpected)->cls == FailureClass::kPermanent);
  Outcome not_listed =
      f.Do(MakeMap({{"method", "DELETE"}, {"url", "/x"}, {"expect", List{Value(204), Value(404)}}}));
  REQUIRE(FailureOf(not_listed));
  CHECK(FailureOf(not_listed)->http_status == 200);
  CHECK(FailureOf(not_listed)->message == "http DELETE http://api.test/v1/x: status 200 is not in expect [204, 404]");
  status = 503;  // still retried: the class is the status's own
  Outcome busy = f.Do(MakeMap({{"method", "GET"}, {"url", "/x"}, {"expect", List{Value(204)}}}));
  REQUIRE(std::holds_alternative<RetryLater>(busy));
  CHECK(std::get<RetryLater>(busy).failure.message == "http GET http://api.test/v1/x: status 503 is not in expect [204]");

  Fixture dropped([](const http::HttpRequest&) -> SendResult { return http::TransportError{"reset", true, false}; });
  CHECK(std::holds_alternative<Unknown>(dropped.Do(MakeMap({{"method", "POST"}, {"url", "/x"}}))));
  CHECK(std::holds_alternative<RetryLater>(dropped.Do(MakeMap({{"method", "GET"}, {"url", "/x"}}))));
  Fixture refused([](const http::HttpRequest&) -> SendResult { return http::TransportError{"refused", false, false}; });
  CHECK(std::holds_alternative<RetryLater>(refused.Do(MakeMap({{"method", "POST"}, {"url", "/x"}}))));
  // A certificate that fails verification is permanent: retrying cannot make it valid.
  Fixture bad_cert([](const http::HttpRequest&) -> SendResult {
    return http::TransportError{"certificate verification failed: self-signed certificate", false, false, false, true};
  });
  for (const std::string method : {"GET", "POST"}) {
    Outcome o = bad_cert.Do(MakeMap({{"method", method}, {"url", "/x"}}));
    REQUIRE(std::holds_alternative<Failed>(o));
    CHECK(FailureOf(o)->cls == FailureClass::kPermanent);
    CHECK(FailureOf(o)->message ==
          "http " + method + " http://api.test/v1/x: certificate verification failed: self-signed certificate");
  }
}

TEST_CASE("http request: malformed bodies and bad arguments", "[http-connector]") {
  Fixture f([](const http::HttpRequest&) -> SendResult { return Response(200, "<html>ok</html>"); });
  Outcome text = f.Do(MakeMap({{"method", "GET"}, {"url", "/x"}}));
  REQUIRE(std::holds_alternative<Succeeded>(text));
  CHECK(ResultMap(text).Find("body")->AsString() == "<html>ok</html>");
  Outcome capture = f.Do(MakeMap({{"method", "GET"}, {"url", "/x"}, {"capture", MakeMap({{"id", "/id"}})}}));
  REQUIRE(FailureOf(capture));
  CHECK(FailureOf(capture)->message ==
        "http GET http://api.test/v1/x: capture 'id': nothing at /id (the response is not JSON)");
  std::size_t sent = f.transport.requests.size();
  for (Map bad :
       {MakeMap({{"method", "TRACE"}, {"url", "/x"}}), MakeMap({{"method", "GET"}, {"url", "/x\r\nHost: evil"}}),
        MakeMap({{"method", "GET"}, {"url", "/x"}, {"headers", MakeMap({{"X-A", "v\r\nX-Injected: 1"}})}}),
        MakeMap({{"method", "GET"}, {"url", "/x"}, {"auth", MakeMap({{"digest", "x"}})}})}) {
    Outcome o = f.Do(bad);
    REQUIRE(FailureOf(o));
    CHECK(FailureOf(o)->cls == FailureClass::kPermanent);
  }
  CHECK(f.transport.requests.size() == sent);
}

TEST_CASE("http JSON pointer", "[http-connector]") {
  Value v = *ParseJsonBody(R"({"a":[{"b":1}],"":2,"x/y":3,"0":4})");
  CHECK(http_connector::JsonPointer(v, "/a/0/b")->AsInt() == 1);
  CHECK(http_connector::JsonPointer(v, "/")->AsInt() == 2);
  CHECK(http_connector::JsonPointer(v, "/x~1y")->AsInt() == 3);
  CHECK(http_connector::JsonPointer(v, "/0")->AsInt() == 4);
  CHECK(http_connector::JsonPointer(v, "/a/1") == nullptr);
  CHECK(http_connector::JsonPointer(v, "/a/01") == nullptr);
  CHECK(http_connector::JsonPointer(v, "a") == nullptr);
  CHECK(http_connector::JsonPointer(v, "") == &v);
}

}  // namespace
}  // namespace tenure::connectors
