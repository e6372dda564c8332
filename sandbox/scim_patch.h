// ApplyPatch: RFC 7644 section 3.5.2 PATCH operations on one resource held as JSON.
//
// Operation names are matched case-insensitively ("Add", "replace", "REMOVE": providers differ).
// Paths: none (value is an object of attributes), `attr`, `attr.sub`, `attr[filter]` and
// `attr[filter].sub`, with the filter language of scim_filter.h. Semantics:
// - add to a multi-valued attribute appends values not already present (same "value", or equal),
//   so adding an existing member is a no-op, as RFC 7644 asks;
// - replace with a value filter that matches nothing, and remove with one, fail with `noTarget`;
// - remove without a path fails with `noTarget`; remove `members` with a value list removes those
//   members (the Azure AD form);
// - id, meta and (for users) groups are read-only: `mutability`.
// "True"/"False" strings for `active` are accepted as booleans.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <optional>
#include <string>

namespace tenure::sandbox {

// A SCIM error: HTTP status, scimType (may be empty) and a detail message.
struct ScimError {
  int status = 400;
  std::string scim_type;
  std::string detail;
};

// Applies `operations` (the PatchOp "Operations" array) to `resource` in order. On error
// `resource` may be partly modified: callers patch a copy and keep it only on success.
std::optional<ScimError> ApplyPatch(boost::json::object& resource, const boost::json::array& operations);

// Turns "True"/"False" strings in `active` into booleans (tolerated provider difference).
void NormalizeBooleans(boost::json::object& resource);

}  // namespace tenure::sandbox
