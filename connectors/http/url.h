// Url: the parts of an absolute http:// or https:// URL the transport needs, plus percent-encoding
// helpers shared by the transport, the connectors and the sandbox. Pure functions, no I/O.
#pragma once

#include <string>
#include <string_view>

#include "workflows/error.h"

namespace tenure::connectors::http {

struct Url {
  std::string scheme;  // "http" or "https", lower case
  std::string host;    // lower case; IPv6 literals without brackets
  int port = 0;        // explicit or the scheme's default (80 / 443)
  std::string target;  // path plus "?query", never empty ("/" at least); no fragment

  bool tls() const { return scheme == "https"; }
  // "host:port" with brackets around IPv6 literals: the Host header / CONNECT authority.
  std::string Authority() const;
};

// Parses an absolute URL. Fails (InvalidArgument, naming the URL) on a missing or unsupported
// scheme, an empty host, a bad port, or userinfo ("user:pass@": credentials belong in headers).
Result<Url> ParseUrl(std::string_view text);

// Resolves a redirect `location` (absolute, scheme-relative "//h/p" or absolute-path "/p")
// against `base`. Relative paths without a leading '/' are resolved against base's directory.
Result<Url> ResolveLocation(const Url& base, std::string_view location);

// RFC 3986 percent-encoding of everything but unreserved characters (ALPHA DIGIT - . _ ~).
// Suitable for a query parameter value or a single path segment.
std::string PercentEncode(std::string_view text);
// Decodes %XX sequences (invalid ones are kept literally); `plus_is_space` for form/query text.
std::string PercentDecode(std::string_view text, bool plus_is_space = false);
// Standard base64 with padding (RFC 4648 section 4), as in a Basic credential.
std::string Base64(std::string_view bytes);

}  // namespace tenure::connectors::http
