#include "connectors/http/proxy.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>

#include "connectors/redactor.h"

namespace tenure::connectors::http {
namespace {

std::string Env(const char* upper, const char* lower) {
  if (const char* v = std::getenv(upper); v != nullptr && *v != '\0') return v;
  if (const char* v = std::getenv(lower); v != nullptr && *v != '\0') return v;
  return "";
}

std::string Trim(std::string s) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host.ends_with(".localhost") || host.starts_with("127.") || host == "::1";
}

bool Matches(const std::string& entry, const Url& target) {
  if (entry == "*") return true;
  std::string host = entry;
  if (const auto colon = entry.rfind(':'); colon != std::string::npos && entry.find(']') == std::string::npos &&
                                           entry.find(':') == colon) {
    if (entry.substr(colon + 1) != std::to_string(target.port)) return false;
    host = entry.substr(0, colon);
  }
  if (!host.empty() && host.front() == '.') host.erase(0, 1);
  if (host.empty()) return false;
  if (target.host == host) return true;
  return target.host.size() > host.size() && target.host.ends_with(host) &&
         target.host[target.host.size() - host.size() - 1] == '.';
}

}  // namespace

ProxyConfig ProxyConfigFromEnv() {
  ProxyConfig config;
  config.https_proxy = Env("HTTPS_PROXY", "https_proxy");
  config.http_proxy = Env("HTTP_PROXY", "http_proxy");
  std::string list = Env("NO_PROXY", "no_proxy");
  std::transform(list.begin(), list.end(), list.begin(), [](unsigned char c) { return std::tolower(c); });
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = std::min(list.find(',', start), list.size());
    if (std::string entry = Trim(list.substr(start, comma - start)); !entry.empty()) {
      config.no_proxy.push_back(std::move(entry));
    }
    start = comma + 1;
  }
  return config;
}

std::string ScrubProxyCredentials(std::string text, const ProxyRoute& route) {
  for (const std::string& s : route.secrets) {  // longest first
    for (std::size_t pos = 0; (pos = text.find(s, pos)) != std::string::npos; pos += 3) text.replace(pos, s.size(), "***");
  }
  return text;
}

Result<std::optional<ProxyRoute>> ProxyFor(const ProxyConfig& config, const Url& target) {
  std::string proxy = target.tls() ? config.https_proxy : config.http_proxy;
  if (proxy.empty()) return std::optional<ProxyRoute>();
  if (config.bypass_loopback && IsLoopback(target.host)) return std::optional<ProxyRoute>();
  for (const auto& entry : config.no_proxy) {
    if (Matches(entry, target)) return std::optional<ProxyRoute>();
  }
  if (proxy.find("://") == std::string::npos) proxy = "http://" + proxy;
  // "http://user:pass@host:port": the credentials become a Proxy-Authorization header.
  ProxyRoute route;
  const auto authority_start = proxy.find("://") + 3;
  const auto at = proxy.find('@', authority_start);
  if (at != std::string::npos && at < proxy.find('/', authority_start)) {
    const std::string written = proxy.substr(authority_start, at - authority_start);
    const std::string userinfo = PercentDecode(written);
    route.authorization = "Basic " + Base64(userinfo);
    Redactor forms;
    for (const std::string& form : {route.authorization.substr(6), userinfo, written}) forms.Add(form);
    if (const auto colon = userinfo.find(':'); colon != std::string::npos) forms.Add(userinfo.substr(colon + 1));
    route.secrets = forms.Forms();
    proxy.erase(authority_start, at + 1 - authority_start);
  }
  auto url = ParseUrl(proxy);
  if (!url) return Error::InvalidArgument("proxy: " + url.error().message);
  if (url->tls()) return Error::InvalidArgument("proxy: https:// proxies are not supported; use http://");
  route.url = std::move(*url);
  return std::optional<ProxyRoute>(std::move(route));
}

}  // namespace tenure::connectors::http
