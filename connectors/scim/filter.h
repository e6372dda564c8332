// SCIM filter and path text (RFC 7644 §3.4.2.2). Values from playbooks are data, never filter
// syntax: a compare value is a JSON string literal, so `"` and `\` (and control characters) are
// escaped, and whatever else it holds (`)`, `*`, `[`, ` or `, non-ASCII) stays inside the quotes.
#pragma once

#include <string>
#include <string_view>

namespace tenure::connectors::scim {

// `value` as a SCIM/JSON string literal, quotes included: a"b\c -> "a\"b\\c".
std::string QuoteFilterValue(std::string_view value);

// `attribute eq "value"` with the value quoted. `attribute` is one of ours (userName,
// displayName, members.value), never user data.
std::string EqFilter(std::string_view attribute, std::string_view value);

// True when `value` has characters some providers mis-handle inside a filter literal (`"`, `\`,
// control characters): lookups of such values are confirmed by a scan when the filter finds none.
bool NeedsEscaping(std::string_view value);

// base + "/" + segments, each percent-encoded (ids become one path segment, whatever they hold).
std::string ResourcePath(std::string_view collection, std::string_view id);

// ASCII case-insensitive equality (SCIM attribute names and userName are case-insensitive).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace tenure::connectors::scim
