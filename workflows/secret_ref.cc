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

// The next "${" at or after `pos` that is not part of an escape "$${", skipping escapes.
std::size_t NextRef(std::string_view text, std::size_t pos) {
  while ((pos = text.find('$', pos)) != std::string_view::npos) {
    if (text.substr(pos, 3) == "$${") {
      pos += 3;  // an escape: its "{" opens nothing
      continue;
    }
    if (text.substr(pos, 2) == "${") return pos;
    ++pos;
  }
  return std::string_view::npos;
}

}  // namespace

bool MentionsSecret(std::string_view text) { return NextRef(text, 0) != std::string_view::npos; }

std::string UnescapeSecretText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (text.substr(pos, 3) == "$${") {
      out += "${";
      pos += 3;
    } else if (text.substr(pos, 2) == "${") {
      out += "${";  // a reference's opening: its "{" is not an escape's
      pos += 2;
    } else {
      out += text[pos++];
    }
  }
  return out;
}

Result<std::vector<SecretRef>> FindSecretRefs(std::string_view text) {
  std::vector<SecretRef> refs;
  std::size_t pos = 0;
  while ((pos = NextRef(text, pos)) != std::string_view::npos) {
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
      return Error::Parse("unknown secret reference '${" + std::string(body) +
                              "}': use ${env:NAME} or ${file:PATH}; for a literal ${ (a shell variable), write $${",
                          pos);
    }
    refs.push_back(std::move(ref));
    pos = close + 1;
  }
  return refs;
}

}  // namespace tenure::workflows
