// ScimService::Discovery: the RFC 7644 section 4 endpoints a client reads to adapt itself.
// The schemas are abbreviated: they list the attributes the sandbox gives meaning to.
#include <boost/json/parse.hpp>

#include "sandbox/scim.h"

namespace tenure::sandbox {
namespace {

namespace json = boost::json;

json::object Attribute(std::string_view name, std::string_view type, bool multi, std::string_view uniqueness = "none",
                       bool case_exact = false, std::string_view mutability = "readWrite") {
  return {{"name", name},           {"type", type},   {"multiValued", multi},         {"required", false},
          {"caseExact", case_exact}, {"mutability", mutability}, {"returned", "default"}, {"uniqueness", uniqueness}};
}

json::object UserSchema(bool with_groups) {
  json::array attrs{Attribute("userName", "string", false, "server"), Attribute("name", "complex", false),
                    Attribute("displayName", "string", false),       Attribute("emails", "complex", true),
                    Attribute("active", "boolean", false),           Attribute("externalId", "string", false, "none", true)};
  if (with_groups) attrs.push_back(Attribute("groups", "complex", true, "none", false, "readOnly"));
  return {{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
          {"id", "urn:ietf:params:scim:schemas:core:2.0:User"}, {"name", "User"}, {"attributes", std::move(attrs)}};
}

json::object GroupSchema() {
  json::array attrs{Attribute("displayName", "string", false, "server"), Attribute("members", "complex", true),
                    Attribute("externalId", "string", false, "none", true)};
  return {{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:Schema"}},
          {"id", "urn:ietf:params:scim:schemas:core:2.0:Group"}, {"name", "Group"}, {"attributes", std::move(attrs)}};
}

json::object ResourceType(std::string_view name, std::string_view endpoint, std::string_view schema) {
  return {{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:ResourceType"}},
          {"id", name}, {"name", name}, {"endpoint", endpoint}, {"schema", schema}};
}

json::object ServiceProviderConfig(const ScimOptions& options) {
  json::object filter{{"supported", true}};
  if (options.advertise_max_results) filter["maxResults"] = options.max_results;
  return {{"schemas", json::array{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"}},
          {"documentationUri", "https://datatracker.ietf.org/doc/html/rfc7644"},
          {"patch", {{"supported", true}}},
          {"bulk", {{"supported", false}, {"maxOperations", 0}, {"maxPayloadSize", 0}}},
          {"filter", std::move(filter)},
          {"changePassword", {{"supported", false}}},
          {"sort", {{"supported", false}}},
          {"etag", {{"supported", false}}},
          {"authenticationSchemes",
           json::array{{{"type", "oauthbearertoken"}, {"name", "OAuth Bearer Token"},
                        {"description", "Authentication with the sandbox's bearer token"}}}}};
}

json::object ListOf(json::array items) {
  const auto n = items.size();
  return {{"schemas", json::array{"urn:ietf:params:scim:api:messages:2.0:ListResponse"}},
          {"totalResults", n}, {"startIndex", 1}, {"itemsPerPage", n}, {"Resources", std::move(items)}};
}

}  // namespace

Response ScimService::Discovery(std::string_view sub_path, const std::string&) const {
  const std::string type = "application/scim+json";
  const bool with_groups = options_.profile != ScimProfile::kEqOnly;
  if (sub_path == "/ServiceProviderConfig") return JsonResponse(200, ServiceProviderConfig(options_), type);
  if (sub_path == "/ResourceTypes") {
    return JsonResponse(200, ListOf({ResourceType("User", "/Users", "urn:ietf:params:scim:schemas:core:2.0:User"),
                                     ResourceType("Group", "/Groups", "urn:ietf:params:scim:schemas:core:2.0:Group")}), type);
  }
  if (sub_path == "/ResourceTypes/User") return JsonResponse(200, ResourceType("User", "/Users", "urn:ietf:params:scim:schemas:core:2.0:User"), type);
  if (sub_path == "/ResourceTypes/Group") return JsonResponse(200, ResourceType("Group", "/Groups", "urn:ietf:params:scim:schemas:core:2.0:Group"), type);
  if (sub_path == "/Schemas") return JsonResponse(200, ListOf({UserSchema(with_groups), GroupSchema()}), type);
  if (sub_path == "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User") return JsonResponse(200, UserSchema(with_groups), type);
  if (sub_path == "/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group") return JsonResponse(200, GroupSchema(), type);
  return Error(404, "", "no SCIM endpoint " + std::string(sub_path));
}

}  // namespace tenure::sandbox
