// ScimFilter: the SCIM filter language of RFC 7644 section 3.4.2.2, as the sandbox supports it.
//
// Supported: attribute paths (`userName`, `name.givenName`, `emails.value`, `meta.created`), the
// operators eq ne co sw ew gt ge lt le pr, `and`, `or`, `not (...)`, parentheses, and value
// paths (`members[value eq "id"]`, `emails[type eq "work" and primary eq true]`). Values are JSON
// strings (with JSON escapes), numbers, true, false and null. Attribute names are matched
// case-insensitively; string comparison is case-insensitive except for id, externalId, value
// and $ref (caseExact in RFC 7643). A multi-valued attribute matches when any element does.
// Anything else fails to parse with a message fit for a 400 `invalidFilter` detail.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/error.h"

namespace tenure::sandbox {

class ScimFilter {
 public:
  // Parses `text`; nesting deeper than 32 levels is rejected.
  static Result<ScimFilter> Parse(std::string_view text);
  // True when `resource` (or a multi-valued attribute's element) satisfies the filter.
  bool Matches(const boost::json::object& resource) const;
  // True for a single `attribute eq value` on a plain attribute (no sub-attribute, no brackets):
  // all an eq-only provider understands.
  bool IsSimpleEq() const;

  struct Node {
    enum class Kind { kAnd, kOr, kNot, kCompare, kPresent, kValuePath };
    Kind kind = Kind::kCompare;
    std::string attr;   // kCompare, kPresent, kValuePath: the attribute path as written
    std::string op;     // kCompare: lower case operator
    boost::json::value value;
    std::vector<Node> children;  // kAnd/kOr: two; kNot/kValuePath: one
  };

 private:
  explicit ScimFilter(Node root) : root_(std::move(root)) {}
  Node root_;
};

// The member of `o` whose key equals `name` ignoring case, or nullptr.
const boost::json::value* FindAttr(const boost::json::object& o, std::string_view name);
boost::json::value* FindAttr(boost::json::object& o, std::string_view name);

}  // namespace tenure::sandbox
