// Shared by the google and msgraph tests: the real BeastTransport wrapped to count requests by
// path, and helpers to read and fault the sandbox they run against (over real HTTP on loopback).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <map>
#include <memory>
#include <string>

#include "connectors/http/beast_transport.h"
#include "connectors/http/transport.h"
#include "tests/connectors/support/scripted_transport.h"

namespace tenure::connectors::testing {

// Forwards to `inner`, counting requests whose URL contains each of the watched substrings.
class CountingTransport final : public http::HttpTransport {
 public:
  explicit CountingTransport(http::HttpTransport& inner) : inner_(inner) {}
  boost::asio::awaitable<SendResult> Send(http::HttpRequest req) override {
    for (auto& [needle, count] : counts) {
      if (req.url.find(needle) != std::string::npos) ++count;
    }
    urls.push_back(req.url);
    co_return co_await inner_.Send(std::move(req));
  }
  std::map<std::string, int> counts;  // set the keys to watch before use
  std::vector<std::string> urls;

 private:
  http::HttpTransport& inner_;
};

// One plain request to the sandbox (admin endpoints), run on `io`.
inline http::HttpResponse SandboxCall(boost::asio::io_context& io, http::HttpTransport& t, std::string method,
                                      std::string url, std::string body = "") {
  http::HttpRequest req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.body = std::move(body);
  if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  auto r = RunAwaitable(io, t.Send(std::move(req)));
  if (!r) throw std::runtime_error("sandbox call failed: " + r.error().message);
  return *r;
}

inline boost::json::value SandboxState(boost::asio::io_context& io, http::HttpTransport& t, const std::string& base) {
  return boost::json::parse(SandboxCall(io, t, "GET", base + "/_sandbox/state").body);
}

inline void SetFaults(boost::asio::io_context& io, http::HttpTransport& t, const std::string& base, std::string json) {
  auto r = SandboxCall(io, t, "POST", base + "/_sandbox/faults", std::move(json));
  if (r.status != 200) throw std::runtime_error("faults refused: " + r.body);
}

}  // namespace tenure::connectors::testing
