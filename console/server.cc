#include "console/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdio>
#include <map>

namespace tenure::console {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kIdle = std::chrono::seconds(30);

struct Registry {
  std::map<std::uint64_t, tcp::socket*> sockets;
  std::uint64_t next = 0;
};

class Registration {
 public:
  Registration(std::shared_ptr<Registry> registry, tcp::socket& socket)
      : registry_(std::move(registry)), id_(registry_->next++) {
    registry_->sockets[id_] = &socket;
  }
  ~Registration() { registry_->sockets.erase(id_); }
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;

 private:
  std::shared_ptr<Registry> registry_;
  std::uint64_t id_;
};

void LogException(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "tenure console: session error: %s\n", ex.what());
  }
}

HttpRequest ToRequest(const bhttp::request<bhttp::string_body>& msg) {
  HttpRequest r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    r.headers[name] = std::string(f.value());
  }
  r.body = msg.body();
  return r;
}

template <class Stream>
asio::awaitable<void> Serve(Console& console, Stream& stream, beast::tcp_stream& lowest) {
  beast::flat_buffer buffer;
  for (;;) {
    lowest.expires_after(kIdle);
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(64 * 1024);
    auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
    if (ec) co_return;
    auto msg = parser.release();
    HttpResponse res = console.Handle(ToRequest(msg));
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), msg.version()};
    out.set(bhttp::field::server, "tenure");
    out.set(bhttp::field::content_type, res.content_type);
    for (auto& [name, value] : res.headers) out.insert(name, value);
    out.body() = std::move(res.body);
    out.keep_alive(msg.keep_alive());
    out.prepare_payload();
    lowest.expires_after(kIdle);
    auto [wec, written] = co_await bhttp::async_write(stream, out, kTuple);
    if (wec || !out.keep_alive()) co_return;
  }
}

}  // namespace

struct ConsoleServer::Impl {
  Impl(asio::any_io_executor executor, Console& c, ServerOptions opts)
      : ex(executor), console(c), options(std::move(opts)), acceptor(executor), registry(std::make_shared<Registry>()) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;
      }
      asio::co_spawn(ex, ServeConnection(std::move(socket), registry, tls, &console), LogException);
    }
  }

  // Static with its parameters by value: a session never touches the Impl, which Stop may outlive.
  static asio::awaitable<void> ServeConnection(tcp::socket socket, std::shared_ptr<Registry> reg,
                                               std::shared_ptr<ssl::context> ctx, Console* console) {
    beast::tcp_stream tcp_stream(std::move(socket));
    if (!ctx) {
      Registration registration(reg, tcp_stream.socket());
      co_await Serve(*console, tcp_stream, tcp_stream);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *ctx);
    auto& lowest = beast::get_lowest_layer(stream);
    Registration registration(reg, lowest.socket());
    lowest.expires_after(std::chrono::seconds(10));
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
    if (ec) co_return;
    co_await Serve(*console, stream, lowest);
  }

  Result<bool> Listen() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) return Error::InvalidArgument("bad listen address '" + options.address + "'");
    const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) return Error::Io("cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " + ec.message());
    return true;
  }

  Result<bool> LoadTls() {
    if (options.tls_cert_file.empty() && options.tls_key_file.empty()) return true;
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return Error::InvalidArgument("TLS needs both a certificate file and a key file");
    }
    tls = std::make_shared<ssl::context>(ssl::context::tls_server);
    tls->set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) return Error::Io("cannot load TLS certificate " + options.tls_cert_file + ": " + ec.message());
    tls->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
    if (ec) return Error::Io("cannot load TLS key " + options.tls_key_file + ": " + ec.message());
    return true;
  }

  asio::any_io_executor ex;
  Console& console;
  ServerOptions options;
  tcp::acceptor acceptor;
  std::shared_ptr<Registry> registry;
  std::shared_ptr<ssl::context> tls;
};

ConsoleServer::ConsoleServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConsoleServer::~ConsoleServer() = default;

Result<std::unique_ptr<ConsoleServer>> ConsoleServer::Start(asio::any_io_executor ex, Console& console, ServerOptions options) {
  auto impl = std::make_unique<Impl>(ex, console, std::move(options));
  if (auto tls = impl->LoadTls(); !tls) return tls.error();
  if (auto listening = impl->Listen(); !listening) return listening.error();
  asio::co_spawn(ex, impl->Accept(), LogException);
  return std::make_unique<ConsoleServer>(std::move(impl));
}

int ConsoleServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void ConsoleServer::Stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& [id, socket] : impl_->registry->sockets) socket->close(ignored);
}

Result<ServerOptions> ParseListen(const std::string& text) {
  ServerOptions o;
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) return Error::InvalidArgument("--http expects HOST:PORT, e.g. 127.0.0.1:8420, not '" + text + "'");
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  o.address = host.empty() ? "127.0.0.1" : host;
  char* end = nullptr;
  const long port = std::strtol(text.c_str() + colon + 1, &end, 10);
  if (end == text.c_str() + colon + 1 || *end != '\0' || port < 0 || port > 65535) {
    return Error::InvalidArgument("--http: bad port in '" + text + "'");
  }
  o.port = static_cast<int>(port);
  return o;
}

}  // namespace tenure::console
