// Secret references: `${env:NAME}` and `${file:/path}` inside configuration strings. The
// playbook language only finds and checks them; connectors/ resolves them when a connection is
// first used, and nothing ever prints the resolved value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workflows/error.h"

namespace tenure::workflows {

struct SecretRef {
  enum class Kind { kEnv, kFile };
  Kind kind;
  std::string name;     // the variable name or the file path
  std::size_t offset;   // of "${" in the text
  std::size_t length;   // of the whole "${...}"
};

// Every reference in `text`, in order. Error (kParse, with offset) for a malformed one:
// unterminated "${", an unknown scheme, an empty or invalid name.
Result<std::vector<SecretRef>> FindSecretRefs(std::string_view text);

// True when `text` holds at least one "${" (whether or not well formed).
inline bool MentionsSecret(std::string_view text) { return text.find("${") != std::string_view::npos; }

}  // namespace tenure::workflows
