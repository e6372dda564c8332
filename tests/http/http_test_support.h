// Test support for the http suite: a synchronous wrapper around BeastTransport (its own
// io_context, run until the exchange completes, bounded in time), JSON helpers, and a sandbox
// started on an ephemeral loopback port.
#pragma once

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "connectors/http/beast_transport.h"
#include "sandbox/server.h"

namespace tenure::testing {

using connectors::http::HttpRequest;
using connectors::http::HttpResponse;
using connectors::http::TransportError;
using SendResult = boost::system::result<HttpResponse, TransportError>;

inline const std::string kToken = "test-token";

class Client {
 public:
  explicit Client(connectors::http::TransportOptions options = NoProxy())
      : transport_(connectors::http::MakeBeastTransport(io_.get_executor(), options)) {}

  static connectors::http::TransportOptions NoProxy() {
    connectors::http::TransportOptions o;
    o.use_proxy_env = false;  // the loopback tests must not go through a developer's proxy
    return o;
  }

  // Sends and waits (at most 30 s of wall time, far beyond every request timeout used here).
  // With `cancel_after`, the exchange is cancelled through its slot after that long.
  SendResult Send(HttpRequest req, std::optional<std::chrono::milliseconds> cancel_after = std::nullopt) {
    std::optional<SendResult> out;
    boost::asio::cancellation_signal signal;
    boost::asio::co_spawn(io_, transport_->Send(std::move(req)),
                          boost::asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, SendResult r) {
                            if (e) std::rethrow_exception(e);
                            out = std::move(r);
                          }));
    io_.restart();
    if (cancel_after) {
      io_.run_for(*cancel_after);
      if (!out) signal.emit(boost::asio::cancellation_type::terminal);
    }
    const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!out && std::chrono::steady_clock::now() < limit) io_.run_for(std::chrono::milliseconds(50));
    REQUIRE(out.has_value());
    return std::move(*out);
  }

  SendResult Get(const std::string& url, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    HttpRequest req;
    req.url = url;
    req.timeout = timeout;
    return Send(std::move(req));
  }

 private:
  boost::asio::io_context io_{1};
  std::unique_ptr<connectors::http::HttpTransport> transport_;
};

inline std::unique_ptr<sandbox::BackgroundSandbox> StartSandbox(sandbox::SandboxOptions options = {},
                                                                sandbox::ServerOptions server = {}) {
  if (options.token == "sandbox-token") options.token = kToken;
  auto sb = sandbox::BackgroundSandbox::Start(std::move(options), std::move(server));
  if (!sb) FAIL("sandbox did not start: " << sb.error().message);
  return std::move(*sb);
}

inline boost::json::value Json(const std::string& text) {
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  INFO("body: " << text);
  REQUIRE(!ec);
  return v;
}

// A successful exchange's response; fails the test with the transport's message otherwise.
inline HttpResponse Ok(const SendResult& r) {
  if (!r) FAIL("transport error: " << r.error().message);
  return *r;
}

// The sandbox's admin state.
inline boost::json::object State(Client& client, const std::string& base) {
  return Json(Ok(client.Get(base + "/_sandbox/state")).body).as_object();
}

inline void SetFaults(Client& client, const std::string& base, const std::string& json) {
  HttpRequest req;
  req.method = "POST";
  req.url = base + "/_sandbox/faults";
  req.body = json;
  const auto res = Ok(client.Send(std::move(req)));
  INFO(res.body);
  REQUIRE(res.status == 200);
}

}  // namespace tenure::testing
