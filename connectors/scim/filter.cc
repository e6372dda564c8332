#include "connectors/scim/filter.h"

#include <cctype>
#include <cstdio>

#include "connectors/http_support.h"

namespace tenure::connectors::scim {

std::string QuoteFilterValue(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;  // UTF-8 bytes pass through: SCIM filters are UTF-8 text
        }
    }
  }
  out += '"';
  return out;
}

std::string EqFilter(std::string_view attribute, std::string_view value) {
  return std::string(attribute) + " eq " + QuoteFilterValue(value);
}

bool NeedsEscaping(std::string_view value) {
  for (char c : value) {
    if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

std::string ResourcePath(std::string_view collection, std::string_view id) {
  return std::string(collection) + "/" + UrlEncode(id);
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace tenure::connectors::scim
