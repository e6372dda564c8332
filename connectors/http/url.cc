#include "connectors/http/url.h"

#include <algorithm>
#include <cstdint>
#include <cctype>
#include <charconv>

namespace tenure::connectors::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Error BadUrl(std::string_view text, std::string_view why) {
  return Error::InvalidArgument("invalid URL \"" + std::string(text) + "\": " + std::string(why));
}

// Splits "host[:port]" or "[v6][:port]" into host and port (0 when absent).
Result<std::pair<std::string, int>> SplitHostPort(std::string_view text, std::string_view authority) {
  std::string_view host = authority;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return BadUrl(text, "unterminated IPv6 literal");
    host = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return BadUrl(text, "garbage after IPv6 literal");
      port_text = rest.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return BadUrl(text, "empty host");
  int port = 0;
  if (!port_text.empty()) {
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port <= 0 || port > 65535) {
      return BadUrl(text, "bad port");
    }
  }
  return std::pair<std::string, int>{Lower(host), port};
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string Url::Authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Url> ParseUrl(std::string_view text) {
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return BadUrl(text, "expected http:// or https://");
  Url url;
  url.scheme = Lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return BadUrl(text, "unsupported scheme");
  std::string_view rest = text.substr(scheme_end + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto path_start = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path_start);
  if (authority.find('@') != std::string_view::npos) {
    return BadUrl(text, "credentials in URLs are not supported; use a header");
  }
  auto hp = SplitHostPort(text, authority);
  if (!hp) return hp.error();
  url.host = hp->first;
  url.port = hp->second != 0 ? hp->second : (url.tls() ? 443 : 80);
  url.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  // insert(0, 1, '/'), not insert(0, "/"): GCC 12 at -O3 reports the latter as an overlapping
  // memcpy (-Wrestrict), a false positive (GCC PR 105329).
  if (url.target.front() == '?') url.target.insert(0, 1, '/');
  return url;
}

Result<Url> ResolveLocation(const Url& base, std::string_view location) {
  if (location.find("://") != std::string_view::npos) return ParseUrl(location);
  if (location.starts_with("//")) return ParseUrl(base.scheme + ":" + std::string(location));
  Url out = base;
  if (location.starts_with("/")) {
    out.target = std::string(location);
  } else {
    const std::string path = base.target.substr(0, base.target.find('?'));
    out.target = path.substr(0, path.rfind('/') + 1) + std::string(location);
  }
  if (const auto hash = out.target.find('#'); hash != std::string::npos) out.target.resize(hash);
  if (out.target.empty()) out.target = "/";
  return out;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size()) {
      const int hi = HexValue(text[i + 1]);
      const int lo = HexValue(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_is_space && c == '+' ? ' ' : c);
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t chunk = 0;
    for (std::size_t k = 0; k < 3; ++k) chunk = (chunk << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out.push_back(k <= n ? kAlphabet[(chunk >> (18 - 6 * k)) & 63] : '=');
  }
  return out;
}

}  // namespace tenure::connectors::http
