#include "sandbox/cloud_common.h"

#include <boost/json/parse.hpp>
#include <cctype>

#include "connectors/http/url.h"

namespace tenure::sandbox::cloud {

std::vector<std::string> Segments(std::string_view raw_path, std::string_view prefix) {
  std::vector<std::string> out;
  if (!raw_path.starts_with(prefix)) return out;
  raw_path.remove_prefix(prefix.size());
  std::size_t start = 0;
  while (start <= raw_path.size()) {
    const auto slash = std::min(raw_path.find('/', start), raw_path.size());
    if (slash > start) out.push_back(connectors::http::PercentDecode(raw_path.substr(start, slash - start)));
    start = slash + 1;
  }
  return out;
}

std::string Bearer(const Request& req) {
  const std::string auth = req.Header("Authorization");
  return auth.starts_with("Bearer ") ? auth.substr(7) : std::string();
}

std::map<std::string, std::string> Form(const Request& req) { return ParseQuery(req.body); }

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string RandomHex(std::mt19937_64& rng, int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < n; ++i) out.push_back(kHex[rng() % 16]);
  return out;
}

std::string Str(const boost::json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

boost::json::object BodyObject(const Request& req, bool* ok) {
  boost::system::error_code ec;
  auto v = boost::json::parse(req.body.empty() ? std::string("{}") : req.body, ec);
  *ok = !ec && v.is_object();
  return *ok ? v.get_object() : boost::json::object{};
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace tenure::sandbox::cloud
