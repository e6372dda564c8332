// Test doubles for connectors: a scripted HttpTransport that records every request, a helper to
// run one awaitable to completion on a fresh io_context, and response builders.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/http/transport.h"

namespace tenure::connectors::testing {

using SendResult = boost::system::result<http::HttpResponse, http::TransportError>;

class ScriptedTransport final : public http::HttpTransport {
 public:
  using Handler = std::function<SendResult(const http::HttpRequest&)>;
  explicit ScriptedTransport(Handler handler) : handler_(std::move(handler)) {}
  boost::asio::awaitable<SendResult> Send(http::HttpRequest req) override {
    requests.push_back(req);
    co_return handler_(requests.back());
  }
  std::vector<http::HttpRequest> requests;

 private:
  Handler handler_;
};

http::HttpResponse Response(int status, std::string body = "",
                            std::vector<std::pair<std::string, std::string>> headers = {});

// The header `name` of `req` (case-insensitive), or nullopt.
std::optional<std::string> HeaderOf(const http::HttpRequest& req, std::string_view name);

// Runs `a` on `io` until it completes; rethrows what it throws.
template <class T>
T RunAwaitable(boost::asio::io_context& io, boost::asio::awaitable<T> a) {
  std::optional<T> out;
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(a), [&](std::exception_ptr e, T v) {
    error = e;
    if (!e) out = std::move(v);
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

// Invokes `action` with `args` through `c` on a fresh io_context.
// `literal` is the author's unrendered `with:` (Action::literal), null for none.
Outcome InvokeNow(Connector& c, std::string action, Map args, std::string key = "run1/task1",
                  const workflows::YamlNode* literal = nullptr);
// The same on `io` (for connectors whose transport lives on it).
Outcome InvokeOn(boost::asio::io_context& io, Connector& c, std::string action, Map args,
                 std::string key = "run1/task1", const workflows::YamlNode* literal = nullptr);

// Text of everything in an Outcome (results and messages), for redaction checks.
std::string OutcomeText(const Outcome& o);

// Helpers to read an Outcome in assertions.
const Map& ResultMap(const Outcome& o);      // REQUIRES: Succeeded with a map
const Failure* FailureOf(const Outcome& o);  // RetryLater's or Failed's failure, else nullptr
std::string Describe(const Outcome& o);

}  // namespace tenure::connectors::testing
