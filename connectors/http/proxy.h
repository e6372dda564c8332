// Proxy selection from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (and their lower-case spellings), the
// way curl reads them. Pure: the environment is read once, by ProxyConfigFromEnv.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "connectors/http/url.h"

namespace tenure::connectors::http {

struct ProxyConfig {
  std::string https_proxy;            // proxy URL for https:// targets ("" = direct)
  std::string http_proxy;             // proxy URL for http:// targets ("" = direct)
  std::vector<std::string> no_proxy;  // host suffixes, "host:port", or "*" (lower case)
  bool bypass_loopback = true;        // localhost, 127.0.0.0/8 and ::1 always go direct
};

// Where to send a request for a proxied target.
struct ProxyRoute {
  Url url;                    // the proxy itself (http:// only)
  std::string authorization;  // "Basic ..." from "http://user:pass@proxy:port", else ""; a secret
  // Every form of that credential (the token, "user:pass" decoded and as written, the password),
  // scrubbed from whatever comes back through the proxy: one that echoes requests cannot show it.
  std::vector<std::string> secrets;
};

// `text` with every form of `route`'s credential replaced by "***".
std::string ScrubProxyCredentials(std::string text, const ProxyRoute& route);

// Reads the variables (upper case wins over lower case). Never fails.
ProxyConfig ProxyConfigFromEnv();

// The proxy to use for `target`, or nullopt for a direct connection. Loopback targets go direct
// (as in Go's net/http) unless bypass_loopback is off, so a local sandbox works behind a
// corporate proxy. A NO_PROXY entry matches the
// host itself or any sub-domain ("example.com" and ".example.com" both match "a.example.com");
// an entry with ":port" matches that port only; "*" disables proxying. Fails (InvalidArgument)
// when the configured proxy URL is malformed (the message never repeats its credentials).
Result<std::optional<ProxyRoute>> ProxyFor(const ProxyConfig& config, const Url& target);

}  // namespace tenure::connectors::http
