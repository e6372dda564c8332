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
#include <array>
#include <cstdlib>
#include <ctime>
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
  int code = 0;      // 0: the connection failed (nothing or garbage was read)
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
// the socket. (Plain values out of every coroutine, no std::optional, no structured bindings and
// no co_await inside a condition: GCC 12 miscompiles those in coroutines.)
class Session {
 public:
  Session(asio::any_io_executor ex, ssl::context& tls) : socket_(ex), stream_(socket_, tls) {}

  tcp::socket& socket() { return socket_; }
  ssl::stream<tcp::socket&>& tls() { return stream_; }
  void set_tls(bool on) { tls_on_ = on; }

  asio::awaitable<Reply> Read() {
    Reply r;
    for (;;) {
      const auto eol = buffer_.find("\r\n");
      if (eol == std::string::npos) {
        if (buffer_.size() > 64 * 1024) co_return Reply{};
        const bool more = co_await Fill();
        if (!more) co_return Reply{};
        continue;
      }
      const std::string line = buffer_.substr(0, eol);
      buffer_.erase(0, eol + 2);
      if (line.size() < 3) co_return Reply{};
      r.code = std::atoi(line.substr(0, 3).c_str());
      if (!r.text.empty()) r.text += ' ';
      if (line.size() > 4) r.text += line.substr(4);
      if (line.size() == 3 || line[3] == ' ') co_return r;  // "250-" continues, "250 " ends
    }
  }

  asio::awaitable<bool> Write(std::string data) {
    std::tuple<boost::system::error_code, std::size_t> w;
    if (tls_on_) {
      w = co_await asio::async_write(stream_, asio::buffer(data), kTuple);
    } else {
      w = co_await asio::async_write(socket_, asio::buffer(data), kTuple);
    }
    co_return !std::get<0>(w);
  }

  // Sends `command` (without CRLF) and reads the reply (code 0 when the connection failed).
  asio::awaitable<Reply> Command(std::string command) {
    command += "\r\n";
    const bool written = co_await Write(std::move(command));
    if (!written) co_return Reply{};
    Reply r = co_await Read();
    co_return r;
  }

 private:
  asio::awaitable<bool> Fill() {
    std::tuple<boost::system::error_code, std::size_t> got;
    if (tls_on_) {
      got = co_await stream_.async_read_some(asio::buffer(chunk_), kTuple);
    } else {
      got = co_await socket_.async_read_some(asio::buffer(chunk_), kTuple);
    }
    if (std::get<0>(got)) co_return false;
    buffer_.append(chunk_.data(), std::get<1>(got));
    co_return true;
  }

  tcp::socket socket_;
  ssl::stream<tcp::socket&> stream_;
  bool tls_on_ = false;
  std::string buffer_;
  std::array<char, 4096> chunk_{};
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
      const bool shaken = co_await Handshake(s);
      if (!shaken) co_return RetryLater{{}, Fail(FailureClass::kTransient, where + ": TLS handshake failed")};
    }
    Reply r = co_await s.Read();
    if (r.code != 220) co_return Bad(where, "greeting", r);
    const std::string ehlo_line = "EHLO " + config_.helo;
    r = co_await s.Command(ehlo_line);
    if (r.code != 250) co_return Bad(where, "EHLO", r);
    if (config_.tls == "starttls") {
      r = co_await s.Command("STARTTLS");
      if (r.code != 220) co_return Bad(where, "STARTTLS (the server must offer it; tls: none only for tests)", r);
      const bool shaken = co_await Handshake(s);
      if (!shaken) {
        co_return Failed{Fail(FailureClass::kPermanent, where + ": TLS handshake failed (is the certificate valid for " +
                                                            config_.host + "? ca_file names a CA to trust)")};
      }
      r = co_await s.Command(ehlo_line);
      if (r.code != 250) co_return Bad(where, "EHLO after STARTTLS", r);
    }
    if (!config_.username.empty()) {
      if (config_.tls == "none") {
        co_return Failed{Fail(FailureClass::kPermanent, where + ": will not send a password without TLS")};
      }
      const bool plain = r.text.find("PLAIN") != std::string::npos || r.text.find("LOGIN") == std::string::npos;
      if (plain) {
        std::string auth = "AUTH PLAIN " + Base64(std::string(1, '\0') + config_.username + std::string(1, '\0') +
                                                 config_.password);
        r = co_await s.Command(std::move(auth));
        if (r.code != 235) co_return Bad(where, "AUTH PLAIN", r);
      } else {
        r = co_await s.Command("AUTH LOGIN");
        if (r.code != 334) co_return Bad(where, "AUTH LOGIN", r);
        std::string user = Base64(config_.username);
        r = co_await s.Command(std::move(user));
        if (r.code != 334) co_return Bad(where, "AUTH LOGIN (user)", r);
        std::string pass = Base64(config_.password);
        r = co_await s.Command(std::move(pass));
        if (r.code != 235) co_return Bad(where, "AUTH LOGIN (password)", r);
      }
    }
    std::string mail_from = "MAIL FROM:<" + config_.from + ">";
    r = co_await s.Command(std::move(mail_from));
    if (r.code != 250) co_return Bad(where, "MAIL FROM", r);
    std::string rcpt_to = "RCPT TO:<" + to + ">";
    r = co_await s.Command(std::move(rcpt_to));
    if (r.code != 250 && r.code != 251) co_return Bad(where, "RCPT TO " + to, r);
    r = co_await s.Command("DATA");
    if (r.code != 354) co_return Bad(where, "DATA", r);
    const std::string message_id = "<" + ctx.idempotency_key + "." + std::to_string(std::time(nullptr)) + "@tenure>";
    const std::string message = "Date: " + RfcDate() + "\r\nFrom: " + config_.from + "\r\nTo: " + to +
                                "\r\nSubject: " + EncodeHeader(subject) + "\r\nMessage-ID: " + message_id +
                                "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                "Content-Transfer-Encoding: 8bit\r\n\r\n" +
                                DotStuff(text) + ".\r\n";
    const bool sent = co_await s.Write(message);
    if (!sent) co_return Unknown{where + ": the connection failed while sending the message; it may have been accepted"};
    r = co_await s.Read();
    if (r.code == 0) co_return Unknown{where + ": no reply after the message; it may have been accepted"};
    if (r.code != 250) co_return Bad(where, "the message", r);
    r = co_await s.Command("QUIT");
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

  Outcome Bad(const std::string& where, const std::string& step, const Reply& r) const {
    if (r.code == 0) return RetryLater{{}, Fail(FailureClass::kTransient, where + ": connection lost at " + step)};
    const std::string msg = redactor_.Redact(where + ": " + step + " answered " + std::to_string(r.code) + " " + r.text);
    if (r.code >= 400 && r.code < 500) return RetryLater{{}, Fail(FailureClass::kTransient, msg, r.code)};
    return Failed{Fail(FailureClass::kPermanent, msg, r.code)};
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
