// HttpTransport: the seam through which every connector speaks HTTP. BeastTransport is the real
// one (connection pooling, TLS with verification, timeouts, size caps, proxies); tests wrap it in
// a forwarding decorator to inject faults (FaultyTransport), or point it at loopback servers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "workflows/error.h"

namespace tenure::connectors::http {

struct HttpRequest {
  std::string method = "GET";                              // GET POST PUT PATCH DELETE
  std::string url;                                         // absolute http:// or https:// URL
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{30'000};               // whole exchange, connect included
  std::string ca_file;                                     // extra CA bundle ("" = system CAs)
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Case-insensitive header lookup; "" when absent.
  std::string Header(std::string_view name) const;
};

// What went wrong below HTTP. `sent` tells the engine whether the server may have acted:
// false = the request never left (connect refused, DNS, TLS handshake) -> safe to retry;
// true  = it may have arrived (reset or timeout after sending) -> outcome Unknown.
struct TransportError {
  std::string message;
  bool sent = false;
  bool timed_out = false;
  bool cancelled = false;  // stopped through the cancellation slot (sent says whether it had left)
  // Retrying cannot help: the server's certificate failed verification, or ca_file is unusable.
  // Nothing was sent.
  bool permanent = false;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends `req` and reads the whole response (bodies over the cap are an error). Never throws for
  // network errors. Cancellation through the awaitable's slot aborts the exchange.
  virtual boost::asio::awaitable<boost::system::result<HttpResponse, TransportError>> Send(HttpRequest req) = 0;
};

}  // namespace tenure::connectors::http
