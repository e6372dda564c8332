#include "connectors/ldap/escape.h"

namespace tenure::connectors::ldap {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendHex(std::string& out, unsigned char c) {
  out += '\\';
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

bool IsDescriptor(std::string_view s) {
  if (s.empty() || !IsAlpha(s[0])) return false;
  for (char c : s) {
    if (!IsAlpha(c) && !IsDigit(c) && c != '-') return false;
  }
  return true;
}

bool IsNumericOid(std::string_view s) {
  bool digit_seen = false;
  char prev = '.';
  for (char c : s) {
    if (c == '.') {
      if (prev == '.') return false;
    } else if (IsDigit(c)) {
      digit_seen = true;
    } else {
      return false;
    }
    prev = c;
  }
  return digit_seen && prev != '.';
}

}  // namespace

std::string EscapeDnValue(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 8);
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    const bool edge_space = c == ' ' && (i == 0 || i + 1 == value.size());
    if (c < 0x20 || c == 0x7F) {
      AppendHex(out, c);
    } else if (edge_space || (i == 0 && c == '#')) {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '"' || c == '+' || c == ',' || c == ';' || c == '<' || c == '>' || c == '\\' || c == '=') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string EscapeFilterValue(std::string_view value) {
  std::string out;
  out.reserve(value.size() + 8);
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0) {
      AppendHex(out, c);
    } else {
      out += ch;
    }
  }
  return out;
}

bool IsAttributeName(std::string_view name) {
  const std::size_t semi = name.find(';');
  const std::string_view base = name.substr(0, semi);
  if (!IsDescriptor(base) && !IsNumericOid(base)) return false;
  if (semi == std::string_view::npos) return true;
  std::string_view options = name.substr(semi + 1);
  while (true) {
    const std::size_t next = options.find(';');
    if (!IsDescriptor(options.substr(0, next))) return false;
    if (next == std::string_view::npos) return true;
    options = options.substr(next + 1);
  }
}

std::string Rdn(std::string_view name, std::string_view value) {
  return std::string(name) + "=" + EscapeDnValue(value);
}

std::string EqualityFilter(std::string_view name, std::string_view value) {
  return "(" + std::string(name) + "=" + EscapeFilterValue(value) + ")";
}

bool IsUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t n = 0;
    unsigned min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, min = 0x10000;
    } else {
      return false;
    }
    if (i + n >= text.size()) return false;
    unsigned cp = c & (0x3F >> n);
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace tenure::connectors::ldap
