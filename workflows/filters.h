// Internal to expr.cc: the value operations of the expression language (operators and the filter
// table of `x | name(args)`).
#pragma once

#include <array>
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

// Kinds of values as bits (1 << Value::Kind), for the static checks of expr_types.cc.
using KindSet = unsigned;
constexpr KindSet KindBit(Value::Kind k) { return 1u << static_cast<unsigned>(k); }
inline constexpr KindSet kNullK = KindBit(Value::Kind::kNull), kBoolK = KindBit(Value::Kind::kBool),
                         kIntK = KindBit(Value::Kind::kInt), kDoubleK = KindBit(Value::Kind::kDouble),
                         kStrK = KindBit(Value::Kind::kString), kListK = KindBit(Value::Kind::kList),
                         kMapK = KindBit(Value::Kind::kMap), kNumK = kIntK | kDoubleK, kAnyK = 0x7f;

// How the static checker derives a filter's result type: a fixed set of kinds, the input's own
// type, or the item type of the input list.
enum class ResultRule { kFixed, kSame, kItem, kListOfItems };

struct FilterSpec {
  std::string_view name;
  std::size_t min_args;
  std::size_t max_args;
  FilterFn fn;
  KindSet input = kAnyK;                               // kinds the piped value may have
  std::array<KindSet, 3> args = {kAnyK, kAnyK, kAnyK};  // kinds of each argument
  KindSet result = kAnyK;
  ResultRule rule = ResultRule::kFixed;
  std::array<std::string_view, 3> params = {};         // argument names, for `name=value`
  // Describes `input` in messages ("a string", "a list"); "" = derived from `input`.
  std::string_view expects = "";
};

// "a string", "a list or map": the kinds of `set` in words, for messages.
std::string DescribeKinds(KindSet set);

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
