// SecretResolver: turns `${env:NAME}` / `${file:PATH}` references into values, when a connection
// is first used (never at load time). The seam lets tests supply a map instead of the process
// environment and the file system.
//
// Contract for every resolver: errors name the reference (variable name or path) and never any
// content; the caller registers each resolved value with the Redactor before using it.
#pragma once

#include <initializer_list>
#include <map>
#include <string>

#include "connectors/redactor.h"
#include "workflows/error.h"
#include "workflows/file_reader.h"
#include "workflows/playbook.h"
#include "workflows/secret_ref.h"
#include "workflows/value.h"

namespace tenure::connectors {

class SecretResolver {
 public:
  virtual ~SecretResolver() = default;
  // The value of `ref`. kNotFound: unset variable or missing file; kIo: unreadable file.
  virtual Result<std::string> Resolve(const workflows::SecretRef& ref) = 0;
};

// The process environment and the local file system (through `files`, which must outlive it).
// A file's single trailing newline is dropped ("echo token > file" is the common way to make one).
class EnvFileSecretResolver final : public SecretResolver {
 public:
  explicit EnvFileSecretResolver(workflows::FileReader& files) : files_(files) {}
  Result<std::string> Resolve(const workflows::SecretRef& ref) override;

 private:
  workflows::FileReader& files_;
};

// For tests: "env:NAME" / "file:PATH" -> value.
class MapSecretResolver final : public SecretResolver {
 public:
  explicit MapSecretResolver(std::map<std::string, std::string> values) : values_(std::move(values)) {}
  Result<std::string> Resolve(const workflows::SecretRef& ref) override;

 private:
  std::map<std::string, std::string> values_;
};

// `text` with every secret reference replaced by its value; each value is added to `redactor`.
// Errors say which reference failed (and `where`, e.g. "connection 'okta', key 'token'").
Result<std::string> ResolveSecretsIn(std::string_view text, std::string_view where, SecretResolver& resolver,
                                     Redactor& redactor);

// The same for every string (not map key) inside `v`.
Result<Value> ResolveSecretsInValue(const Value& v, std::string_view where, SecretResolver& resolver,
                                    Redactor& redactor);

// The author's literal node at `path` inside `with` (an Action's `literal`), or null when `with`
// is null or the path leads through a template, a list or a missing key.
const workflows::YamlNode* LiteralAt(const workflows::YamlNode* with, std::initializer_list<std::string_view> path);

// The text of the rendered argument `rendered`, with secret references resolved only when the
// author wrote that field as plain text (`literal` is a scalar without a template and renders to
// `rendered`). Anything else (a value rendered from an input, a var, a server's answer) is data and
// is returned as is, `${...}` included: a value supplied at run time can never name a secret. A
// field that mixes a reference with a template is refused: "WHERE: a secret reference cannot be
// combined with a {{ template }} in one value; write the reference alone".
Result<std::string> ResolveLiteralSecrets(const Value& rendered, const workflows::YamlNode* literal,
                                          std::string_view where, SecretResolver& resolver, Redactor& redactor);

// The connection's config as a Value map with every reference resolved. Errors name the
// connection and the key: "connection 'okta', key 'token': environment variable OKTA_TOKEN is not set".
Result<Map> ResolveConnectionConfig(const workflows::ConnectionSpec& conn, SecretResolver& resolver,
                                    Redactor& redactor);

}  // namespace tenure::connectors
