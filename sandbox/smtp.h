// SmtpServer: the sandbox's SMTP personality. Accepts mail on 127.0.0.1 (plain SMTP: EHLO/HELO,
// MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS and no AUTH, so the smtp connector talks to it with
// `tls: none` and no username) and records every message in the sandbox's state ("emails" in
// /_sandbox/state and `tenure sandbox show`), so tests and the quick start can follow the links
// in e-mails offline.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "sandbox/sandbox.h"

namespace tenure::sandbox {

class SmtpServer {
 public:
  // Binds 127.0.0.1:port (0 = a free port) and accepts on `ex`. `sandbox` must outlive the server
  // and the executor's remaining work. Fails (Io) when the port cannot be bound.
  static Result<std::unique_ptr<SmtpServer>> Start(boost::asio::any_io_executor ex, Sandbox& sandbox, int port);
  ~SmtpServer();
  SmtpServer(const SmtpServer&) = delete;
  SmtpServer& operator=(const SmtpServer&) = delete;
  int port() const;
  void Stop();

  struct Impl;
  explicit SmtpServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tenure::sandbox
