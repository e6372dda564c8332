#include "sandbox/google.h"

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <optional>

#include "connectors/oauth/jwt.h"
#include "sandbox/cloud_common.h"

namespace tenure::sandbox {
namespace {

namespace json = boost::json;
using cloud::Lower;
using cloud::Str;

constexpr std::string_view kDriveApp = "55656082996";

std::int64_t IntAt(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->get_int64() : 0;
}

bool BoolAt(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

Response NotFound(std::string_view what) { return GoogleService::Error(404, "Resource Not Found: " + std::string(what), "notFound", "NOT_FOUND"); }

json::object DemoUser(std::string id, std::string email, std::string given, std::string family, std::string ou, int files) {
  return {{"kind", "admin#directory#user"},
          {"id", id},
          {"primaryEmail", email},
          {"name", {{"givenName", given}, {"familyName", family}, {"fullName", given + " " + family}}},
          {"suspended", false},
          {"orgUnitPath", ou},
          {"aliases", json::array{}},
          {"_drive_files", files},
          {"_sign_outs", 0},
          {"_sessions", files > 20 ? 3 : 1},  // signed-in browsers and devices (demo people only)
          {"_password_changes", 0}};
}

json::object DemoGroup(std::string id, std::string email, std::string name, std::vector<std::string> members) {
  json::array m;
  for (auto& e : members) m.push_back({{"email", e}, {"role", "MEMBER"}, {"type", "USER"}, {"status", "ACTIVE"}});
  return {{"kind", "admin#directory#group"}, {"id", id}, {"email", email}, {"name", name}, {"members", std::move(m)}};
}

// The Directory API's paging as the sandbox does it: a "page-N" token continues at offset N.
// nullopt: a token the sandbox did not hand out.
std::optional<std::size_t> PageOffset(const std::string& token) {
  if (token.empty()) return 0;
  if (!token.starts_with("page-")) return std::nullopt;
  return static_cast<std::size_t>(std::atoll(token.c_str() + 5));
}

// Puts items[offset, offset + max) under `key` (absent when none) and a nextPageToken when more
// follow.
void PutPage(json::object& out, const char* key, json::array all, std::size_t offset, std::size_t max) {
  json::array page;
  for (std::size_t i = offset; i < all.size() && page.size() < max; ++i) page.push_back(std::move(all[i]));
  if (!page.empty()) out[key] = std::move(page);
  if (offset + max < all.size()) out["nextPageToken"] = "page-" + std::to_string(offset + max);
}

}  // namespace

Response GoogleService::Error(int code, std::string_view message, std::string_view reason, std::string_view status) {
  json::object error{{"code", code},
                     {"message", message},
                     {"errors", json::array{json::object{{"message", message}, {"domain", "global"}, {"reason", reason}}}},
                     {"status", status}};
  return JsonResponse(code, json::object{{"error", std::move(error)}}, "application/json; charset=UTF-8");
}

Response GoogleService::FaultResponse(int status, bool throttled) {
  if (throttled && status == 403) {
    return Error(403, "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' (sandbox)",
                 "userRateLimitExceeded", "PERMISSION_DENIED");
  }
  if (throttled) return Error(status, "Rate Limit Exceeded (sandbox)", "rateLimitExceeded", "RESOURCE_EXHAUSTED");
  return Error(status, "Backend Error (sandbox fault)", "backendError", "INTERNAL");
}

GoogleService::GoogleService(State& state, std::mt19937_64& rng, GoogleSandboxOptions options)
    : state_(state), rng_(rng), options_(std::move(options)) {
  if (options_.private_key_pem.empty()) {
    auto key = connectors::oauth::GenerateRsaKeyPem();
    if (key) options_.private_key_pem = std::move(*key);
  }
}

std::string GoogleService::ServiceAccountJson(const std::string& base_url) const {
  json::object key{{"type", "service_account"},
                   {"project_id", "tenure-sandbox"},
                   {"private_key_id", "sandbox-key-1"},
                   {"private_key", options_.private_key_pem},
                   {"client_email", options_.client_email},
                   {"client_id", "100000000000000000000"},
                   {"auth_uri", base_url + "/google/auth"},
                   {"token_uri", base_url + "/google/token"}};
  return json::serialize(key) + "\n";
}

json::array& GoogleService::Array(std::string_view key) {
  json::value& v = state_.google[key];
  if (!v.is_array()) v = json::array{};
  return v.get_array();
}

std::string GoogleService::NextId() {
  const std::int64_t n = IntAt(state_.google, "next_id") + 1;
  state_.google["next_id"] = n;
  char id[32];
  std::snprintf(id, sizeof id, "1%020lld", static_cast<long long>(n));
  return id;
}

void GoogleService::Tick() {
  if (options_.demo && !state_.google.contains("users")) {
    json::array users{DemoUser("100000000000000000001", "grace.hopper@example.com", "Grace", "Hopper", "/Engineering", 17),
                      DemoUser("100000000000000000002", "ada.lovelace@example.com", "Ada", "Lovelace", "/Engineering", 42)};
    const std::string ada = "ada.lovelace@example.com";
    const std::string grace = "grace.hopper@example.com";
    json::array groups{DemoGroup("200000000000000000001", "engineering@example.com", "Engineering", {ada, grace}),
                       DemoGroup("200000000000000000002", "all-staff@example.com", "All staff", {grace, ada}),
                       DemoGroup("200000000000000000003", "oncall@example.com", "On call", {ada}),
                       DemoGroup("200000000000000000004", "design-review@example.com", "Design review", {ada}),
                       DemoGroup("200000000000000000005", "london-office@example.com", "London office", {ada})};
    state_.google["users"] = std::move(users);
    state_.google["groups"] = std::move(groups);
    state_.google["next_id"] = 100;
  }
  const std::int64_t now = cloud::NowMs();
  for (auto& t : Array("transfers")) {
    json::object& transfer = t.as_object();
    if (Str(transfer, "overallTransferStatusCode") == "completed" || IntAt(transfer, "_due_ms") > now) continue;
    transfer["overallTransferStatusCode"] = "completed";
    for (auto& a : transfer["applicationDataTransfers"].as_array()) a.as_object()["applicationTransferStatus"] = "completed";
    bool drive = false;
    for (const auto& a : transfer["applicationDataTransfers"].as_array()) drive = drive || Str(a.as_object(), "applicationId") == kDriveApp;
    if (!drive) continue;
    json::object* from = FindUser(Str(transfer, "oldOwnerUserId"));
    json::object* to = FindUser(Str(transfer, "newOwnerUserId"));
    if (from == nullptr || to == nullptr) continue;
    (*to)["_drive_files"] = IntAt(*to, "_drive_files") + IntAt(*from, "_drive_files");
    (*from)["_drive_files"] = 0;
  }
}

json::object* GoogleService::FindUser(std::string_view key) {
  const std::string k = Lower(std::string(key));
  for (auto& u : Array("users")) {
    json::object& user = u.as_object();
    if (Str(user, "id") == key || Lower(Str(user, "primaryEmail")) == k) return &user;
    if (const auto* aliases = user.if_contains("aliases"); aliases != nullptr && aliases->is_array()) {
      for (const auto& a : aliases->get_array()) {
        if (a.is_string() && Lower(std::string(a.get_string())) == k) return &user;
      }
    }
  }
  return nullptr;
}

json::object* GoogleService::FindGroup(std::string_view key) {
  const std::string k = Lower(std::string(key));
  for (auto& g : Array("groups")) {
    if (Str(g.as_object(), "id") == key || Lower(Str(g.as_object(), "email")) == k) return &g.as_object();
  }
  return nullptr;
}

json::object GoogleService::ApiUser(const json::object& user) const {
  json::object out;
  for (const auto& kv : user) {
    if (!kv.key().starts_with("_")) out[kv.key()] = kv.value();
  }
  return out;
}

Response GoogleService::Handle(const Request& req, const std::string& base_url) {
  std::vector<std::string> seg = cloud::Segments(req.raw_path, "/google");
  if (seg.size() == 1 && seg[0] == "token" && req.method == "POST") return Token(req, base_url);
  auto token = tokens_.find(cloud::Bearer(req));
  if (token == tokens_.end() || token->second.expires_ms <= cloud::NowMs()) {
    return Error(401, "Request had invalid authentication credentials. Expected OAuth 2 access token.", "authError",
                 "UNAUTHENTICATED");
  }
  if (seg.size() >= 3 && seg[0] == "admin" && seg[1] == "directory" && seg[2] == "v1") {
    if (token->second.scope.find("admin.directory") == std::string::npos) {
      return Error(403, "Request had insufficient authentication scopes.", "insufficientPermissions", "PERMISSION_DENIED");
    }
    seg.erase(seg.begin(), seg.begin() + 3);
    if (!seg.empty() && seg[0] == "users") return Users(req, seg);
    if (!seg.empty() && seg[0] == "groups") return Groups(req, seg);
  }
  if (seg.size() >= 4 && seg[0] == "admin" && seg[1] == "datatransfer" && seg[2] == "v1" && seg[3] == "transfers") {
    seg.erase(seg.begin(), seg.begin() + 3);
    return Transfers(req, seg);
  }
  if (seg.size() >= 5 && seg[0] == "gmail" && seg[1] == "v1" && seg[2] == "users" && seg[4] == "settings") {
    return Gmail(req, seg, token->second.subject);
  }
  return NotFound(req.path);
}

Response GoogleService::Token(const Request& req, const std::string& base_url) {
  auto invalid = [](std::string_view why) {
    return JsonResponse(400, json::object{{"error", "invalid_grant"}, {"error_description", why}});
  };
  auto form = cloud::Form(req);
  if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    return JsonResponse(400, json::object{{"error", "unsupported_grant_type"}, {"error_description", "Invalid grant_type"}});
  }
  auto jwt = connectors::oauth::ParseJwt(form["assertion"]);
  if (!jwt) return invalid("Invalid JWT: " + jwt.error().message);
  const Value* alg = jwt->header.Find("alg");
  if (alg == nullptr || !alg->IsString() || alg->AsString() != "RS256") return invalid("Invalid JWT: alg must be RS256");
  if (!connectors::oauth::VerifyRs256(options_.private_key_pem, jwt->signing_input, jwt->signature)) {
    return invalid("Invalid JWT Signature.");
  }
  auto claim = [&](std::string_view k) {
    const Value* v = jwt->claims.Find(k);
    return v != nullptr && v->IsString() ? v->AsString() : std::string();
  };
  auto seconds = [&](std::string_view k) {
    const Value* v = jwt->claims.Find(k);
    return v != nullptr && v->IsInt() ? v->AsInt() : std::int64_t{0};
  };
  if (claim("iss") != options_.client_email) return invalid("Invalid JWT: unknown issuer");
  if (claim("aud") != base_url + "/google/token" && !claim("aud").ends_with("/google/token")) {
    return invalid("Invalid JWT: audience must be the token_uri");
  }
  const std::int64_t now = cloud::NowMs() / 1000;
  if (seconds("exp") <= now || seconds("iat") > now + 60 || seconds("exp") - seconds("iat") > 3600) {
    return invalid("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.");
  }
  if (claim("scope").empty()) return invalid("Invalid JWT: no scope");
  std::string sub = claim("sub");
  if (!sub.empty() && FindUser(sub) == nullptr) {
    return JsonResponse(401, json::object{{"error", "unauthorized_client"},
                                          {"error_description", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."}});
  }
  const std::string access = "ya29.sandbox-" + cloud::RandomHex(rng_, 32);
  tokens_[access] = TokenInfo{sub, claim("scope"), cloud::NowMs() + options_.token_lifetime_s * 1000LL};
  return JsonResponse(200, json::object{{"access_token", access}, {"expires_in", options_.token_lifetime_s}, {"token_type", "Bearer"}});
}

Response GoogleService::Users(const Request& req, const std::vector<std::string>& seg) {
  bool ok = true;
  json::object body = cloud::BodyObject(req, &ok);
  if (!ok) return Error(400, "Invalid JSON payload received.", "parseError", "INVALID_ARGUMENT");
  if (seg.size() == 1 && req.method == "GET") {
    // users.list: customer (my_customer) or domain is required; maxResults 1..500 (default 100).
    if (req.Query("customer").empty() && req.Query("domain").empty()) {
      return Error(400, "Bad Request", "badRequest", "INVALID_ARGUMENT");
    }
    const std::string domain = Lower(req.Query("domain"));
    int max = std::atoi(req.Query("maxResults", "100").c_str());
    if (max < 1 || max > 500) return Error(400, "Invalid Input: maxResults", "invalid", "INVALID_ARGUMENT");
    max = std::min(max, std::max(1, options_.page_size));
    const auto offset = PageOffset(req.Query("pageToken"));
    if (!offset) return Error(400, "Invalid Input: pageToken", "invalid", "INVALID_ARGUMENT");
    json::array matching;
    for (const auto& u : Array("users")) {
      const std::string email = Lower(Str(u.as_object(), "primaryEmail"));
      if (domain.empty() || email.ends_with("@" + domain)) matching.push_back(ApiUser(u.as_object()));
    }
    json::object out{{"kind", "admin#directory#users"}, {"etag", "\"sandbox\""}};
    PutPage(out, "users", std::move(matching), *offset, static_cast<std::size_t>(max));
    return JsonResponse(200, out);
  }
  if (seg.size() == 1) {
    if (req.method != "POST") return Error(405, "Method not allowed", "badRequest", "INVALID_ARGUMENT");
    const std::string email = Str(body, "primaryEmail");
    if (email.empty() || email.find('@') == std::string::npos) return Error(400, "Invalid Input: primary_user_email", "invalid", "INVALID_ARGUMENT");
    if (Str(body, "password").size() < 8) return Error(400, "Invalid Password", "invalid", "INVALID_ARGUMENT");
    if (FindUser(email) != nullptr) return Error(409, "Entity already exists.", "duplicate", "ALREADY_EXISTS");
    json::object user = DemoUser(NextId(), email, "", "", "/", 0);
    user["_sessions"] = 0;
    for (const auto& kv : body) {
      if (kv.key() != "password" && kv.key() != "id" && !kv.key().starts_with("_")) user[kv.key()] = kv.value();
    }
    user["_password_changes"] = 1;
    Array("users").push_back(user);
    return JsonResponse(200, ApiUser(user));
  }
  json::object* user = FindUser(seg[1]);
  if (user == nullptr) return NotFound("userKey");
  if (seg.size() == 2) {
    if (req.method == "GET") return JsonResponse(200, ApiUser(*user));
    if (req.method == "DELETE") {
      const std::string email = Str(*user, "primaryEmail");
      for (auto& g : Array("groups")) {
        auto& members = g.as_object()["members"].as_array();
        for (auto it = members.begin(); it != members.end();) {
          it = Lower(Str(it->as_object(), "email")) == Lower(email) ? members.erase(it) : it + 1;
        }
      }
      auto& users = Array("users");
      for (auto it = users.begin(); it != users.end(); ++it) {
        if (&it->as_object() == user) {
          users.erase(it);
          break;
        }
      }
      return NoContent();
    }
    if (req.method == "PATCH" || req.method == "PUT") {
      for (const auto& kv : body) {
        if (kv.key() == "password") {
          (*user)["_password_changes"] = IntAt(*user, "_password_changes") + 1;
          continue;
        }
        if (kv.key() == "id" || kv.key().starts_with("_") || kv.key() == "hashFunction") continue;
        if (kv.key() == "orgUnitPath" && (!kv.value().is_string() || !kv.value().get_string().starts_with("/"))) {
          return Error(400, "Invalid Input: INVALID_OU_ID", "invalid", "INVALID_ARGUMENT");
        }
        if (kv.key() == "name" && kv.value().is_object() && (*user)["name"].is_object()) {
          for (const auto& n : kv.value().get_object()) (*user)["name"].as_object()[n.key()] = n.value();
          continue;
        }
        (*user)[kv.key()] = kv.value();
      }
      return JsonResponse(200, ApiUser(*user));
    }
    return Error(405, "Method not allowed", "badRequest", "INVALID_ARGUMENT");
  }
  if (seg.size() == 3 && seg[2] == "signOut" && req.method == "POST") {
    (*user)["_sign_outs"] = IntAt(*user, "_sign_outs") + 1;
    (*user)["_sessions"] = 0;
    return NoContent();
  }
  if (seg[2] == "aliases") {
    json::value& aliases = (*user)["aliases"];
    if (!aliases.is_array()) aliases = json::array{};
    if (seg.size() == 3 && req.method == "POST") {
      const std::string alias = Str(body, "alias");
      if (alias.find('@') == std::string::npos) return Error(400, "Invalid Input: alias_email", "invalid", "INVALID_ARGUMENT");
      if (FindUser(alias) != nullptr) return Error(409, "Entity already exists.", "duplicate", "ALREADY_EXISTS");
      aliases.as_array().push_back(json::value(alias));
      return JsonResponse(200, json::object{{"kind", "admin#directory#alias"}, {"alias", alias}, {"primaryEmail", Str(*user, "primaryEmail")}});
    }
    if (seg.size() == 3 && req.method == "GET") {
      json::array list;
      for (const auto& a : aliases.as_array()) list.push_back(json::object{{"alias", a}});
      return JsonResponse(200, json::object{{"kind", "admin#directory#aliases"}, {"aliases", std::move(list)}});
    }
    if (seg.size() == 4 && req.method == "DELETE") {
      auto& list = aliases.as_array();
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->is_string() && Lower(std::string(it->get_string())) == Lower(seg[3])) {
          list.erase(it);
          return NoContent();
        }
      }
      return NotFound("alias");
    }
  }
  return NotFound(req.path);
}

Response GoogleService::Groups(const Request& req, const std::vector<std::string>& seg) {
  if (seg.size() == 1 && req.method == "GET") {
    const std::string user_key = req.Query("userKey");
    const json::object* user = user_key.empty() ? nullptr : FindUser(user_key);
    if (!user_key.empty() && user == nullptr) return NotFound("userKey");
    const std::string email = user != nullptr ? Lower(Str(*user, "primaryEmail")) : "";
    int max = std::atoi(req.Query("maxResults", "200").c_str());
    if (max < 1 || max > 200) max = 200;
    max = std::min(max, std::max(1, options_.page_size));
    const auto offset = PageOffset(req.Query("pageToken"));
    if (!offset) return Error(400, "Invalid Input: pageToken", "invalid", "INVALID_ARGUMENT");
    json::array matching;
    for (const auto& g : Array("groups")) {
      bool member = email.empty();
      for (const auto& m : g.as_object().at("members").as_array()) member = member || Lower(Str(m.as_object(), "email")) == email;
      if (!member) continue;
      json::object entry;
      for (const auto& kv : g.as_object()) {
        if (kv.key() != "members") entry[kv.key()] = kv.value();
      }
      entry["directMembersCount"] = g.as_object().at("members").as_array().size();
      matching.push_back(std::move(entry));
    }
    json::object out{{"kind", "admin#directory#groups"}, {"etag", "\"sandbox\""}};
    PutPage(out, "groups", std::move(matching), *offset, static_cast<std::size_t>(max));
    return JsonResponse(200, out);
  }
  if (seg.size() < 3 || seg[2] != "members") return NotFound(req.path);
  json::object* group = FindGroup(seg[1]);
  if (group == nullptr) return NotFound("groupKey");
  auto& members = (*group)["members"].as_array();
  if (seg.size() == 3 && req.method == "POST") {
    bool ok = true;
    json::object body = cloud::BodyObject(req, &ok);
    const std::string email = Str(body, "email");
    if (!ok || email.empty()) return Error(400, "Missing required field: memberKey", "required", "INVALID_ARGUMENT");
    for (const auto& m : members) {
      if (Lower(Str(m.as_object(), "email")) == Lower(email)) return Error(409, "Member already exists.", "duplicate", "ALREADY_EXISTS");
    }
    json::object member{{"kind", "admin#directory#member"}, {"email", email}, {"role", Str(body, "role").empty() ? "MEMBER" : Str(body, "role")},
                        {"type", "USER"}, {"status", "ACTIVE"}};
    if (const json::object* u = FindUser(email)) member["id"] = Str(*u, "id");
    members.push_back(member);
    return JsonResponse(200, member);
  }
  if (seg.size() == 3 && req.method == "GET") {
    return JsonResponse(200, json::object{{"kind", "admin#directory#members"}, {"members", members}});
  }
  if (seg.size() == 4) {
    const json::object* user = FindUser(seg[3]);
    const std::string email = Lower(user != nullptr ? Str(*user, "primaryEmail") : seg[3]);
    for (auto it = members.begin(); it != members.end(); ++it) {
      if (Lower(Str(it->as_object(), "email")) != email) continue;
      if (req.method == "GET") return JsonResponse(200, *it);
      if (req.method == "DELETE") {
        members.erase(it);
        return NoContent();
      }
    }
    return NotFound("memberKey");
  }
  return NotFound(req.path);
}

Response GoogleService::Transfers(const Request& req, const std::vector<std::string>& seg) {
  auto& transfers = Array("transfers");
  auto api = [](const json::object& t) {
    json::object out;
    for (const auto& kv : t) {
      if (!kv.key().starts_with("_")) out[kv.key()] = kv.value();
    }
    return out;
  };
  if (seg.size() == 1 && req.method == "POST") {
    bool ok = true;
    json::object body = cloud::BodyObject(req, &ok);
    const std::string from = Str(body, "oldOwnerUserId");
    const std::string to = Str(body, "newOwnerUserId");
    if (!ok || FindUser(from) == nullptr || FindUser(to) == nullptr || from == to) {
      return Error(400, "Invalid Input: oldOwnerUserId/newOwnerUserId must be two existing users' ids", "invalid", "INVALID_ARGUMENT");
    }
    const auto* apps = body.if_contains("applicationDataTransfers");
    if (apps == nullptr || !apps->is_array() || apps->get_array().empty()) return Error(400, "Invalid Input: applicationDataTransfers", "invalid", "INVALID_ARGUMENT");
    json::array app_list;
    for (const auto& a : apps->get_array()) {
      json::object app = a.is_object() ? a.get_object() : json::object{};
      app["applicationTransferStatus"] = "pending";
      app_list.push_back(std::move(app));
    }
    json::object transfer{{"kind", "admin#datatransfer#DataTransfer"},
                          {"id", "AKrEtIb" + cloud::RandomHex(rng_, 16)},
                          {"oldOwnerUserId", from},
                          {"newOwnerUserId", to},
                          {"applicationDataTransfers", std::move(app_list)},
                          {"overallTransferStatusCode", "inProgress"},
                          {"requestTime", "2026-01-01T00:00:00.000Z"},
                          {"_due_ms", cloud::NowMs() + options_.transfer_delay_ms}};
    transfers.push_back(transfer);
    return JsonResponse(200, api(transfer));
  }
  if (seg.size() == 1 && req.method == "GET") {
    json::array list;
    for (const auto& t : transfers) {
      const json::object& o = t.as_object();
      if (!req.Query("oldOwnerUserId").empty() && Str(o, "oldOwnerUserId") != req.Query("oldOwnerUserId")) continue;
      if (!req.Query("newOwnerUserId").empty() && Str(o, "newOwnerUserId") != req.Query("newOwnerUserId")) continue;
      if (!req.Query("status").empty() && Str(o, "overallTransferStatusCode") != req.Query("status")) continue;
      list.push_back(api(o));
    }
    return JsonResponse(200, json::object{{"kind", "admin#datatransfer#dataTransfersList"}, {"dataTransfers", std::move(list)}});
  }
  if (seg.size() == 2 && req.method == "GET") {
    for (const auto& t : transfers) {
      if (Str(t.as_object(), "id") == seg[1]) return JsonResponse(200, api(t.as_object()));
    }
    return NotFound("dataTransferId");
  }
  return NotFound(req.path);
}

Response GoogleService::Gmail(const Request& req, const std::vector<std::string>& seg, const std::string& subject) {
  const json::object* user = FindUser(seg[3]);
  if (user == nullptr) return Error(400, "Invalid delegation: no such mailbox", "invalidArgument", "FAILED_PRECONDITION");
  const std::string email = Lower(Str(*user, "primaryEmail"));
  if (Lower(subject) != email) {
    return Error(403, "Delegation denied for " + subject, "forbidden", "PERMISSION_DENIED");
  }
  json::value& boxes = state_.google["gmail"];
  if (!boxes.is_object()) boxes = json::object{};
  json::value& mailbox = boxes.as_object()[email];
  if (!mailbox.is_object()) mailbox = json::object{{"forwardingAddresses", json::array{}}, {"autoForwarding", {{"enabled", false}}}, {"vacation", {{"enableAutoReply", false}}}};
  json::object& box = mailbox.as_object();
  bool ok = true;
  json::object body = cloud::BodyObject(req, &ok);
  if (!ok) return Error(400, "Invalid JSON payload received.", "parseError", "INVALID_ARGUMENT");
  const std::string what = seg.size() > 5 ? seg[5] : "";
  if (what == "forwardingAddresses") {
    auto& list = box["forwardingAddresses"].as_array();
    if (seg.size() == 6 && req.method == "POST") {
      const std::string to = Lower(Str(body, "forwardingEmail"));
      if (to.find('@') == std::string::npos) return Error(400, "Invalid forwarding address", "invalidArgument", "INVALID_ARGUMENT");
      for (const auto& f : list) {
        if (Str(f.as_object(), "forwardingEmail") == to) return Error(409, "Forwarding address already exists.", "alreadyExists", "ALREADY_EXISTS");
      }
      // Addresses in the sandbox's domain(s) are accepted at once (domain-wide delegation);
      // anywhere else needs verification by the recipient.
      const bool internal = FindUser(to) != nullptr;
      json::object address{{"forwardingEmail", to}, {"verificationStatus", internal ? "accepted" : "pending"}};
      list.push_back(address);
      return JsonResponse(200, address);
    }
    if (seg.size() == 6 && req.method == "GET") return JsonResponse(200, json::object{{"forwardingAddresses", list}});
    if (seg.size() == 7) {
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (Str(it->as_object(), "forwardingEmail") != Lower(seg[6])) continue;
        if (req.method == "GET") return JsonResponse(200, *it);
        if (req.method == "DELETE") {
          list.erase(it);
          return NoContent();
        }
      }
      return NotFound("forwardingAddress");
    }
  }
  if (what == "autoForwarding" && seg.size() == 6) {
    if (req.method == "GET") return JsonResponse(200, box["autoForwarding"]);
    if (req.method == "PUT") {
      if (BoolAt(body, "enabled")) {
        bool verified = false;
        for (const auto& f : box["forwardingAddresses"].as_array()) {
          verified = verified || (Str(f.as_object(), "forwardingEmail") == Lower(Str(body, "emailAddress")) &&
                                  Str(f.as_object(), "verificationStatus") == "accepted");
        }
        if (!verified) return Error(400, "Unverified forwarding address", "failedPrecondition", "FAILED_PRECONDITION");
      }
      box["autoForwarding"] = body;
      return JsonResponse(200, body);
    }
  }
  if (what == "vacation" && seg.size() == 6) {
    if (req.method == "GET") return JsonResponse(200, box["vacation"]);
    if (req.method == "PUT") {
      box["vacation"] = body;
      return JsonResponse(200, body);
    }
  }
  return NotFound(req.path);
}

json::value GoogleService::Summary() const {
  json::array users, groups, transfers;
  const auto* user_list = state_.google.if_contains("users");
  const auto* group_list = state_.google.if_contains("groups");
  const auto* gmail = state_.google.if_contains("gmail");
  if (user_list != nullptr) {
    for (const auto& u : user_list->as_array()) {
      const json::object& user = u.as_object();
      const std::string email = Lower(Str(user, "primaryEmail"));
      json::array member_of;
      if (group_list != nullptr) {
        for (const auto& g : group_list->as_array()) {
          for (const auto& m : g.as_object().at("members").as_array()) {
            if (Lower(Str(m.as_object(), "email")) == email) member_of.emplace_back(Str(g.as_object(), "email"));
          }
        }
      }
      json::value forwarding = nullptr;
      json::value vacation = false;
      if (gmail != nullptr && gmail->is_object()) {
        if (const auto* box = gmail->get_object().if_contains(email)) {
          const auto& af = box->as_object().at("autoForwarding").as_object();
          if (BoolAt(af, "enabled")) forwarding = json::value(Str(af, "emailAddress"));
          vacation = BoolAt(box->as_object().at("vacation").as_object(), "enableAutoReply");
        }
      }
      users.push_back({{"id", Str(user, "id")},
                       {"primaryEmail", Str(user, "primaryEmail")},
                       {"suspended", BoolAt(user, "suspended")},
                       {"orgUnitPath", Str(user, "orgUnitPath")},
                       {"groups", std::move(member_of)},
                       {"aliases", user.contains("aliases") ? user.at("aliases") : json::array{}},
                       {"drive_files", IntAt(user, "_drive_files")},
                       {"sign_outs", IntAt(user, "_sign_outs")},
                       {"sessions", IntAt(user, "_sessions")},
                       {"password_changes", IntAt(user, "_password_changes")},
                       {"forwarding", forwarding},
                       {"vacation", vacation}});
    }
  }
  if (group_list != nullptr) {
    for (const auto& g : group_list->as_array()) {
      json::array members;
      for (const auto& m : g.as_object().at("members").as_array()) members.emplace_back(Str(m.as_object(), "email"));
      groups.push_back({{"email", Str(g.as_object(), "email")}, {"name", Str(g.as_object(), "name")}, {"members", std::move(members)}});
    }
  }
  if (const auto* list = state_.google.if_contains("transfers"); list != nullptr && list->is_array()) {
    for (const auto& t : list->as_array()) {
      transfers.push_back({{"id", Str(t.as_object(), "id")},
                           {"from", Str(t.as_object(), "oldOwnerUserId")},
                           {"to", Str(t.as_object(), "newOwnerUserId")},
                           {"status", Str(t.as_object(), "overallTransferStatusCode")}});
    }
  }
  return json::object{{"users", std::move(users)}, {"groups", std::move(groups)}, {"transfers", std::move(transfers)}};
}

}  // namespace tenure::sandbox
