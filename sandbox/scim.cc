#include "sandbox/scim.h"

#include <boost/json/parse.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <variant>

#include "sandbox/scim_filter.h"
#include "sandbox/scim_patch.h"

namespace tenure::sandbox {
namespace {

namespace json = boost::json;

constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
constexpr std::string_view kListSchema = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
constexpr std::string_view kErrorSchema = "urn:ietf:params:scim:api:messages:2.0:Error";
constexpr std::string_view kContentType = "application/scim+json";

std::string Now() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = FindAttr(o, key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int IntParam(const Request& req, const std::string& name, int fallback) {
  const std::string text = req.Query(name);
  if (text.empty()) return fallback;
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    return fallback;
  }
}

// The resource's version, bumped on each change: W/"1", W/"2", ...
void Touch(json::object& resource, bool created) {
  auto& meta = resource["meta"];
  if (!meta.is_object()) meta = json::object();
  auto& m = meta.get_object();
  const std::string now = Now();
  if (created || !m.contains("created")) m["created"] = now;
  m["lastModified"] = now;
  int version = 0;
  if (const auto* v = m.if_contains("version"); v != nullptr && v->is_string()) {
    std::sscanf(std::string(v->get_string()).c_str(), "W/\"%d\"", &version);
  }
  m["version"] = "W/\"" + std::to_string(version + 1) + "\"";
}

Response Json(int status, const json::value& v) { return JsonResponse(status, v, std::string(kContentType)); }

std::variant<json::object, Response> ParseBody(const Request& req) {
  boost::system::error_code ec;
  auto v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return ScimService::Error(400, "invalidSyntax", "the request body is not a JSON object");
  return std::move(v.get_object());
}

}  // namespace

std::optional<ScimProfile> ParseScimProfile(std::string_view name) {
  if (name == "full") return ScimProfile::kFull;
  if (name == "eq-only") return ScimProfile::kEqOnly;
  return std::nullopt;
}

const char* ScimProfileName(ScimProfile profile) { return profile == ScimProfile::kEqOnly ? "eq-only" : "full"; }

Response ScimService::Error(int status, std::string_view scim_type, std::string_view detail) {
  json::object o{{"schemas", json::array{kErrorSchema}}, {"status", std::to_string(status)}, {"detail", detail}};
  if (!scim_type.empty()) o["scimType"] = scim_type;
  return Json(status, o);
}

Response ScimService::Handle(const Request& req, std::string_view sub_path, const std::string& base_url) {
  if (!sub_path.empty() && sub_path.back() == '/') sub_path.remove_suffix(1);
  Kind kind = Kind::kUser;
  if (sub_path.starts_with("/Users")) {
    sub_path.remove_prefix(6);
  } else if (sub_path.starts_with("/Groups")) {
    kind = Kind::kGroup;
    sub_path.remove_prefix(7);
  } else {
    return Discovery(sub_path, base_url);
  }
  const std::string& m = req.method;
  if (sub_path.empty()) {
    if (m == "GET") return List(kind, req, base_url);
    if (m == "POST") return Create(kind, req, base_url);
    return Error(405, "", "method " + m + " not allowed here");
  }
  if (sub_path.front() != '/') return Error(404, "", "no such endpoint");
  const std::string id(sub_path.substr(1));
  if (m == "GET") return Get(kind, id, base_url);
  if (m == "PUT") return Replace(kind, id, req, base_url);
  if (m == "PATCH") return Patch(kind, id, req, base_url);
  if (m == "DELETE") return Delete(kind, id);
  return Error(405, "", "method " + m + " not allowed here");
}

json::object* ScimService::Find(Kind kind, const std::string& id) {
  for (auto& r : Collection(kind)) {
    if (Str(r, "id") == id) return &r;
  }
  return nullptr;
}

std::string ScimService::NewId() {
  const std::uint64_t a = rng_(), b = rng_();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>((b >> 48) & 0xfff), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

json::object ScimService::Render(Kind kind, const json::object& resource, const std::string& base_url) const {
  json::object out = resource;
  const std::string id = Str(resource, "id");
  const std::string endpoint = kind == Kind::kUser ? "/scim/v2/Users/" : "/scim/v2/Groups/";
  out["meta"].as_object()["location"] = base_url + endpoint + id;
  if (kind == Kind::kUser && options_.profile != ScimProfile::kEqOnly) {
    json::array groups;
    for (const auto& g : state_.groups) {
      const auto* members = FindAttr(g, "members");
      if (members == nullptr || !members->is_array()) continue;
      for (const auto& member : members->get_array()) {
        if (member.is_object() && Str(member.get_object(), "value") == id) {
          groups.push_back({{"value", Str(g, "id")}, {"display", Str(g, "displayName")},
                            {"$ref", base_url + "/scim/v2/Groups/" + Str(g, "id")}, {"type", "direct"}});
          break;
        }
      }
    }
    out["groups"] = std::move(groups);
  }
  return out;
}

std::optional<Response> ScimService::Check(Kind kind, json::object& resource, const std::string& self_id) const {
  const std::string_view unique = kind == Kind::kUser ? "userName" : "displayName";
  const std::string value = Str(resource, unique);
  if (value.empty()) return Error(400, "invalidValue", std::string(unique) + " is required");
  for (const auto& other : Collection(kind)) {
    if (Str(other, "id") != self_id && Lower(Str(other, unique)) == Lower(value)) {
      return Error(409, "uniqueness", std::string(kind == Kind::kUser ? "User" : "Group") + " with " + std::string(unique) +
                                          " \"" + value + "\" already exists");
    }
  }
  auto* members = FindAttr(resource, "members");
  if (kind == Kind::kGroup && members != nullptr && members->is_array()) {
    for (auto& member : members->get_array()) {
      if (!member.is_object()) return Error(400, "invalidValue", "members must be objects with a \"value\"");
      auto& mo = member.get_object();
      const std::string id = Str(mo, "value");
      const auto user = std::find_if(state_.users.begin(), state_.users.end(), [&](const auto& u) { return Str(u, "id") == id; });
      const auto group = std::find_if(state_.groups.begin(), state_.groups.end(), [&](const auto& g) { return Str(g, "id") == id; });
      if (user == state_.users.end() && group == state_.groups.end()) {
        return Error(400, "invalidValue", "member \"" + id + "\" does not exist");
      }
      if (!mo.contains("display")) mo["display"] = user != state_.users.end() ? Str(*user, "userName") : Str(*group, "displayName");
      if (!mo.contains("type")) mo["type"] = user != state_.users.end() ? "User" : "Group";
    }
  }
  return std::nullopt;
}

Response ScimService::List(Kind kind, const Request& req, const std::string& base_url) const {
  std::optional<ScimFilter> filter;
  if (const std::string text = req.Query("filter"); !text.empty()) {
    auto parsed = ScimFilter::Parse(text);
    if (!parsed) return Error(400, "invalidFilter", "cannot use filter \"" + text + "\": " + parsed.error().message);
    if (options_.profile == ScimProfile::kEqOnly && !parsed->IsSimpleEq()) {
      return Error(400, "invalidFilter", "filter must use the form attribute eq \"value\" (this server supports no other)");
    }
    filter = std::move(*parsed);
  }
  const int start = std::max(1, IntParam(req, "startIndex", 1));
  const int count = std::clamp(IntParam(req, "count", options_.max_results), 0, options_.max_results);
  // Rendering computes a user's groups, which is costly: filter the stored form unless the
  // filter names the computed attributes.
  const bool needs_render = Lower(req.Query("filter")).find("groups") != std::string::npos ||
                            Lower(req.Query("filter")).find("meta.location") != std::string::npos;
  json::array page;
  int total = 0;
  for (const auto& r : Collection(kind)) {
    if (filter && !(needs_render ? filter->Matches(Render(kind, r, base_url)) : filter->Matches(r))) continue;
    ++total;
    if (total >= start && static_cast<int>(page.size()) < count) page.push_back(Render(kind, r, base_url));
  }
  return Json(200, json::object{{"schemas", json::array{kListSchema}}, {"totalResults", total}, {"startIndex", start},
                                {"itemsPerPage", page.size()}, {"Resources", std::move(page)}});
}

Response ScimService::Create(Kind kind, const Request& req, const std::string& base_url) {
  auto body = ParseBody(req);
  if (auto* err = std::get_if<Response>(&body)) return *err;
  auto& resource = std::get<json::object>(body);
  for (const char* readonly : {"id", "meta", "groups"}) resource.erase(readonly);
  NormalizeBooleans(resource);
  if (kind == Kind::kUser && FindAttr(resource, "active") == nullptr) resource["active"] = true;
  if (!resource.contains("schemas")) resource["schemas"] = json::array{kind == Kind::kUser ? kUserSchema : kGroupSchema};
  if (auto err = Check(kind, resource, "")) return *err;
  resource["id"] = NewId();
  Touch(resource, true);
  resource["meta"].as_object()["resourceType"] = kind == Kind::kUser ? "User" : "Group";
  Collection(kind).push_back(resource);
  Response res = Json(201, Render(kind, resource, base_url));
  res.SetHeader("Location", base_url + (kind == Kind::kUser ? "/scim/v2/Users/" : "/scim/v2/Groups/") + Str(resource, "id"));
  return res;
}

Response ScimService::Get(Kind kind, const std::string& id, const std::string& base_url) const {
  for (const auto& r : Collection(kind)) {
    if (Str(r, "id") == id) return Json(200, Render(kind, r, base_url));
  }
  return Error(404, "", "Resource " + id + " not found");
}

Response ScimService::Replace(Kind kind, const std::string& id, const Request& req, const std::string& base_url) {
  auto* existing = Find(kind, id);
  if (existing == nullptr) return Error(404, "", "Resource " + id + " not found");
  auto body = ParseBody(req);
  if (auto* err = std::get_if<Response>(&body)) return *err;
  auto& resource = std::get<json::object>(body);
  for (const char* readonly : {"id", "meta", "groups"}) resource.erase(readonly);
  NormalizeBooleans(resource);
  if (auto err = Check(kind, resource, id)) return *err;
  resource["id"] = id;
  resource["meta"] = (*existing)["meta"];
  Touch(resource, false);
  return Store(kind, *existing, std::move(resource), base_url);
}

Response ScimService::Patch(Kind kind, const std::string& id, const Request& req, const std::string& base_url) {
  auto* existing = Find(kind, id);
  if (existing == nullptr) return Error(404, "", "Resource " + id + " not found");
  auto body = ParseBody(req);
  if (auto* err = std::get_if<Response>(&body)) return *err;
  const auto* operations = FindAttr(std::get<json::object>(body), "Operations");
  if (operations == nullptr || !operations->is_array()) return Error(400, "invalidSyntax", "PatchOp needs an \"Operations\" list");
  json::object patched = *existing;
  if (auto err = ApplyPatch(patched, operations->get_array())) return Error(err->status, err->scim_type, err->detail);
  if (auto err = Check(kind, patched, id)) return *err;
  Touch(patched, false);
  return Store(kind, *existing, std::move(patched), base_url);
}

Response ScimService::Store(Kind kind, json::object& existing, json::object changed, const std::string& base_url) {
  const bool was_active = kind == Kind::kUser && FindAttr(existing, "active") != nullptr &&
                          FindAttr(existing, "active")->is_bool() && FindAttr(existing, "active")->as_bool();
  const json::value* now = FindAttr(changed, "active");
  if (options_.keep_active && was_active && now != nullptr && now->is_bool() && !now->as_bool()) {
    Response answer = Json(200, Render(kind, changed, base_url));  // "done", while nothing changes
    return answer;
  }
  existing = std::move(changed);
  return Json(200, Render(kind, existing, base_url));
}

Response ScimService::Delete(Kind kind, const std::string& id) {
  auto& all = Collection(kind);
  const auto erased = std::erase_if(all, [&](const json::object& r) { return Str(r, "id") == id; });
  if (erased == 0) return Error(404, "", "Resource " + id + " not found");
  for (auto& g : state_.groups) {
    if (auto* members = FindAttr(g, "members"); members != nullptr && members->is_array()) {
      auto& arr = members->get_array();
      arr.erase(std::remove_if(arr.begin(), arr.end(), [&](const json::value& m) { return m.is_object() && Str(m.get_object(), "value") == id; }),
                arr.end());
    }
  }
  Response res;
  res.status = 204;
  return res;
}

}  // namespace tenure::sandbox
