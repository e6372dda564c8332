// Escaping for LDAP, in one place: every value that goes into a distinguished name (RFC 4514) or a
// search filter (RFC 4515) passes through here, so that no value can change the structure of a DN
// or a filter (an uid of "*)(uid=*" matches nothing but a user literally named so).
//
// Pure functions; no I/O. Values are bytes (UTF-8 is passed through unchanged; both RFCs allow it).
#pragma once

#include <string>
#include <string_view>

namespace tenure::connectors::ldap {

// An attribute value as it must be written in an RDN (RFC 4514 section 2.4): '"', '+', ',', ';',
// '<', '>', '\\' and '=' are escaped with a backslash, a leading '#' or space and a trailing space
// too; NUL and the other ASCII control bytes become \XX. "" stays "" (the caller refuses empty RDN
// values).
std::string EscapeDnValue(std::string_view value);

// An assertion value as it must be written in a filter (RFC 4515 section 3): '*', '(', ')', '\\'
// and NUL become \2a, \28, \29, \5c and \00. Every other byte is kept.
std::string EscapeFilterValue(std::string_view value);

// Whether `name` is an attribute description we put into a DN or filter unescaped: a descriptor
// (letter, then letters, digits, '-') or a numeric OID, optionally with ";options". Everything
// else (spaces, '=', parentheses, '*') is refused by the callers with an error naming it.
bool IsAttributeName(std::string_view name);

// "name=value" with the value escaped. REQUIRES: IsAttributeName(name).
std::string Rdn(std::string_view name, std::string_view value);

// "(name=value)" with the value escaped. REQUIRES: IsAttributeName(name).
std::string EqualityFilter(std::string_view name, std::string_view value);

// Whether `text` is well-formed UTF-8 (LDAP strings are UTF-8; a value that is not is refused
// before anything is sent).
bool IsUtf8(std::string_view text);

}  // namespace tenure::connectors::ldap
