#include "tests/connectors/support/fake_scim.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "connectors/http/url.h"
#include "connectors/http_support.h"

namespace tenure::connectors::testing {
namespace {

std::string Json(const Value& v) { return v.ToJson(); }

SendResult Error(int status, std::string scim_type, std::string detail) {
  Map m;
  m.Set("schemas", List{Value("urn:ietf:params:scim:api:messages:2.0:Error")});
  m.Set("status", std::to_string(status));
  if (!scim_type.empty()) m.Set("scimType", scim_type);
  m.Set("detail", detail);
  return Response(status, Json(m));
}

std::string Param(const std::string& query, const std::string& name) {
  std::size_t pos = 0;
  while (pos < query.size()) {
    std::size_t end = query.find('&', pos);
    std::string part = query.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (part.rfind(name + "=", 0) == 0) return http::PercentDecode(part.substr(name.size() + 1), true);
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return "";
}

// `attr eq "json"` or `members[value eq "json"]` -> (attr, value); attr "" when unparsable.
std::pair<std::string, std::string> ParseEq(const std::string& filter) {
  std::size_t q = filter.find('"');
  if (q == std::string::npos) return {"", ""};
  std::string head = filter.substr(0, q);
  std::string literal = filter.substr(q);
  if (!literal.empty() && literal.back() == ']') literal.pop_back();
  boost::system::error_code ec;
  auto j = boost::json::parse(literal, ec);
  if (ec || !j.is_string()) return {"", ""};
  std::string attr = head.rfind("members[value eq ", 0) == 0 ? "members" : head.substr(0, head.find(' '));
  return {attr, std::string(j.as_string())};
}

bool HasMember(const Map& g, const std::string& uid) {
  const Value* m = g.Find("members");
  if (m == nullptr || !m->IsList()) return false;
  for (const Value& v : m->AsList()) {
    if (v.IsMap() && v.AsMap().Find("value") && v.AsMap().Find("value")->ToText() == uid) return true;
  }
  return false;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Map FakeScimProvider::Decorate(const std::string& kind, const Map& r) const {
  Map out = r;
  if (quirks_.string_booleans && out.Find("active") && out.Find("active")->IsBool()) {
    out.Set("active", out.Find("active")->AsBool() ? "True" : "False");
  }
  if (kind == "Users" && !quirks_.omit_user_groups) {
    List gs;
    for (const auto& [gid, g] : groups) {
      if (HasMember(g, r.Find("id")->AsString()))
        gs.push_back(Value(MakeMap({{"value", gid}, {"display", g.Find("displayName")->ToText()}})));
    }
    out.Set("groups", std::move(gs));
  }
  return out;
}

SendResult FakeScimProvider::Handle(const http::HttpRequest& req) {
  const std::string base = "http://scim.test/v2";
  if (req.url.rfind(base, 0) != 0) return Response(404, "{}");
  if_match_ = HeaderOf(req, "If-Match").value_or("");
  std::string rest = req.url.substr(base.size());
  std::string query;
  if (auto q = rest.find('?'); q != std::string::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  if (rest == "/ServiceProviderConfig") {
    return Response(200, "{\"patch\":{\"supported\":" + std::string(quirks_.patch_supported ? "true" : "false") +
                             "},\"filter\":{\"supported\":" + (quirks_.filter_supported ? "true" : "false") +
                             ",\"maxResults\":100},\"etag\":{\"supported\":" + (quirks_.etag ? "true" : "false") +
                             "}}");
  }
  for (std::string kind : {"Users", "Groups"}) {
    auto& store = kind == "Users" ? users : groups;
    std::string prefix = "/" + kind;
    if (rest == prefix) return Collection(req.method, store, kind, query, req.body);
    if (rest.rfind(prefix + "/", 0) == 0) {
      return Item(req.method, store, kind, http::PercentDecode(rest.substr(prefix.size() + 1)), req.body);
    }
  }
  return Response(404, "{}");
}

SendResult FakeScimProvider::Collection(const std::string& method, std::map<std::string, Map>& store,
                                        const std::string& kind, const std::string& query, const std::string& body) {
  const std::string key = kind == "Users" ? "userName" : "displayName";
  if (method == "POST") {
    ++writes;
    auto parsed = ParseJsonBody(body);
    if (!parsed || !parsed->IsMap()) return Error(400, "invalidSyntax", "bad body");
    Map r = parsed->AsMap();
    for (const auto& [id, existing] : store) {
      if (Lower(existing.Find(key)->ToText()) == Lower(r.Find(key)->ToText()))
        return Error(409, "uniqueness", key + " taken");
    }
    ++creates;
    std::string id = "id-" + std::to_string(next_id_++);
    r.Set("id", id);
    r.Set("meta", MakeMap({{"resourceType", kind == "Users" ? "User" : "Group"}, {"version", "W/\"new\""}}));
    store[id] = r;
    if (quirks_.post_returns_no_body) return Response(201);
    return Response(201, Json(Decorate(kind, r)));
  }
  if (method != "GET") return Error(405, "", "method not allowed");
  std::string filter = Param(query, "filter");
  if (!filter.empty()) filters.push_back(filter);
  if (!filter.empty() && !quirks_.filter_supported) return Error(400, "invalidFilter", "filtering not supported");
  auto [attr, value] = ParseEq(filter);
  if (!filter.empty() && attr.empty()) return Error(400, "invalidFilter", "cannot parse " + filter);
  if (attr == "members" && quirks_.eq_only) return Error(400, "invalidFilter", "only attribute eq \"value\" filters");
  List all;
  for (const auto& [id, r] : store) {
    bool match = filter.empty() || (attr == "members" ? HasMember(r, value)
                                                      : r.Find(attr) && Lower(r.Find(attr)->ToText()) == Lower(value));
    if (match) all.push_back(Value(Decorate(kind, r)));
  }
  std::size_t start = std::max<std::size_t>(1, std::atoi(Param(query, "startIndex").c_str()));
  if (quirks_.ignore_start_index) start = 1;
  List page;
  for (std::size_t i = start - 1; i < all.size() && page.size() < static_cast<std::size_t>(quirks_.page_size); ++i) {
    page.push_back(all[i]);
  }
  Map out;
  out.Set("schemas", List{Value("urn:ietf:params:scim:api:messages:2.0:ListResponse")});
  if (!quirks_.omit_total_results) out.Set("totalResults", static_cast<std::int64_t>(all.size()));
  out.Set("startIndex", static_cast<std::int64_t>(start));
  out.Set("itemsPerPage", static_cast<std::int64_t>(page.size()));
  out.Set("Resources", std::move(page));
  return Response(200, Json(out));
}

SendResult FakeScimProvider::Item(const std::string& method, std::map<std::string, Map>& store, const std::string& kind,
                                  const std::string& id, const std::string& body) {
  auto it = store.find(id);
  if (it == store.end()) return Error(404, "", "Resource " + id + " not found");
  if (method == "GET") return Response(200, Json(Decorate(kind, it->second)));
  ++writes;
  if (method == "DELETE") {
    store.erase(it);
    return Response(204);
  }
  auto parsed = ParseJsonBody(body);
  if (!parsed || !parsed->IsMap()) return Error(400, "invalidSyntax", "bad body");
  if (method == "PUT") {
    if (quirks_.etag) {
      const Value* meta = it->second.Find("meta");
      std::string version = meta != nullptr && meta->IsMap() && meta->AsMap().Find("version")
                                ? meta->AsMap().Find("version")->AsString()
                                : "";
      if (quirks_.concurrent_writes > 0) {
        --quirks_.concurrent_writes;
        version += "+";  // someone else wrote it since the client read it
        Map changed = meta != nullptr && meta->IsMap() ? meta->AsMap() : Map{};
        changed.Set("version", version);
        it->second.Set("meta", std::move(changed));
      }
      if (if_match_ != version) return Error(412, "", "version mismatch: If-Match " + if_match_ + ", now " + version);
    }
    Map r = parsed->AsMap();
    r.Set("id", id);
    r.Set("meta", MakeMap({{"version", "W/\"" + std::to_string(writes) + "\""}}));
    it->second = r;
    return Response(200, Json(Decorate(kind, r)));
  }
  if (method != "PATCH" || !quirks_.patch_supported) return Error(501, "", "PATCH not implemented");
  for (const Value& op : parsed->AsMap().Find("Operations")->AsList()) {
    std::string name = Lower(op.AsMap().Find("op")->AsString());
    std::string path = op.AsMap().Find("path")->AsString();
    const Value* v = op.AsMap().Find("value");
    Map& r = it->second;
    if (path == "members" && name == "add") {
      List members = r.Find("members") && r.Find("members")->IsList() ? r.Find("members")->AsList() : List{};
      for (const Value& m : v->AsList()) {
        if (!HasMember(r, m.AsMap().Find("value")->AsString())) members.push_back(m);
      }
      r.Set("members", std::move(members));
    } else if (path.rfind("members[", 0) == 0 && name == "remove") {
      if (quirks_.refuse_patch_value_path) return Error(400, "invalidPath", "value paths are not supported");
      std::string uid = ParseEq(path).second;
      if (!HasMember(r, uid)) return Error(400, "noTarget", "not a member");
      List members;
      for (const Value& m : r.Find("members")->AsList()) {
        if (m.AsMap().Find("value")->AsString() != uid) members.push_back(m);
      }
      r.Set("members", std::move(members));
    } else {
      r.Set(path, *v);
    }
  }
  if (quirks_.patch_returns_204) return Response(204);
  return Response(200, Json(Decorate(kind, it->second)));
}

}  // namespace tenure::connectors::testing
