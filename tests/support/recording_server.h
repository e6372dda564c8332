// RecordingServer: a plain HTTP/1.1 server on an ephemeral loopback port, in a thread of its own,
// that records every request it reads (method, target, headers, body) and answers what the test's
// handler returns. Unlike the sandbox it masks nothing, so tests can see exactly what tenure sent
// and can make a server that echoes credentials back into its error bodies.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tenure::testing {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
        return v;
      }
    }
    return "";
  }
  // Every header as "Name: value" lines (what an echoing server would show).
  std::string HeaderLines() const {
    std::string out;
    for (const auto& [k, v] : headers) out += k + ": " + v + "\n";
    return out;
  }
};

struct RecordedAnswer {
  int status = 200;
  std::string body = "{}";
  std::vector<std::pair<std::string, std::string>> headers;
};

class RecordingServer {
 public:
  using Handler = std::function<RecordedAnswer(const RecordedRequest&)>;

  explicit RecordingServer(Handler handler)
      : handler_(std::move(handler)), acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }
  ~RecordingServer() {
    stopping_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket wake(io_);
    wake.connect({boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)}, ec);
    thread_.join();
  }
  RecordingServer(const RecordingServer&) = delete;
  RecordingServer& operator=(const RecordingServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<RecordedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return requests_;
  }

 private:
  void Serve() {
    namespace http = boost::beast::http;
    while (!stopping_) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      boost::beast::flat_buffer buffer;
      {  // one request per connection (answered with Connection: close): nothing idles in a read
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) continue;
        RecordedRequest r{std::string(req.method_string()), std::string(req.target()), {}, req.body()};
        for (const auto& f : req) r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
        {
          std::lock_guard<std::mutex> lock(mutex_);
          requests_.push_back(r);
        }
        const RecordedAnswer a = handler_(r);
        http::response<http::string_body> res{static_cast<http::status>(a.status), 11};
        res.set(http::field::content_type, "application/json");
        for (const auto& [k, v] : a.headers) res.set(k, v);
        res.body() = a.body;
        res.keep_alive(false);
        res.prepare_payload();
        http::write(socket, res, ec);
        socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
      }
    }
  }

  Handler handler_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

}  // namespace tenure::testing
