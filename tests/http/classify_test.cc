// The classifier: every status class, Retry-After in both forms, provider messages (SCIM,
// Slack, generic JSON) and HTML error pages.
#include <catch2/catch.hpp>

#include "connectors/http/classify.h"

namespace tenure::connectors::http {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

// 2026-11-23T07:00:00Z
const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1795417200));

HttpResponse Res(int status, std::string body = "", std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

const Failure& FailureOf(const Outcome& o) {
  if (const auto* f = std::get_if<Failed>(&o)) return f->failure;
  if (const auto* r = std::get_if<RetryLater>(&o)) return r->failure;
  FAIL("not a failure");
  static Failure none;
  return none;
}

TEST_CASE("2xx bodies become the result map", "[http]") {
  const auto o = ClassifyResponse(Res(201, R"({"id":"u1","active":true})"), kNow);
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(std::get<Succeeded>(o).result.AsMap().Find("id")->AsString() == "u1");
  CHECK(std::get<Succeeded>(ClassifyResponse(Res(204), kNow)).result.AsMap().empty());
  CHECK(std::get<Succeeded>(ClassifyResponse(Res(200, "[1,2]"), kNow)).result.AsMap().Find("value")->AsList().size() == 2);
  CHECK(std::get<Succeeded>(ClassifyResponse(Res(200, "plain"), kNow)).result.AsMap().Find("body")->AsString() == "plain");
}

TEST_CASE("429 is throttled with Retry-After in seconds", "[http]") {
  const auto o = ClassifyResponse(Res(429, R"({"ok":false,"error":"ratelimited"})", {{"retry-after", "30"}}), kNow);
  REQUIRE(std::holds_alternative<RetryLater>(o));
  const auto& r = std::get<RetryLater>(o);
  CHECK(r.after == 30s);
  CHECK(r.failure.cls == FailureClass::kThrottled);
  CHECK(r.failure.http_status == 429);
  CHECK(r.failure.provider_code == "ratelimited");
  CHECK(r.failure.message == "HTTP 429 Too Many Requests: ratelimited");
}

TEST_CASE("503 is transient with Retry-After as an HTTP-date", "[http]") {
  const auto o = ClassifyResponse(Res(503, "", {{"Retry-After", "Mon, 23 Nov 2026 07:02:00 GMT"}}), kNow);
  REQUIRE(std::holds_alternative<RetryLater>(o));
  CHECK(std::get<RetryLater>(o).after == 120s);
  CHECK(std::get<RetryLater>(o).failure.cls == FailureClass::kTransient);
  CHECK(std::get<RetryLater>(o).failure.message == "HTTP 503 Service Unavailable");
}

TEST_CASE("Retry-After forms", "[http]") {
  CHECK(ParseRetryAfter("0", kNow) == 0ms);
  CHECK(ParseRetryAfter(" 7 ", kNow) == 7s);
  CHECK(ParseRetryAfter("Monday, 23-Nov-26 07:00:10 GMT", kNow) == 10s);  // RFC 850
  CHECK(ParseRetryAfter("Mon Nov 23 07:01:00 2026", kNow) == 60s);        // asctime
  CHECK(ParseRetryAfter("Sun, 22 Nov 2026 07:00:00 GMT", kNow) == 0ms);   // in the past
  CHECK(ParseRetryAfter("soon", kNow) == 0ms);
  CHECK(ParseRetryAfter("", kNow) == 0ms);
  CHECK(ParseRetryAfter("-5", kNow) == 0ms);
}

TEST_CASE("other 5xx and 408 are transient, with no delay", "[http]") {
  for (int status : {500, 502, 504, 408}) {
    INFO(status);
    const auto o = ClassifyResponse(Res(status, "", {{"Retry-After", "99"}}), kNow);
    REQUIRE(std::holds_alternative<RetryLater>(o));
    CHECK(std::get<RetryLater>(o).after == 0ms);
    CHECK(std::get<RetryLater>(o).failure.cls == FailureClass::kTransient);
  }
}

TEST_CASE("400 401 403 422 are permanent, 404 not found, 409 conflict", "[http]") {
  const std::pair<int, FailureClass> cases[] = {{400, FailureClass::kPermanent}, {401, FailureClass::kPermanent},
                                                {403, FailureClass::kPermanent}, {422, FailureClass::kPermanent},
                                                {405, FailureClass::kPermanent}, {404, FailureClass::kNotFound},
                                                {410, FailureClass::kNotFound},  {409, FailureClass::kConflict}};
  for (const auto& [status, cls] : cases) {
    INFO(status);
    const auto o = ClassifyResponse(Res(status), kNow);
    REQUIRE(std::holds_alternative<Failed>(o));
    CHECK(std::get<Failed>(o).failure.cls == cls);
    CHECK(std::get<Failed>(o).failure.http_status == status);
  }
}

TEST_CASE("SCIM errors give detail and scimType", "[http]") {
  const auto o = ClassifyResponse(
      Res(409, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"409","scimType":"uniqueness","detail":"User with userName \"ada\" already exists"})"),
      kNow);
  const auto& f = FailureOf(o);
  CHECK(f.cls == FailureClass::kConflict);
  CHECK(f.provider_code == "uniqueness");
  CHECK(f.message == "HTTP 409 Conflict: User with userName \"ada\" already exists (uniqueness)");
}

TEST_CASE("generic JSON errors: message, error_description, error.message", "[http]") {
  CHECK(FailureOf(ClassifyResponse(Res(400, R"({"message":"bad field","code":"E12"})"), kNow)).message ==
        "HTTP 400 Bad Request: bad field (E12)");
  CHECK(FailureOf(ClassifyResponse(Res(401, R"({"error":"invalid_token","error_description":"expired"})"), kNow)).message ==
        "HTTP 401 Unauthorized: expired (invalid_token)");
  CHECK(FailureOf(ClassifyResponse(Res(403, R"({"error":{"message":"no scope"}})"), kNow)).message ==
        "HTTP 403 Forbidden: no scope");
}

TEST_CASE("HTML error pages are summarised to short text", "[http]") {
  const std::string page =
      "<!DOCTYPE html><html><head><title>502 Bad Gateway</title><style>body{color:red}</style>"
      "<script>var x = '<b>';</script></head><body>\n<h1>Bad   Gateway</h1>\n<p>The upstream &amp; proxy "
      "failed.</p></body></html>";
  const auto o = ClassifyResponse(Res(502, page), kNow);
  CHECK(FailureOf(o).message == "HTTP 502 Bad Gateway: 502 Bad Gateway Bad Gateway The upstream & proxy failed.");
  const std::string long_page = "<p>" + std::string(500, 'a') + "</p>";
  const std::string summary = SummarizeBody(long_page);
  CHECK(summary.size() == 202);
  CHECK_THAT(summary, Catch::EndsWith("a..."));
  CHECK(SummarizeBody("") == "");
  CHECK(SummarizeBody("<html><body>   </body></html>") == "");
}

TEST_CASE("every prefix of an error page summarises without crashing", "[http]") {
  const std::string page = R"(<html><head><script>if (a<b) {}</script></head><body><h1>Oops &amp; "x"</h1>{"detail":"y"}</body></html>)";
  for (std::size_t n = 0; n <= page.size(); ++n) {
    const std::string summary = SummarizeBody(page.substr(0, n));
    CHECK(summary.size() <= 203);
    CHECK(summary.find('<') == std::string::npos);
  }
}

TEST_CASE("non-JSON plain text bodies are excerpted", "[http]") {
  const auto o = ClassifyResponse(Res(500, "upstream\nconnect error or disconnect/reset before headers"), kNow);
  CHECK(FailureOf(o).message == "HTTP 500 Internal Server Error: upstream connect error or disconnect/reset before headers");
}

TEST_CASE("transport errors: the one classifier the connectors call", "[http]") {
  auto err = [](std::string m, bool sent, bool timed_out, bool cancelled, bool permanent) {
    return TransportError{std::move(m), sent, timed_out, cancelled, permanent};
  };
  // Not sent: transient, whatever the method.
  for (const bool effectful : {false, true}) {
    const auto refused = ClassifyTransportError(err("GET http://h/x: cannot connect", false, false, false, false), effectful);
    REQUIRE(std::holds_alternative<RetryLater>(refused));
    CHECK(std::get<RetryLater>(refused).failure.cls == FailureClass::kTransient);
    CHECK(std::get<RetryLater>(refused).failure.message == "GET http://h/x: cannot connect");
    CHECK(std::get<RetryLater>(refused).after == 0ms);
  }
  // Sent, or timed out waiting: the server may have acted on a POST; a GET is simply retried.
  const auto timeout = ClassifyTransportError(err("POST http://h/x: timed out", true, true, false, false), true);
  REQUIRE(std::holds_alternative<Unknown>(timeout));
  CHECK(std::get<Unknown>(timeout).why == "POST http://h/x: timed out (the request may have taken effect)");
  CHECK(std::holds_alternative<Unknown>(ClassifyTransportError(err("reset", true, false, false, false), true)));
  const auto get_reset = ClassifyTransportError(err("GET http://h/x: reset", true, false, false, false), false);
  REQUIRE(std::holds_alternative<RetryLater>(get_reset));
  CHECK(std::get<RetryLater>(get_reset).failure.cls == FailureClass::kTransient);
  // Cancelled before anything was sent.
  const auto cancelled = ClassifyTransportError(err("cancelled", false, false, true, false), true);
  REQUIRE(std::holds_alternative<Failed>(cancelled));
  CHECK(std::get<Failed>(cancelled).failure.cls == FailureClass::kCancelled);
  CHECK(std::holds_alternative<Unknown>(ClassifyTransportError(err("cancelled", true, false, true, false), true)));
  // A certificate that fails verification: permanent, for every method.
  for (const bool effectful : {false, true}) {
    const auto bad_cert = ClassifyTransportError(
        err("GET https://h/x: certificate verification failed: self-signed certificate", false, false, false, true),
        effectful);
    REQUIRE(std::holds_alternative<Failed>(bad_cert));
    CHECK(std::get<Failed>(bad_cert).failure.cls == FailureClass::kPermanent);
    CHECK(std::get<Failed>(bad_cert).failure.message ==
          "GET https://h/x: certificate verification failed: self-signed certificate");
  }
}

TEST_CASE("Retry-After longer than a day is cut to a day", "[http]") {
  CHECK(ParseRetryAfter("999999999", kNow) == 86'400s);
  CHECK(ParseRetryAfter("Mon, 23 Nov 2036 07:00:00 GMT", kNow) == 86'400s);
  CHECK(ParseRetryAfter("99999999999999999999999", kNow) == 0ms);  // not a number we can hold
}

}  // namespace
}  // namespace tenure::connectors::http
