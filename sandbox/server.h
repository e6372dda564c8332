// Server: puts a Sandbox on the network with Boost.Beast (HTTP/1.1, keep-alive, optional TLS),
// applying its fault decisions (latency, 429, 5xx, resets, stalls). The only sandbox file that
// includes Beast.
//
// BackgroundSandbox: a Sandbox plus Server on a thread of their own, for tests and benchmarks:
//
//   auto sb = tenure::sandbox::BackgroundSandbox::Start({.token = "t"}).value();
//   transport->Send({.url = sb->url() + "/scim/v2/Users", ...});
//   // ~BackgroundSandbox stops the server and joins the thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "sandbox/sandbox.h"

namespace tenure::sandbox {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 0;                // 0 = an ephemeral port (see Server::port)
  std::string tls_cert_file;   // PEM certificate chain; with tls_key_file, serve HTTPS
  std::string tls_key_file;    // PEM private key
  bool log_requests = false;   // one line per request on stderr ("POST /scim/v2/Users -> 201")
};

class Server {
 public:
  // Binds and starts accepting on `ex` (one thread: the Sandbox is not thread-safe). `sandbox`
  // must outlive the server and the executor's remaining work. Fails (Io) when the address
  // cannot be bound or the TLS files cannot be loaded.
  static Result<std::unique_ptr<Server>> Start(boost::asio::any_io_executor ex, Sandbox& sandbox, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const;
  // Stops accepting and closes every open connection (held and stalled responses included).
  // Call on the executor's thread.
  void Stop();

  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

class BackgroundSandbox {
 public:
  static Result<std::unique_ptr<BackgroundSandbox>> Start(SandboxOptions sandbox = {}, ServerOptions server = {});
  ~BackgroundSandbox();
  BackgroundSandbox(const BackgroundSandbox&) = delete;
  BackgroundSandbox& operator=(const BackgroundSandbox&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:PORT" (https:// when TLS is on).
  std::string url() const { return url_; }
  // The Google personality's service-account key file (token_uri = url() + "/google/token").
  const std::string& google_key_json() const { return google_key_json_; }

  struct Impl;
  explicit BackgroundSandbox(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
  std::string url_;
  std::string google_key_json_;
};

}  // namespace tenure::sandbox
