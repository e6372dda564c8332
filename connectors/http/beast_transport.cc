// BeastTransport. Design:
// - One Send = parse URL, then up to max_redirects+1 exchanges, all under one deadline
//   (now + HttpRequest::timeout). Every socket operation carries that deadline through
//   beast::tcp_stream::expires_at, so the timeout covers resolve, connect, TLS, write and read.
// - Connections are pooled per (scheme, authority, ca_file, proxy). A connection goes back to the
//   pool only after a complete response that allows keep-alive. Before reuse it is probed with a
//   non-blocking peek: a peer that closed an idle connection is noticed here, not after we wrote.
// - `sent` (TransportError) is false only when no byte of the request can have reached the server.
//   A reused connection that dies before any response byte is retried once on a fresh connection
//   for GET/HEAD only: for other methods the server may have acted, so the caller gets sent=true.
// - The pool is not locked: Send runs on the transport's executor (one io_context thread). It is
//   shared with a PoolReaper service so that it is emptied when the io_context goes first.
// - Resolve and connect (plus proxy CONNECT and the TLS handshake) also have their own deadline,
//   connect_timeout, within the total one.
#include "connectors/http/beast_transport.h"

#include <sys/socket.h>

#include <cerrno>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <optional>

#include "connectors/http/proxy.h"
#include "connectors/http/url.h"

namespace tenure::connectors::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using SendResult = boost::system::result<HttpResponse, TransportError>;
using Request = bhttp::request<bhttp::string_body>;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

TransportError Err(std::string message, bool sent, bool timed_out = false) {
  return TransportError{std::move(message), sent, timed_out, false, false};
}

// The error for a failed operation: a cancellation through the slot is marked as such.
TransportError OpErr(const boost::system::error_code& ec, std::string message, bool sent) {
  TransportError err{std::move(message), sent, ec == beast::error::timeout, false, false};
  if (ec == boost::asio::error::operation_aborted) {
    err.cancelled = true;
    err.message += " (cancelled)";
  }
  return err;
}

bool IsTimeout(const boost::system::error_code& ec) { return ec == beast::error::timeout; }

// What an error message calls the request: method and URL without the query (it may hold secrets).
std::string Describe(const std::string& method, const Url& url) {
  const bool default_port = url.port == (url.tls() ? 443 : 80);
  const std::string authority = default_port ? url.Authority().substr(0, url.Authority().rfind(':')) : url.Authority();
  return method + " " + url.scheme + "://" + authority + url.target.substr(0, url.target.find('?'));
}

// "certificate verification failed: self-signed certificate" rather than OpenSSL's bare reason,
// with a hint that fits the failure.
std::string TlsFailure(SSL* ssl, const boost::system::error_code& ec, const std::string& host) {
  const long verify = SSL_get_verify_result(ssl);
  if (verify == X509_V_OK) return "TLS handshake failed: " + ec.message();
  std::string message = std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
  if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    return message + " (the certificate is not valid for " + host + ")";
  }
  if (verify == X509_V_ERR_CERT_HAS_EXPIRED || verify == X509_V_ERR_CERT_NOT_YET_VALID) return message;
  return message + " (set ca_file to trust a private CA)";
}

class Connection {
 public:
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;

  explicit Connection(beast::tcp_stream stream) : plain_(std::move(stream)) {}

  beast::tcp_stream& Tcp() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }
  TlsStream* Tls() { return tls_ ? &*tls_ : nullptr; }
  beast::flat_buffer& buffer() { return buffer_; }

  // Wraps the connected TCP stream in TLS (no handshake yet). `ctx` is kept alive by the connection.
  TlsStream& StartTls(std::shared_ptr<ssl::context> ctx) {
    ctx_ = std::move(ctx);
    tls_.emplace(std::move(*plain_), *ctx_);
    plain_.reset();
    return *tls_;
  }

  // True when the peer has neither closed nor sent anything unsolicited since the last response.
  bool LooksAlive() {
    // One recv(MSG_PEEK | MSG_DONTWAIT) on the descriptor: toggling the socket's non-blocking mode
    // through asio instead cost three ioctl calls per reused connection (asio clears its own
    // non-blocking flag along with the user's, and sets it again at the next async operation).
    auto& socket = Tcp().socket();
    if (!socket.is_open()) return false;
    // Bytes read past the last response (they came with it) are as unsolicited as unread ones.
    if (buffer_.size() != 0) return false;
    char byte = 0;
    ssize_t n = 0;
    do {
      n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  Clock::time_point idle_since;

 private:
  std::optional<beast::tcp_stream> plain_;
  std::shared_ptr<ssl::context> ctx_;
  std::optional<TlsStream> tls_;
  beast::flat_buffer buffer_;
};

// Idle connections by pool key. Shared between the transport and the PoolReaper below, so the
// sockets are closed while their io_context still exists, whichever of the two goes first.
struct Pool {
  std::map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
};

// An io_context service whose shutdown (the first step of ~io_context) empties every pool it
// knows. Without it, a transport destroyed after its io_context would close sockets on a
// destroyed reactor. Registered at the first PutIdle, after the socket services, so it is shut
// down before them (services shut down in reverse order of creation).
class PoolReaper final : public asio::execution_context::service {
 public:
  static asio::execution_context::id id;  // the service's identity token (Asio's idiom), immutable

  explicit PoolReaper(asio::execution_context& ctx) : service(ctx) {}
  void Watch(std::weak_ptr<Pool> pool) { pools_.push_back(std::move(pool)); }

 private:
  void shutdown() override {
    for (auto& weak : pools_) {
      if (auto pool = weak.lock()) pool->idle.clear();
    }
    pools_.clear();
  }

  std::vector<std::weak_ptr<Pool>> pools_;
};

asio::execution_context::id PoolReaper::id;

struct RoundTripInfo {
  bool keep_alive = false;
  bool response_started = false;
};

template <class Stream>
asio::awaitable<SendResult> RoundTrip(Stream& stream, beast::flat_buffer& buffer, Request& msg,
                                      std::size_t max_body, const std::string& what, RoundTripInfo& info) {
  auto [wec, written] = co_await bhttp::async_write(stream, msg, kTuple);
  if (wec) {
    co_return OpErr(wec, what + ": " + (IsTimeout(wec) ? "timed out sending the request" : "sending failed: " + wec.message()),
                    written > 0);
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(max_body);
  parser.header_limit(64 * 1024);
  if (msg.method() == bhttp::verb::head) parser.skip(true);
  auto [rec, read] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
  info.response_started = parser.got_some() || read > 0;
  if (rec == bhttp::error::body_limit) {
    co_return Err(what + ": response body exceeds the " + std::to_string(max_body) + "-byte limit", true);
  }
  if (IsTimeout(rec)) co_return Err(what + ": timed out waiting for the response", true, true);
  if (rec == bhttp::error::end_of_stream || rec == asio::error::eof || rec == asio::error::connection_reset) {
    co_return Err(what + ": connection closed by the server before the response was complete", true);
  }
  if (rec) co_return OpErr(rec, what + ": reading the response failed: " + rec.message(), true);
  auto res = parser.release();
  info.keep_alive = res.keep_alive();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(res.body());
  co_return out;
}

class BeastTransport final : public HttpTransport {
 public:
  BeastTransport(asio::any_io_executor ex, TransportOptions options)
      : ex_(std::move(ex)), options_(options), proxies_(options.use_proxy_env ? ProxyConfigFromEnv() : ProxyConfig{}) {
    proxies_.bypass_loopback = !options.proxy_loopback;
  }

  asio::awaitable<SendResult> Send(HttpRequest req) override {
    auto url = ParseUrl(req.url);
    if (!url) co_return Err(url.error().message, false);
    const auto deadline = Clock::now() + req.timeout;
    try {
      co_return co_await SendFollowingRedirects(std::move(*url), req, deadline);
    } catch (const boost::system::system_error& e) {
      // Only cancellation lands here (an await after the slot fired throws). Be conservative.
      auto err = Err(req.method + " " + req.url.substr(0, req.url.find('?')) + ": cancelled (" + e.what() + ")", true);
      err.cancelled = true;
      co_return err;
    }
  }

 private:
  asio::awaitable<SendResult> SendFollowingRedirects(Url url, HttpRequest& req, Clock::time_point deadline) {
    const bool follow = req.method == "GET" || req.method == "HEAD";
    for (int hop = 0;; ++hop) {
      auto res = co_await SendOnce(url, req, deadline);
      if (!res || !follow || !IsRedirect(res->status) || res->Header("Location").empty()) co_return res;
      if (hop >= options_.max_redirects) {
        co_return Err(Describe(req.method, url) + ": too many redirects (limit " +
                          std::to_string(options_.max_redirects) + ")",
                      true);
      }
      auto next = ResolveLocation(url, res->Header("Location"));
      if (!next) co_return Err(Describe(req.method, url) + ": bad redirect: " + next.error().message, true);
      if (url.tls() && !next->tls()) co_return Err(Describe(req.method, url) + ": refusing redirect from https to http", true);
      if (next->Authority() != url.Authority() || next->scheme != url.scheme) DropCredentials(req);
      url = std::move(*next);
    }
  }

  static bool IsRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  // Credentials are for the origin they were configured for, never for where it redirects us.
  static void DropCredentials(HttpRequest& req) {
    std::erase_if(req.headers, [](const auto& h) {
      return beast::iequals(h.first, "Authorization") || beast::iequals(h.first, "Cookie");
    });
  }

  asio::awaitable<SendResult> SendOnce(const Url& url, const HttpRequest& req, Clock::time_point deadline) {
    auto proxy = ProxyFor(proxies_, url);
    if (!proxy) co_return Err(proxy.error().message, false);
    const std::string key = url.scheme + "://" + url.Authority() + "|" + req.ca_file + "|" +
                            (*proxy ? (*proxy)->url.Authority() : std::string());
    Request msg = BuildRequest(url, req, *proxy);
    const std::string what = Describe(req.method, url);
    std::unique_ptr<Connection> conn = TakeIdle(key);
    const bool reused = conn != nullptr;
    for (int attempt = 0;; ++attempt) {
      if (!conn) {
        const auto connect_deadline = std::min(deadline, Clock::now() + options_.connect_timeout);
        auto fresh = co_await Connect(url, *proxy, req.ca_file, connect_deadline, what);
        if (!fresh) co_return fresh.error();
        conn = std::move(*fresh);
      }
      RoundTripInfo info;
      auto res = co_await Exchange(*conn, msg, deadline, what, info);
      if (res && info.keep_alive) PutIdle(key, std::move(conn));
      const bool stale = !res && reused && attempt == 0 && !info.response_started && !res.error().timed_out &&
                         !res.error().cancelled;
      if (!stale || !(req.method == "GET" || req.method == "HEAD")) {
        if (*proxy && !(*proxy)->secrets.empty()) Scrub(res, **proxy);
        co_return res;
      }
      conn.reset();  // the pooled connection was dead: one more try on a fresh one
    }
  }

  // What came back through a proxy, without the proxy's credential in any form.
  static void Scrub(SendResult& res, const ProxyRoute& proxy) {
    if (!res) {
      TransportError err = res.error();  // result::error() returns a copy
      err.message = ScrubProxyCredentials(std::move(err.message), proxy);
      res = std::move(err);
      return;
    }
    res->body = ScrubProxyCredentials(std::move(res->body), proxy);
    for (auto& header : res->headers) header.second = ScrubProxyCredentials(std::move(header.second), proxy);
  }

  asio::awaitable<SendResult> Exchange(Connection& conn, Request& msg, Clock::time_point deadline,
                                       const std::string& what, RoundTripInfo& info) {
    conn.Tcp().expires_at(deadline);
    if (auto* tls = conn.Tls()) co_return co_await RoundTrip(*tls, conn.buffer(), msg, options_.max_body_bytes, what, info);
    co_return co_await RoundTrip(conn.Tcp(), conn.buffer(), msg, options_.max_body_bytes, what, info);
  }

  Request BuildRequest(const Url& url, const HttpRequest& req, const std::optional<ProxyRoute>& proxy) const {
    const bool via_http_proxy = proxy && !url.tls();
    Request msg;
    msg.version(11);
    msg.method_string(req.method);
    // Through a plain-HTTP proxy the request line carries the absolute URL; TLS goes via CONNECT.
    msg.target(via_http_proxy ? url.scheme + "://" + url.Authority() + url.target : url.target);
    if (via_http_proxy && !proxy->authorization.empty()) msg.set(bhttp::field::proxy_authorization, proxy->authorization);
    const bool default_port = url.port == (url.tls() ? 443 : 80);
    msg.set(bhttp::field::host, default_port ? url.host : url.Authority());
    msg.set(bhttp::field::user_agent, "tenure/0.1");
    for (const auto& [name, value] : req.headers) {
      if (beast::iequals(name, "Host") || beast::iequals(name, "User-Agent")) {
        msg.set(name, value);
      } else {
        msg.insert(name, value);
      }
    }
    msg.body() = req.body;
    if (!req.body.empty() || (req.method != "GET" && req.method != "HEAD" && req.method != "DELETE")) {
      msg.prepare_payload();
    }
    msg.keep_alive(true);
    return msg;
  }

  using ConnectResult = boost::system::result<std::unique_ptr<Connection>, TransportError>;

  asio::awaitable<ConnectResult> Connect(const Url& url, const std::optional<ProxyRoute>& proxy, const std::string& ca_file,
                                         Clock::time_point deadline, const std::string& what) {
    const Url& hop = proxy ? proxy->url : url;
    auto opened = co_await OpenTcp(hop, deadline, what);
    if (!opened) co_return opened.error();
    auto conn = std::move(*opened);
    if (proxy && url.tls()) {
      if (auto err = co_await Tunnel(conn->Tcp(), conn->buffer(), url, proxy->authorization, deadline, what)) co_return *err;
    }
    if (url.tls()) {
      if (auto err = co_await StartTls(*conn, url, ca_file, deadline, what)) co_return *err;
    }
    co_return conn;
  }

  asio::awaitable<ConnectResult> OpenTcp(const Url& hop, Clock::time_point deadline, const std::string& what) {
    using namespace asio::experimental::awaitable_operators;
    tcp::resolver resolver(ex_);
    asio::steady_timer timer(ex_, deadline);
    auto won = co_await (resolver.async_resolve(hop.host, std::to_string(hop.port), kTuple) || timer.async_wait(kTuple));
    if (won.index() == 1) co_return Err(what + ": timed out resolving " + hop.host, false, true);
    auto [rec, endpoints] = std::get<0>(std::move(won));
    if (rec) co_return OpErr(rec, what + ": cannot resolve " + hop.host + ": " + rec.message(), false);
    beast::tcp_stream stream(ex_);
    stream.expires_at(deadline);
    auto [cec, endpoint] = co_await stream.async_connect(endpoints, kTuple);
    if (cec) {
      co_return OpErr(cec, what + ": cannot connect to " + hop.Authority() + ": " +
                               (IsTimeout(cec) ? std::string("timed out") : cec.message()),
                      false);
    }
    boost::system::error_code ignored;
    stream.socket().set_option(tcp::no_delay(true), ignored);
    co_return std::make_unique<Connection>(std::move(stream));
  }

  // HTTP CONNECT through the proxy to `url`'s authority. nullopt on success.
  asio::awaitable<std::optional<TransportError>> Tunnel(beast::tcp_stream& stream, beast::flat_buffer& buffer, const Url& url,
                                                        const std::string& authorization, Clock::time_point deadline,
                                                        const std::string& what) {
    bhttp::request<bhttp::empty_body> connect{bhttp::verb::connect, url.Authority(), 11};
    connect.set(bhttp::field::host, url.Authority());
    if (!authorization.empty()) connect.set(bhttp::field::proxy_authorization, authorization);
    stream.expires_at(deadline);
    auto [wec, written] = co_await bhttp::async_write(stream, connect, kTuple);
    if (wec) co_return Err(what + ": proxy CONNECT failed: " + wec.message(), false, IsTimeout(wec));
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel starts right after
    auto [rec, read] = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
    if (rec) co_return Err(what + ": proxy CONNECT failed: " + rec.message(), false, IsTimeout(rec));
    if (parser.get().result_int() / 100 != 2) {
      co_return Err(what + ": proxy refused CONNECT with status " + std::to_string(parser.get().result_int()), false);
    }
    co_return std::nullopt;
  }

  asio::awaitable<std::optional<TransportError>> StartTls(Connection& conn, const Url& url, const std::string& ca_file,
                                                          Clock::time_point deadline, const std::string& what) {
    auto ctx = SslContext(ca_file);
    if (!ctx) {
      TransportError err = Err(what + ": " + ctx.error(), false);
      err.permanent = true;
      co_return err;
    }
    auto& tls = conn.StartTls(std::move(*ctx));
    boost::system::error_code not_an_ip;
    asio::ip::make_address(url.host, not_an_ip);
    if (not_an_ip) SSL_set_tlsext_host_name(tls.native_handle(), url.host.c_str());  // RFC 6066: names only
    tls.set_verify_mode(ssl::verify_peer);
    tls.set_verify_callback([check = ssl::host_name_verification(url.host)](bool preverified, ssl::verify_context& vc) {
      const bool ok = check(preverified, vc);
      if (preverified && !ok) X509_STORE_CTX_set_error(vc.native_handle(), X509_V_ERR_HOSTNAME_MISMATCH);
      return ok;
    });
    beast::get_lowest_layer(tls).expires_at(deadline);
    auto [hec] = co_await tls.async_handshake(ssl::stream_base::client, kTuple);
    if (hec) {
      TransportError err = OpErr(hec, what + ": " + (IsTimeout(hec) ? std::string("timed out in the TLS handshake") : TlsFailure(tls.native_handle(), hec, url.host)),
                                 false);
      // A certificate that fails verification fails the same way next time: not transient.
      err.permanent = !IsTimeout(hec) && SSL_get_verify_result(tls.native_handle()) != X509_V_OK;
      co_return err;
    }
    co_return std::nullopt;
  }

  // One context per CA bundle, shared by its connections (loading CAs is slow).
  boost::system::result<std::shared_ptr<ssl::context>, std::string> SslContext(const std::string& ca_file) {
    if (auto it = contexts_.find(ca_file); it != contexts_.end()) return it->second;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);
    if (!ca_file.empty()) {
      ctx->load_verify_file(ca_file, ec);
      if (ec) return "cannot load CA file " + ca_file + ": " + ec.message();
    }
    ctx->set_verify_mode(ssl::verify_peer);
    contexts_.emplace(ca_file, ctx);
    return ctx;
  }

  std::unique_ptr<Connection> TakeIdle(const std::string& key) {
    auto it = pool_->idle.find(key);
    if (it == pool_->idle.end()) return nullptr;
    auto& list = it->second;
    while (!list.empty()) {
      auto conn = std::move(list.back());
      list.pop_back();
      if (Clock::now() - conn->idle_since < options_.idle_timeout && conn->LooksAlive()) return conn;
    }
    return nullptr;
  }

  void PutIdle(const std::string& key, std::unique_ptr<Connection> conn) {
    if (!reaper_registered_) {
      asio::use_service<PoolReaper>(asio::query(ex_, asio::execution::context)).Watch(pool_);
      reaper_registered_ = true;
    }
    auto& list = pool_->idle[key];
    if (list.size() >= options_.max_idle_per_host) return;  // dropping closes it
    conn->idle_since = Clock::now();
    list.push_back(std::move(conn));
  }

  asio::any_io_executor ex_;
  TransportOptions options_;
  ProxyConfig proxies_;
  std::shared_ptr<Pool> pool_ = std::make_shared<Pool>();
  bool reaper_registered_ = false;
  std::map<std::string, std::shared_ptr<ssl::context>> contexts_;
};

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, name)) return value;
  }
  return "";
}

std::unique_ptr<HttpTransport> MakeBeastTransport(asio::any_io_executor ex, TransportOptions options) {
  return std::make_unique<BeastTransport>(std::move(ex), options);
}

}  // namespace tenure::connectors::http
