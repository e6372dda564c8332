// Server. Design:
// - One accept loop and one coroutine per connection, all on one executor; a registry of open
//   sockets (shared with the sessions, so it outlives whichever goes first) lets Stop() close them.
// - A session reads a request, asks the Sandbox for a fault decision, then: waits the latency;
//   resets (close with SO_LINGER 0, no answer, nothing handled); answers 429/5xx; or handles the
//   request and, for a stall, holds the answer before writing it.
// - Idle connections are closed after 60 s; request bodies are capped at 8 MiB.
#include "sandbox/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <future>
#include <map>
#include <thread>

#include "connectors/http/url.h"

namespace tenure::sandbox {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kIdle = std::chrono::seconds(60);

// Open sockets by id, so Stop() can close them. Shared by the server and its sessions.
struct Registry {
  std::map<std::uint64_t, tcp::socket*> sockets;
  std::uint64_t next = 0;
};

// Unregisters a session's socket when the session ends, however it ends.
class Registration {
 public:
  Registration(std::shared_ptr<Registry> registry, tcp::socket& socket) : registry_(std::move(registry)), id_(registry_->next++) {
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
    std::fprintf(stderr, "tenure sandbox: session error: %s\n", ex.what());
  }
}

Request ToRequest(const bhttp::request<bhttp::string_body>& msg) {
  Request req;
  req.method = std::string(msg.method_string());
  std::string_view target = msg.target();
  if (target.starts_with("http://")) {  // as to a forward proxy: serve it as if addressed to us
    req.absolute_form = true;
    const auto path = target.find('/', 7);
    target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
  }
  const auto q = target.find('?');
  req.raw_path = std::string(target.substr(0, q));
  req.path = connectors::http::PercentDecode(target.substr(0, q));
  if (q != std::string_view::npos) req.query = ParseQuery(target.substr(q + 1));
  for (const auto& field : msg) req.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  req.body = msg.body();
  return req;
}

bhttp::response<bhttp::string_body> ToBeast(Response res, unsigned version, bool keep_alive) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), version};
  out.set(bhttp::field::server, "tenure-sandbox");
  for (auto& [name, value] : res.headers) out.insert(name, value);
  out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  if (res.chunked) {
    out.chunked(true);
  } else {
    out.prepare_payload();
  }
  return out;
}

class Session {
 public:
  Session(Sandbox& sandbox, const ServerOptions& options) : sandbox_(sandbox), options_(options) {}

  template <class Stream>
  asio::awaitable<void> Serve(Stream& stream, beast::tcp_stream& lowest) {
    beast::flat_buffer buffer;
    for (;;) {
      lowest.expires_after(kIdle);
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(8 * 1024 * 1024);
      auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
      if (ec) co_return;
      auto msg = parser.release();
      if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
        if (msg.method() == bhttp::verb::connect) co_return co_await Tunnel(lowest, buffer, std::string(msg.target()));
      }
      const Request req = ToRequest(msg);
      const FaultDecision fault = sandbox_.DecideFault(req);
      if (fault.latency.count() > 0) co_await Wait(fault.latency);
      if (fault.kind == FaultDecision::Kind::kReset) {
        Log(req, "connection reset (fault)");
        Reset(lowest);
        co_return;
      }
      const bool injected = fault.kind == FaultDecision::Kind::kRateLimited || fault.kind == FaultDecision::Kind::kFail;
      Response res = injected ? sandbox_.FaultResponse(req, fault) : sandbox_.Handle(req);
      Log(req, std::to_string(res.status) + (fault.kind == FaultDecision::Kind::kStall ? " (stalled)" : ""));
      if (fault.kind == FaultDecision::Kind::kStall) co_await Wait(fault.stall);
      if (!res.raw.empty()) {
        co_await asio::async_write(stream, asio::buffer(res.raw), kTuple);
        Reset(lowest);
        co_return;
      }
      auto out = ToBeast(std::move(res), msg.version(), msg.keep_alive());
      lowest.expires_after(kIdle);
      auto [wec, written] = co_await bhttp::async_write(stream, out, kTuple);
      if (wec || !out.keep_alive()) co_return;
    }
  }

 private:
  // CONNECT host:port: loopback targets only (the sandbox is no open proxy). After the 200, bytes
  // are copied both ways until either side closes.
  asio::awaitable<void> Tunnel(beast::tcp_stream& client, beast::flat_buffer& buffer, const std::string& target) {
    using namespace asio::experimental::awaitable_operators;
    const auto colon = target.rfind(':');
    const std::string host = target.substr(0, colon);
    if (colon == std::string::npos || (host != "127.0.0.1" && host != "localhost")) {
      co_await Answer(client, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      co_return;
    }
    tcp::socket upstream(co_await asio::this_coro::executor);
    const auto port = static_cast<unsigned short>(std::atoi(target.c_str() + colon + 1));
    auto [cec] = co_await upstream.async_connect({asio::ip::make_address("127.0.0.1"), port}, kTuple);
    if (cec) {
      co_await Answer(client, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      co_return;
    }
    sandbox_.OnTunnel();
    Log(Request{"CONNECT", target, target, {}, {}, {}}, "tunnel");
    co_await Answer(client, "HTTP/1.1 200 Connection Established\r\n\r\n");
    if (buffer.size() > 0) co_await asio::async_write(upstream, buffer.data(), kTuple);
    client.expires_never();
    co_await (Pipe(client.socket(), upstream) || Pipe(upstream, client.socket()));
  }

  static asio::awaitable<void> Answer(beast::tcp_stream& client, std::string_view text) {
    co_await asio::async_write(client, asio::buffer(text), kTuple);
  }

  static asio::awaitable<void> Pipe(tcp::socket& from, tcp::socket& to) {
    std::array<char, 16 * 1024> data;
    for (;;) {
      auto [rec, n] = co_await from.async_read_some(asio::buffer(data), kTuple);
      if (rec) co_return;
      auto [wec, written] = co_await asio::async_write(to, asio::buffer(data.data(), n), kTuple);
      if (wec) co_return;
    }
  }

  static asio::awaitable<void> Wait(std::chrono::milliseconds ms) {
    asio::steady_timer timer(co_await asio::this_coro::executor, ms);
    co_await timer.async_wait(kTuple);
  }

  static void Reset(beast::tcp_stream& lowest) {
    boost::system::error_code ignored;
    lowest.socket().set_option(tcp::socket::linger(true, 0), ignored);  // RST, not FIN
    lowest.socket().close(ignored);
  }

  void Log(const Request& req, const std::string& what) const {
    if (options_.log_requests) std::fprintf(stderr, "%s %s -> %s\n", req.method.c_str(), req.path.c_str(), what.c_str());
  }

  Sandbox& sandbox_;
  const ServerOptions& options_;
};

}  // namespace

struct Server::Impl {
  Impl(asio::any_io_executor executor, Sandbox& sb, ServerOptions opts)
      : ex(executor), sandbox(sb), options(std::move(opts)), acceptor(executor), registry(std::make_shared<Registry>()) {}

  asio::awaitable<void> Accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(kTuple);
      if (ec) {
        if (!acceptor.is_open()) co_return;
        continue;  // e.g. EMFILE: keep serving the connections we have
      }
      sandbox.OnConnection();
      asio::co_spawn(ex, ServeConnection(std::move(socket)), LogException);
    }
  }

  asio::awaitable<void> ServeConnection(tcp::socket socket) {
    // Copies, so a session never touches the Impl (which Stop may outlive or not).
    auto reg = registry;
    auto ctx = tls;
    beast::tcp_stream tcp_stream(std::move(socket));
    Session session(sandbox, options);
    if (!ctx) {
      Registration registration(reg, tcp_stream.socket());
      co_await session.Serve(tcp_stream, tcp_stream);
      co_return;
    }
    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp_stream), *ctx);
    auto& lowest = beast::get_lowest_layer(stream);
    Registration registration(reg, lowest.socket());
    lowest.expires_after(std::chrono::seconds(10));
    auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
    if (ec) co_return;  // e.g. the client rejected our certificate
    co_await session.Serve(stream, lowest);
  }

  Result<bool> Listen() {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) return Error::InvalidArgument("bad listen address " + options.address);
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
    tls = std::make_shared<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    tls->use_certificate_chain_file(options.tls_cert_file, ec);
    if (ec) return Error::Io("cannot load TLS certificate " + options.tls_cert_file + ": " + ec.message());
    tls->use_private_key_file(options.tls_key_file, ssl::context::pem, ec);
    if (ec) return Error::Io("cannot load TLS key " + options.tls_key_file + ": " + ec.message());
    return true;
  }

  asio::any_io_executor ex;
  Sandbox& sandbox;
  ServerOptions options;
  tcp::acceptor acceptor;
  std::shared_ptr<Registry> registry;
  std::shared_ptr<ssl::context> tls;
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Start(asio::any_io_executor ex, Sandbox& sandbox, ServerOptions options) {
  auto impl = std::make_unique<Impl>(ex, sandbox, std::move(options));
  if (auto tls = impl->LoadTls(); !tls) return tls.error();
  if (auto listening = impl->Listen(); !listening) return listening.error();
  asio::co_spawn(ex, impl->Accept(), LogException);
  return std::make_unique<Server>(std::move(impl));
}

int Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::Stop() {
  boost::system::error_code ignored;
  impl_->acceptor.close(ignored);
  for (auto& [id, socket] : impl_->registry->sockets) socket->close(ignored);
}

struct BackgroundSandbox::Impl {
  asio::io_context io{1};
  std::unique_ptr<Sandbox> sandbox;
  std::unique_ptr<Server> server;
  std::thread thread;
};

BackgroundSandbox::BackgroundSandbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<BackgroundSandbox>> BackgroundSandbox::Start(SandboxOptions sandbox_options, ServerOptions server_options) {
  auto impl = std::make_unique<Impl>();
  const bool tls = !server_options.tls_cert_file.empty();
  auto sandbox = Sandbox::Create(std::move(sandbox_options));
  if (!sandbox) return sandbox.error();
  impl->sandbox = std::move(*sandbox);
  auto server = Server::Start(impl->io.get_executor(), *impl->sandbox, std::move(server_options));
  if (!server) return server.error();
  impl->server = std::move(*server);
  const int port = impl->server->port();
  auto* io = &impl->io;
  impl->thread = std::thread([io] { io->run(); });
  auto out = std::make_unique<BackgroundSandbox>(std::move(impl));
  out->port_ = port;
  out->url_ = std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port);
  out->google_key_json_ = out->impl_->sandbox->GoogleServiceAccountJson(out->url_);  // immutable: safe to read here
  return out;
}

BackgroundSandbox::~BackgroundSandbox() {
  // Stop on the server's own thread, then let the loop wind down; stop() covers held timers.
  std::promise<void> stopped;
  asio::post(impl_->io, [&] {
    impl_->server->Stop();
    stopped.set_value();
  });
  stopped.get_future().wait_for(std::chrono::seconds(5));
  impl_->io.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace tenure::sandbox
