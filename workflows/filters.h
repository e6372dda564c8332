// Internal to expr.cc: the value operations of the expression language (operators and the filter
// table of `x | name(args)`).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "workflows/error.h"
#include "workflows/value.h"

namespace tenure::workflows {

// Slack's escaping of message text (api.slack.com/reference/surfaces/formatting#escaping): `&`,
// `<` and `>` become `&amp;`, `&lt;` and `&gt;`, so text cannot form a mention (`<!channel>`,
// `<@U123>`) or a link. The `slack_escape` filter, and what the Slack connector applies to
// message text unless the task sets `mrkdwn_raw: true`.
std::string SlackEscape(std::string_view text);

}  // namespace tenure::workflows

namespace tenure::workflows::internal {

// Strings an expression produces are capped at this size (kInvalidArgument beyond it), so that
// chains like `x | replace('a', 'aaaa') | replace(...)` or `x | json | json | ...` cannot blow up.
inline constexpr std::size_t kMaxStringBytes = std::size_t{1} << 20;

// `name` is the filter's own name (several filters share a function), for error messages.
using FilterFn = Result<Value> (*)(std::string_view name, const Value& input, std::span<const Value> args);

struct FilterSpec {
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;
  FilterFn fn;
};

// The filter called `name`, or nullptr.
const FilterSpec* FindFilter(std::string_view name);

// "filter 'replace' takes 2 arguments, got 1", or "" when `count` fits `spec`.
std::string CheckArgCount(const FilterSpec& spec, std::size_t count);

// Applies `spec` and enforces kMaxStringBytes on a string result.
Result<Value> ApplyFilter(const FilterSpec& spec, const Value& input, std::span<const Value> args);

// Operators of the language. `Member` and `Index` implement the null semantics of expr.h; the
// others report kType errors naming the operator and the kinds.
Result<Value> Member(Value from, std::string_view name);
Result<Value> Index(Value from, const Value& key);
Result<Value> Plus(Value lhs, const Value& rhs);
Result<Value> Negate(const Value& operand);
// `op` is one of == != < <= > >= in, or "not in".
Result<Value> Compare(std::string_view op, const Value& lhs, const Value& rhs);

// The first occurrence of `needle` (non-empty) in `haystack` at or after `from`, or npos, in
// linear time (Boyer-Moore), so that long inputs cannot make `in`/`replace`/`split` quadratic.
std::size_t FindText(std::string_view haystack, std::string_view needle, std::size_t from = 0);

}  // namespace tenure::workflows::internal
