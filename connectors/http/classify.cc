#include "connectors/http/classify.h"
#include "workflows/civil_date.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <optional>

namespace tenure::connectors::http {
namespace {

using std::chrono::milliseconds;

const char* Reason(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
  }
}

const boost::json::value* Field(const boost::json::object& o, std::string_view key) {
  return o.if_contains(key);
}

std::string StringField(const boost::json::object& o, std::string_view key) {
  const auto* v = Field(o, key);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  return "";
}

// The provider's own message and code from a JSON error body; both "" when there are none.
std::pair<std::string, std::string> ProviderMessage(const boost::json::object& o) {
  std::string code = StringField(o, "scimType");
  if (code.empty()) code = StringField(o, "code");
  std::string message = StringField(o, "detail");
  if (message.empty()) message = StringField(o, "message");
  if (message.empty()) message = StringField(o, "error_description");
  if (const auto* err = Field(o, "error"); err != nullptr) {
    if (err->is_string()) {
      if (code.empty()) code = std::string(err->get_string());  // Slack: {"ok":false,"error":"..."}
      if (message.empty()) message = std::string(err->get_string());
    } else if (err->is_object() && message.empty()) {
      message = StringField(err->get_object(), "message");
    }
  }
  return {message, code};
}

std::string StripTags(std::string_view body) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '<') {
      out.push_back(body[i]);
      continue;
    }
    // Drop <script> and <style> elements whole: their content is not a message.
    for (std::string_view skip : {"script", "style"}) {
      if (body.size() > i + skip.size() && std::equal(skip.begin(), skip.end(), body.begin() + i + 1,
                                                      [](char a, char b) { return a == std::tolower(b); })) {
        const auto close = body.find("</", i + 1);
        if (close != std::string_view::npos) i = close;
      }
    }
    const auto end = body.find('>', i);
    if (end == std::string_view::npos) break;
    i = end;
    out.push_back(' ');
  }
  return out;
}

std::string Collapse(std::string_view text, std::size_t max_chars) {
  std::string out;
  for (const char c : text) {
    const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > max_chars) {
    out.resize(max_chars);
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();  // whole UTF-8
    if (!out.empty()) out.pop_back();
    out += "...";
  }
  return out;
}

std::string DecodeEntities(std::string text) {
  static const std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}, {"&amp;", "&"}};
  for (const auto& [from, to] : kEntities) {
    for (auto pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
      text.replace(pos, from.size(), to);
    }
  }
  return text;
}

Failure MakeFailure(FailureClass cls, const HttpResponse& res) {
  Failure f{cls, "", res.status, ""};
  std::string detail;
  boost::system::error_code ec;
  const auto json = boost::json::parse(res.body, ec);
  if (!ec && json.is_object()) std::tie(detail, f.provider_code) = ProviderMessage(json.get_object());
  if (detail.empty()) detail = SummarizeBody(res.body);
  std::string reason = Reason(res.status);
  f.message = "HTTP " + std::to_string(res.status) + (reason.empty() ? "" : " " + reason);
  if (!detail.empty()) f.message += ": " + Collapse(detail, 200);
  if (!f.provider_code.empty() && detail != f.provider_code) f.message += " (" + f.provider_code + ")";
  return f;
}

Value SuccessValue(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Value(Map());
  boost::system::error_code ec;
  const auto json = boost::json::parse(body, ec);
  if (ec) {
    Map m;
    m.Set("body", body);
    return m;
  }
  Value v = FromJsonValue(json);
  if (v.IsMap()) return v;
  Map m;
  m.Set("value", std::move(v));
  return m;
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view text) {
  std::tm tm{};
  const std::string s(text);
  // IMF-fixdate, RFC 850, asctime.
  for (const char* format : {"%a, %d %b %Y %H:%M:%S", "%A, %d-%b-%y %H:%M:%S", "%a %b %d %H:%M:%S %Y"}) {
    tm = std::tm{};
    if (strptime(s.c_str(), format, &tm) != nullptr) {
      const auto days = workflows::DaysFromCivil(tm.tm_year + 1900, static_cast<unsigned>(tm.tm_mon + 1), static_cast<unsigned>(tm.tm_mday));
      const auto secs = days * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
      return std::chrono::system_clock::time_point(std::chrono::seconds(secs));
    }
  }
  return std::nullopt;
}

}  // namespace

std::chrono::milliseconds ParseRetryAfter(std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return milliseconds(0);
  std::int64_t seconds = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && ptr == value.data() + value.size()) {
    return milliseconds(std::clamp<std::int64_t>(seconds, 0, kMaxRetryAfter.count()) * 1000);
  }
  const auto date = ParseHttpDate(value);
  if (!date || *date <= now) return milliseconds(0);
  return std::min<milliseconds>(std::chrono::duration_cast<milliseconds>(*date - now), kMaxRetryAfter);
}

std::string SummarizeBody(std::string_view body, std::size_t max_chars) {
  boost::system::error_code ec;
  const auto json = boost::json::parse(body, ec);
  if (!ec && json.is_object()) {
    if (auto [message, code] = ProviderMessage(json.get_object()); !message.empty()) return Collapse(message, max_chars);
  }
  if (!ec) return Collapse(body, max_chars);
  return Collapse(DecodeEntities(StripTags(body)), max_chars);
}

Outcome ClassifyResponse(const HttpResponse& res, std::chrono::system_clock::time_point now) {
  const int s = res.status;
  if (s >= 200 && s < 300) return Succeeded{SuccessValue(res.body)};
  if (s == 429) return RetryLater{ParseRetryAfter(res.Header("Retry-After"), now), MakeFailure(FailureClass::kThrottled, res)};
  if (s == 503) return RetryLater{ParseRetryAfter(res.Header("Retry-After"), now), MakeFailure(FailureClass::kTransient, res)};
  if (s == 408 || s >= 500) return RetryLater{milliseconds(0), MakeFailure(FailureClass::kTransient, res)};
  if (s == 404 || s == 410) return Failed{MakeFailure(FailureClass::kNotFound, res)};
  if (s == 409) return Failed{MakeFailure(FailureClass::kConflict, res)};
  return Failed{MakeFailure(FailureClass::kPermanent, res)};
}

Outcome ClassifyTransportError(const TransportError& err, bool effectful) {
  if ((err.sent || err.timed_out) && effectful) return Unknown{err.message + " (the request may have taken effect)"};
  if (err.cancelled) return Failed{Failure{FailureClass::kCancelled, err.message, 0, ""}};
  if (err.permanent) return Failed{Failure{FailureClass::kPermanent, err.message, 0, ""}};
  return RetryLater{milliseconds(0), Failure{FailureClass::kTransient, err.message, 0, ""}};
}

}  // namespace tenure::connectors::http
