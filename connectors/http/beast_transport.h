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
  // Idle connections kept per host: as many as calls the daemon allows in flight (256), so a
  // burst of calls to one tenant reuses its connections instead of reconnecting (and TLS).
  std::size_t max_idle_per_host = 256;
  bool use_proxy_env = true;  // read HTTPS_PROXY / HTTP_PROXY / NO_PROXY
  std::chrono::milliseconds idle_timeout{30'000};  // pooled connections idle longer are closed
  std::chrono::milliseconds connect_timeout{10'000};  // resolve + connect + proxy + TLS, within the total
  bool proxy_loopback = false;  // send loopback targets through the proxy too (tests of the proxy path)
};

// The transport runs its I/O on `ex` (the engine's executor). It must outlive every Send, and
// Send must be called from that executor's single thread (the connection pool is not locked).
// It may be destroyed before or after the io_context: pooled connections are closed by whichever
// goes first. Idle pooled connections are not pending work: io_context::run() returns when the
// exchanges are done.
// TransportError messages name the method and the URL without its query string (it may hold
// secrets); TLS verification failures say why ("certificate verification failed: self-signed
// certificate (set ca_file to trust a private CA)", "...: hostname mismatch (the certificate is
// not valid for HOST)"). Loopback targets never use the environment's proxy.
std::unique_ptr<HttpTransport> MakeBeastTransport(boost::asio::any_io_executor ex, TransportOptions options = {});

}  // namespace tenure::connectors::http
