// ConsoleServer: puts a Console on the network with Boost.Beast (HTTP/1.1, keep-alive, optional
// TLS from certificate files), on the daemon's io_context. The only console file with Beast in it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "console/console.h"

namespace tenure::console {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 8420;             // 0 = ephemeral
  std::string tls_cert_file;   // PEM chain; with tls_key_file, HTTPS
  std::string tls_key_file;
};

class ConsoleServer {
 public:
  // Binds and starts accepting on `ex`. `console` must outlive the server and the executor's
  // remaining work. Errors: kInvalidArgument (bad address), kIo (cannot bind; TLS files).
  static Result<std::unique_ptr<ConsoleServer>> Start(boost::asio::any_io_executor ex, Console& console, ServerOptions options);
  ~ConsoleServer();
  ConsoleServer(const ConsoleServer&) = delete;
  ConsoleServer& operator=(const ConsoleServer&) = delete;
  int port() const;
  // Stops accepting and closes the open connections. On the executor's thread.
  void Stop();

  struct Impl;
  explicit ConsoleServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// Parses "HOST:PORT" ("127.0.0.1:8420", "[::1]:8420", ":8420" = loopback).
Result<ServerOptions> ParseListen(const std::string& text);

}  // namespace tenure::console
