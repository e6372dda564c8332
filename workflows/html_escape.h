// HTML escaping for every page tenure renders (reports, evidence packs, the console): the five
// characters that matter in element content and quoted attribute values.
#pragma once

#include <string>
#include <string_view>

namespace tenure::workflows {

inline std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace tenure::workflows
