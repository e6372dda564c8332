#include "connectors/redactor.h"

#include <algorithm>

#include "connectors/http/url.h"

namespace tenure::connectors {
namespace {

// A base64 core shorter than this could match ordinary text by chance.
constexpr std::size_t kMinBase64Core = 6;

std::string UrlSafe(std::string b64) {
  std::replace(b64.begin(), b64.end(), '+', '-');
  std::replace(b64.begin(), b64.end(), '/', '_');
  return b64;
}

}  // namespace

void Redactor::Add(std::string secret) {
  if (secret.size() < 4) return;
  // The forms in which tenure itself may send it, so that a server that echoes a request back
  // cannot make it readable: percent-encoded (a query), JSON-escaped (a body), and base64, as in a
  // Basic credential "user:SECRET" or anything tenure wraps or signs. A secret inside a longer
  // base64 text starts at one of three bit alignments; for each, the characters that only the
  // secret's own bytes determine are registered (standard and URL-safe alphabets).
  AddForm(http::PercentEncode(secret));
  if (std::string json = Value(secret).ToJson(); json.size() >= 2) AddForm(json.substr(1, json.size() - 2));
  for (std::size_t lead = 0; lead < 3; ++lead) {
    const std::string encoded = http::Base64(std::string(lead, '\0') + secret);
    const std::size_t first = (8 * lead + 5) / 6;              // the first sextet inside the secret
    const std::size_t end = 8 * (lead + secret.size()) / 6;    // one past the last one
    if (end <= first || end - first < kMinBase64Core) continue;
    AddForm(encoded.substr(first, end - first));
    AddForm(UrlSafe(encoded.substr(first, end - first)));
  }
  AddForm(std::move(secret));
  std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

void Redactor::AddForm(std::string form) {
  if (form.size() < 4) return;
  if (std::find(secrets_.begin(), secrets_.end(), form) != secrets_.end()) return;
  secrets_.push_back(std::move(form));
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
