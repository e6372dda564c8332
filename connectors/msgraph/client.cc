// The msgraph connector's configuration, client-credentials auth, requests, errors, pagination
// and entry point.
#include <openssl/rand.h>

#include "connectors/http_support.h"
#include "connectors/msgraph/graph_connector.h"

namespace tenure::connectors::msgraph {
namespace {

using boost::asio::awaitable;

constexpr int kMaxPages = 1000;
constexpr std::size_t kMaxItems = 100'000;

bool IsHttpUrl(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// "https://graph.microsoft.com" from "https://graph.microsoft.com/v1.0".
std::string Origin(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto path = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

std::string RandomId() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "tenure";
  return oauth::Base64Url(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

// The client assertion for the certificate credential (Microsoft identity platform).
Result<std::string> ClientAssertion(const GraphConfig& c) {
  auto thumbprint = oauth::CertificateThumbprint(c.certificate);
  if (!thumbprint) return thumbprint.error();
  Map header;
  header.Set("x5t", oauth::Base64Url(*thumbprint));
  const std::int64_t now = oauth::UnixSeconds(std::chrono::system_clock::now());
  Map claims;
  claims.Set("aud", c.token_url);
  claims.Set("iss", c.client_id);
  claims.Set("sub", c.client_id);
  claims.Set("jti", RandomId());
  claims.Set("nbf", now);
  claims.Set("iat", now);
  claims.Set("exp", now + 600);
  return oauth::MakeJwt(std::move(header), claims, c.private_key);
}

Result<std::vector<std::pair<std::string, std::string>>> TokenForm(const GraphConfig& c) {
  std::vector<std::pair<std::string, std::string>> form = {
      {"client_id", c.client_id}, {"scope", c.scope}, {"grant_type", "client_credentials"}};
  if (!c.client_secret.empty()) {
    form.emplace_back("client_secret", c.client_secret);
    return form;
  }
  auto assertion = ClientAssertion(c);
  if (!assertion) return assertion.error();
  form.emplace_back("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  form.emplace_back("client_assertion", std::move(*assertion));
  return form;
}

// Built outside the coroutines: GCC 12 miscompiles braced lists of string literals inside them.
Value EnabledState(const Map& user, bool enabled) {
  return MakeMap({{"id", Str(user, "id")}, {"userPrincipalName", Str(user, "userPrincipalName")}, {"accountEnabled", enabled}});
}

Value EnabledObservation(bool enabled) {
  return MakeMap({{"expected", Value(MakeMap({{"accountEnabled", false}}))},
                  {"seen", Value(MakeMap({{"accountEnabled", enabled}}))}});
}

}  // namespace

std::string Str(const Map& m, std::string_view key) {
  const Value* v = m.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

Value UserResult(const Map& user) {
  Map out;
  out.Set("id", Str(user, "id"));
  out.Set("userPrincipalName", Str(user, "userPrincipalName"));
  out.Set("displayName", Str(user, "displayName"));
  const Value* enabled = user.Find("accountEnabled");
  out.Set("accountEnabled", enabled == nullptr || !enabled->IsBool() || enabled->AsBool());
  out.Set("mail", Str(user, "mail"));
  out.Set("user", user);
  return out;
}

Result<GraphConfig> ParseGraphConfig(const Map& config) {
  GraphConfig c;
  c.tenant_id = oauth::StringArg(config, "tenant_id");
  c.client_id = oauth::StringArg(config, "client_id");
  if (c.tenant_id.empty()) return Error::InvalidArgument("msgraph: `tenant_id` (the directory id or domain) is required");
  if (c.client_id.empty()) return Error::InvalidArgument("msgraph: `client_id` (the application id) is required");
  c.client_secret = oauth::StringArg(config, "client_secret");
  c.certificate = oauth::StringArg(config, "certificate");
  c.private_key = oauth::StringArg(config, "private_key");
  if (c.client_secret.empty() == c.certificate.empty()) {
    return Error::InvalidArgument(
        "msgraph: give either `client_secret` or `certificate` with `private_key` (secret references)");
  }
  if (!c.certificate.empty()) {
    if (!oauth::CertificateThumbprint(c.certificate)) {
      return Error::InvalidArgument("msgraph: `certificate` is not a PEM X.509 certificate");
    }
    if (c.private_key.find("PRIVATE KEY-----") == std::string::npos) {
      return Error::InvalidArgument("msgraph: `private_key` (PEM, the certificate's key) is required with `certificate`");
    }
  }
  for (auto [key, field] : {std::pair{"authority", &c.authority}, std::pair{"graph_base", &c.graph_base}}) {
    const std::string v = oauth::StringArg(config, key);
    if (v.empty()) continue;
    if (!IsHttpUrl(v)) return Error::InvalidArgument(std::string("msgraph: ") + key + " must be an http:// or https:// URL");
    *field = TrimSlash(v);
  }
  c.token_url = c.authority + "/" + oauth::PathSegment(c.tenant_id) + "/oauth2/v2.0/token";
  c.scope = Origin(c.graph_base) + "/.default";
  c.ca_file = oauth::StringArg(config, "ca_file");
  return c;
}

std::unique_ptr<Connector> MakeGraphConnector(GraphConfig config, http::HttpTransport& transport,
                                              SecretResolver& secrets, Redactor& redactor) {
  redactor.Add(config.client_secret);
  redactor.Add(config.private_key);
  return std::make_unique<GraphConnector>(std::move(config), transport, secrets, redactor);
}

awaitable<Outcome> GraphConnector::Invoke(const Action& action, const Context& ctx) {
  std::string what = "msgraph " + action.name;
  awaitable<Outcome> op = Dispatch(action, ctx);
  co_return co_await Guarded(std::move(op), std::move(what), redactor_);
}

awaitable<Outcome> GraphConnector::Observe(Probe probe, const Action& action, const Value& result,
                                           const Context& ctx) {
  std::string what = std::string("msgraph ") + (probe == Probe::kPreState ? "pre-state of " : "read-back of ") + action.name;
  awaitable<Outcome> op = action.name == "disable_user" ? ObserveEnabled(probe, action, result, ctx)
                                                        : ObserveRemoval(probe, action, result, ctx);
  co_return co_await Guarded(std::move(op), std::move(what), redactor_);
}

awaitable<Outcome> GraphConnector::ObserveEnabled(Probe probe, const Action& action, const Value& result,
                                                  const Context& ctx) {
  if (action.name != "disable_user") co_return co_await Connector::Observe(probe, action, result, ctx);
  // The user the action acted on: its result's id, else the argument (an id or a UPN).
  const Value* acted = probe == Probe::kReadBack && result.IsMap() ? result.AsMap().Find("id") : nullptr;
  std::string key = acted != nullptr && acted->IsString() ? acted->AsString() : Str(action.args, "user");
  auto user = co_await ReadUser(std::move(key), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const Map& u = std::get<Map>(user);
  const Value* now = u.Find("accountEnabled");
  const bool enabled = now == nullptr || !now->IsBool() || now->AsBool();
  if (probe == Probe::kPreState) co_return Succeeded{EnabledState(u, enabled)};
  co_return Succeeded{EnabledObservation(enabled)};
}

awaitable<Outcome> GraphConnector::Dispatch(const Action& action, const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  if (n == "ensure_user") co_return co_await EnsureUser(action, ctx);
  if (n == "get_user") co_return co_await GetUser(a, ctx);
  if (n == "update_user") co_return co_await UpdateUser(a, ctx);
  if (n == "disable_user") co_return co_await SetEnabled(a, false, ctx);
  if (n == "enable_user") co_return co_await SetEnabled(a, true, ctx);
  if (n == "revoke_sessions") co_return co_await RevokeSessions(a, ctx);
  if (n == "reset_password") co_return co_await ResetPassword(action, ctx);
  if (n == "delete_user") co_return co_await DeleteUser(a, ctx);
  if (n == "restore_user") co_return co_await RestoreUser(a, ctx);
  if (n == "add_to_group") co_return co_await AddToGroup(a, ctx);
  if (n == "remove_from_group") co_return co_await RemoveFromGroup(a, ctx);
  if (n == "remove_from_all_groups") co_return co_await RemoveFromAllGroups(a, ctx);
  if (n == "assign_license") co_return co_await AssignLicense(a, ctx);
  if (n == "remove_licenses") co_return co_await RemoveLicenses(a, ctx);
  if (n == "set_forwarding") co_return co_await SetForwarding(a, ctx);
  if (n == "set_automatic_replies") co_return co_await SetAutomaticReplies(a, ctx);
  if (n == "get_manager") co_return co_await GetManager(a, ctx);
  if (n == "list_users") co_return co_await ListUsers(ctx);
  co_return Fail(FailureClass::kPermanent, "msgraph: unknown action '" + n + "'");
}

awaitable<Either<std::string>> GraphConnector::AccessToken(const Context& ctx) {
  if (auto cached = tokens_.Get("app", std::chrono::steady_clock::now())) co_return *cached;
  auto form = TokenForm(config_);
  if (!form) co_return Fail(FailureClass::kPermanent, "msgraph: cannot build the token request: " + form.error().message);
  auto token = co_await oauth::RequestToken(transport_, redactor_, config_.token_url, std::move(*form), config_.ca_file,
                                            "msgraph token request", ctx);
  if (auto* o = std::get_if<Outcome>(&token)) co_return std::move(*o);
  oauth::Token& t = std::get<oauth::Token>(token);
  tokens_.Put("app", t.access_token, t.lifetime, std::chrono::steady_clock::now());
  co_return std::move(t.access_token);
}

awaitable<Either<Reply>> GraphConnector::Call(std::string method, std::string path, std::optional<Value> body,
                                              const Context& ctx) {
  std::string url = IsHttpUrl(path) ? path : config_.graph_base + path;
  if (!url.starts_with(config_.graph_base + "/")) {
    co_return Fail(FailureClass::kPermanent, "msgraph: refusing to follow a link outside graph_base: " + Excerpt(url, 200));
  }
  const std::string what = "msgraph " + method + " " + url.substr(config_.graph_base.size());
  for (int attempt = 0;; ++attempt) {
    auto token = co_await AccessToken(ctx);
    if (auto* o = std::get_if<Outcome>(&token)) co_return std::move(*o);
    oauth::JsonRequest req;
    req.method = method;
    req.url = url;
    req.bearer = std::get<std::string>(token);
    req.body = body ? &*body : nullptr;
    req.ca_file = config_.ca_file;
    auto reply = co_await oauth::SendJson(transport_, redactor_, std::move(req), what, ctx);
    if (auto* r = std::get_if<Reply>(&reply); r != nullptr && r->status == 401 && attempt == 0) {
      tokens_.Drop("app");
      continue;
    }
    co_return reply;
  }
}

Outcome GraphConnector::ErrorOutcome(const Reply& reply, std::string_view what) const {
  std::string message;
  std::string code;
  if (reply.body.IsMap()) {
    if (const Value* e = reply.body.AsMap().Find("error"); e != nullptr && e->IsMap()) {
      message = Str(e->AsMap(), "message");
      code = Str(e->AsMap(), "code");
    }
  } else if (!reply.response.body.empty()) {
    message = "non-JSON response: " + Excerpt(reply.response.body, 120);
  }
  return FromHttpStatus(reply.response, what, message, code, redactor_);
}

awaitable<Either<List>> GraphConnector::ListAll(std::string path, const Context& ctx) {
  List all;
  std::string next = std::move(path);
  for (int page = 0; !next.empty(); ++page) {
    if (page == kMaxPages || all.size() > kMaxItems) {
      co_return Fail(FailureClass::kPermanent, "msgraph: the listing did not end after " + std::to_string(page) + " pages");
    }
    auto r = co_await Call("GET", next, std::nullopt, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph GET " + next);
    if (!reply.body.IsMap()) co_return Fail(FailureClass::kPermanent, "msgraph GET: malformed collection", reply.status);
    if (const Value* items = reply.body.AsMap().Find("value"); items != nullptr && items->IsList()) {
      for (const Value& item : items->AsList()) all.push_back(item);
    }
    std::string link = Str(reply.body.AsMap(), "@odata.nextLink");
    if (link == next) co_return Fail(FailureClass::kPermanent, "msgraph: the same @odata.nextLink twice");
    next = std::move(link);
  }
  co_return all;
}

}  // namespace tenure::connectors::msgraph
