#include "sandbox/msgraph.h"

#include <algorithm>

#include "connectors/oauth/jwt.h"
#include "sandbox/cloud_common.h"

namespace tenure::sandbox {
namespace {

namespace json = boost::json;
using cloud::Lower;
using cloud::Str;

constexpr const char* kE3 = "6fd2c87f-b296-42f0-b197-1e91e994b900";
constexpr const char* kEms = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";

bool BoolAt(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_bool() && v->get_bool();
}

Response NoContent() {
  Response r;
  r.status = 204;
  return r;
}

// `PROP eq 'VALUE'` with '' as an escaped quote; false for anything else.
bool ParseEqFilter(std::string_view f, std::string* prop, std::string* value) {
  std::size_t i = 0;
  while (i < f.size() && (std::isalnum(static_cast<unsigned char>(f[i])) != 0)) ++i;
  if (i == 0) return false;
  *prop = std::string(f.substr(0, i));
  if (f.substr(i, 5) != " eq '") return false;
  i += 5;
  value->clear();
  for (; i < f.size(); ++i) {
    if (f[i] != '\'') {
      value->push_back(f[i]);
      continue;
    }
    if (i + 1 < f.size() && f[i + 1] == '\'') {
      value->push_back('\'');
      ++i;
      continue;
    }
    return i + 1 == f.size();  // the closing quote ends the filter
  }
  return false;
}

json::object DemoUser(std::string id, std::string upn, std::string name, json::array licenses, json::array roles) {
  return {{"id", id},
          {"userPrincipalName", upn},
          {"displayName", name},
          {"mailNickname", upn.substr(0, upn.find('@'))},
          {"mail", upn},
          {"accountEnabled", true},
          {"usageLocation", "GB"},
          {"assignedLicenses", std::move(licenses)},
          {"_roles", std::move(roles)},
          {"_revocations", 0},
          {"_sessions", 0},
          {"_rules", json::array{}},
          {"_mailboxSettings", json::object{{"automaticRepliesSetting", {{"status", "disabled"}}}}}};
}

json::object License(const char* sku) { return {{"skuId", sku}, {"disabledPlans", json::array{}}}; }

json::object DemoGroup(std::string id, std::string name, json::array members, bool dynamic = false) {
  json::array types;
  if (!dynamic) types.emplace_back("Unified");
  if (dynamic) types.emplace_back("DynamicMembership");
  return {{"id", id}, {"displayName", name}, {"groupTypes", std::move(types)}, {"mailEnabled", true},
          {"securityEnabled", false}, {"onPremisesSyncEnabled", nullptr}, {"members", std::move(members)}};
}

}  // namespace

Response GraphService::Error(int status, std::string_view code, std::string_view message) {
  json::object error{{"code", code}, {"message", message},
                     {"innerError", {{"date", "2026-01-01T00:00:00"}, {"request-id", "sandbox"}, {"client-request-id", "sandbox"}}}};
  return JsonResponse(status, json::object{{"error", std::move(error)}});
}

Response GraphService::FaultResponse(int status, bool throttled) {
  if (throttled) return Error(status, "TooManyRequests", "Too many requests (sandbox rate limit).");
  return Error(status, status == 503 ? "serviceNotAvailable" : "generalException", "Injected server error (sandbox fault).");
}

json::array& GraphService::Array(std::string_view key) {
  json::value& v = state_.msgraph[key];
  if (!v.is_array()) v = json::array{};
  return v.get_array();
}

std::string GraphService::NewId() {
  const std::string h = cloud::RandomHex(rng_, 32);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20, 12);
}

void GraphService::Tick() {
  if (!options_.demo || state_.msgraph.contains("users")) return;
  const std::string grace = "11111111-1111-4111-8111-111111111111";
  const std::string ada = "22222222-2222-4222-8222-222222222222";
  json::object grace_user = DemoUser(grace, "grace.hopper@contoso.com", "Grace Hopper", json::array{License(kE3)}, json::array{});
  json::object ada_user = DemoUser(ada, "ada.lovelace@contoso.com", "Ada Lovelace", json::array{License(kE3), License(kEms)},
                                   json::array{"Global Reader"});
  ada_user["manager"] = grace;
  ada_user["_sessions"] = 2;  // refresh tokens and browser sessions in use
  grace_user["_sessions"] = 1;
  state_.msgraph["users"] = json::array{grace_user, ada_user};
  state_.msgraph["groups"] = json::array{
      DemoGroup("33333333-0000-4000-8000-000000000001", "Engineering", json::array{ada, grace}),
      DemoGroup("33333333-0000-4000-8000-000000000002", "All Company", json::array{grace, ada}),
      DemoGroup("33333333-0000-4000-8000-000000000003", "On call", json::array{ada}),
      DemoGroup("33333333-0000-4000-8000-000000000004", "Project Babbage", json::array{ada}),
      DemoGroup("33333333-0000-4000-8000-000000000005", "London (dynamic)", json::array{ada}, true)};
  state_.msgraph["deleted"] = json::array{};
}

json::object* GraphService::FindUser(std::string_view key) {
  const std::string k = Lower(std::string(key));
  for (auto& u : Array("users")) {
    if (Str(u.as_object(), "id") == key || Lower(Str(u.as_object(), "userPrincipalName")) == k) return &u.as_object();
  }
  return nullptr;
}

json::object* GraphService::FindGroup(std::string_view id) {
  for (auto& g : Array("groups")) {
    if (Str(g.as_object(), "id") == id) return &g.as_object();
  }
  return nullptr;
}

json::object GraphService::ApiUser(const json::object& user, const Request& req) const {
  json::object out{{"@odata.context", "https://graph.microsoft.com/v1.0/$metadata#users/$entity"}};
  for (const auto& kv : user) {
    if (!kv.key().starts_with("_") && kv.key() != "manager") out[kv.key()] = kv.value();
  }
  const std::string select = req.Query("$select");
  if (select.find("licenseAssignmentStates") != std::string::npos) {
    json::array states;
    if (const auto* l = user.if_contains("assignedLicenses"); l != nullptr && l->is_array()) {
      for (const auto& lic : l->get_array()) {
        states.push_back({{"skuId", Str(lic.as_object(), "skuId")}, {"assignedByGroup", nullptr}, {"state", "Active"}});
      }
    }
    out["licenseAssignmentStates"] = std::move(states);
  }
  return out;
}

Response GraphService::HandleToken(const Request& req) {
  const std::vector<std::string> seg = cloud::Segments(req.raw_path, "/microsoft");
  if (seg.size() != 4 || seg[1] != "oauth2" || seg[2] != "v2.0" || seg[3] != "token" || req.method != "POST") {
    return JsonResponse(404, json::object{{"error", "not_found"}});
  }
  auto err = [](int status, std::string_view error, std::string_view description) {
    return JsonResponse(status, json::object{{"error", error}, {"error_description", description}});
  };
  if (seg[0] != options_.tenant_id) return err(400, "invalid_request", "AADSTS90002: Tenant '" + seg[0] + "' not found.");
  auto form = cloud::Form(req);
  if (form["grant_type"] != "client_credentials") return err(400, "unsupported_grant_type", "AADSTS70003: unsupported grant_type");
  if (!form["scope"].ends_with("/.default")) return err(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.");
  if (form["client_id"] != options_.client_id) return err(400, "unauthorized_client", "AADSTS700016: Application not found in the directory.");
  if (!form["client_secret"].empty()) {
    if (form["client_secret"] != options_.client_secret) {
      return err(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
    }
  } else if (form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
    auto jwt = connectors::oauth::ParseJwt(form["client_assertion"]);
    if (!jwt || options_.client_certificate_pem.empty()) return err(401, "invalid_client", "AADSTS700027: Client assertion failed signature validation.");
    auto thumb = connectors::oauth::CertificateThumbprint(options_.client_certificate_pem);
    const Value* x5t = jwt->header.Find("x5t");
    if (!thumb || x5t == nullptr || !x5t->IsString() || x5t->AsString() != connectors::oauth::Base64Url(*thumb)) {
      return err(401, "invalid_client", "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application.");
    }
    if (!connectors::oauth::VerifyRs256(options_.client_certificate_pem, jwt->signing_input, jwt->signature)) {
      return err(401, "invalid_client", "AADSTS700027: Client assertion failed signature validation.");
    }
    auto claim = [&](std::string_view k) {
      const Value* v = jwt->claims.Find(k);
      return v != nullptr && v->IsString() ? v->AsString() : std::string();
    };
    const Value* exp = jwt->claims.Find("exp");
    if (claim("iss") != options_.client_id || claim("sub") != options_.client_id || !claim("aud").ends_with("/oauth2/v2.0/token") ||
        exp == nullptr || !exp->IsInt() || exp->AsInt() <= cloud::NowMs() / 1000) {
      return err(401, "invalid_client", "AADSTS700024: Client assertion is not within its valid time range or has wrong claims.");
    }
  } else {
    return err(401, "invalid_client", "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required.");
  }
  const std::string token = "eyJ0eXAiOiJKV1Qi.sandbox." + cloud::RandomHex(rng_, 40);
  tokens_[token] = cloud::NowMs() + options_.token_lifetime_s * 1000LL;
  return JsonResponse(200, json::object{{"token_type", "Bearer"}, {"expires_in", options_.token_lifetime_s},
                                        {"ext_expires_in", options_.token_lifetime_s}, {"access_token", token}});
}

Response GraphService::HandleGraph(const Request& req, const std::string& base_url) {
  auto token = tokens_.find(cloud::Bearer(req));
  if (token == tokens_.end() || token->second <= cloud::NowMs()) {
    return Error(401, "InvalidAuthenticationToken", "Access token is empty, invalid or expired.");
  }
  std::vector<std::string> seg = cloud::Segments(req.raw_path, "/graph/v1.0");
  const std::string base = base_url + "/graph/v1.0";
  if (!seg.empty() && seg[0] == "users") return Users(req, seg, base);
  if (!seg.empty() && seg[0] == "groups") return Groups(req, seg);
  if (seg.size() == 4 && seg[0] == "directory" && seg[1] == "deletedItems" && seg[3] == "restore" && req.method == "POST") {
    auto& deleted = Array("deleted");
    for (auto it = deleted.begin(); it != deleted.end(); ++it) {
      if (Str(it->as_object(), "id") != seg[2]) continue;
      json::object user = it->as_object();
      deleted.erase(it);
      Array("users").push_back(user);
      return JsonResponse(200, ApiUser(user, req));
    }
    return Error(404, "Request_ResourceNotFound", "Resource '" + seg[2] + "' does not exist or one of its queried reference-property objects are not present.");
  }
  if (seg.size() == 1 && seg[0] == "subscribedSkus") {
    return JsonResponse(200, json::object{{"value", json::array{{{"skuId", kE3}, {"skuPartNumber", "ENTERPRISEPACK"}},
                                                                {{"skuId", kEms}, {"skuPartNumber", "EMS"}}}}});
  }
  return Error(400, "BadRequest", "Resource not found for the segment '" + (seg.empty() ? std::string() : seg[0]) + "'.");
}

Response GraphService::Users(const Request& req, const std::vector<std::string>& seg, const std::string& base) {
  bool ok = true;
  json::object body = cloud::BodyObject(req, &ok);
  if (!ok) return Error(400, "BadRequest", "Unable to read JSON request payload.");
  if (seg.size() == 1 && req.method == "GET") {
    const std::string filter = req.Query("$filter");
    std::string prop, value;
    if (!filter.empty() && !ParseEqFilter(filter, &prop, &value)) {
      return Error(400, "BadRequest", "Invalid filter clause: syntax error in '" + filter + "'.");
    }
    json::array list;
    for (const auto& u : Array("users")) {
      if (!filter.empty()) {
        const auto* v = u.as_object().if_contains(prop);
        if (v == nullptr || !v->is_string() || Lower(std::string(v->get_string())) != Lower(value)) continue;
      }
      list.push_back(ApiUser(u.as_object(), req));
    }
    return JsonResponse(200, json::object{{"@odata.context", base + "/$metadata#users"}, {"value", std::move(list)}});
  }
  if (seg.size() == 1 && req.method == "POST") {
    const std::string upn = Str(body, "userPrincipalName");
    const auto* profile = body.if_contains("passwordProfile");
    if (upn.find('@') == std::string::npos || Str(body, "displayName").empty() || Str(body, "mailNickname").empty() ||
        profile == nullptr || !profile->is_object() || Str(profile->get_object(), "password").size() < 8) {
      return Error(400, "Request_BadRequest", "Invalid value specified for property 'passwordProfile' of resource 'User'.");
    }
    if (FindUser(upn) != nullptr) {
      return Error(400, "Request_BadRequest", "Another object with the same value for property userPrincipalName already exists.");
    }
    json::object user = DemoUser(NewId(), upn, Str(body, "displayName"), json::array{}, json::array{});
    for (const auto& kv : body) {
      if (kv.key() != "passwordProfile" && kv.key() != "id" && !kv.key().starts_with("_")) user[kv.key()] = kv.value();
    }
    user["mail"] = upn;
    Array("users").push_back(user);
    Response r = JsonResponse(201, ApiUser(user, req));
    return r;
  }
  if (seg.size() < 2) return Error(405, "Request_BadRequest", "Method not allowed.");
  json::object* user = FindUser(seg[1]);
  if (user == nullptr) {
    return Error(404, "Request_ResourceNotFound", "Resource '" + seg[1] + "' does not exist or one of its queried reference-property objects are not present.");
  }
  if (seg.size() == 2) {
    if (req.method == "GET") return JsonResponse(200, ApiUser(*user, req));
    if (req.method == "PATCH") {
      for (const auto& kv : body) {
        if (kv.key() == "id" || kv.key().starts_with("_")) continue;
        if (kv.key() == "passwordProfile") {
          (*user)["_password_changes"] = (user->contains("_password_changes") ? user->at("_password_changes").as_int64() : 0) + 1;
          continue;
        }
        if (kv.key() == "accountEnabled" && !kv.value().is_bool()) return Error(400, "Request_BadRequest", "Invalid value for accountEnabled.");
        (*user)[kv.key()] = kv.value();
      }
      return NoContent();
    }
    if (req.method == "DELETE") {
      const std::string id = Str(*user, "id");
      for (auto& g : Array("groups")) {
        auto& members = g.as_object()["members"].as_array();
        members.erase(std::remove(members.begin(), members.end(), json::value(id)), members.end());
      }
      json::object gone = *user;
      auto& users = Array("users");
      users.erase(std::remove_if(users.begin(), users.end(), [&](const json::value& u) { return Str(u.as_object(), "id") == id; }),
                  users.end());
      Array("deleted").push_back(std::move(gone));
      return NoContent();
    }
    return Error(405, "Request_BadRequest", "Method not allowed.");
  }
  return UserSub(req, *user, seg, base);
}

Response GraphService::UserSub(const Request& req, json::object& user, const std::vector<std::string>& seg, const std::string& base) {
  bool ok = true;
  json::object body = cloud::BodyObject(req, &ok);
  const std::string id = Str(user, "id");
  const std::string what = seg[2];
  if (what == "revokeSignInSessions" && req.method == "POST") {
    user["_revocations"] = user["_revocations"].to_number<std::int64_t>() + 1;
    user["_sessions"] = 0;
    return JsonResponse(200, json::object{{"@odata.context", base + "/$metadata#Edm.Boolean"}, {"value", true}});
  }
  if (what == "memberOf" && req.method == "GET") {
    json::array all;
    for (const auto& g : Array("groups")) {
      const auto& members = g.as_object().at("members").as_array();
      if (std::find(members.begin(), members.end(), json::value(id)) == members.end()) continue;
      json::object entry{{"@odata.type", "#microsoft.graph.group"}};
      for (const auto& kv : g.as_object()) {
        if (kv.key() != "members") entry[kv.key()] = kv.value();
      }
      all.push_back(std::move(entry));
    }
    if (const auto* roles = user.if_contains("_roles"); roles != nullptr && roles->is_array()) {
      for (const auto& r : roles->get_array()) {
        all.push_back({{"@odata.type", "#microsoft.graph.directoryRole"}, {"id", "role-" + std::string(r.as_string())}, {"displayName", r}});
      }
    }
    const std::size_t skip = static_cast<std::size_t>(std::max(0LL, std::atoll(req.Query("$skiptoken", "0").c_str())));
    const std::size_t size = static_cast<std::size_t>(std::max(1, options_.page_size));
    json::array page;
    for (std::size_t i = skip; i < all.size() && page.size() < size; ++i) page.push_back(all[i]);
    json::object out{{"@odata.context", base + "/$metadata#directoryObjects"}, {"value", std::move(page)}};
    if (skip + size < all.size()) {
      std::string link = base + "/users/" + id + "/memberOf?";
      if (!req.Query("$select").empty()) link += "$select=" + req.Query("$select") + "&";
      out["@odata.nextLink"] = link + "$skiptoken=" + std::to_string(skip + size);
    }
    return JsonResponse(200, out);
  }
  if (what == "assignLicense" && req.method == "POST") {
    const auto* add = body.if_contains("addLicenses");
    const auto* remove = body.if_contains("removeLicenses");
    if (!ok || add == nullptr || remove == nullptr || !add->is_array() || !remove->is_array()) {
      return Error(400, "Request_BadRequest", "addLicenses and removeLicenses are required.");
    }
    if (Str(user, "usageLocation").empty() && !add->get_array().empty()) {
      return Error(400, "Request_BadRequest", "License assignment cannot be done for user with invalid usage location.");
    }
    json::array& licenses = user["assignedLicenses"].is_array() ? user["assignedLicenses"].as_array() : (user["assignedLicenses"] = json::array{}).as_array();
    for (const auto& r : remove->get_array()) {
      const std::string sku = r.is_string() ? std::string(r.get_string()) : "";
      auto it = std::find_if(licenses.begin(), licenses.end(), [&](const json::value& l) { return Str(l.as_object(), "skuId") == sku; });
      if (it == licenses.end()) return Error(400, "Request_BadRequest", "User does not have a corresponding license.");
      licenses.erase(it);
    }
    for (const auto& a : add->get_array()) {
      const std::string sku = a.is_object() ? Str(a.get_object(), "skuId") : "";
      if (sku != kE3 && sku != kEms) return Error(400, "Request_BadRequest", "License " + sku + " does not correspond to a valid company License.");
      if (std::none_of(licenses.begin(), licenses.end(), [&](const json::value& l) { return Str(l.as_object(), "skuId") == sku; })) {
        licenses.push_back(a);
      }
    }
    return JsonResponse(200, ApiUser(user, req));
  }
  if (what == "manager" && req.method == "GET") {
    json::object* manager = FindUser(Str(user, "manager"));
    if (manager == nullptr) {
      return Error(404, "Request_ResourceNotFound", "Resource 'manager' does not exist or one of its queried reference-property objects are not present.");
    }
    return JsonResponse(200, ApiUser(*manager, req));
  }
  if (what == "mailboxSettings") {
    json::value& settings = user["_mailboxSettings"];
    if (!settings.is_object()) settings = json::object{};
    if (req.method == "GET") return JsonResponse(200, settings);
    if (req.method == "PATCH") {
      if (!ok) return Error(400, "BadRequest", "Unable to read JSON request payload.");
      for (const auto& kv : body) settings.as_object()[kv.key()] = kv.value();
      return JsonResponse(200, settings);
    }
  }
  if (what == "mailFolders" && seg.size() >= 5 && Lower(seg[3]) == "inbox" && seg[4] == "messageRules") {
    json::value& rules_value = user["_rules"];
    if (!rules_value.is_array()) rules_value = json::array{};
    json::array& rules = rules_value.as_array();
    if (seg.size() == 5 && req.method == "GET") return JsonResponse(200, json::object{{"value", rules}});
    if (seg.size() == 5 && req.method == "POST") {
      if (!ok || Str(body, "displayName").empty()) return Error(400, "ErrorInvalidRequest", "displayName is required.");
      body["id"] = "AQAAA" + cloud::RandomHex(rng_, 12);
      rules.push_back(body);
      return JsonResponse(201, body);
    }
    if (seg.size() == 6) {
      for (auto it = rules.begin(); it != rules.end(); ++it) {
        if (Str(it->as_object(), "id") != seg[5]) continue;
        if (req.method == "DELETE") {
          rules.erase(it);
          return NoContent();
        }
        if (req.method == "PATCH") {
          for (const auto& kv : body) {
            if (kv.key() != "id") it->as_object()[kv.key()] = kv.value();
          }
          return JsonResponse(200, *it);
        }
      }
      return Error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
    }
  }
  return Error(400, "BadRequest", "Resource not found for the segment '" + what + "'.");
}

Response GraphService::Groups(const Request& req, const std::vector<std::string>& seg) {
  if (seg.size() == 1 && req.method == "GET") {
    const std::string filter = req.Query("$filter");
    std::string prop, value;
    if (!filter.empty() && !ParseEqFilter(filter, &prop, &value)) {
      return Error(400, "BadRequest", "Invalid filter clause: syntax error in '" + filter + "'.");
    }
    json::array list;
    for (const auto& g : Array("groups")) {
      if (!filter.empty() && Str(g.as_object(), prop) != value) continue;
      json::object entry;
      for (const auto& kv : g.as_object()) {
        if (kv.key() != "members") entry[kv.key()] = kv.value();
      }
      list.push_back(std::move(entry));
    }
    return JsonResponse(200, json::object{{"value", std::move(list)}});
  }
  if (seg.size() < 3 || seg[2] != "members") return Error(400, "BadRequest", "Unsupported group request.");
  json::object* group = FindGroup(seg[1]);
  if (group == nullptr) {
    return Error(404, "Request_ResourceNotFound", "Resource '" + seg[1] + "' does not exist or one of its queried reference-property objects are not present.");
  }
  auto& members = (*group)["members"].as_array();
  if (seg.size() == 4 && seg[3] == "$ref" && req.method == "POST") {
    bool ok = true;
    json::object body = cloud::BodyObject(req, &ok);
    const std::string ref = Str(body, "@odata.id");
    const auto slash = ref.rfind('/');
    const std::string id = slash == std::string::npos ? "" : ref.substr(slash + 1);
    if (!ok || ref.find("/directoryObjects/") == std::string::npos || FindUser(id) == nullptr) {
      return Error(404, "Request_ResourceNotFound", "Resource '" + id + "' does not exist or one of its queried reference-property objects are not present.");
    }
    if (std::find(members.begin(), members.end(), json::value(id)) != members.end()) {
      return Error(400, "Request_BadRequest", "One or more added object references already exist for the following modified properties: 'members'.");
    }
    members.push_back(json::value(id));
    return NoContent();
  }
  if (seg.size() == 5 && seg[4] == "$ref" && req.method == "DELETE") {
    auto it = std::find(members.begin(), members.end(), json::value(seg[3]));
    if (it == members.end()) {
      return Error(404, "Request_ResourceNotFound", "Resource '" + seg[3] + "' does not exist or one of its queried reference-property objects are not present.");
    }
    members.erase(it);
    return NoContent();
  }
  return Error(400, "BadRequest", "Unsupported group request.");
}

json::value GraphService::Summary() const {
  json::array users, groups;
  const auto* group_list = state_.msgraph.if_contains("groups");
  auto describe = [&](const json::object& u, bool deleted) {
    const std::string id = Str(u, "id");
    json::array member_of, licenses, rules;
    if (group_list != nullptr) {
      for (const auto& g : group_list->as_array()) {
        const auto& members = g.as_object().at("members").as_array();
        if (std::find(members.begin(), members.end(), json::value(id)) != members.end()) member_of.emplace_back(Str(g.as_object(), "displayName"));
      }
    }
    if (const auto* l = u.if_contains("assignedLicenses"); l != nullptr && l->is_array()) {
      for (const auto& lic : l->get_array()) licenses.emplace_back(Str(lic.as_object(), "skuId"));
    }
    json::value forwarding = nullptr;
    if (const auto* r = u.if_contains("_rules"); r != nullptr && r->is_array()) {
      for (const auto& rule : r->get_array()) {
        const auto* to = rule.as_object().if_contains("actions");
        if (to != nullptr && to->is_object() && to->get_object().contains("forwardTo")) {
          const auto& list = to->get_object().at("forwardTo").as_array();
          if (!list.empty()) forwarding = list[0].at("emailAddress").at("address");
        }
      }
    }
    std::string replies = "disabled";
    if (const auto* s = u.if_contains("_mailboxSettings"); s != nullptr && s->is_object()) {
      if (const auto* a = s->get_object().if_contains("automaticRepliesSetting"); a != nullptr && a->is_object()) replies = Str(a->get_object(), "status");
    }
    const auto* revocations = u.if_contains("_revocations");
    const auto* sessions = u.if_contains("_sessions");
    return json::object{{"id", id},
                        {"userPrincipalName", Str(u, "userPrincipalName")},
                        {"accountEnabled", BoolAt(u, "accountEnabled")},
                        {"groups", std::move(member_of)},
                        {"licenses", std::move(licenses)},
                        {"revocations", revocations != nullptr && revocations->is_int64() ? revocations->get_int64() : 0},
                        {"sessions", sessions != nullptr && sessions->is_int64() ? sessions->get_int64() : 0},
                        {"forwarding", forwarding},
                        {"automatic_replies", replies},
                        {"deleted", deleted}};
  };
  if (const auto* list = state_.msgraph.if_contains("users"); list != nullptr) {
    for (const auto& u : list->as_array()) users.push_back(describe(u.as_object(), false));
  }
  if (const auto* list = state_.msgraph.if_contains("deleted"); list != nullptr) {
    for (const auto& u : list->as_array()) users.push_back(describe(u.as_object(), true));
  }
  if (group_list != nullptr) {
    for (const auto& g : group_list->as_array()) {
      groups.push_back({{"id", Str(g.as_object(), "id")}, {"displayName", Str(g.as_object(), "displayName")},
                        {"members", g.as_object().at("members")}});
    }
  }
  return json::object{{"users", std::move(users)}, {"groups", std::move(groups)}};
}

}  // namespace tenure::sandbox
