// BeastTransport: the real HttpTransport, on Boost.Beast and OpenSSL.
// HTTP/1.1 keep-alive pooling per host, TLS with certificate and host-name verification on
// (system CAs, plus HttpRequest::ca_file), a per-request total deadline, a response body cap,
// bounded redirects for GET, HTTPS_PROXY/HTTP_PROXY/NO_PROXY (CONNECT tunnelling).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <memory>

#include "connectors/http/transport.h"

namespace tenure::connectors::http {

struct TransportOptions {
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  int max_redirects = 5;
  std::size_t max_idle_per_host = 8;
  bool use_proxy_env = true;  // read HTTPS_PROXY / HTTP_PROXY / NO_PROXY
  std::chrono::milliseconds idle_timeout{30'000};  // pooled connections idle longer are closed
};

// The transport runs its I/O on `ex` (the engine's executor). It must outlive every Send, and
// Send must be called from that executor's single thread (the connection pool is not locked).
// TransportError messages name the method and the URL without its query string (it may hold
// secrets); TLS verification failures say why ("self-signed certificate", "Hostname mismatch").
std::unique_ptr<HttpTransport> MakeBeastTransport(boost::asio::any_io_executor ex, TransportOptions options = {});

}  // namespace tenure::connectors::http
