// Expressions and templates: the `{{ ... }}` language inside playbook strings.
//
// A Template is literal text with zero or more `{{ expr }}` pieces. A template that is exactly one
// piece (optionally surrounded by whitespace) renders to the expression's typed value (list,
// number, bool, null, map); any other template renders to text, each piece converted with
// Value::ToText(). Secret references `${env:..}` / `${file:..}` are NOT part of this language:
// they stay literal text here and are resolved elsewhere.
//
// Grammar (lowest precedence first):
//   expr    := or
//   or      := and ("or" and)*
//   and     := not ("and" not)*
//   not     := "not" not | cmp
//   cmp     := add (("=="|"!="|"<"|"<="|">"|">="|"in"|"not in") add)?
//   add     := unary ("+" unary)*
//   unary   := "-" unary | filtered
//   filtered:= postfix ("|" NAME ("(" args ")")?)*
//   postfix := primary ("." NAME | "[" expr "]")*
//   primary := NUMBER | STRING ('..' or "..") | true | false | null | "[" list "]" | "(" expr ")" | ROOT
//            | "history" "." "last" "(" args ")"      (args: playbook, key; by position or name=)
//   ROOT    := inputs | vars | tasks | item | index | run | now | result | params | calendars
//
// Semantics: reading a missing key of a map yields null, and reading anything of null yields null
// (so `| default(..)` works on optional data); reading a key of a string/number/bool, or indexing
// out of range, is a type error. `+` adds numbers, concatenates strings and lists. Comparisons of
// different kinds are errors except ==/!= (which are then false/true). `in` tests list membership,
// substring, or map key.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/error.h"
#include "workflows/value.h"

namespace tenure::workflows {

// A static path an expression reads, from its root: {"tasks","account","result","id"}.
// Member names and constant indexes (`x[0]`, `x['k']`) extend the path; a dynamic index ends it.
struct Reference {
  std::vector<std::string> path;  // never empty: path[0] is the root name
  std::size_t offset = 0;         // byte offset of the root name in the template text
};

// What an expression may read. Evaluation asks the scope for each root name it meets.
class Scope {
 public:
  virtual ~Scope() = default;
  // The value of root `name`, or an Error: Errc::kUnresolved when it exists only at run time
  // (rendering then fails with kUnresolved, which `tenure plan` shows as "at run time"),
  // Errc::kNotFound when the root is not available in this context.
  virtual Result<Value> Root(std::string_view name) const = 0;
};

// A Scope backed by a map of root name -> value; roots absent from the map are kUnresolved.
class MapScope : public Scope {
 public:
  explicit MapScope(Map roots) : roots_(std::move(roots)) {}
  Result<Value> Root(std::string_view name) const override;
  Map& roots() { return roots_; }

 private:
  Map roots_;
};

// A static type, for the checks `tenure validate` makes without values: the kinds a value may have
// (bits 1 << Value::Kind), and what is known of a list's items and a map's keys.
struct ExprType {
  static constexpr unsigned kAll = 0x7f;
  unsigned kinds = kAll;                                   // kAll: nothing is known
  std::shared_ptr<const ExprType> item;                    // a list's items, when known
  std::shared_ptr<const std::vector<std::pair<std::string, ExprType>>> fields;  // a map's known keys
  bool closed = false;  // `fields` are all the keys there are (a map input with declared keys)

  static ExprType Any() { return {}; }
  static ExprType Of(unsigned kinds) {
    ExprType t;
    t.kinds = kinds;
    return t;
  }
  static ExprType ListOf(ExprType item);
  static ExprType MapOf(std::vector<std::pair<std::string, ExprType>> fields, bool closed);
  static ExprType FromValue(const Value& v);
  // Either of `a` and `b` (what `x if c else y` may yield).
  static ExprType Union(const ExprType& a, const ExprType& b);
  const ExprType* Field(std::string_view key) const;
  // "string", "int or null": for messages, in Value::KindName's words.
  std::string Describe() const;
};

// One `history.last(playbook=P, key=K)` lookup: the most recent earlier run of playbook P (its
// `playbook:` name) triggered with key K. A call reads its value from the `history` root, a map
// P -> K -> run map (or null when there is none), which the engine fills once when a run starts
// and keeps with the run, so a resume reads the same values (docs/expressions.md).
struct HistoryKey {
  std::string playbook;
  std::string key;
  // "history.last(playbook='offboarding', key='E1001')", for messages and `tenure plan`.
  std::string Describe() const;
  bool operator==(const HistoryKey&) const = default;
};
// The run recorded for `key` in a `history` root, or nullptr when the root does not hold it.
const Value* FindHistory(const Value& root, const HistoryKey& key);
// Records `run` (a map, or null for "none") for `key` in a `history` root.
void SetHistory(Map& root, const HistoryKey& key, Value run);
// The static type of what history.last returns: null, or a map with exactly these keys.
ExprType HistoryRunType();

// The static types of the roots a template may read; Any for what is not known.
class TypeScope {
 public:
  virtual ~TypeScope() = default;
  virtual ExprType Root(std::string_view name) const = 0;
};

struct ExprNode;  // defined in expr_ast.h

class Template {
 public:
  // Parses `text`. Errors (Errc::kParse) carry Error::offset, the byte offset in `text` where the
  // problem is, and a message such as "unknown filter 'lowr' (did you mean 'lower'?)".
  // Unknown filters, unknown root names, wrong filter argument counts and unterminated `{{` are
  // all parse errors. A lone `}}` outside an expression is literal text.
  static Result<Template> Parse(std::string_view text);

  Template(const Template&);
  Template& operator=(const Template&);
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();

  const std::string& text() const { return text_; }
  bool HasExpressions() const;
  // True when the whole text is one `{{ expr }}` (whitespace around it allowed): renders typed.
  bool IsSingleExpression() const;
  // Every static path read by any expression, in text order.
  std::vector<Reference> References() const;
  // Names of the filters used, in text order (for docs and statistics).
  std::vector<std::string> Filters() const;
  // The static paths read by the arguments of history.last calls (they are in References() too).
  std::vector<Reference> HistoryReferences() const;
  // The lookups of every history.last call, their arguments evaluated against `scope`, in text
  // order. Errors: those of Render, and kType when `playbook` is not a non-empty string or `key`
  // is not a non-empty string or whole number (the message names the call and the argument).
  Result<std::vector<HistoryKey>> HistoryKeys(const Scope& scope) const;

  // Evaluates against `scope`. Errors: kUnresolved (a root is unknown until run time),
  // kType (e.g. `lower` on a list; the message names the filter/operator and the kinds),
  // kNotFound (a root not available here), kInvalidArgument (e.g. a bad date for add_days).
  Result<Value> Render(const Scope& scope) const;

  // The errors evaluation would certainly meet, found without evaluating: a filter or operator
  // given a value or argument whose possible kinds never fit (`inputs.groups | lower` with a list
  // input), a member read on a string, a key a map input does not declare. Each is kType with the
  // offset of the filter, operator or member. Unknown types (task results) are never reported.
  std::vector<Error> TypeErrors(const TypeScope& types) const;
  // The static type of a single-expression template (Any otherwise: text renders as a string).
  ExprType TypeOf(const TypeScope& types) const;

 private:
  struct Piece;
  Template();
  std::string text_;
  std::vector<Piece> pieces_;
};

// The root names and filter names of the language, for "did you mean" and docs.
std::span<const std::string_view> RootNames();
std::span<const std::string_view> FilterNames();

}  // namespace tenure::workflows
