// BeastTransport against the real sandbox on loopback: pooling, timeouts, refusals, resets,
// size caps, chunked bodies, redirects, cancellation. Every case runs in well under a second.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <atomic>
#include <thread>
#include <vector>

#include "connectors/http/proxy.h"
#include "connectors/http/transport_wrapper.h"
#include "connectors/http/url.h"
#include "tests/http/http_test_support.h"

namespace tenure::testing {
namespace {

using namespace std::chrono_literals;
using connectors::http::TransportOptions;

int ClosedPort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();  // closed again when `acceptor` goes
}

std::int64_t Connections(Client& client, const std::string& base) {
  return State(client, base).at("connections").as_int64();
}

TEST_CASE("keep-alive: N requests share one TCP connection", "[http]") {
  auto sb = StartSandbox();
  Client client;
  for (int i = 0; i < 5; ++i) {
    const auto res = Ok(client.Get(sb->url() + "/echo/ping"));
    CHECK(res.status == 200);
  }
  CHECK(Connections(client, sb->url()) == 1);  // the state read rode the same connection
}

TEST_CASE("keep-alive: a pool of size zero opens a connection per request", "[http]") {
  auto sb = StartSandbox();
  auto options = Client::NoProxy();
  options.max_idle_per_host = 0;
  Client client(options);
  for (int i = 0; i < 3; ++i) Ok(client.Get(sb->url() + "/echo/ping"));
  CHECK(Connections(client, sb->url()) == 4);
}

TEST_CASE("a stalled response times out with sent=true", "[http]") {
  auto sb = StartSandbox();
  Client client;
  SetFaults(client, sb->url(), R"({"path_prefix": "/echo", "stall_rate": 1, "stall_ms": 5000})");
  const auto start = std::chrono::steady_clock::now();
  const auto r = client.Get(sb->url() + "/echo/slow?secret=s3cr3t", 300ms);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().timed_out);
  CHECK(r.error().sent);
  CHECK(r.error().message == "GET http://127.0.0.1:" + std::to_string(sb->port()) + "/echo/slow: timed out waiting for the response");
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 2s);
}

TEST_CASE("connection refused is an error with sent=false", "[http]") {
  Client client;
  const auto r = client.Get("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/x", 2s);
  REQUIRE_FALSE(r.has_value());
  CHECK_FALSE(r.error().sent);
  CHECK_FALSE(r.error().timed_out);
  CHECK_THAT(r.error().message, Catch::Contains("cannot connect to 127.0.0.1:") && Catch::Contains("refused"));
}

TEST_CASE("a reset after the request was read is an error with sent=true", "[http]") {
  auto sb = StartSandbox();
  Client client;
  SetFaults(client, sb->url(), R"({"path_prefix": "/echo", "reset_rate": 1})");
  HttpRequest req;
  req.method = "POST";
  req.url = sb->url() + "/echo/reset";
  req.body = R"({"a":1})";
  const auto r = client.Send(req);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().sent);
  CHECK_FALSE(r.error().timed_out);
  CHECK_THAT(r.error().message, Catch::Contains("POST http://127.0.0.1:") && Catch::Contains("/echo/reset: "));
}

TEST_CASE("response bodies over the cap are an error, under it they are read", "[http]") {
  auto sb = StartSandbox();
  auto options = Client::NoProxy();
  options.max_body_bytes = 1000;
  Client client(options);
  const auto big = client.Get(sb->url() + "/echo/big?pad=5000");
  REQUIRE_FALSE(big.has_value());
  CHECK(big.error().sent);
  CHECK_THAT(big.error().message, Catch::EndsWith("/echo/big: response body exceeds the 1000-byte limit"));
  const auto small = Ok(client.Get(sb->url() + "/echo/small?pad=100"));
  CHECK(small.status == 200);
  CHECK(Json(small.body).at("pad").as_string().size() == 100);
}

TEST_CASE("chunked responses are decoded", "[http]") {
  auto sb = StartSandbox();
  Client client;
  const auto res = Ok(client.Get(sb->url() + "/echo/chunks?chunked=1&pad=20000"));
  CHECK(res.status == 200);
  CHECK(res.Header("transfer-encoding") == "chunked");
  CHECK(res.Header("Content-Length").empty());
  CHECK(Json(res.body).at("pad").as_string().size() == 20000);
}

TEST_CASE("GET follows redirects up to the limit", "[http]") {
  auto sb = StartSandbox();
  auto options = Client::NoProxy();
  options.max_redirects = 3;
  Client client(options);
  const auto followed = Ok(client.Get(sb->url() + "/echo/r?redirects=3"));
  CHECK(followed.status == 200);
  CHECK(Json(followed.body).at("query").at("redirects") == "0");
  const auto looped = client.Get(sb->url() + "/echo/r?redirects=4");
  REQUIRE_FALSE(looped.has_value());
  CHECK_THAT(looped.error().message, Catch::EndsWith("/echo/r: too many redirects (limit 3)"));
}

TEST_CASE("redirects keep credentials on the same origin and drop them elsewhere", "[http]") {
  auto a = StartSandbox();
  auto b = StartSandbox();
  Client client;
  auto hop = [&](const std::string& target) {
    HttpRequest req;
    req.url = a->url() + "/echo/from?location=" + connectors::http::PercentEncode(target);
    req.headers = {{"Authorization", "Bearer t"}, {"X-Trace", "1"}};
    return Json(Ok(client.Send(req)).body);
  };
  const auto same = hop(a->url() + "/echo/to");
  CHECK(same.at("path") == "/echo/to");
  CHECK(same.at("headers").at("Authorization") == "***");
  const auto other = hop(b->url() + "/echo/to");
  CHECK(other.at("path") == "/echo/to");
  CHECK_FALSE(other.at("headers").as_object().contains("Authorization"));
  CHECK(other.at("headers").at("X-Trace") == "1");
}

TEST_CASE("POST does not follow redirects", "[http]") {
  auto sb = StartSandbox();
  Client client;
  HttpRequest req;
  req.method = "POST";
  req.url = sb->url() + "/echo/r?redirects=1";
  req.body = "{}";
  const auto res = Ok(client.Send(req));
  CHECK(res.status == 302);
  CHECK(res.Header("Location") == "/echo/r?redirects=0");
}

TEST_CASE("cancellation through the slot aborts a waiting exchange", "[http]") {
  auto sb = StartSandbox();
  Client client;
  SetFaults(client, sb->url(), R"({"path_prefix": "/echo", "stall_rate": 1, "stall_ms": 5000})");
  HttpRequest req;
  req.url = sb->url() + "/echo/stall";
  req.timeout = 10s;
  const auto start = std::chrono::steady_clock::now();
  const auto r = client.Send(req, 200ms);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().cancelled);
  CHECK(r.error().sent);
  CHECK_FALSE(r.error().timed_out);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("request headers and bodies arrive intact", "[http]") {
  auto sb = StartSandbox();
  Client client;
  HttpRequest req;
  req.method = "PUT";
  req.url = sb->url() + "/echo/items/a%20b?q=x%26y";
  req.headers = {{"Content-Type", "application/json"}, {"Idempotency-Key", "k-1"}, {"X-Custom", "v"}};
  req.body = R"({"name":"Zoë \"Z\" O'Brien"})";
  const auto echo = Json(Ok(client.Send(req)).body);
  CHECK(echo.at("method") == "PUT");
  CHECK(echo.at("path") == "/echo/items/a b");
  CHECK(echo.at("query").at("q") == "x&y");
  CHECK(echo.at("headers").at("X-Custom") == "v");
  CHECK(echo.at("json").at("name") == "Zoë \"Z\" O'Brien");
  CHECK(echo.at("count") == 1);
}

TEST_CASE("invalid URLs fail before anything is sent", "[http]") {
  Client client;
  for (const char* url : {"ftp://example.com/", "http://", "example.com/x", "http://user:pw@127.0.0.1/", "http://h:99999/"}) {
    INFO(url);
    const auto r = client.Get(url);
    REQUIRE_FALSE(r.has_value());
    CHECK_FALSE(r.error().sent);
    CHECK_THAT(r.error().message, Catch::StartsWith("invalid URL"));
  }
}

TEST_CASE("URL parsing and percent-encoding", "[http]") {
  using connectors::http::ParseUrl;
  auto u = ParseUrl("HTTPS://Example.COM/scim/v2/Users?filter=x#frag").value();
  CHECK(u.scheme == "https");
  CHECK(u.host == "example.com");
  CHECK(u.port == 443);
  CHECK(u.target == "/scim/v2/Users?filter=x");
  auto v6 = ParseUrl("http://[::1]:8080").value();
  CHECK(v6.host == "::1");
  CHECK(v6.Authority() == "[::1]:8080");
  CHECK(v6.target == "/");
  auto next = connectors::http::ResolveLocation(u, "../Groups?x=1").value();
  CHECK(next.target == "/scim/v2/../Groups?x=1");
  CHECK(connectors::http::ResolveLocation(u, "//other.example/p").value().host == "other.example");
  CHECK(connectors::http::PercentEncode("userName eq \"a b\"/é") == "userName%20eq%20%22a%20b%22%2F%C3%A9");
  CHECK(connectors::http::PercentDecode("a%20b+c%zz", true) == "a b c%zz");
}

TEST_CASE("proxy selection honours NO_PROXY", "[http]") {
  using connectors::http::ParseUrl;
  using connectors::http::ProxyFor;
  connectors::http::ProxyConfig config{"proxy.corp:3128", "http://proxy.corp:3128", {"internal.example", ".corp.example", "10.0.0.1:8443"}};
  CHECK(ProxyFor(config, ParseUrl("https://api.slack.com/x").value()).value()->url.Authority() == "proxy.corp:3128");
  CHECK_FALSE(ProxyFor(config, ParseUrl("https://internal.example/").value()).value().has_value());
  CHECK_FALSE(ProxyFor(config, ParseUrl("https://a.internal.example/").value()).value().has_value());
  CHECK(ProxyFor(config, ParseUrl("https://notinternal.example/").value()).value().has_value());
  CHECK_FALSE(ProxyFor(config, ParseUrl("https://x.corp.example/").value()).value().has_value());
  CHECK_FALSE(ProxyFor(config, ParseUrl("https://10.0.0.1:8443/").value()).value().has_value());
  CHECK(ProxyFor(config, ParseUrl("https://10.0.0.1/").value()).value().has_value());
  config.no_proxy = {"*"};
  CHECK_FALSE(ProxyFor(config, ParseUrl("https://api.slack.com/").value()).value().has_value());
  config = {"http://us%40r:p%3Ass@proxy:1/", "", {}};
  const auto with_credentials = ProxyFor(config, ParseUrl("https://api.slack.com/").value()).value();
  CHECK(with_credentials->url.Authority() == "proxy:1");
  CHECK(with_credentials->authorization == "Basic " + connectors::http::Base64("us@r:p:ss"));
  CHECK(connectors::http::Base64("us@r:p:ss") == "dXNAcjpwOnNz");
  CHECK(connectors::http::Base64("ab") == "YWI=");
  CHECK(connectors::http::Base64("a") == "YQ==");
  config = {"ftp://proxy:1", "", {}};
  CHECK_FALSE(ProxyFor(config, ParseUrl("https://api.slack.com/").value()).has_value());
  config.bypass_loopback = true;
  CHECK_FALSE(ProxyFor(config, ParseUrl("https://127.0.0.1:9/").value()).value().has_value());
}

TEST_CASE("plain HTTP requests go through HTTP_PROXY in absolute form", "[http]") {
  // The sandbox plays the proxy: it sees the absolute URL as the request target.
  auto sb = StartSandbox();
  ::setenv("HTTP_PROXY", ("http://proxyuser:pw@" + sb->url().substr(7)).c_str(), 1);
  ::setenv("NO_PROXY", "", 1);
  connectors::http::TransportOptions options;
  options.use_proxy_env = true;
  options.proxy_loopback = true;
  Client client(options);
  ::unsetenv("HTTP_PROXY");
  ::unsetenv("NO_PROXY");
  const auto echo = Json(Ok(client.Get("http://upstream.invalid:81/echo/through")).body);
  CHECK(echo.at("absolute_form") == true);
  CHECK(echo.at("path") == "/echo/through");
  CHECK(echo.at("headers").at("Host") == "upstream.invalid:81");
  CHECK(echo.at("headers").at("Proxy-Authorization") == "***");
}

TEST_CASE("a response cut short is an error with sent=true, never a hang", "[http]") {
  auto sb = StartSandbox();
  Client client;
  const auto r = client.Get(sb->url() + "/echo/x?malformed=truncated", 5s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().sent);
  CHECK_FALSE(r.error().timed_out);
  CHECK_THAT(r.error().message, Catch::EndsWith("/echo/x: connection closed by the server before the response was complete"));
}

TEST_CASE("a response that is not HTTP is an error with sent=true", "[http]") {
  auto sb = StartSandbox();
  Client client;
  const auto r = client.Get(sb->url() + "/echo/x?malformed=garbage", 5s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().sent);
  CHECK_THAT(r.error().message, Catch::Contains("/echo/x: reading the response failed: "));
}

TEST_CASE("a GET on a pooled connection the server dropped is retried once on a new one", "[http]") {
  auto sb = StartSandbox();
  Client client;
  Ok(client.Get(sb->url() + "/echo/warm"));  // leaves one pooled connection
  SetFaults(client, sb->url(), R"({"path_prefix": "/echo", "reset_rate": 1})");
  const auto r = client.Get(sb->url() + "/echo/x");
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().sent);
  SetFaults(client, sb->url(), "[]");
  CHECK(Connections(client, sb->url()) == 3);  // warm-up, the retry, and the state read
}

// A server that answers with keep-alive, then closes the connection while it idles (an idle
// timeout shorter than ours), or sends bytes nobody asked for. The pool must notice either before
// it writes: a POST is never retried, so one sent on such a connection would fail.
class ClosingServer {
 public:
  enum class After { kClose, kGarbage, kKeep };
  explicit ClosingServer(After after) : after_(after), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~ClosingServer() {
    stopping_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
  int accepted() const { return accepted_; }
  // Waits until the server has answered `n` requests and dealt with each connection after it.
  void WaitAnswered(int n) const {
    for (int i = 0; i < 500 && answered_ < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(answered_ >= n);
  }

 private:
  void Serve() {
    std::vector<boost::asio::ip::tcp::socket> kept;
    while (!stopping_) {
      boost::asio::ip::tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      ++accepted_;
      boost::beast::flat_buffer buffer;
      for (;;) {  // requests on this connection until it is closed (kKeep) or after the first
        boost::beast::http::request<boost::beast::http::string_body> req;
        boost::beast::http::read(socket, buffer, req, ec);
        if (ec) break;
        boost::beast::http::response<boost::beast::http::string_body> res{boost::beast::http::status::ok, 11};
        res.body() = "ok";
        res.keep_alive(true);
        res.prepare_payload();
        boost::beast::http::write(socket, res, ec);
        if (after_ == After::kClose) socket.close(ec);
        if (after_ == After::kGarbage) boost::asio::write(socket, boost::asio::buffer(std::string("junk")), ec);
        ++answered_;
        if (after_ != After::kKeep) break;
      }
      if (after_ == After::kGarbage) kept.push_back(std::move(socket));  // open, with junk unread
    }
  }

  After after_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

HttpRequest Post(const std::string& url) {
  HttpRequest req;
  req.method = "POST";
  req.url = url;
  req.body = "{}";
  req.timeout = std::chrono::seconds(10);
  return req;
}

TEST_CASE("a pooled connection the peer closed or wrote junk on is not reused, so a POST goes on a new one", "[http]") {
  for (const auto after : {ClosingServer::After::kClose, ClosingServer::After::kGarbage}) {
    ClosingServer server(after);
    Client client;
    const auto first = client.Send(Post(server.url() + "/a"));
    REQUIRE(first.has_value());
    server.WaitAnswered(1);  // closed, or junk written, before the second request leaves
    const auto second = client.Send(Post(server.url() + "/b"));
    INFO((after == ClosingServer::After::kClose ? "closed" : "junk") << ": " << (second ? "" : second.error().message));
    REQUIRE(second.has_value());
    CHECK(second->status == 200);
    CHECK(server.accepted() == 2);
  }
  ClosingServer keep(ClosingServer::After::kKeep);  // and one left open and quiet is reused
  Client client;
  for (const char* path : {"/a", "/b", "/c"}) REQUIRE(client.Send(Post(keep.url() + path)).has_value());
  CHECK(keep.accepted() == 1);
}

TEST_CASE("TransportWrapper forwards, so a double overrides only what it breaks", "[http]") {
  struct LoseAnswer : connectors::http::TransportWrapper {
    using TransportWrapper::TransportWrapper;
    boost::asio::awaitable<SendResult> Send(HttpRequest req) override {
      co_await target().Send(std::move(req));
      co_return TransportError{"connection reset (injected)", true, false, false};
    }
  };
  auto sb = StartSandbox();
  boost::asio::io_context io;
  auto real = connectors::http::MakeBeastTransport(io.get_executor(), Client::NoProxy());
  LoseAnswer lossy(*real);
  std::optional<SendResult> out;
  HttpRequest req;
  req.method = "POST";
  req.url = sb->url() + "/echo/effect";
  req.headers = {{"Idempotency-Key", "once"}};
  boost::asio::co_spawn(io, lossy.Send(req), [&](std::exception_ptr e, SendResult r) {
    if (e) std::rethrow_exception(e);
    out = std::move(r);
  });
  io.run_for(5s);
  REQUIRE(out.has_value());
  REQUIRE_FALSE(out->has_value());
  CHECK(out->error().sent);
  Client client;
  CHECK(State(client, sb->url()).at("echo_counts").at("once") == 1);  // the effect happened
}

TEST_CASE("a transport may outlive its io_context (pooled sockets are closed with the context)", "[http]") {
  auto sb = StartSandbox();
  auto io = std::make_unique<boost::asio::io_context>(1);
  auto transport = connectors::http::MakeBeastTransport(io->get_executor(), Client::NoProxy());
  for (const char* path : {"/echo/a", "/echo/b"}) {
    std::optional<SendResult> out;
    HttpRequest req;
    req.url = sb->url() + path;
    boost::asio::co_spawn(*io, transport->Send(req), [&](std::exception_ptr e, SendResult r) {
      if (e) std::rethrow_exception(e);
      out = std::move(r);
    });
    io->restart();
    io->run_for(5s);
    REQUIRE(out.has_value());
    CHECK(Ok(*out).status == 200);
  }
  io.reset();         // the engine host's order: the context first...
  transport.reset();  // ...then the transport, whose pool was emptied by the context
  Client client;
  CHECK(Connections(client, sb->url()) == 2);  // one pooled connection, then the state read's
}

TEST_CASE("loopback targets bypass the proxy from the environment", "[http]") {
  auto sb = StartSandbox();
  ::setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);  // nothing listens there
  Client client(connectors::http::TransportOptions{});
  ::unsetenv("HTTP_PROXY");
  CHECK(Ok(client.Get(sb->url() + "/echo/direct")).status == 200);
}

}  // namespace
}  // namespace tenure::testing
