// Redactor: removes every registered secret value from text before it is logged, stored, printed
// or returned. Each resolved secret is registered once, when its connection is first used.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workflows/value.h"

namespace tenure::connectors {

class Redactor {
 public:
  // Remembers `secret` (values shorter than 4 bytes are ignored: redacting "a" would destroy text),
  // and the encodings of it that tenure produces: percent-encoded, JSON-escaped and base64 (inside
  // any longer base64 text, e.g. a Basic credential "user:SECRET"; see redactor.cc).
  void Add(std::string secret);
  // `text` with every registered secret replaced by "***".
  std::string Redact(std::string_view text) const;
  // The same for every string inside `v` (map keys included).
  Value RedactValue(const Value& v) const;
  bool empty() const { return secrets_.empty(); }
  // Everything registered, with the encoded forms, longest first.
  const std::vector<std::string>& Forms() const { return secrets_; }

 private:
  void AddForm(std::string form);

  std::vector<std::string> secrets_;  // with their encoded forms; longest first, so a secret containing another is removed whole
};

}  // namespace tenure::connectors
