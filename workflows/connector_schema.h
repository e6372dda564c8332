// What a connector says about itself: its configuration keys, its actions, each action's arguments
// and results, and what undoes it. Validation, `tenure connectors` and docs/connectors.md all read
// this one description. The workflows layer defines the types; connectors/ provides the content.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tenure::workflows {

enum class ArgType { kString, kInt, kBool, kList, kMap, kDuration, kAny };
const char* ArgTypeName(ArgType t);

struct ArgSpec {
  std::string name;
  ArgType type = ArgType::kString;
  bool required = false;
  std::string description;
  // Config only. A credential (token, password, client secret, private key): it must be written
  // as a ${env:..}/${file:..} reference, never as a literal, and its value is redacted from every
  // error, result, log and report. Other settings are shown as they are, even when read from a
  // reference (a base_url from ${env:..} is not a secret).
  bool secret = false;
  // Config only, for mappings such as `headers` or `env` that mix plain values and credentials
  // (an Accept header beside an API key): each value in it written as a reference is a credential.
  bool references_are_credentials = false;
};

struct ResultField {
  std::string name;
  std::string description;
};

struct ActionSpec {
  std::string name;
  std::string description;
  std::vector<ArgSpec> args;
  // Groups of arguments of which at least one must be given, e.g. {"id", "userName"}.
  std::vector<std::vector<std::string>> one_of;
  std::vector<ResultField> results;
  bool idempotent = true;
  std::string undo;  // the action that undoes this one ("" = none), for `compensate` hints
  bool read_only = false;  // changes nothing anywhere: `until` may repeat it
  // Proof of removal (docs/proof.md), for destructive actions. `read_back`: what the connector
  // reads after the action succeeded and what it expects to see ("" = no read-back; a task's
  // `verify` defaults to on when there is one). `pre_state`: what it records before acting.
  // `restore`: the action `tenure restore` applies from that record ("" = not restorable).
  std::string read_back{};
  std::string pre_state{};
  std::string restore{};

  const ArgSpec* FindArg(std::string_view n) const;
};

struct ConnectorSpec {
  std::string name;
  std::string description;
  std::vector<ArgSpec> config;
  std::vector<ActionSpec> actions;
  bool builtin_connection = false;  // usable without declaring a connection (manual, timer)
  // The `rate` a connection of this type gets when it sets none (the provider's published quota),
  // as requests per second and as written for people ("2400/min"); 0 / "" = unlimited.
  double default_rate_per_second = 0;
  std::string default_rate;
  // More for docs/connectors.md: authentication, idempotency, throttling (markdown, "" = none).
  std::string notes;

  const ActionSpec* FindAction(std::string_view n) const;
  const ArgSpec* FindConfig(std::string_view n) const;
  // Whether the setting `key` (and, inside a mapping setting, `inner`: "" for the setting itself)
  // holds a credential, given whether its text is a secret reference. Unknown settings count as
  // credentials: when in doubt, redact.
  bool IsCredential(std::string_view key, std::string_view inner, bool written_as_reference) const;
};

// The set of connector types known to a tenure binary. Built once in cli/ and passed by reference.
class ConnectorCatalog {
 public:
  explicit ConnectorCatalog(std::vector<ConnectorSpec> specs) : specs_(std::move(specs)) {}
  const ConnectorSpec* Find(std::string_view name) const;
  std::span<const ConnectorSpec> all() const { return specs_; }
  std::vector<std::string_view> Names() const;

 private:
  std::vector<ConnectorSpec> specs_;
};

}  // namespace tenure::workflows
