#include "connectors/redactor.h"

#include <algorithm>

namespace tenure::connectors {

void Redactor::Add(std::string secret) {
  if (secret.size() < 4) return;
  if (std::find(secrets_.begin(), secrets_.end(), secret) != secrets_.end()) return;
  secrets_.push_back(std::move(secret));
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string Redactor::Redact(std::string_view text) const {
  std::string out(text);
  for (const std::string& s : secrets_) {
    std::size_t pos = 0;
    while ((pos = out.find(s, pos)) != std::string::npos) {
      out.replace(pos, s.size(), "***");
      pos += 3;
    }
  }
  return out;
}

Value Redactor::RedactValue(const Value& v) const {
  if (secrets_.empty()) return v;
  switch (v.kind()) {
    case Value::Kind::kString: return Value(Redact(v.AsString()));
    case Value::Kind::kList: {
      List l;
      for (const Value& item : v.AsList()) l.push_back(RedactValue(item));
      return Value(std::move(l));
    }
    case Value::Kind::kMap: {
      Map m;
      for (const auto& [k, item] : v.AsMap()) m.Set(Redact(k), RedactValue(item));
      return Value(std::move(m));
    }
    default: return v;
  }
}

}  // namespace tenure::connectors
