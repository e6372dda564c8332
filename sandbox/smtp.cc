#include "sandbox/smtp.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <tuple>

namespace tenure::sandbox {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxMessage = 10 * 1024 * 1024;

struct Registry {
  std::map<std::uint64_t, tcp::socket*> sockets;
  std::uint64_t next = 0;
};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// "<a@b>" from "MAIL FROM:<a@b> SIZE=10" ("" when malformed).
std::string Address(const std::string& line) {
  const auto open = line.find('<');
  const auto close = line.find('>', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return "";
  return line.substr(open + 1, close - open - 1);
}

void LogException(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "tenure sandbox: smtp session error: %s\n", ex.what());
  }
}

// One session. Plain values out of each coroutine, no structured bindings (GCC 12).
asio::awaitable<void> Serve(tcp::socket socket, Sandbox* sandbox, std::shared_ptr<Registry> registry) {
  const std::uint64_t id = registry->next++;
  registry->sockets[id] = &socket;
  std::string buffer;
  std::string from;
  std::vector<std::string> to;
  std::string reply = "220 tenure-sandbox ESMTP\r\n";
  for (;;) {
    std::tuple<boost::system::error_code, std::size_t> w = co_await asio::async_write(socket, asio::buffer(reply), kTuple);
    if (std::get<0>(w) || reply.rfind("221", 0) == 0) break;
    std::tuple<boost::system::error_code, std::size_t> r =
        co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, 64 * 1024), "\r\n", kTuple);
    if (std::get<0>(r)) break;
    const std::string line = buffer.substr(0, std::get<1>(r) - 2);
    buffer.erase(0, std::get<1>(r));
    const std::string verb = Upper(line.substr(0, line.find(' ')));
    if (verb == "EHLO") {
      reply = "250-tenure-sandbox\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n";
    } else if (verb == "HELO" || verb == "NOOP") {
      reply = "250 OK\r\n";
    } else if (verb == "MAIL") {
      from = Address(line);
      to.clear();
      reply = "250 OK\r\n";
    } else if (verb == "RCPT") {
      const std::string rcpt = Address(line);
      if (rcpt.empty()) {
        reply = "501 expected RCPT TO:<address>\r\n";
      } else {
        to.push_back(rcpt);
        reply = "250 OK\r\n";
      }
    } else if (verb == "DATA") {
      if (to.empty()) {
        reply = "503 RCPT first\r\n";
        continue;
      }
      const std::string go = "354 end with <CRLF>.<CRLF>\r\n";
      std::tuple<boost::system::error_code, std::size_t> g = co_await asio::async_write(socket, asio::buffer(go), kTuple);
      if (std::get<0>(g)) break;
      std::tuple<boost::system::error_code, std::size_t> d =
          co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer, kMaxMessage), "\r\n.\r\n", kTuple);
      if (std::get<0>(d)) break;
      std::string data = "\r\n" + buffer.substr(0, std::get<1>(d) - 3);  // keeps the final CRLF
      buffer.erase(0, std::get<1>(d));
      // Undo dot-stuffing: a line starting with ".." starts with "." (RFC 5321 4.5.2).
      for (std::size_t at = data.find("\r\n.."); at != std::string::npos; at = data.find("\r\n..", at + 3)) {
        data.erase(at + 2, 1);
      }
      sandbox->OnEmail(Email{from, to, data.substr(2)});
      to.clear();
      reply = "250 OK queued\r\n";
    } else if (verb == "RSET") {
      from.clear();
      to.clear();
      reply = "250 OK\r\n";
    } else if (verb == "QUIT") {
      reply = "221 bye\r\n";
    } else if (verb == "STARTTLS" || verb == "AUTH") {
      reply = "502 the sandbox speaks plain SMTP only (tls: none, no username)\r\n";
    } else {
      reply = "500 unknown command\r\n";
    }
  }
  registry->sockets.erase(id);
}

}  // namespace

struct SmtpServer::Impl {
  Impl(asio::any_io_executor executor, Sandbox& sb) : ex(executor), sandbox(sb), acceptor(executor) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      std::tuple<boost::system::error_code, tcp::socket> a = co_await acceptor.async_accept(kTuple);
      if (std::get<0>(a)) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      asio::co_spawn(ex, Serve(std::move(std::get<1>(a)), &sandbox, registry), LogException);
    }
  }

  asio::any_io_executor ex;
  Sandbox& sandbox;
  tcp::acceptor acceptor;
  std::shared_ptr<Registry> registry = std::make_shared<Registry>();
};

SmtpServer::SmtpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SmtpServer::~SmtpServer() = default;

Result<std::unique_ptr<SmtpServer>> SmtpServer::Start(asio::any_io_executor ex, Sandbox& sandbox, int port) {
  auto impl = std::make_unique<Impl>(ex, sandbox);
  boost::system::error_code ec;
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error::Io("cannot listen for SMTP on 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
  asio::co_spawn(ex, impl->Accept(), LogException);
  return std::make_unique<SmtpServer>(std::move(impl));
}

int SmtpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void SmtpServer::Stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& [id, socket] : impl_->registry->sockets) socket->close(ignored);
}

}  // namespace tenure::sandbox
