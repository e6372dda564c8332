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
// unterminated "${", an unknown scheme, an empty or invalid name. `$${` is an escape, not a
// reference: it stands for a literal `${` (a shell's `sh -c 'echo $${HOME}'` in an exec argument).
// Text is read left to right, so `$$${env:X}` is a `$` followed by the escape.
Result<std::vector<SecretRef>> FindSecretRefs(std::string_view text);

// `text` with every escape `$${` written as the literal `${` it stands for (references untouched).
// Applied to what the playbook's author wrote, never to data (inputs, results).
std::string UnescapeSecretText(std::string_view text);

// True when `text` holds at least one "${" that is not an escape `$${` (whether or not well formed).
bool MentionsSecret(std::string_view text);

}  // namespace tenure::workflows
