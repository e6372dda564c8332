// Comparing SCIM resources with what a playbook wants, and building the PATCH (RFC 7644 §3.5.2)
// or PUT (§3.5.1) that changes only what differs. Pure functions.
//
// Tolerance (providers differ): attribute names compare case-insensitively; booleans may arrive
// as strings ("True", "false"); multi-valued attributes compare as sets of sub-attribute subsets
// (what the provider adds, such as `type` or `display`, does not count as a difference).
#pragma once

#include <optional>
#include <string_view>

#include "workflows/value.h"

namespace tenure::connectors::scim {

inline constexpr std::string_view kUserSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
inline constexpr std::string_view kGroupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
inline constexpr std::string_view kPatchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

// `m[key]` with SCIM's case-insensitive attribute names; nullptr when absent.
const Value* FindAttr(const Map& m, std::string_view key);

// A boolean that may be spelled as a string ("true", "True", "FALSE"); nullopt otherwise.
std::optional<bool> AsBool(const Value* v);
// A string attribute, or "" when absent or not a string.
std::string AttrString(const Map& m, std::string_view key);

// The user attributes an ensure/update action asks for: name, emails, externalId, active,
// displayName, plus everything in `attributes` (which wins on a clash), plus userName if given.
Map DesiredUserAttributes(const Map& args);

// True when `current` already holds everything `desired` says.
bool Covers(const Value& current, const Value& desired);

// PATCH operations ("replace" with a path per top-level attribute that differs); empty when
// nothing differs.
List DiffOperations(const Map& current, const Map& desired);

// {"schemas": [PatchOp], "Operations": ops}
Value PatchRequest(List ops);

// The full representation for a PUT: `current` without read-only attributes (id stays, meta and
// groups go), with `desired` merged in (maps merged key by key, everything else replaced).
Map PutRepresentation(const Map& current, const Map& desired);

}  // namespace tenure::connectors::scim
