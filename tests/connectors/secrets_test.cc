// Secret resolution for connection configs: env and file references, errors that name the
// reference but never a value, and registration with the Redactor.
#include "connectors/secrets.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "workflows/yaml_tree.h"

namespace tenure::connectors {
namespace {

workflows::ConnectionSpec Conn(std::string yaml) {
  workflows::Diagnostics diags;
  workflows::ConnectionSpec c;
  c.name = "okta";
  c.connector = "scim";
  c.config = workflows::ParseYaml(yaml, "test.yaml", diags);
  return c;
}

class FakeFiles final : public workflows::FileReader {
 public:
  Result<std::string> Read(const std::string& path) override {
    if (path == "/run/secrets/token") return std::string("file-secret-value\n");
    if (path == "/run/secrets/locked") return Error::Io("cannot read /run/secrets/locked: Permission denied");
    return Error::NotFound("no such file " + path);
  }
};

TEST_CASE("secrets: env and file references resolve and are registered", "[secrets]") {
  ::setenv("TENURE_TEST_TOKEN", "env-secret-value", 1);
  FakeFiles files;
  EnvFileSecretResolver resolver(files);
  Redactor redactor;
  auto config = ResolveConnectionConfig(Conn("base_url: https://idp/scim\ntoken: ${env:TENURE_TEST_TOKEN}\n"
                                             "headers:\n  X-Key: \"k=${file:/run/secrets/token};\"\npage_size: 50\n"),
                                        resolver, redactor);
  ::unsetenv("TENURE_TEST_TOKEN");
  REQUIRE(config.has_value());
  CHECK(config->Find("token")->AsString() == "env-secret-value");
  CHECK(config->Find("headers")->AsMap().Find("X-Key")->AsString() == "k=file-secret-value;");
  CHECK(config->Find("page_size")->AsInt() == 50);
  CHECK(redactor.Redact("a env-secret-value b file-secret-value") == "a *** b ***");
}

TEST_CASE("secrets: errors name the connection and reference, never content", "[secrets]") {
  FakeFiles files;
  EnvFileSecretResolver resolver(files);
  Redactor redactor;
  auto missing_env = ResolveConnectionConfig(Conn("token: ${env:TENURE_TEST_NOT_SET_XYZ}\n"), resolver, redactor);
  REQUIRE_FALSE(missing_env.has_value());
  CHECK(missing_env.error().message ==
        "connection 'okta', key 'token': environment variable TENURE_TEST_NOT_SET_XYZ is not set");
  CHECK(missing_env.error().Is(Errc::kNotFound));
  auto missing_file = ResolveConnectionConfig(Conn("token: ${file:/nope}\n"), resolver, redactor);
  REQUIRE_FALSE(missing_file.has_value());
  CHECK(missing_file.error().message == "connection 'okta', key 'token': secret file /nope does not exist");
  auto locked = ResolveConnectionConfig(Conn("token: ${file:/run/secrets/locked}\n"), resolver, redactor);
  REQUIRE_FALSE(locked.has_value());
  CHECK(locked.error().message == "connection 'okta', key 'token': secret file /run/secrets/locked cannot be read");
  auto malformed = ResolveConnectionConfig(Conn("token: ${vault:x}\n"), resolver, redactor);
  REQUIRE_FALSE(malformed.has_value());
  CHECK(malformed.error().message.rfind("connection 'okta', key 'token': ", 0) == 0);
}

TEST_CASE("secrets: a real file through RealFileReader, content never in errors", "[secrets]") {
  auto path = std::filesystem::temp_directory_path() / "tenure-secret-test.txt";
  {
    std::ofstream out(path);
    out << "real-file-secret\r\n";
  }
  workflows::RealFileReader files;
  EnvFileSecretResolver resolver(files);
  Redactor redactor;
  auto ok = ResolveConnectionConfig(Conn("token: ${file:" + path.string() + "}\n"), resolver, redactor);
  std::filesystem::remove(path);
  REQUIRE(ok.has_value());
  CHECK(ok->Find("token")->AsString() == "real-file-secret");
  auto dir = ResolveConnectionConfig(Conn("token: ${file:/}\n"), resolver, redactor);
  REQUIRE_FALSE(dir.has_value());
  CHECK(dir.error().message == "connection 'okta', key 'token': secret file / cannot be read");
}

TEST_CASE("secrets: map resolver and literal text", "[secrets]") {
  MapSecretResolver resolver(std::map<std::string, std::string>{{"env:A", "alpha-value"}});
  Redactor redactor;
  auto s = ResolveSecretsIn("x ${env:A} y", "here", resolver, redactor);
  REQUIRE(s.has_value());
  CHECK(*s == "x alpha-value y");
  auto plain = ResolveSecretsIn("no refs here", "here", resolver, redactor);
  CHECK(*plain == "no refs here");
  auto empty = ResolveConnectionConfig(Conn(""), resolver, redactor);
  REQUIRE(empty.has_value());
  CHECK(empty->empty());
}

}  // namespace
}  // namespace tenure::connectors
