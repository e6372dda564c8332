#include "connectors/secrets.h"

#include <cstdlib>

#include "workflows/yaml_tree.h"

namespace tenure::connectors {

Result<std::string> EnvFileSecretResolver::Resolve(const workflows::SecretRef& ref) {
  if (ref.kind == workflows::SecretRef::Kind::kEnv) {
    // getenv is read-only here; the environment is never modified by tenure.
    const char* v = std::getenv(ref.name.c_str());
    if (v == nullptr) return Error::NotFound("environment variable " + ref.name + " is not set");
    return std::string(v);
  }
  Result<std::string> content = files_.Read(ref.name);
  if (!content) {
    // The reader's message names the path and the reason only; keep our own words regardless so
    // that no reader can ever leak file content into an error.
    const bool missing = content.error().Is(Errc::kNotFound);
    return Error{content.error().code, "secret file " + ref.name + (missing ? " does not exist" : " cannot be read")};
  }
  std::string value = std::move(*content);
  if (!value.empty() && value.back() == '\n') value.pop_back();
  if (!value.empty() && value.back() == '\r') value.pop_back();
  return value;
}

Result<std::string> MapSecretResolver::Resolve(const workflows::SecretRef& ref) {
  const bool env = ref.kind == workflows::SecretRef::Kind::kEnv;
  auto it = values_.find((env ? "env:" : "file:") + ref.name);
  if (it == values_.end()) {
    return Error::NotFound(env ? "environment variable " + ref.name + " is not set"
                               : "secret file " + ref.name + " does not exist");
  }
  return it->second;
}

Result<std::string> ResolveSecretsIn(std::string_view text, std::string_view where, SecretResolver& resolver,
                                     Redactor& redactor) {
  if (text.find('$') == std::string_view::npos) return std::string(text);
  auto refs = workflows::FindSecretRefs(text);
  if (!refs) return Error{refs.error().code, std::string(where) + ": " + refs.error().message};
  std::string out;
  std::size_t pos = 0;
  for (const workflows::SecretRef& ref : *refs) {
    Result<std::string> value = resolver.Resolve(ref);
    if (!value) return Error{value.error().code, std::string(where) + ": " + value.error().message};
    redactor.Add(*value);
    out += workflows::UnescapeSecretText(text.substr(pos, ref.offset - pos));  // `$${` -> `${`
    out += *value;
    pos = ref.offset + ref.length;
  }
  out += workflows::UnescapeSecretText(text.substr(pos));
  return out;
}

Result<Value> ResolveSecretsInValue(const Value& v, std::string_view where, SecretResolver& resolver,
                                    Redactor& redactor) {
  switch (v.kind()) {
    case Value::Kind::kString: {
      auto s = ResolveSecretsIn(v.AsString(), where, resolver, redactor);
      if (!s) return s.error();
      return Value(std::move(*s));
    }
    case Value::Kind::kList: {
      List out;
      for (const Value& item : v.AsList()) {
        auto r = ResolveSecretsInValue(item, where, resolver, redactor);
        if (!r) return r.error();
        out.push_back(std::move(*r));
      }
      return Value(std::move(out));
    }
    case Value::Kind::kMap: {
      Map out;
      for (const auto& [key, item] : v.AsMap()) {
        auto r = ResolveSecretsInValue(item, where, resolver, redactor);
        if (!r) return r.error();
        out.Set(key, std::move(*r));
      }
      return Value(std::move(out));
    }
    default:
      return v;
  }
}

const workflows::YamlNode* LiteralAt(const workflows::YamlNode* with, std::initializer_list<std::string_view> path) {
  const workflows::YamlNode* at = with;
  for (std::string_view key : path) {
    if (at == nullptr || !at->IsMap()) return nullptr;
    at = at->Find(key);
  }
  return at;
}

Result<std::string> ResolveLiteralSecrets(const Value& rendered, const workflows::YamlNode* literal,
                                          std::string_view where, SecretResolver& resolver, Redactor& redactor) {
  std::string text = rendered.ToText();
  if (literal == nullptr || !literal->IsScalar()) return text;
  if (literal->scalar.find("{{") != std::string::npos) {
    if (workflows::MentionsSecret(literal->scalar)) {
      return Error::InvalidArgument(std::string(where) +
                                    ": a secret reference cannot be combined with a {{ template }} in one value; "
                                    "write the reference alone");
    }
    return text;  // rendered: data
  }
  // Rendering already turned the author's escapes `$${` into `${`: compare with that.
  if (workflows::UnescapeSecretText(literal->scalar) != text) return text;  // not the author's text
  return ResolveSecretsIn(literal->scalar, where, resolver, redactor);
}

Result<Map> ResolveConnectionConfig(const workflows::ConnectionSpec& conn, SecretResolver& resolver,
                                    Redactor& redactor) {
  Value config = workflows::ToValue(conn.config);
  if (config.IsNull()) return Map{};
  if (!config.IsMap()) return Error::InvalidArgument("connection '" + conn.name + "': config must be a mapping");
  Map out;
  for (const auto& [key, item] : config.AsMap()) {
    std::string where = "connection '" + conn.name + "', key '" + key + "'";
    auto r = ResolveSecretsInValue(item, where, resolver, redactor);
    if (!r) return r.error();
    out.Set(key, std::move(*r));
  }
  return out;
}

}  // namespace tenure::connectors
