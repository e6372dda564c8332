#include "connectors/http_connector/connector.h"

#include <algorithm>
#include <exception>

#include "connectors/http_support.h"

namespace tenure::connectors::http_connector {
namespace {

using boost::asio::awaitable;
template <class T>
using Either = std::variant<T, Outcome>;
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string Str(const Map& m, std::string_view key) {
  const Value* v = m.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::string Unescape(std::string token) {
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
      out += token[i + 1] == '0' ? '~' : '/';
      ++i;
    } else {
      out += token[i];
    }
  }
  return out;
}

std::string QueryString(const Map& query) {
  std::string out;
  auto add = [&](const std::string& k, const Value& v) {
    out += out.empty() ? "" : "&";
    out += UrlEncode(k) + "=" + UrlEncode(v.ToText());
  };
  for (const auto& [k, v] : query) {
    if (v.IsList()) {
      for (const Value& item : v.AsList()) add(k, item);
    } else {
      add(k, v);
    }
  }
  return out;
}

bool Expected(int status, const Value* expect) {
  if (expect == nullptr || !expect->IsList() || expect->AsList().empty()) return IsSuccess(status);
  const List& l = expect->AsList();
  return std::any_of(l.begin(), l.end(), [&](const Value& v) { return v.IsInt() && v.AsInt() == status; });
}

// A status the call did not expect: with `expect` the message says what was expected ("status 200
// is not in expect [204, 404]"); the class (retry on 429/503, else permanent) stays the table's.
Outcome NotExpected(const http::HttpResponse& res, const Value* expect, const std::string& what,
                    const Redactor& redactor) {
  Outcome o = FromHttpStatus(res, what, "", "", redactor);
  if (expect == nullptr || !expect->IsList() || expect->AsList().empty()) return o;
  std::string list;
  for (const Value& v : expect->AsList()) list += (list.empty() ? "" : ", ") + v.ToJson();
  const std::string message =
      redactor.Redact(what + ": status " + std::to_string(res.status) + " is not in expect [" + list + "]");
  if (auto* failed = std::get_if<Failed>(&o)) failed->failure.message = message;
  if (auto* later = std::get_if<RetryLater>(&o)) later->failure.message = message;
  return o;
}

Value ResultOf(int status, Value body) { return MakeMap({{"status", status}, {"body", std::move(body)}}); }

class HttpConnector final : public Connector {
 public:
  HttpConnector(HttpConnectorConfig config, http::HttpTransport& transport, Redactor& redactor, SecretResolver& secrets)
      : config_(std::move(config)), transport_(transport), redactor_(redactor), secrets_(secrets) {}

  awaitable<Outcome> Invoke(const Action& action, const Context& ctx) override {
    if (action.name != "request") {
      co_return RedactOutcome(Fail(FailureClass::kPermanent, "http: unknown action '" + action.name + "'"), redactor_);
    }
    std::string what = "http request";
    awaitable<Outcome> op = Request(action.args, action.literal, ctx);
    co_return co_await Guarded(std::move(op), std::move(what), redactor_);
  }

 private:
  // A credential argument: references resolved only in the author's literal text (`literal`, the
  // same field of the unrendered `with:`); whatever it ends up as is registered for redaction.
  Result<std::string> Secret(const Value* v, const workflows::YamlNode* literal, std::string_view where) {
    if (v == nullptr || !v->IsString()) return Error::InvalidArgument(std::string(where) + " must be a string");
    auto s = ResolveLiteralSecrets(*v, literal, where, secrets_, redactor_);
    if (s) redactor_.Add(*s);  // literal credentials are secrets too
    return s;
  }

  // The Authorization (or custom) header from the `auth` argument, else the connection token.
  Result<std::optional<std::pair<std::string, std::string>>> AuthHeader(const Map& args,
                                                                       const workflows::YamlNode* literal) {
    using Header = std::optional<std::pair<std::string, std::string>>;
    const Value* auth = args.Find("auth");
    if (auth == nullptr || !auth->IsMap()) {
      if (config_.token.empty()) return Header();
      return Header(std::pair<std::string, std::string>("Authorization", "Bearer " + config_.token));
    }
    const Map& a = auth->AsMap();
    if (const Value* bearer = a.Find("bearer")) {
      auto s = Secret(bearer, LiteralAt(literal, {"auth", "bearer"}), "auth.bearer");
      if (!s) return s.error();
      return Header(std::pair<std::string, std::string>("Authorization", "Bearer " + *s));
    }
    if (const Value* basic = a.Find("basic"); basic != nullptr && basic->IsMap()) {
      auto user = Secret(basic->AsMap().Find("username"), LiteralAt(literal, {"auth", "basic", "username"}),
                         "auth.basic.username");
      auto pass = Secret(basic->AsMap().Find("password"), LiteralAt(literal, {"auth", "basic", "password"}),
                         "auth.basic.password");
      if (!user) return user.error();
      if (!pass) return pass.error();
      std::string token = Base64(*user + ":" + *pass);
      redactor_.Add(token);
      return Header(std::pair<std::string, std::string>("Authorization", "Basic " + token));
    }
    if (const Value* name = a.Find("header"); name != nullptr && name->IsString()) {
      auto s = Secret(a.Find("value"), LiteralAt(literal, {"auth", "value"}), "auth.value");
      if (!s) return s.error();
      return Header(std::pair<std::string, std::string>(name->AsString(), *s));
    }
    return Error::InvalidArgument("auth must be {bearer: ..}, {basic: {username, password}} or {header, value}");
  }

  Result<http::HttpRequest> Build(const Map& args, const workflows::YamlNode* literal, const Context& ctx) {
    http::HttpRequest req;
    req.method = Str(args, "method");
    std::transform(req.method.begin(), req.method.end(), req.method.begin(), ::toupper);
    static constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"};
    if (std::find(std::begin(kMethods), std::end(kMethods), req.method) == std::end(kMethods)) {
      return Error::InvalidArgument("method must be GET, HEAD, POST, PUT, PATCH or DELETE");
    }
    std::string url = Str(args, "url");
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      if (config_.base_url.empty()) return Error::InvalidArgument("url is relative and the connection has no base_url");
      url = config_.base_url + (url.rfind('/', 0) == 0 ? "" : "/") + url;
    }
    if (url.find_first_of(" \r\n\t") != std::string::npos) return Error::InvalidArgument("url contains whitespace");
    if (const Value* q = args.Find("query"); q != nullptr && q->IsMap() && !q->AsMap().empty()) {
      // Two appends, not `url += "?" + QueryString(...)`: GCC 12 at -O3 reports that prepend to a
      // temporary as an overlapping memcpy (-Wrestrict), a false positive (GCC PR 105329).
      url += url.find('?') == std::string::npos ? '?' : '&';
      url += QueryString(q->AsMap());
    }
    req.url = std::move(url);
    req.timeout = TimeLeft(ctx);
    req.ca_file = config_.ca_file;
    req.headers.emplace_back("Accept", "application/json");
    // The connection's headers were resolved when it was created (never twice: a secret's value
    // is not a reference); a task's, only where the author wrote them as text.
    for (const auto& [k, v] : config_.headers) req.headers.emplace_back(k, v.ToText());
    if (const Value* headers = args.Find("headers"); headers != nullptr && headers->IsMap()) {
      for (const auto& [k, v] : headers->AsMap()) {
        auto value = ResolveLiteralSecrets(v, LiteralAt(literal, {"headers", k}), "header " + k, secrets_, redactor_);
        if (!value) return value.error();
        req.headers.emplace_back(k, std::move(*value));
      }
    }
    auto auth = AuthHeader(args, literal);
    if (!auth) return auth.error();
    if (*auth) req.headers.push_back(**auth);
    if (req.method != "GET" && req.method != "HEAD" && !config_.idempotency_header.empty() &&
        !ctx.idempotency_key.empty()) {
      req.headers.emplace_back(config_.idempotency_header, ctx.idempotency_key);
    }
    if (const Value* json = args.Find("json")) {
      req.headers.emplace_back("Content-Type", "application/json");
      req.body = json->ToJson();
    }
    for (const auto& [k, v] : req.headers) {
      if (HasLineBreak(k) || HasLineBreak(v) || k.empty()) {
        return Error::InvalidArgument("header '" + k + "' contains a line break (refused)");
      }
    }
    return req;
  }

  awaitable<Outcome> Request(const Map& args, const workflows::YamlNode* literal, const Context& ctx) {
    auto req = Build(args, literal, ctx);
    if (!req) co_return Fail(FailureClass::kPermanent, "http request: " + req.error().message);
    std::string what = "http " + req->method + " " + req->url.substr(0, req->url.find('?'));
    const bool effectful = req->method != "GET" && req->method != "HEAD";
    auto result = co_await transport_.Send(std::move(*req));
    if (!result) co_return FromTransportError(result.error(), effectful, what, redactor_);
    const http::HttpResponse& res = *result;
    if (!Expected(res.status, args.Find("expect"))) co_return NotExpected(res, args.Find("expect"), what, redactor_);
    std::optional<Value> json = ParseJsonBody(res.body);
    Value out = ResultOf(res.status, json ? *json : Value(Excerpt(res.body, 64 * 1024)));
    const Value* capture = args.Find("capture");
    if (capture == nullptr || !capture->IsMap()) co_return Succeeded{std::move(out)};
    for (const auto& [field, pointer] : capture->AsMap()) {
      const Value* found = json && pointer.IsString() ? JsonPointer(*json, pointer.AsString()) : nullptr;
      if (found == nullptr) {
        co_return Fail(FailureClass::kPermanent,
                       what + ": capture '" + field + "': nothing at " + pointer.ToText() +
                           (json ? "" : " (the response is not JSON)"),
                       res.status);
      }
      out.AsMap().Set(field, *found);
    }
    co_return Succeeded{std::move(out)};
  }

  HttpConnectorConfig config_;
  http::HttpTransport& transport_;
  Redactor& redactor_;
  SecretResolver& secrets_;
};

}  // namespace

const Value* JsonPointer(const Value& v, std::string_view pointer) {
  const Value* at = &v;
  if (pointer.empty()) return at;
  if (pointer[0] != '/') return nullptr;
  std::size_t pos = 1;
  while (at != nullptr) {
    std::size_t end = pointer.find('/', pos);
    std::string token = Unescape(std::string(pointer.substr(pos, end == std::string_view::npos ? end : end - pos)));
    if (at->IsMap()) {
      at = at->AsMap().Find(token);
    } else if (at->IsList()) {
      const bool digits = !token.empty() && std::all_of(token.begin(), token.end(), ::isdigit) &&
                          (token.size() == 1 || token[0] != '0');
      std::size_t i = digits && token.size() < 10 ? std::stoul(token) : at->AsList().size();
      at = i < at->AsList().size() ? &at->AsList()[i] : nullptr;
    } else {
      return nullptr;
    }
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return at;
}

Result<HttpConnectorConfig> ParseHttpConnectorConfig(const Map& config) {
  HttpConnectorConfig c;
  c.base_url = Str(config, "base_url");
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  c.token = Str(config, "token");
  c.ca_file = Str(config, "ca_file");
  if (const Value* h = config.Find("headers")) {
    if (!h->IsMap()) return Error::InvalidArgument("http: headers must be a mapping");
    c.headers = h->AsMap();
  }
  if (const Value* i = config.Find("idempotency_header")) {
    if (i->IsNull()) {
      c.idempotency_header.clear();
    } else if (i->IsString() && !HasLineBreak(i->AsString())) {
      c.idempotency_header = i->AsString();
    } else {
      return Error::InvalidArgument("http: idempotency_header must be a header name or \"\"");
    }
  }
  return c;
}

std::unique_ptr<Connector> MakeHttpConnector(HttpConnectorConfig config, http::HttpTransport& transport,
                                             Redactor& redactor, SecretResolver& secrets) {
  return std::make_unique<HttpConnector>(std::move(config), transport, redactor, secrets);
}

}  // namespace tenure::connectors::http_connector
