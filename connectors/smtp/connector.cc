#include "connectors/smtp/connector.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <tuple>

namespace tenure::connectors::smtp {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool HasLineBreak(const std::string& s) { return s.find('\r') != std::string::npos || s.find('\n') != std::string::npos; }

std::string Str(const Map& m, const char* key) {
  const Value* v = m.Find(key);
  return v != nullptr && !v->IsNull() ? v->ToText() : std::string();
}

std::string RfcDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char out[64];
  std::strftime(out, sizeof out, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return out;
}

struct Reply {
  int code = 0;
  std::string text;  // all lines, joined by ' '
};

Failure Fail(FailureClass cls, std::string message, int code = 0) {
  Failure f;
  f.cls = cls;
  f.message = std::move(message);
  f.provider_code = code > 0 ? std::to_string(code) : "";
  return f;
}

// One SMTP session on a socket that may be upgraded to TLS. Not movable: the ssl stream refers to
// the socket.
class Session {
 public:
  Session(asio::any_io_executor ex, ssl::context& tls) : socket_(ex), stream_(socket_, tls) {}

  tcp::socket& socket() { return socket_; }
  ssl::stream<tcp::socket&>& tls() { return stream_; }
  void set_tls(bool on) { tls_on_ = on; }

  asio::awaitable<std::optional<Reply>> Read() {
    Reply r;
    for (;;) {
      const auto eol = buffer_.find("\r\n");
      if (eol == std::string::npos) {
        if (buffer_.size() > 64 * 1024) co_return std::nullopt;
        char chunk[4096];
        std::size_t n = 0;
        boost::system::error_code ec;
        if (tls_on_) {
          std::tie(ec, n) = co_await stream_.async_read_some(asio::buffer(chunk), kTuple);
        } else {
          std::tie(ec, n) = co_await socket_.async_read_some(asio::buffer(chunk), kTuple);
        }
        if (ec) co_return std::nullopt;
        buffer_.append(chunk, n);
        continue;
      }
      const std::string line = buffer_.substr(0, eol);
      buffer_.erase(0, eol + 2);
      if (line.size() < 3) co_return std::nullopt;
      r.code = std::atoi(line.substr(0, 3).c_str());
      r.text += (r.text.empty() ? "" : " ") + (line.size() > 4 ? line.substr(4) : std::string());
      if (line.size() == 3 || line[3] == ' ') co_return r;  // "250-" continues, "250 " ends
    }
  }

  asio::awaitable<bool> Write(std::string data) {
    boost::system::error_code ec;
    std::size_t n = 0;
    if (tls_on_) {
      std::tie(ec, n) = co_await asio::async_write(stream_, asio::buffer(data), kTuple);
    } else {
      std::tie(ec, n) = co_await asio::async_write(socket_, asio::buffer(data), kTuple);
    }
    co_return !ec;
  }

  // Sends `command` and reads the reply; nullopt when the connection failed.
  asio::awaitable<std::optional<Reply>> Command(std::string command) {
    if (!co_await Write(command + "\r\n")) co_return std::nullopt;
    co_return co_await Read();
  }

 private:
  tcp::socket socket_;
  ssl::stream<tcp::socket&> stream_;
  bool tls_on_ = false;
  std::string buffer_;
};

class SmtpConnector final : public Connector {
 public:
  SmtpConnector(SmtpConfig config, const Redactor& redactor) : config_(std::move(config)), redactor_(redactor) {}

  asio::awaitable<Outcome> Invoke(const Action& action, const Context& ctx) override {
    if (action.name != "send") co_return Failed{Fail(FailureClass::kPermanent, "smtp: unknown action '" + action.name + "'")};
    const std::string to = Str(action.args, "to");
    const std::string subject = Str(action.args, "subject");
    const std::string text = Str(action.args, "text");
    if (to.empty() || HasLineBreak(to) || to.find('@') == std::string::npos || to.find('<') != std::string::npos ||
        to.find('>') != std::string::npos) {
      co_return Failed{Fail(FailureClass::kPermanent, "smtp: `to` must be one e-mail address, got '" + to + "'")};
    }
    if (HasLineBreak(subject)) co_return Failed{Fail(FailureClass::kPermanent, "smtp: `subject` must be one line")};
    Outcome out = co_await Send(to, subject, text, ctx);
    co_return out;
  }

 private:
  asio::awaitable<Outcome> Send(std::string to, std::string subject, std::string text, Context ctx) {
    const asio::any_io_executor ex = co_await asio::this_coro::executor;
    ssl::context tls(ssl::context::tls_client);
    tls.set_options(ssl::context::no_sslv2 | ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    if (config_.ca_file.empty()) {
      tls.set_default_verify_paths(ec);
    } else {
      tls.load_verify_file(config_.ca_file, ec);
    }
    if (ec) co_return Failed{Fail(FailureClass::kPermanent, "smtp: cannot load CA file " + config_.ca_file + ": " + ec.message())};
    tls.set_verify_mode(ssl::verify_peer);
    Session s(ex, tls);
    s.tls().set_verify_callback(ssl::host_name_verification(config_.host));
    const std::string where = "smtp " + config_.host + ":" + std::to_string(config_.port);

    // SNI, for servers with several names.
    SSL_set_tlsext_host_name(s.tls().native_handle(), config_.host.c_str());
    tcp::resolver resolver(ex);
    // No structured bindings: GCC 12 loses track of them across a suspension point.
    std::tuple<boost::system::error_code, tcp::resolver::results_type> resolved =
        co_await resolver.async_resolve(config_.host, std::to_string(config_.port), kTuple);
    if (std::get<0>(resolved)) {
      co_return RetryLater{{}, Fail(FailureClass::kTransient, where + ": cannot resolve: " + std::get<0>(resolved).message())};
    }
    std::tuple<boost::system::error_code, tcp::endpoint> connected =
        co_await asio::async_connect(s.socket(), std::get<1>(resolved), kTuple);
    if (std::get<0>(connected)) {
      co_return RetryLater{{}, Fail(FailureClass::kTransient, where + ": cannot connect: " + std::get<0>(connected).message())};
    }
    if (config_.tls == "implicit") {
      if (!co_await Handshake(s)) co_return RetryLater{{}, Fail(FailureClass::kTransient, where + ": TLS handshake failed")};
    }
    auto greeting = co_await s.Read();
    if (!greeting || greeting->code != 220) co_return Bad(where, "greeting", greeting);
    auto ehlo = co_await s.Command("EHLO " + config_.helo);
    if (!ehlo || ehlo->code != 250) co_return Bad(where, "EHLO", ehlo);
    if (config_.tls == "starttls") {
      auto st = co_await s.Command("STARTTLS");
      if (!st || st->code != 220) co_return Bad(where, "STARTTLS (the server must offer it; tls: none only for tests)", st);
      if (!co_await Handshake(s)) {
        co_return Failed{Fail(FailureClass::kPermanent, where + ": TLS handshake failed (is the certificate valid for " +
                                                            config_.host + "? ca_file names a CA to trust)")};
      }
      ehlo = co_await s.Command("EHLO " + config_.helo);
      if (!ehlo || ehlo->code != 250) co_return Bad(where, "EHLO after STARTTLS", ehlo);
    }
    if (!config_.username.empty()) {
      if (config_.tls == "none") {
        co_return Failed{Fail(FailureClass::kPermanent, where + ": will not send a password without TLS")};
      }
      const bool plain = ehlo->text.find("PLAIN") != std::string::npos || ehlo->text.find("LOGIN") == std::string::npos;
      if (plain) {
        auto a = co_await s.Command("AUTH PLAIN " + Base64(std::string(1, '\0') + config_.username + std::string(1, '\0') +
                                                           config_.password));
        if (!a || a->code != 235) co_return Bad(where, "AUTH PLAIN", a);
      } else {
        auto a = co_await s.Command("AUTH LOGIN");
        if (!a || a->code != 334) co_return Bad(where, "AUTH LOGIN", a);
        a = co_await s.Command(Base64(config_.username));
        if (!a || a->code != 334) co_return Bad(where, "AUTH LOGIN (user)", a);
        a = co_await s.Command(Base64(config_.password));
        if (!a || a->code != 235) co_return Bad(where, "AUTH LOGIN (password)", a);
      }
    }
    auto mail = co_await s.Command("MAIL FROM:<" + config_.from + ">");
    if (!mail || mail->code != 250) co_return Bad(where, "MAIL FROM", mail);
    auto rcpt = co_await s.Command("RCPT TO:<" + to + ">");
    if (!rcpt || (rcpt->code != 250 && rcpt->code != 251)) co_return Bad(where, "RCPT TO " + to, rcpt);
    auto data = co_await s.Command("DATA");
    if (!data || data->code != 354) co_return Bad(where, "DATA", data);
    const std::string message_id = "<" + ctx.idempotency_key + "." + std::to_string(std::time(nullptr)) + "@tenure>";
    const std::string message = "Date: " + RfcDate() + "\r\nFrom: " + config_.from + "\r\nTo: " + to +
                                "\r\nSubject: " + EncodeHeader(subject) + "\r\nMessage-ID: " + message_id +
                                "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: 8bit\r\n\r\n" +
                                DotStuff(text) + ".\r\n";
    if (!co_await s.Write(message)) {
      co_return Unknown{where + ": the connection failed while sending the message; it may have been accepted"};
    }
    auto sent = co_await s.Read();
    if (!sent) co_return Unknown{where + ": no reply after the message; it may have been accepted"};
    if (sent->code != 250) co_return Bad(where, "the message", sent);
    (void)co_await s.Command("QUIT");
    Map result;
    result.Set("message_id", message_id);
    result.Set("to", to);
    co_return Succeeded{Value(std::move(result))};
  }

  static asio::awaitable<bool> Handshake(Session& s) {
    std::tuple<boost::system::error_code> shaken = co_await s.tls().async_handshake(ssl::stream_base::client, kTuple);
    if (std::get<0>(shaken)) co_return false;
    s.set_tls(true);
    co_return true;
  }

  Outcome Bad(const std::string& where, const std::string& step, const std::optional<Reply>& r) const {
    if (!r) return RetryLater{{}, Fail(FailureClass::kTransient, where + ": connection lost at " + step)};
    const std::string msg = redactor_.Redact(where + ": " + step + " answered " + std::to_string(r->code) + " " + r->text);
    if (r->code >= 400 && r->code < 500) return RetryLater{{}, Fail(FailureClass::kTransient, msg, r->code)};
    return Failed{Fail(FailureClass::kPermanent, msg, r->code)};
  }

  SmtpConfig config_;
  const Redactor& redactor_;
};

}  // namespace

std::string DotStuff(const std::string& text) {
  std::string out;
  bool line_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') continue;  // every line end becomes CRLF
    if (line_start && c == '.') out += '.';
    if (c == '\n') {
      out += "\r\n";
      line_start = true;
      continue;
    }
    out += c;
    line_start = false;
  }
  if (!line_start || out.empty()) out += "\r\n";
  return out;
}

std::string EncodeHeader(const std::string& value) {
  const bool ascii = std::all_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  return ascii ? value : "=?UTF-8?B?" + Base64(value) + "?=";
}

Result<SmtpConfig> ParseSmtpConfig(const Map& config) {
  SmtpConfig c;
  c.host = Str(config, "host");
  if (c.host.empty()) return Error::InvalidArgument("smtp: `host` is required");
  c.tls = Str(config, "tls").empty() ? "starttls" : Str(config, "tls");
  if (c.tls != "starttls" && c.tls != "implicit" && c.tls != "none") {
    return Error::InvalidArgument("smtp: `tls` must be starttls, implicit or none, not '" + c.tls + "'");
  }
  c.port = c.tls == "implicit" ? 465 : 587;
  if (const Value* p = config.Find("port"); p != nullptr && !p->IsNull()) {
    const long port = p->IsInt() ? static_cast<long>(p->AsInt()) : std::strtol(p->ToText().c_str(), nullptr, 10);
    if (port <= 0 || port > 65535) return Error::InvalidArgument("smtp: `port` must be 1..65535");
    c.port = static_cast<int>(port);
  }
  c.username = Str(config, "username");
  c.password = Str(config, "password");
  c.from = Str(config, "from");
  if (c.from.empty() || HasLineBreak(c.from) || c.from.find('@') == std::string::npos) {
    return Error::InvalidArgument("smtp: `from` must be an e-mail address");
  }
  c.ca_file = Str(config, "ca_file");
  if (auto h = Str(config, "helo"); !h.empty()) c.helo = h;
  return c;
}

std::unique_ptr<Connector> MakeSmtpConnector(SmtpConfig config, const Redactor& redactor) {
  return std::make_unique<SmtpConnector>(std::move(config), redactor);
}

}  // namespace tenure::connectors::smtp
