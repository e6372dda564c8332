// MakeBuiltinRegistry: connection specs become connectors, config errors name the connection,
// and each connector type works end to end through the registry.
#include <catch2/catch.hpp>

#include "connectors/builtin_registry.h"
#include "connectors/catalog.h"
#include "connectors/http_support.h"
#include "connectors/oauth/jwt.h"
#include "tests/connectors/support/scripted_transport.h"
#include "workflows/yaml_tree.h"

namespace tenure::connectors {
namespace {

workflows::ConnectionSpec Conn(std::string name, std::string type, std::string yaml) {
  workflows::Diagnostics diags;
  workflows::ConnectionSpec c;
  c.name = std::move(name);
  c.connector = std::move(type);
  c.config = workflows::ParseYaml(yaml, "test.yaml", diags);
  return c;
}

struct Fixture {
  Fixture()
      : transport(
            [](const http::HttpRequest&) -> testing::SendResult { return testing::Response(200, R"({"ok":true})"); }),
        secrets(std::map<std::string, std::string>{
            {"env:TOKEN", "registry-secret-token"},
            {"env:GOOGLE_KEY", "{\"client_email\":\"r@p.iam.gserviceaccount.com\",\"private_key\":\"-----BEGIN PRIVATE "
                               "KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n\"}"}}),
        runner(exec::MakePosixProcessRunner()),
        registry(MakeBuiltinRegistry(transport, secrets, *runner)) {}
  testing::ScriptedTransport transport;
  MapSecretResolver secrets;
  std::unique_ptr<exec::ProcessRunner> runner;
  std::unique_ptr<ConnectorFactory> registry;
  Redactor redactor;
};

TEST_CASE("registry builds every built-in connector type", "[registry]") {
  Fixture f;
  for (auto [type, yaml] : std::vector<std::pair<std::string, std::string>>{
           {"scim", "base_url: http://scim.test/v2\ntoken: ${env:TOKEN}\n"},
           {"http", "base_url: http://api.test\n"},
           {"exec", "env:\n  A: b\n"},
           {"slack", "token: ${env:TOKEN}\nbase_url: http://slack.test/api\n"}}) {
    INFO(type);
    auto c = f.registry->Create(Conn("c-" + type, type, yaml), f.redactor);
    REQUIRE(c.has_value());
    CHECK(*c != nullptr);
  }
  CHECK(f.redactor.Redact("registry-secret-token") == "***");
  auto slack =
      f.registry->Create(Conn("chat", "slack", "token: ${env:TOKEN}\nbase_url: http://slack.test/api\n"), f.redactor);
  Outcome o = testing::InvokeNow(**slack, "post_message", MakeMap({{"channel", "C1"}, {"text", "hi"}}));
  CHECK(std::holds_alternative<Succeeded>(o));
  CHECK(testing::HeaderOf(f.transport.requests.back(), "Authorization") == "Bearer registry-secret-token");
}

TEST_CASE("only credentials are registered for redaction, wherever the other settings come from", "[registry]") {
  testing::ScriptedTransport transport(
      [](const http::HttpRequest&) -> testing::SendResult { return testing::Response(200, R"({"ok":true})"); });
  MapSecretResolver secrets(std::map<std::string, std::string>{{"env:SCIM_URL", "http://scim.internal.test/v2"},
                                                               {"env:TOKEN", "scim-secret-token"},
                                                               {"env:API_KEY", "header-api-key-42"}});
  auto runner = exec::MakePosixProcessRunner();
  auto registry = MakeBuiltinRegistry(transport, secrets, *runner);
  Redactor redactor;
  REQUIRE(registry->Create(Conn("idp", "scim", "base_url: ${env:SCIM_URL}\ntoken: ${env:TOKEN}\n"), redactor).has_value());
  REQUIRE(registry->Create(
      Conn("api", "http", "base_url: ${env:SCIM_URL}\nheaders:\n  X-Api-Key: ${env:API_KEY}\n  Accept: application/json\n"),
      redactor).has_value());
  CHECK(redactor.Redact("GET http://scim.internal.test/v2/Users: 401 scim-secret-token header-api-key-42") ==
        "GET http://scim.internal.test/v2/Users: 401 *** ***");
  CHECK(redactor.Redact("application/json") == "application/json");
}

TEST_CASE("registry errors name the connection", "[registry]") {
  Fixture f;
  auto missing = f.registry->Create(Conn("okta", "scim", "base_url: http://x\ntoken: ${env:NOPE}\n"), f.redactor);
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().message == "connection 'okta', key 'token': environment variable NOPE is not set");
  auto bad = f.registry->Create(Conn("okta", "scim", "base_url: ftp://x\n"), f.redactor);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "connection 'okta': scim: base_url must be an http:// or https:// URL");
  auto unknown = f.registry->Create(Conn("krb", "kerberos", ""), f.redactor);
  REQUIRE_FALSE(unknown.has_value());
  CHECK(unknown.error().message ==
        "connection 'krb': no connector type 'kerberos' (built in: scim, http, exec, slack, ldap, google, msgraph, smtp)");
  auto ldap = f.registry->Create(Conn("dir", "ldap", "url: http://x\nbase_dn: dc=x\n"), f.redactor);
  REQUIRE_FALSE(ldap.has_value());
  CHECK(ldap.error().message == "connection 'dir': ldap: url must be an ldap:// or ldaps:// URL");
}

TEST_CASE("registry registers the ldap bind password with the redactor", "[registry]") {
  Fixture f;
  auto c = f.registry->Create(
      Conn("dir", "ldap", "url: ldap://127.0.0.1:1\nbase_dn: dc=x\nbind_dn: cn=a,dc=x\npassword: ${env:TOKEN}\n"),
      f.redactor);
  REQUIRE(c.has_value());
  CHECK(f.redactor.Redact("bind with registry-secret-token") == "bind with ***");
}

TEST_CASE("registry covers every non-builtin catalog entry", "[registry]") {
  Fixture f;
  auto catalog = BuiltinCatalog();
  for (const auto& spec : catalog.all()) {
    if (spec.builtin_connection) continue;
    std::string yaml = spec.name == "exec" ? "" : "base_url: http://h\ntoken: ${env:TOKEN}\n";
    if (spec.name == "ldap") yaml = "url: ldap://h\nbase_dn: dc=x\nbind_dn: cn=a,dc=x\npassword: ${env:TOKEN}\n";
    if (spec.name == "google") yaml = "credentials: ${env:GOOGLE_KEY}\nsubject: admin@example.com\n";
    if (spec.name == "msgraph") yaml = "tenant_id: t\nclient_id: c\nclient_secret: ${env:TOKEN}\n";
    if (spec.name == "smtp") yaml = "host: mail.example.com\nfrom: tenure@example.com\n";
    auto c = f.registry->Create(Conn("x", spec.name, yaml), f.redactor);
    INFO(spec.name << ": " << (c ? std::string() : c.error().message));
    CHECK(c.has_value());
  }
}

}  // namespace
}  // namespace tenure::connectors

namespace tenure::connectors {
namespace {

TEST_CASE("registry builds google and msgraph connections and registers their keys and secrets", "[registry]") {
  auto key = oauth::GenerateRsaKeyPem();
  REQUIRE(key.has_value());
  Map sa;
  sa.Set("type", "service_account");
  sa.Set("client_email", "robot@project.iam.gserviceaccount.com");
  sa.Set("private_key", *key);
  sa.Set("token_uri", "https://oauth2.googleapis.com/token");
  testing::ScriptedTransport transport(
      [](const http::HttpRequest&) -> testing::SendResult { return testing::Response(200, R"({"ok":true})"); });
  MapSecretResolver secrets(std::map<std::string, std::string>{{"file:/keys/google.json", Value(sa).ToJson()},
                                                               {"env:GRAPH_SECRET", "graph-client-secret-77"}});
  auto runner = exec::MakePosixProcessRunner();
  auto registry = MakeBuiltinRegistry(transport, secrets, *runner);
  Redactor redactor;
  auto google = registry->Create(
      Conn("gws", "google", "credentials: \"${file:/keys/google.json}\"\nsubject: admin@example.com\n"), redactor);
  REQUIRE(google.has_value());
  CHECK(redactor.Redact(*key) == "***");  // the PEM itself, not only the file's JSON text
  auto graph = registry->Create(
      Conn("m365", "msgraph", "tenant_id: contoso.onmicrosoft.com\nclient_id: app\nclient_secret: ${env:GRAPH_SECRET}\n"),
      redactor);
  REQUIRE(graph.has_value());
  CHECK(redactor.Redact("x graph-client-secret-77 y") == "x *** y");
  auto no_key = registry->Create(Conn("bad", "google", "credentials: \"${file:/keys/google.json}\"\n"), redactor);
  REQUIRE_FALSE(no_key.has_value());
  CHECK(no_key.error().message == "connection 'bad': google: `subject` (the admin the service account acts as) is required");
  auto garbage = registry->Create(Conn("worse", "google", "credentials: \"${env:GRAPH_SECRET}\"\nsubject: a@b.c\n"), redactor);
  REQUIRE_FALSE(garbage.has_value());
  CHECK(garbage.error().message.find("graph-client-secret-77") == std::string::npos);
  CHECK(garbage.error().message.find("not a JSON service-account key") != std::string::npos);
}

}  // namespace
}  // namespace tenure::connectors
