#include "sandbox/message.h"

#include <boost/json/serialize.hpp>
#include <cctype>

#include "connectors/http/url.h"

namespace tenure::sandbox {

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return value;
  }
  return "";
}

std::string Request::Query(const std::string& name, std::string fallback) const {
  const auto it = query.find(name);
  return it == query.end() ? std::move(fallback) : it->second;
}

Response JsonResponse(int status, const boost::json::value& json, std::string content_type) {
  Response r;
  r.status = status;
  r.SetHeader("Content-Type", std::move(content_type));
  r.body = boost::json::serialize(json);
  return r;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    const auto name = connectors::http::PercentDecode(pair.substr(0, eq), true);
    out[name] = eq == std::string_view::npos ? "" : connectors::http::PercentDecode(pair.substr(eq + 1), true);
  }
  return out;
}

}  // namespace tenure::sandbox
