// The google connector's configuration, authentication (RFC 7523 JWT bearer grant), requests and
// error mapping, and its entry point.
#include <chrono>

#include "connectors/google/google_connector.h"
#include "connectors/http/classify.h"
#include "connectors/http_support.h"
#include "workflows/loader.h"

namespace tenure::connectors::google {
namespace {

using boost::asio::awaitable;

constexpr const char* kDirectoryScopes =
    "https://www.googleapis.com/auth/admin.directory.user "
    "https://www.googleapis.com/auth/admin.directory.user.security "
    "https://www.googleapis.com/auth/admin.directory.group "
    "https://www.googleapis.com/auth/admin.datatransfer";
constexpr const char* kGmailScopes =
    "https://www.googleapis.com/auth/gmail.settings.basic https://www.googleapis.com/auth/gmail.settings.sharing";
constexpr const char* kJwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer";

bool IsHttpUrl(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Outside the coroutines (GCC 12 and braced lists of literals).
Map Claims(const GoogleConfig& c, const std::string& sub, const std::string& scopes) {
  const std::int64_t now = oauth::UnixSeconds(std::chrono::system_clock::now());
  Map claims;
  claims.Set("iss", c.client_email);
  claims.Set("scope", scopes);
  claims.Set("aud", c.token_uri);
  claims.Set("iat", now);
  claims.Set("exp", now + 3600);
  if (!sub.empty()) claims.Set("sub", sub);
  return claims;
}

std::vector<std::pair<std::string, std::string>> BearerGrant(std::string assertion) {
  return {{"grant_type", kJwtBearer}, {"assertion", std::move(assertion)}};
}

}  // namespace

std::string Str(const Map& m, std::string_view key) {
  const Value* v = m.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

bool BoolAt(const Map& m, std::string_view key) {
  const Value* v = m.Find(key);
  return v != nullptr && v->IsBool() && v->AsBool();
}

Value UserResult(const Map& user) {
  Map out;
  out.Set("id", Str(user, "id"));
  out.Set("primaryEmail", Str(user, "primaryEmail"));
  out.Set("suspended", BoolAt(user, "suspended"));
  out.Set("orgUnitPath", Str(user, "orgUnitPath"));
  out.Set("user", user);
  return out;
}

Result<GoogleConfig> ParseGoogleConfig(const Map& config) {
  GoogleConfig c;
  const std::string credentials = oauth::StringArg(config, "credentials");
  if (credentials.empty()) {
    return Error::InvalidArgument(
        "google: `credentials` (the service-account JSON key, e.g. \"${file:/etc/tenure/google-key.json}\") is "
        "required");
  }
  auto key = ParseJsonBody(credentials);
  if (!key || !key->IsMap()) return Error::InvalidArgument("google: `credentials` is not a JSON service-account key");
  c.client_email = Str(key->AsMap(), "client_email");
  c.private_key = Str(key->AsMap(), "private_key");
  c.token_uri = Str(key->AsMap(), "token_uri");
  if (c.client_email.empty() || c.private_key.find("PRIVATE KEY-----") == std::string::npos) {
    return Error::InvalidArgument(
        "google: `credentials` is not a service-account key (it needs client_email and a PEM private_key)");
  }
  if (const std::string t = oauth::StringArg(config, "token_uri"); !t.empty()) c.token_uri = t;
  if (c.token_uri.empty()) c.token_uri = "https://oauth2.googleapis.com/token";
  if (!IsHttpUrl(c.token_uri)) return Error::InvalidArgument("google: token_uri must be an http:// or https:// URL");
  c.subject = oauth::StringArg(config, "subject");
  if (c.subject.empty()) {
    return Error::InvalidArgument("google: `subject` (the admin the service account acts as) is required");
  }
  if (const std::string v = oauth::StringArg(config, "customer"); !v.empty()) c.customer = v;
  for (auto [key_name, field] : {std::pair{"base_url", &c.directory_url}, std::pair{"gmail_url", &c.gmail_url}}) {
    const std::string v = oauth::StringArg(config, key_name);
    if (v.empty()) continue;
    if (!IsHttpUrl(v)) return Error::InvalidArgument(std::string("google: ") + key_name + " must be an http:// or https:// URL");
    *field = TrimSlash(v);
  }
  c.ca_file = oauth::StringArg(config, "ca_file");
  if (const Value* w = config.Find("transfer_wait")) {
    auto d = w->IsString() ? workflows::ParseDuration(w->AsString()) : Result<workflows::Duration>(Error::InvalidArgument(""));
    if (!d || d->count() < 0 || *d > std::chrono::hours(1)) {
      return Error::InvalidArgument("google: transfer_wait must be a duration between 0s and 1h, such as 60s");
    }
    c.transfer_wait = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  }
  return c;
}

std::unique_ptr<Connector> MakeGoogleConnector(GoogleConfig config, http::HttpTransport& transport,
                                               SecretResolver& secrets, Redactor& redactor) {
  redactor.Add(config.private_key);
  return std::make_unique<GoogleConnector>(std::move(config), transport, secrets, redactor);
}

awaitable<Outcome> GoogleConnector::Invoke(const Action& action, const Context& ctx) {
  std::string what = "google " + action.name;
  awaitable<Outcome> op = Dispatch(action, ctx);
  co_return co_await Guarded(std::move(op), std::move(what), redactor_);
}

awaitable<Outcome> GoogleConnector::Dispatch(const Action& action, const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  if (n == "ensure_user") co_return co_await EnsureUser(action, ctx);
  if (n == "get_user") co_return co_await GetUser(a, ctx);
  if (n == "update_user") co_return co_await UpdateUser(a, ctx);
  if (n == "suspend_user") co_return co_await SetSuspended(a, true, ctx);
  if (n == "unsuspend_user") co_return co_await SetSuspended(a, false, ctx);
  if (n == "sign_out") co_return co_await SignOut(a, ctx);
  if (n == "reset_password") co_return co_await ResetPassword(action, ctx);
  if (n == "move_to_org_unit") co_return co_await MoveToOrgUnit(a, ctx);
  if (n == "add_to_group") co_return co_await AddToGroup(a, ctx);
  if (n == "remove_from_group") co_return co_await RemoveFromGroup(a, ctx);
  if (n == "remove_from_all_groups") co_return co_await RemoveFromAllGroups(a, ctx);
  if (n == "add_alias") co_return co_await AddAlias(a, ctx);
  if (n == "remove_alias") co_return co_await RemoveAlias(a, ctx);
  if (n == "set_forwarding") co_return co_await SetForwarding(a, ctx);
  if (n == "set_out_of_office") co_return co_await SetOutOfOffice(a, ctx);
  if (n == "transfer_data") co_return co_await TransferData(a, ctx);
  if (n == "delete_user") co_return co_await DeleteUser(a, ctx);
  if (n == "list_users") co_return co_await ListUsers(ctx);
  co_return Fail(FailureClass::kPermanent, "google: unknown action '" + n + "'");
}

awaitable<Either<std::string>> GoogleConnector::AccessToken(std::string sub, std::string scopes, const Context& ctx) {
  const std::string key = sub + "\n" + scopes;
  if (auto cached = tokens_.Get(key, std::chrono::steady_clock::now())) co_return *cached;
  auto jwt = oauth::MakeJwt(Map{}, Claims(config_, sub, scopes), config_.private_key);
  if (!jwt) co_return Fail(FailureClass::kPermanent, "google: cannot sign the token request: " + jwt.error().message);
  auto token = co_await oauth::RequestToken(transport_, redactor_, config_.token_uri, BearerGrant(std::move(*jwt)),
                                            config_.ca_file, "google token request for " + sub, ctx);
  if (auto* o = std::get_if<Outcome>(&token)) co_return std::move(*o);
  oauth::Token& t = std::get<oauth::Token>(token);
  tokens_.Put(key, t.access_token, t.lifetime, std::chrono::steady_clock::now());
  co_return std::move(t.access_token);
}

awaitable<Either<Reply>> GoogleConnector::Call(std::string method, std::string url, std::optional<Value> body,
                                               std::string sub, std::string scopes, const Context& ctx) {
  const std::string what = "google " + method + " " + url;
  for (int attempt = 0;; ++attempt) {
    auto token = co_await AccessToken(sub, scopes, ctx);
    if (auto* o = std::get_if<Outcome>(&token)) co_return std::move(*o);
    oauth::JsonRequest req;
    req.method = method;
    req.url = url;
    req.bearer = std::get<std::string>(token);
    req.body = body ? &*body : nullptr;
    req.ca_file = config_.ca_file;
    auto reply = co_await oauth::SendJson(transport_, redactor_, std::move(req), what, ctx);
    if (auto* r = std::get_if<Reply>(&reply); r != nullptr && r->status == 401 && attempt == 0) {
      tokens_.Drop(sub + "\n" + scopes);  // revoked or expired early: one fresh token
      continue;
    }
    co_return reply;
  }
}

awaitable<Either<Reply>> GoogleConnector::Admin(std::string method, std::string path, std::optional<Value> body,
                                                const Context& ctx) {
  co_return co_await Call(std::move(method), config_.directory_url + path, std::move(body), config_.subject,
                          kDirectoryScopes, ctx);
}

awaitable<Either<Reply>> GoogleConnector::Gmail(std::string user, std::string method, std::string path,
                                                std::optional<Value> body, const Context& ctx) {
  std::string url = config_.gmail_url + "/gmail/v1/users/" + oauth::PathSegment(user) + "/settings" + path;
  co_return co_await Call(std::move(method), std::move(url), std::move(body), user, kGmailScopes, ctx);
}

Outcome GoogleConnector::ErrorOutcome(const Reply& reply, std::string_view what) const {
  std::string message;
  std::string reason;
  if (reply.body.IsMap()) {
    if (const Value* e = reply.body.AsMap().Find("error"); e != nullptr && e->IsMap()) {
      message = Str(e->AsMap(), "message");
      if (const Value* errors = e->AsMap().Find("errors"); errors != nullptr && errors->IsList()) {
        for (const Value& item : errors->AsList()) {
          if (item.IsMap() && reason.empty()) reason = Str(item.AsMap(), "reason");
        }
      }
      if (reason.empty()) reason = Str(e->AsMap(), "status");
    }
  } else if (!reply.response.body.empty()) {
    message = "non-JSON response: " + Excerpt(reply.response.body, 120);
  }
  if (reply.status == 403 &&
      (reason == "userRateLimitExceeded" || reason == "rateLimitExceeded" || reason == "quotaExceeded")) {
    const auto after = http::ParseRetryAfter(reply.response.Header("Retry-After"), std::chrono::system_clock::now());
    Failure f{FailureClass::kThrottled,
              redactor_.Redact(std::string(what) + ": HTTP 403 " + reason + ": " + Excerpt(message, 300)), 403, reason};
    return RetryLater{after, std::move(f)};
  }
  return FromHttpStatus(reply.response, what, message, reason, redactor_);
}

}  // namespace tenure::connectors::google
