#include "connectors/oauth/rest.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "connectors/http_support.h"
#include "connectors/oauth/jwt.h"

namespace tenure::connectors::oauth {

std::string StringArg(const Map& args, std::string_view key) {
  const Value* v = args.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

std::string StringAt(const Value& object, std::string_view key) {
  if (!object.IsMap()) return "";
  const Value* v = object.AsMap().Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) {
    if (!out.empty()) out += '&';
    out += UrlEncode(k) + "=" + UrlEncode(v);
  }
  return out;
}

std::string PathSegment(std::string_view value) {
  if (value.find_first_not_of('.') == std::string_view::npos) {
    std::string out;
    for (std::size_t i = 0; i < value.size(); ++i) out += "%2E";
    return out;
  }
  return UrlEncode(value);
}

std::string ODataString(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  out.push_back('\'');
  return out;
}

boost::asio::awaitable<Either<Reply>> SendJson(http::HttpTransport& transport, const Redactor& redactor,
                                               JsonRequest req, std::string what, const Context& ctx) {
  http::HttpRequest http;
  http.method = req.method;
  http.url = std::move(req.url);
  http.timeout = TimeLeft(ctx);
  http.ca_file = std::move(req.ca_file);
  http.headers.emplace_back("Accept", "application/json");
  if (!req.bearer.empty()) http.headers.emplace_back("Authorization", "Bearer " + req.bearer);
  if (req.body != nullptr) {
    http.headers.emplace_back("Content-Type", "application/json");
    http.body = req.body->ToJson();
  } else if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    http.headers.emplace_back("Content-Length", "0");
  }
  for (auto& h : req.headers) http.headers.push_back(std::move(h));
  const bool effectful = req.method != "GET" && req.method != "HEAD";
  auto result = co_await transport.Send(std::move(http));
  if (!result) co_return FromTransportError(result.error(), effectful, what, redactor);
  Reply reply;
  reply.status = result->status;
  reply.body = ParseJsonBody(result->body).value_or(Value());
  reply.response = std::move(*result);
  co_return reply;
}

boost::asio::awaitable<Either<Token>> RequestToken(http::HttpTransport& transport, Redactor& redactor,
                                                   std::string url, std::vector<std::pair<std::string, std::string>> fields,
                                                   std::string ca_file, std::string what, const Context& ctx) {
  http::HttpRequest http;
  http.method = "POST";
  http.url = std::move(url);
  http.timeout = TimeLeft(ctx);
  http.ca_file = std::move(ca_file);
  http.headers.emplace_back("Accept", "application/json");
  http.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  http.body = FormEncode(fields);
  // A token request changes nothing: a lost answer is simply asked again.
  auto result = co_await transport.Send(std::move(http));
  if (!result) co_return FromTransportError(result.error(), false, what, redactor);
  const Value body = ParseJsonBody(result->body).value_or(Value());
  if (!IsSuccess(result->status)) {
    const std::string error = StringAt(body, "error");
    const std::string description = StringAt(body, "error_description");
    std::string message = error.empty() ? "the token endpoint refused the request" : error;
    if (!description.empty()) message += ": " + description;
    if (result->status == 400 || result->status == 401 || result->status == 403) {
      co_return Fail(FailureClass::kPermanent,
                     redactor.Redact(what + ": HTTP " + std::to_string(result->status) + ": authentication failed (" +
                                     Excerpt(message, 300) + ")"),
                     result->status, error);
    }
    co_return FromHttpStatus(*result, what, message, error, redactor);
  }
  Token token;
  token.access_token = StringAt(body, "access_token");
  if (token.access_token.empty()) {
    co_return Fail(FailureClass::kPermanent, what + ": the token endpoint answered without an access_token",
                   result->status);
  }
  redactor.Add(token.access_token);
  if (const Value* e = body.AsMap().Find("expires_in")) {
    std::int64_t seconds = 0;
    if (e->IsInt()) seconds = e->AsInt();
    if (e->IsString()) seconds = std::atoll(e->AsString().c_str());  // some endpoints send text
    if (seconds > 0) token.lifetime = std::chrono::seconds(std::min<std::int64_t>(seconds, 86'400));
  }
  co_return token;
}

bool EqualsIgnoreCaseAscii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

std::string GeneratePassword() {
  unsigned char bytes[18];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  return Base64Url(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

SecretFile::~SecretFile() {
  if (!committed_) std::remove(temp_.c_str());
}

Result<void> SecretFile::Write(std::string_view secret) {
  std::remove(temp_.c_str());
  const int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Error::Io("cannot create " + temp_ + ": " + std::strerror(errno));
  std::string text = std::string(secret) + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Error::Io("cannot write " + temp_);
  return {};
}

Result<void> SecretFile::Commit() {
  if (std::rename(temp_.c_str(), path_.c_str()) != 0) return Error::Io("cannot rename " + temp_ + " to " + path_);
  committed_ = true;
  return {};
}

}  // namespace tenure::connectors::oauth
