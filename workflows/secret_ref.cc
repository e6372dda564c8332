#include "workflows/secret_ref.h"

#include <algorithm>

namespace tenure::workflows {
namespace {

bool IsEnvName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

Result<std::vector<SecretRef>> FindSecretRefs(std::string_view text) {
  std::vector<SecretRef> refs;
  std::size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string_view::npos) {
    const std::size_t close = text.find('}', pos);
    if (close == std::string_view::npos) return Error::Parse("unterminated secret reference: expected '}'", pos);
    const std::string_view body = text.substr(pos + 2, close - pos - 2);
    SecretRef ref{SecretRef::Kind::kEnv, "", pos, close - pos + 1};
    if (body.starts_with("env:")) {
      ref.name = std::string(body.substr(4));
      if (!IsEnvName(ref.name)) {
        return Error::Parse("invalid environment variable name '" + ref.name + "' in ${env:...}", pos);
      }
    } else if (body.starts_with("file:")) {
      ref.kind = SecretRef::Kind::kFile;
      ref.name = std::string(body.substr(5));
      if (ref.name.empty()) return Error::Parse("empty path in ${file:...}", pos);
    } else {
      return Error::Parse("unknown secret reference '${" + std::string(body) + "}': use ${env:NAME} or ${file:PATH}",
                          pos);
    }
    refs.push_back(std::move(ref));
    pos = close + 1;
  }
  return refs;
}

}  // namespace tenure::workflows
