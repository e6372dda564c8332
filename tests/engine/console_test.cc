// The console's decision pages and API, through Console::Handle (no network): links, CSRF,
// escaping, admin authentication.
#include <catch2/catch.hpp>

#include "console/console.h"
#include "engine/decisions.h"
#include "engine/links.h"
#include "tests/engine/support/engine_fixture.h"

namespace tenure::console {
namespace {

using engine::testing::EngineFixture;

struct ConsoleFixture {
  ConsoleFixture() {
    people.key = &key;
    people.base_url = "http://127.0.0.1:8420";
    f.people = &people;
    ConsoleOptions o;
    o.admin_token = "admintoken-0123456789";
    console = std::make_unique<Console>(*f.store, f.clock, key, o, [this] { ++decided; });
  }

  // A run waiting on `prompt`; returns the token of the link made for mgr@example.com.
  std::string Waiting(const std::string& prompt) {
    run = f.Run(R"(playbook: forward
inputs:
  name: { type: string }
connections:
  chat: { connector: fake }
tasks:
  ask: { uses: manual.decide, with: { prompt: ")" + prompt + R"(", approvers: ["mgr@example.com"], notify: chat } }
  after: { uses: manual.task, needs: ask, when: "{{ tasks.ask.result.choice == 'yes' }}", with: { prompt: x } }
)",
                [] {
                  Map m;
                  m.Set("name", "<b>Ada</b> \"Lovelace\"");
                  return m;
                }());
    auto links = f.store->ListLinks(run);
    REQUIRE(links.has_value());
    REQUIRE(links->size() == 1);
    const auto& l = links->front();
    return key.Sign(engine::LinkClaims{l.id, run, "ask", -1, l.person, l.expires_ms});
  }

  HttpResponse Get(const std::string& target, std::map<std::string, std::string> headers = {}) {
    return console->Handle(HttpRequest{"GET", target, std::move(headers), ""});
  }
  HttpResponse Post(const std::string& target, const std::string& body, const std::string& cookie) {
    std::map<std::string, std::string> h{{"content-type", "application/x-www-form-urlencoded"}, {"host", "127.0.0.1:8420"}};
    if (!cookie.empty()) h["cookie"] = "tenure_csrf=" + cookie;
    return console->Handle(HttpRequest{"POST", target, h, body});
  }
  static std::string CsrfOf(const HttpResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (k == "Set-Cookie" && v.rfind("tenure_csrf=", 0) == 0) return v.substr(12, v.find(';') - 12);
    }
    return "";
  }
  static std::string HeaderOf(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }

  EngineFixture f;
  engine::LinkKey key = engine::LinkKey::FromBytes(std::string(32, 'k'));
  engine::PeopleConfig people;
  std::unique_ptr<Console> console;
  std::string run;
  int decided = 0;
};

TEST_CASE("a link opens the question with its context, escaped, under a strict CSP", "[console]") {
  ConsoleFixture c;
  const std::string token = c.Waiting("Forward <script>alert(1)</script> mail?");
  const HttpResponse page = c.Get("/d/" + token);
  CHECK(page.status == 200);
  CHECK(page.body.find("Forward &lt;script&gt;alert(1)&lt;/script&gt; mail?") != std::string::npos);
  CHECK(page.body.find("<script>") == std::string::npos);
  CHECK(page.body.find("&lt;b&gt;Ada&lt;/b&gt; &quot;Lovelace&quot;") != std::string::npos);
  CHECK(page.body.find("value=\"no\"") != std::string::npos);
  CHECK(ConsoleFixture::HeaderOf(page, "Content-Security-Policy").find("default-src 'none'") == 0);
  CHECK(ConsoleFixture::HeaderOf(page, "Referrer-Policy") == "no-referrer");
  CHECK_FALSE(ConsoleFixture::CsrfOf(page).empty());
}

TEST_CASE("deciding through a link records the person and the link once and refuses CSRF and reuse and tampering", "[console]") {
  ConsoleFixture c;
  const std::string token = c.Waiting("Forward mail?");
  const std::string csrf = ConsoleFixture::CsrfOf(c.Get("/d/" + token));

  // No CSRF cookie, or a different token: refused, nothing recorded.
  CHECK(c.Post("/d/" + token, "csrf=" + csrf + "&choice=no", "").status == 403);
  CHECK(c.Post("/d/" + token, "csrf=other&choice=no", csrf).status == 403);
  // Another site's form.
  auto cross = HttpRequest{"POST", "/d/" + token,
                           {{"host", "127.0.0.1:8420"}, {"origin", "https://evil.example"}, {"cookie", "tenure_csrf=" + csrf}},
                           "csrf=" + csrf + "&choice=no"};
  CHECK(c.console->Handle(cross).status == 403);
  // Tampered token.
  std::string tampered = token;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  const HttpResponse bad = c.Post("/d/" + tampered, "csrf=" + csrf + "&choice=no", csrf);
  CHECK(bad.status == 403);
  CHECK(bad.body.find("Nothing was recorded.") != std::string::npos);
  CHECK(c.f.Task(c.run, "ask").status == engine::TaskStatus::kWaiting);
  CHECK(c.decided == 0);

  const HttpResponse ok = c.Post("/d/" + token, "csrf=" + csrf + "&choice=no&note=HR+said+no", csrf);
  CHECK(ok.status == 200);
  CHECK(ok.body.find("Recorded: <strong>no</strong> by mgr@example.com") != std::string::npos);
  CHECK(c.decided == 1);
  const auto row = c.f.Task(c.run, "ask");
  CHECK(row.decided_by == "mgr@example.com");
  CHECK(row.note == "HR said no");
  CHECK(row.result.AsMap().Find("via")->AsString() == "link");

  // Reused: refused, clearly.
  const HttpResponse again = c.Post("/d/" + token, "csrf=" + csrf + "&choice=yes", csrf);
  CHECK(again.status == 403);
  CHECK(again.body.find("already used") != std::string::npos);
  CHECK(c.Get("/d/" + token).status == 403);
  CHECK(c.f.Task(c.run, "ask").result.AsMap().Find("choice")->AsString() == "no");

  // The run goes on without the forward.
  c.f.Execute(c.run);
  c.f.RunUntilIdle();
  CHECK(c.f.status() == engine::RunStatus::kSucceeded);
  CHECK(c.f.Task(c.run, "after").status == engine::TaskStatus::kSkipped);
}

TEST_CASE("an expired link is refused and records nothing", "[console]") {
  ConsoleFixture c;
  const std::string token = c.Waiting("Forward mail?");
  const std::string csrf = ConsoleFixture::CsrfOf(c.Get("/d/" + token));
  c.f.clock.Advance(std::chrono::hours(24 * 8));
  const HttpResponse late = c.Post("/d/" + token, "csrf=" + csrf + "&choice=no", csrf);
  CHECK(late.status == 403);
  CHECK(late.body.find("this link expired on") != std::string::npos);
  CHECK(c.f.Task(c.run, "ask").status == engine::TaskStatus::kWaiting);
}

TEST_CASE("admin pages and the API need the admin token", "[console]") {
  ConsoleFixture c;
  c.Waiting("Forward mail?");
  CHECK(c.Get("/runs").status == 401);
  CHECK(c.Get("/api/v1/runs").status == 401);
  CHECK(c.Get("/api/v1/runs", {{"authorization", "Bearer wrong"}}).status == 401);
  const std::map<std::string, std::string> auth{{"authorization", "Bearer admintoken-0123456789"}};
  const HttpResponse runs = c.Get("/api/v1/runs?state=waiting", auth);
  CHECK(runs.status == 200);
  CHECK(runs.body.find(c.run) != std::string::npos);
  const HttpResponse pending = c.Get("/api/v1/runs/" + c.run + "/decisions", auth);
  CHECK(pending.body.find("\"prompt\":\"Forward mail?\"") != std::string::npos);
  CHECK(c.Get("/runs/" + c.run, auth).status == 200);
  CHECK(c.Get("/runs?person=mgr@example.com", auth).body.find(c.run) != std::string::npos);
  // An admin decides through the API, for a person.
  auto post = HttpRequest{"POST", "/api/v1/runs/" + c.run + "/decisions", auth,
                          R"({"task": "ask", "choice": "yes", "as": "mgr@example.com"})"};
  CHECK(c.console->Handle(post).status == 200);
  CHECK(c.f.Task(c.run, "ask").decided_by == "mgr@example.com");
}

}  // namespace
}  // namespace tenure::console

namespace tenure::console {
namespace {

TEST_CASE("POST /api/v1/runs needs a caller token and passes the playbook name, inputs and key", "[console]") {
  EngineFixture f;
  const engine::LinkKey key = engine::LinkKey::FromBytes(std::string(32, 'k'));
  ConsoleOptions o;
  o.admin_token = "admintoken-0123456789";
  o.caller_tokens["hr-caller-token-0123456789"] = "workday";
  std::vector<std::string> calls;
  o.start_run = [&calls](const std::string& name, const Map& inputs, const std::string& run_key,
                         const std::string& caller) -> Result<Value> {
    if (name != "offboarding") return Error::NotFound("no playbook '" + name + "'");
    calls.push_back(name + " " + inputs.Find("email")->AsString() + " " + run_key + " " + caller);
    Map m;
    m.Set("id", "r1");
    m.Set("created", true);
    return Value(std::move(m));
  };
  int woken = 0;
  Console console(*f.store, f.clock, key, o, [&woken] { ++woken; });
  const std::string body = R"({"playbook": "offboarding", "inputs": {"email": "ada@example.com"}, "key": "hr-4711"})";
  CHECK(console.Handle(HttpRequest{"POST", "/api/v1/runs", {}, body}).status == 401);
  CHECK(console.Handle(HttpRequest{"POST", "/api/v1/runs", {{"authorization", "Bearer nope"}}, body}).status == 401);
  const HttpResponse ok =
      console.Handle(HttpRequest{"POST", "/api/v1/runs", {{"authorization", "Bearer hr-caller-token-0123456789"}}, body});
  CHECK(ok.status == 201);
  CHECK(ok.body == "{\"id\":\"r1\",\"created\":true}\n");
  CHECK(calls == std::vector<std::string>{"offboarding ada@example.com hr-4711 workday"});
  CHECK(woken == 1);
  // A caller token opens nothing else.
  CHECK(console.Handle(HttpRequest{"GET", "/api/v1/runs", {{"authorization", "Bearer hr-caller-token-0123456789"}}, ""})
            .status == 401);
  const HttpResponse missing = console.Handle(HttpRequest{
      "POST", "/api/v1/runs", {{"authorization", "Bearer admintoken-0123456789"}}, R"({"playbook": "nope"})"});
  CHECK(missing.status == 404);
}

}  // namespace
}  // namespace tenure::console

namespace tenure::console {
namespace {

TEST_CASE("a trusted proxy header makes an admin only when configured", "[console]") {
  EngineFixture f;
  const engine::LinkKey key = engine::LinkKey::FromBytes(std::string(32, 'k'));
  ConsoleOptions plain;
  plain.admin_token = "admintoken-0123456789";
  Console without(*f.store, f.clock, key, plain, {});
  CHECK(without.Handle(HttpRequest{"GET", "/api/v1/runs", {{"x-forwarded-user", "alice"}}, ""}).status == 401);
  ConsoleOptions proxied = plain;
  proxied.trusted_user_header = "x-forwarded-user";
  Console with(*f.store, f.clock, key, proxied, {});
  CHECK(with.Handle(HttpRequest{"GET", "/api/v1/runs", {{"x-forwarded-user", "alice"}}, ""}).status == 200);
  CHECK(with.Handle(HttpRequest{"GET", "/runs", {}, ""}).status == 401);
}

}  // namespace
}  // namespace tenure::console
