#include "connectors/builtin_registry.h"

#include "connectors/catalog.h"

#include "connectors/exec/connector.h"
#include "connectors/google/connector.h"
#include "connectors/msgraph/connector.h"
#include "connectors/http_connector/connector.h"
#include "connectors/ldap/connector.h"
#include "connectors/scim/connector.h"
#include "connectors/slack/connector.h"
#include "connectors/smtp/connector.h"

namespace tenure::connectors {
namespace {

class BuiltinRegistry final : public ConnectorFactory {
 public:
  BuiltinRegistry(http::HttpTransport& transport, SecretResolver& secrets, exec::ProcessRunner& runner)
      : transport_(transport), secrets_(secrets), runner_(runner), catalog_(BuiltinCatalog()) {}

  Result<std::unique_ptr<Connector>> Create(const workflows::ConnectionSpec& conn, Redactor& redactor) override {
    // Every reference is resolved, but only credentials go to the run's redactor (see
    // RegisterCredentials): a base_url read from ${env:..} is no secret and stays readable.
    Redactor every_reference;
    auto config = ResolveConnectionConfig(conn, secrets_, every_reference);
    if (!config) return config.error();
    if (auto registered = RegisterCredentials(conn, *config, redactor); !registered) return registered.error();
    auto made = Make(conn.connector, *config, redactor);
    if (!made) {
      return Error{made.error().code, "connection '" + conn.name + "': " + redactor.Redact(made.error().message)};
    }
    return made;
  }

 private:
  // Registers with `redactor` what the catalog calls a credential in this connection's settings
  // (ArgSpec::secret, and references inside `headers`/`env`), wherever its value came from: the
  // whole resolved value and the value of each reference in it. Nothing else is registered.
  Result<void> RegisterCredentials(const workflows::ConnectionSpec& conn, const Map& resolved, Redactor& redactor) {
    const workflows::ConnectorSpec* spec = catalog_.Find(conn.connector);
    for (const workflows::YamlEntry& e : conn.config.entries) {
      const std::string& key = e.key.scalar;
      const Value* value = resolved.Find(key);
      if (value == nullptr) continue;
      const std::string where = "connection '" + conn.name + "', key '" + key + "'";
      if (spec == nullptr || spec->IsCredential(key, "", false)) {
        AddStrings(*value, redactor);
        auto r = ResolveSecretsInValue(workflows::ToValue(e.value), where, secrets_, redactor);
        if (!r) return r.error();
        continue;
      }
      if (!e.value.IsMap() || !value->IsMap()) continue;
      for (const workflows::YamlEntry& inner : e.value.entries) {
        const bool reference = inner.value.IsScalar() && workflows::MentionsSecret(inner.value.scalar);
        if (!spec->IsCredential(key, inner.key.scalar, reference)) continue;
        if (const Value* v = value->AsMap().Find(inner.key.scalar)) AddStrings(*v, redactor);
        auto r = ResolveSecretsInValue(workflows::ToValue(inner.value), where, secrets_, redactor);
        if (!r) return r.error();
      }
    }
    return {};
  }

  static void AddStrings(const Value& v, Redactor& redactor) {
    if (v.IsString()) redactor.Add(v.AsString());
    if (v.IsList()) {
      for (const Value& item : v.AsList()) AddStrings(item, redactor);
    }
    if (v.IsMap()) {
      for (const auto& [k, item] : v.AsMap()) AddStrings(item, redactor);
    }
  }

  Result<std::unique_ptr<Connector>> Make(const std::string& type, const Map& config, Redactor& redactor) {
    if (type == "scim") {
      auto c = scim::ParseScimConfig(config);
      if (!c) return c.error();
      // A Basic credential is made here from two settings: what is sent is a secret too.
      if (c->authorization.starts_with("Basic ")) redactor.Add(c->authorization.substr(6));
      return scim::MakeScimConnector(std::move(*c), transport_, redactor);
    }
    if (type == "http") {
      auto c = http_connector::ParseHttpConnectorConfig(config);
      if (!c) return c.error();
      return http_connector::MakeHttpConnector(std::move(*c), transport_, redactor, secrets_);
    }
    if (type == "exec") {
      auto c = exec::ParseExecConfig(config);
      if (!c) return c.error();
      return exec::MakeExecConnector(std::move(*c), runner_, redactor);
    }
    if (type == "slack") {
      auto c = slack::ParseSlackConfig(config);
      if (!c) return c.error();
      return slack::MakeSlackConnector(std::move(*c), transport_, redactor);
    }
    if (type == "ldap") {
      auto c = ldap::ParseLdapConfig(config);
      if (!c) return c.error();
      return ldap::MakeLdapConnector(std::move(*c), redactor, secrets_);
    }
    if (type == "google") {
      auto c = google::ParseGoogleConfig(config);
      if (!c) return c.error();
      return google::MakeGoogleConnector(std::move(*c), transport_, secrets_, redactor);
    }
    if (type == "msgraph") {
      auto c = msgraph::ParseGraphConfig(config);
      if (!c) return c.error();
      return msgraph::MakeGraphConnector(std::move(*c), transport_, secrets_, redactor);
    }
    if (type == "smtp") {
      auto c = smtp::ParseSmtpConfig(config);
      if (!c) return c.error();
      return smtp::MakeSmtpConnector(std::move(*c), redactor);
    }
    return Error::NotFound("no connector type '" + type + "' (built in: scim, http, exec, slack, ldap, google, msgraph, smtp)");
  }

  http::HttpTransport& transport_;
  SecretResolver& secrets_;
  exec::ProcessRunner& runner_;
  const workflows::ConnectorCatalog catalog_;  // built once: a run creates its connections from it
};

// The real seams, owned alongside the registry they serve.
class OwningBuiltinRegistry final : public ConnectorFactory {
 public:
  explicit OwningBuiltinRegistry(http::HttpTransport& transport)
      : secrets_(files_), runner_(exec::MakePosixProcessRunner()), registry_(transport, secrets_, *runner_) {}
  Result<std::unique_ptr<Connector>> Create(const workflows::ConnectionSpec& conn, Redactor& redactor) override {
    return registry_.Create(conn, redactor);
  }

 private:
  workflows::RealFileReader files_;
  EnvFileSecretResolver secrets_;
  std::unique_ptr<exec::ProcessRunner> runner_;
  BuiltinRegistry registry_;
};

}  // namespace

std::unique_ptr<ConnectorFactory> MakeBuiltinRegistry(boost::asio::any_io_executor /*ex*/,
                                                      http::HttpTransport& transport) {
  return std::make_unique<OwningBuiltinRegistry>(transport);
}

std::unique_ptr<ConnectorFactory> MakeBuiltinRegistry(http::HttpTransport& transport, SecretResolver& secrets,
                                                      exec::ProcessRunner& runner) {
  return std::make_unique<BuiltinRegistry>(transport, secrets, runner);
}

}  // namespace tenure::connectors
