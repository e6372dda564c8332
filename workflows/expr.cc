// Templates and expressions: lexer, recursive-descent parser, evaluator (filters in filters.cc).
#include "workflows/expr.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>

#include "workflows/expr_ast.h"
#include "workflows/filters.h"
#include "workflows/loader.h"
#include "workflows/suggest.h"

namespace tenure::workflows {

using internal::FilterSpec;
using NodePtr = std::unique_ptr<ExprNode>;


namespace {

constexpr int kMaxDepth = 64;
constexpr std::string_view kKeywords[] = {"true", "false", "null", "and", "or", "not", "in", "if", "else"};

// ---------------------------------------------------------------- lexer

enum class Tok { kEnd, kClose, kName, kNumber, kString, kPunct };

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsNameStart(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view text;  // as written
  std::size_t offset = 0;
  Value value;            // kNumber, kString
};

class Lexer {
 public:
  Lexer(std::string_view text, std::size_t pos) : text_(text), pos_(pos) {}

  // Tokens up to and including `}}` (kClose) or the end of the text (kEnd).
  Result<std::vector<Token>> Run() {
    std::vector<Token> out;
    while (out.empty() || (out.back().kind != Tok::kEnd && out.back().kind != Tok::kClose)) {
      // A lone '=' is a keyword argument's only after `(name` or `,name`: `map(attribute='id')`.
      const std::size_t n = out.size();
      allow_assign_ = n >= 2 && out[n - 1].kind == Tok::kName && out[n - 2].kind == Tok::kPunct &&
                      (out[n - 2].text == "(" || out[n - 2].text == ",");
      auto token = Next();
      if (!token) return token.error();
      out.push_back(std::move(*token));
    }
    return out;
  }

 private:
  Result<Token> Next() {
    while (pos_ < text_.size() && std::string_view(" \t\r\n").find(text_[pos_]) != std::string_view::npos) ++pos_;
    if (pos_ >= text_.size()) return Token{Tok::kEnd, "", pos_, {}};
    const char c = text_[pos_];
    if (IsDigit(c)) return Number();
    if (c == '\'' || c == '"') return String();
    return IsNameStart(c) ? Name() : Punct();
  }

  Token Make(Tok kind, std::size_t start, Value value = {}) {
    return Token{kind, text_.substr(start, pos_ - start), start, std::move(value)};
  }

  Result<Token> Name() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && (IsNameStart(text_[pos_]) || IsDigit(text_[pos_]))) ++pos_;
    return Make(Tok::kName, start);
  }

  Result<Token> Number() {
    const std::size_t start = pos_;
    auto digits = [&] { while (pos_ < text_.size() && IsDigit(text_[pos_])) ++pos_; };
    digits();
    const bool decimal = pos_ + 1 < text_.size() && text_[pos_] == '.' && IsDigit(text_[pos_ + 1]);
    if (decimal) ++pos_, digits();
    if (!decimal && pos_ < text_.size() && IsNameStart(text_[pos_])) return DurationLiteral(start);
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    double d = 0;
    std::int64_t n = 0;
    if (decimal ? std::from_chars(first, last, d).ec != std::errc() : std::from_chars(first, last, n).ec != std::errc()) {
      return Error::Parse("number too large: " + std::string(text_.substr(start, std::min<std::size_t>(pos_ - start, 40))), start);
    }
    return Make(Tok::kNumber, start, decimal ? Value(d) : Value(n));
  }

  // `4w`, `90d`, `1h30m`: a duration, whose value is its text (what duration filters read).
  Result<Token> DurationLiteral(std::size_t start) {
    while (pos_ < text_.size() && (IsNameStart(text_[pos_]) || IsDigit(text_[pos_]))) ++pos_;
    const std::string_view word = text_.substr(start, pos_ - start);
    if (!ParseDuration(word)) {
      return Error::Parse("invalid duration '" + std::string(word.substr(0, 40)) +
                              "': a number and a unit (ms, s, m, h, d, w), like 36h, 90d, 4w or 1h30m",
                          start);
    }
    return Make(Tok::kString, start, Value(word));
  }

  Result<Token> String() {
    const std::size_t start = pos_;
    const char quote = text_[pos_++];
    std::string value;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      if (text_[pos_] != '\\') {
        value += text_[pos_++];
        continue;
      }
      const char e = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
      const std::string_view kFrom = "\\'\"nt", kTo = "\\'\"\n\t";
      const std::size_t which = kFrom.find(e);
      if (e == '\0' || which == std::string_view::npos) {
        if (pos_ + 1 >= text_.size()) break;
        return Error::Parse("unknown escape '\\" + std::string(1, e) + "' in string", pos_);
      }
      value += kTo[which];
      pos_ += 2;
    }
    if (pos_ >= text_.size()) return Error::Parse("unterminated string", start);
    ++pos_;
    return Make(Tok::kString, start, Value(std::move(value)));
  }

  Result<Token> Punct() {
    const std::size_t start = pos_;
    const std::string_view two = text_.substr(pos_, 2);
    for (std::string_view p : {"}}", "==", "!=", "<=", ">="}) {
      if (two == p) {
        pos_ += 2;
        return Make(p == "}}" ? Tok::kClose : Tok::kPunct, start);
      }
    }
    const char c = text_[pos_];
    if (std::string_view(".[](),|+-<>").find(c) != std::string_view::npos) {
      ++pos_;
      return Make(Tok::kPunct, start);
    }
    if (c == '=' && allow_assign_) {
      ++pos_;
      return Make(Tok::kPunct, start);
    }
    if (c == '=' || c == '}') return Error::Parse(std::string("unexpected '") + c + "' (did you mean '" + c + c + "'?)", start);
    const auto b = static_cast<unsigned char>(c);
    const char kHex[] = "0123456789abcdef";
    const std::string shown = b >= 0x20 && b < 0x7f ? std::string(1, c) : std::string("\\x") + kHex[b >> 4] + kHex[b & 15];
    return Error::Parse("unexpected character '" + shown + "'", start);
  }

  std::string_view text_;
  std::size_t pos_;
  bool allow_assign_ = false;
};

// ---------------------------------------------------------------- parser

NodePtr MakeNode(NodeKind kind, std::size_t offset) {
  auto node = std::make_unique<ExprNode>();
  node->kind = kind;
  node->offset = offset;
  return node;
}

std::vector<std::string_view> NameCandidates() {
  std::vector<std::string_view> out(RootNames().begin(), RootNames().end());
  out.insert(out.end(), {"true", "false", "null", "history"});
  return out;
}

class Parser {
 public:
  Parser(std::vector<Token> tokens, std::size_t open) : tokens_(std::move(tokens)), open_(open) {}

  // The whole `{{ expr }}`; tokens end with `}}` or the end of text.
  Result<NodePtr> Run() {
    if (tokens_.back().kind == Tok::kEnd) return Error::Parse("unterminated '{{': expected '}}'", open_);
    NodePtr node = Or();
    if (node && Peek().kind != Tok::kClose) node = Fail(Peek(), "expected '}}' after the expression, got " + Describe(Peek()));
    if (!node) return *error_;
    return node;
  }

 private:
  struct DepthGuard {  // counts nesting while parsing a sub-expression
    explicit DepthGuard(int& d) : depth(++d) {}
    ~DepthGuard() { --depth; }
    int& depth;
  };

  const Token& Peek(std::size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  const Token& Take() { return tokens_[std::min(pos_++, tokens_.size() - 1)]; }
  bool IsPunct(const Token& t, std::string_view p) const { return t.kind == Tok::kPunct && t.text == p; }
  bool IsWord(const Token& t, std::string_view w) const { return t.kind == Tok::kName && t.text == w; }

  static std::string Describe(const Token& t) {
    if (t.text.size() > 32) return "'" + std::string(t.text.substr(0, 32)) + "...'";
    return "'" + std::string(t.text) + "'";
  }

  // Records the first error (at `t`; at the `{{` when `t` is the end of text) and returns null.
  NodePtr Fail(const Token& t, std::string message) {
    if (error_) return nullptr;
    error_ = t.kind == Tok::kEnd ? Error::Parse("unterminated '{{': expected '}}'", open_)
                                 : Error::Parse(std::move(message), t.offset);
    return nullptr;
  }

  NodePtr ExpectedExpression() {
    const std::string after = pos_ == 0 ? "'{{'" : Describe(tokens_[pos_ - 1]);
    return Fail(Peek(), "expected an expression after " + after);
  }

  bool TooDeep() {
    if (depth_ <= kMaxDepth) return false;
    Fail(Peek(), "expression nested too deeply");
    return true;
  }

  // expr := or ("if" or "else" expr)?: the conditional, lowest of all.
  NodePtr Or() {
    DepthGuard guard(depth_);
    if (TooDeep()) return nullptr;
    NodePtr then = NAry(NodeKind::kOr, "or", &Parser::And);
    if (!then || !IsWord(Peek(), "if")) return then;
    Take();
    NodePtr cond = NAry(NodeKind::kOr, "or", &Parser::And);
    if (!cond) return nullptr;
    if (!IsWord(Peek(), "else")) return Fail(Peek(), "expected 'else' after the condition of 'if', got " + Describe(Peek()));
    Take();
    NodePtr otherwise = Or();
    if (!otherwise) return nullptr;
    NodePtr node = MakeNode(NodeKind::kCond, then->offset);
    node->operands.push_back(std::move(then));
    node->operands.push_back(std::move(cond));
    node->operands.push_back(std::move(otherwise));
    return node;
  }
  NodePtr And() { return NAry(NodeKind::kAnd, "and", &Parser::Not); }

  NodePtr NAry(NodeKind kind, std::string_view op, NodePtr (Parser::*operand)()) {
    NodePtr first = (this->*operand)();
    if (!first || !(IsWord(Peek(), op) || IsPunct(Peek(), op))) return first;
    NodePtr node = MakeNode(kind, first->offset);
    node->operands.push_back(std::move(first));
    while (IsWord(Peek(), op) || IsPunct(Peek(), op)) {
      Take();
      NodePtr next = (this->*operand)();
      if (!next) return nullptr;
      node->operands.push_back(std::move(next));
    }
    return node;
  }

  NodePtr Not() {
    if (!IsWord(Peek(), "not")) return Compare();
    const std::size_t offset = Take().offset;
    DepthGuard guard(depth_);
    if (TooDeep()) return nullptr;
    NodePtr operand = Not();
    if (!operand) return nullptr;
    NodePtr node = MakeNode(NodeKind::kNot, offset);
    node->operands.push_back(std::move(operand));
    return node;
  }

  // The comparison operator at the cursor (consumed), if any.
  std::optional<std::string_view> TakeCompareOp() {
    static constexpr std::string_view kOps[] = {"==", "!=", "<", "<=", ">", ">="};
    for (std::string_view op : kOps) {
      if (IsPunct(Peek(), op)) return Take(), op;
    }
    if (IsWord(Peek(), "in")) return Take(), "in";
    if (IsWord(Peek(), "not") && IsWord(Peek(1), "in")) return Take(), Take(), "not in";
    return std::nullopt;
  }

  NodePtr Compare() {
    NodePtr lhs = Add();
    if (!lhs) return nullptr;
    const std::optional<std::string_view> op = TakeCompareOp();
    if (!op) return lhs;
    NodePtr rhs = Add();
    if (!rhs) return nullptr;
    if (const Token& next = Peek(); TakeCompareOp()) return Fail(next, "comparisons cannot be chained; combine them with 'and'");
    NodePtr node = MakeNode(NodeKind::kCompare, lhs->offset);
    node->op = *op;
    node->operands.push_back(std::move(lhs));
    node->operands.push_back(std::move(rhs));
    return node;
  }

  NodePtr Add() { return NAry(NodeKind::kAdd, "+", &Parser::Unary); }

  NodePtr Unary() {
    if (!IsPunct(Peek(), "-")) return Filtered();
    const std::size_t offset = Take().offset;
    DepthGuard guard(depth_);
    if (TooDeep()) return nullptr;
    NodePtr operand = Unary();
    if (!operand) return nullptr;
    if (operand->kind == NodeKind::kLiteral && operand->literal.IsInt()) {
      operand->literal = Value(-operand->literal.AsInt());  // literals are never INT64_MIN
      operand->offset = offset;
      return operand;
    }
    NodePtr node = MakeNode(NodeKind::kNeg, offset);
    node->operands.push_back(std::move(operand));
    return node;
  }

  // Wraps `node` in a chain node unless it already is one, so steps can be appended.
  static NodePtr AsChain(NodePtr node) {
    if (node->kind == NodeKind::kChain) return node;
    NodePtr chain = MakeNode(NodeKind::kChain, node->offset);
    chain->operands.push_back(std::move(node));
    return chain;
  }

  NodePtr Filtered() {
    NodePtr node = Postfix();
    while (node && IsPunct(Peek(), "|")) {
      Take();
      const Token& name = Peek();
      if (name.kind != Tok::kName) return Fail(name, "expected a filter name after '|'");
      Take();
      const FilterSpec* spec = internal::FindFilter(name.text);
      if (spec == nullptr) {
        return Fail(name, "unknown filter " + Describe(name) + DidYouMean(name.text, FilterNames()));
      }
      Step step{Step::Kind::kFilter, std::string(name.text), spec, {}, {}, name.offset};
      if (IsPunct(Peek(), "(") && !Arguments(step)) return nullptr;
      if (std::string bad = internal::CheckArgCount(*spec, step.args.size()); !bad.empty()) return Fail(name, bad);
      for (std::size_t i = 0; i < spec->min_args && i < step.given.size(); ++i) {
        if (!step.given[i]) return Fail(name, "filter " + Describe(name) + " needs argument '" + std::string(spec->params[i]) + "'");
      }
      node = AsChain(std::move(node));
      node->steps.push_back(std::move(step));
    }
    return node;
  }

  // Positional arguments first, then `name=value` ones, placed at their parameter's position.
  bool Arguments(Step& step) {
    Take();  // (
    if (IsPunct(Peek(), ")")) return Take(), true;
    bool keywords = false;
    while (true) {
      std::size_t at = step.args.size();
      if (Peek().kind == Tok::kName && IsPunct(Peek(1), "=")) {
        const Token& key = Take();
        Take();  // =
        const auto& params = step.filter->params;
        const auto found = std::find(params.begin(), params.end(), key.text);
        if (key.text.empty() || found == params.end() || static_cast<std::size_t>(found - params.begin()) >= step.filter->max_args) {
          std::vector<std::string_view> names;
          for (std::size_t i = 0; i < step.filter->max_args && !params[i].empty(); ++i) names.push_back(params[i]);
          Fail(key, "filter '" + step.name + "' has no argument " + Describe(key) +
                        (names.empty() ? " (it takes no named arguments)" : DidYouMean(key.text, names)));
          return false;
        }
        at = static_cast<std::size_t>(found - params.begin());
        if (at < step.given.size() && step.given[at]) {
          Fail(key, "argument " + Describe(key) + " of filter '" + step.name + "' is given twice");
          return false;
        }
        keywords = true;
      } else if (keywords) {
        Fail(Peek(), "a positional argument cannot follow a named one in filter '" + step.name + "'");
        return false;
      }
      NodePtr arg = Or();
      if (!arg) return false;
      if (step.args.size() <= at) {
        step.args.resize(at + 1);
        step.given.resize(at + 1, false);
      }
      step.args[at] = std::move(arg);
      step.given[at] = true;
      if (IsPunct(Peek(), ")")) return Take(), true;
      if (!IsPunct(Peek(), ",")) {
        Fail(Peek(), "expected ',' or ')' after an argument of filter '" + step.name + "', got " + Describe(Peek()));
        return false;
      }
      Take();
    }
  }

  NodePtr Postfix() {
    NodePtr node = Primary();
    while (node && (IsPunct(Peek(), ".") || IsPunct(Peek(), "["))) {
      const bool member = Take().text == ".";
      Step step{member ? Step::Kind::kMember : Step::Kind::kIndex, "", nullptr, {}, {}, Peek().offset};
      if (!member) step.offset = tokens_[pos_ - 1].offset;
      if (member) {
        if (Peek().kind != Tok::kName) return Fail(Peek(), "expected a name after '.', got " + Describe(Peek()));
        step.name = std::string(Take().text);
      } else {
        NodePtr index = Or();
        if (!index) return nullptr;
        if (!IsPunct(Peek(), "]")) return Fail(Peek(), "expected ']' after the index, got " + Describe(Peek()));
        Take();
        step.args.push_back(std::move(index));
      }
      node = AsChain(std::move(node));
      node->steps.push_back(std::move(step));
    }
    return node;
  }

  NodePtr Primary() {
    const Token& t = Peek();
    if (t.kind == Tok::kNumber || t.kind == Tok::kString) {
      NodePtr node = MakeNode(NodeKind::kLiteral, t.offset);
      node->literal = Take().value;
      return node;
    }
    if (t.kind == Tok::kName) return NamePrimary();
    if (IsPunct(t, "[")) return ListLiteral();
    if (!IsPunct(t, "(")) return ExpectedExpression();
    Take();
    NodePtr inner = Or();
    if (inner && !IsPunct(Peek(), ")")) return Fail(Peek(), "expected ')', got " + Describe(Peek()));
    Take();
    return inner;
  }

  NodePtr NamePrimary() {
    const Token& t = Peek();
    const auto& roots = RootNames();
    const std::string_view constants[] = {"true", "false", "null"};
    const Value values[] = {Value(true), Value(false), Value()};
    for (std::size_t i = 0; i < 3; ++i) {
      if (t.text != constants[i]) continue;
      NodePtr node = MakeNode(NodeKind::kLiteral, Take().offset);
      node->literal = values[i];
      return node;
    }
    if (t.text == "history") return HistoryCall();
    if (std::find(roots.begin(), roots.end(), t.text) != roots.end()) {
      NodePtr node = MakeNode(NodeKind::kRoot, t.offset);
      node->name = std::string(Take().text);
      return node;
    }
    if (std::find(std::begin(kKeywords), std::end(kKeywords), t.text) != std::end(kKeywords)) return ExpectedExpression();
    static const std::vector<std::string_view> candidates = NameCandidates();
    return Fail(t, "unknown name " + Describe(t) + DidYouMean(t.text, candidates));
  }

  // `history.last(playbook=P, key=K)`: arguments by position or by name, as a filter's.
  NodePtr HistoryCall() {
    static constexpr std::string_view kParams[] = {"playbook", "key"};
    const std::size_t offset = Take().offset;  // history
    if (!IsPunct(Peek(), ".")) return Fail(Peek(), "'history' is read with history.last(playbook=..., key=...), got " + Describe(Peek()));
    Take();
    const Token& fn = Peek();
    if (!IsWord(fn, "last")) {
      static constexpr std::string_view kFunctions[] = {"last"};
      return Fail(fn, "history has no function " + Describe(fn) + DidYouMean(fn.text, kFunctions) +
                          "; it has last(playbook=..., key=...)");
    }
    Take();
    if (!IsPunct(Peek(), "(")) return Fail(Peek(), "expected '(' after history.last, got " + Describe(Peek()));
    Take();
    NodePtr node = MakeNode(NodeKind::kHistory, offset);
    node->operands.resize(2);
    std::size_t positional = 0;
    bool keywords = false;
    while (!IsPunct(Peek(), ")")) {
      std::size_t at = positional;
      const Token& start = Peek();
      if (start.kind == Tok::kName && IsPunct(Peek(1), "=")) {
        const auto found = std::find(std::begin(kParams), std::end(kParams), start.text);
        if (found == std::end(kParams)) {
          return Fail(start, "history.last has no argument " + Describe(start) + DidYouMean(start.text, kParams) +
                                 "; its arguments: playbook, key");
        }
        at = static_cast<std::size_t>(found - std::begin(kParams));
        if (node->operands[at]) return Fail(start, "argument " + Describe(start) + " of history.last is given twice");
        Take();
        Take();  // =
        keywords = true;
      } else if (keywords) {
        return Fail(start, "a positional argument cannot follow a named one in history.last");
      } else if (positional >= 2) {
        return Fail(start, "history.last takes 2 arguments (playbook, key), got more");
      } else {
        ++positional;
      }
      NodePtr arg = Or();
      if (!arg) return nullptr;
      if (node->operands[at]) return Fail(start, "argument '" + std::string(kParams[at]) + "' of history.last is given twice");
      node->operands[at] = std::move(arg);
      if (IsPunct(Peek(), ")")) break;
      if (!IsPunct(Peek(), ",")) return Fail(Peek(), "expected ',' or ')' after an argument of history.last, got " + Describe(Peek()));
      Take();
    }
    Take();  // )
    for (std::size_t i = 0; i < 2; ++i) {
      if (!node->operands[i]) return Fail(fn, "history.last needs argument '" + std::string(kParams[i]) + "' (history.last(playbook=..., key=...))");
    }
    return node;
  }

  NodePtr ListLiteral() {
    NodePtr node = MakeNode(NodeKind::kList, Take().offset);
    while (!IsPunct(Peek(), "]")) {
      NodePtr item = Or();
      if (!item) return nullptr;
      node->operands.push_back(std::move(item));
      if (IsPunct(Peek(), "]")) break;
      if (!IsPunct(Peek(), ",")) return Fail(Peek(), "expected ',' or ']' in the list, got " + Describe(Peek()));
      Take();
    }
    Take();
    return node;
  }

  std::vector<Token> tokens_;
  std::size_t open_;  // offset of the `{{`
  std::size_t pos_ = 0;
  int depth_ = 0;
  std::optional<Error> error_;
};

}  // namespace
}  // namespace tenure::workflows

// ---------------------------------------------------------------- evaluation

namespace tenure::workflows {
namespace {

Result<Value> Eval(const ExprNode& node, const Scope& scope);

// An error without a position gets `offset` (of the operator, filter or node that failed).
Result<Value> At(Result<Value> r, std::size_t offset) {
  if (!r && r.error().offset == std::string::npos) {
    Error e = r.error();
    e.offset = offset;
    return e;
  }
  return r;
}

Result<List> EvalAll(const std::vector<NodePtr>& nodes, const Scope& scope) {
  List out;
  out.reserve(nodes.size());
  for (const NodePtr& node : nodes) {
    if (!node) {  // a filter argument not given (a later one was given by name)
      out.emplace_back();
      continue;
    }
    auto v = Eval(*node, scope);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

Result<Value> ApplyStep(const Step& step, Value current, const Scope& scope) {
  if (step.kind == Step::Kind::kMember) return At(internal::Member(std::move(current), step.name), step.offset);
  auto args = EvalAll(step.args, scope);
  if (!args) return args.error();
  if (step.kind == Step::Kind::kIndex) return At(internal::Index(std::move(current), args->front()), step.offset);
  return At(internal::ApplyFilter(*step.filter, current, *args), step.offset);
}

Result<Value> EvalChain(const ExprNode& node, const Scope& scope) {
  auto current = Eval(*node.operands.front(), scope);
  for (const Step& step : node.steps) {
    if (!current) break;
    current = ApplyStep(step, std::move(*current), scope);
  }
  return current;
}

// and/or short-circuit, left to right; the result is a bool.
Result<Value> EvalLogic(const ExprNode& node, const Scope& scope) {
  const bool is_and = node.kind == NodeKind::kAnd;
  for (const NodePtr& operand : node.operands) {
    auto v = Eval(*operand, scope);
    if (!v) return v;
    if (v->Truthy() != is_and) return Value(!is_and);
  }
  return Value(is_and);
}

Result<Value> EvalAdd(const ExprNode& node, const Scope& scope) {
  auto sum = Eval(*node.operands.front(), scope);
  for (std::size_t i = 1; sum && i < node.operands.size(); ++i) {
    auto next = Eval(*node.operands[i], scope);
    if (!next) return next;
    sum = At(internal::Plus(std::move(*sum), *next), node.operands[i]->offset);
  }
  return sum;
}

Result<Value> EvalUnary(const ExprNode& node, const Scope& scope) {
  auto v = Eval(*node.operands.front(), scope);
  if (!v) return v;
  return node.kind == NodeKind::kNot ? Value(!v->Truthy()) : At(internal::Negate(*v), node.offset);
}

Result<Value> EvalCompare(const ExprNode& node, const Scope& scope) {
  auto sides = EvalAll(node.operands, scope);
  if (!sides) return sides.error();
  return At(internal::Compare(node.op, (*sides)[0], (*sides)[1]), node.offset);
}

// `a if cond else b`: only the branch taken is evaluated.
Result<Value> EvalCond(const ExprNode& node, const Scope& scope) {
  auto cond = Eval(*node.operands[1], scope);
  if (!cond) return cond;
  return Eval(*node.operands[cond->Truthy() ? 0 : 2], scope);
}

// The lookup of a kHistory node: its arguments evaluated and checked.
Result<HistoryKey> EvalHistoryKey(const ExprNode& node, const Scope& scope) {
  auto args = EvalAll(node.operands, scope);
  if (!args) return args.error();
  const Value& playbook = (*args)[0];
  const Value& key = (*args)[1];
  auto bad = [&](std::size_t i, std::string_view what, const Value& got) {
    Error e = Error::Type(std::string("history.last: '") + (i == 0 ? "playbook" : "key") + "' must be " +
                          std::string(what) + ", got " + (got.IsString() ? "an empty string" : got.KindName(got.kind())));
    e.offset = node.operands[i]->offset;
    return e;
  };
  if (!playbook.IsString() || playbook.AsString().empty()) return bad(0, "a playbook's name", playbook);
  if (key.IsInt()) return HistoryKey{playbook.AsString(), std::to_string(key.AsInt())};
  if (!key.IsString() || key.AsString().empty()) return bad(1, "a run key (a string or a whole number)", key);
  return HistoryKey{playbook.AsString(), key.AsString()};
}

// `history.last(...)`: the run frozen in the `history` root for these arguments.
Result<Value> EvalHistory(const ExprNode& node, const Scope& scope) {
  auto key = EvalHistoryKey(node, scope);
  if (!key) return key.error();
  auto root = scope.Root("history");
  if (!root) {
    if (root.error().Is(Errc::kUnresolved)) return At(Error::Unresolved(key->Describe() + " is read when the run starts"), node.offset);
    return At(root, node.offset);
  }
  const Value* run = FindHistory(*root, *key);
  if (run == nullptr) return At(Error::Unresolved(key->Describe() + " was not read when the run started"), node.offset);
  return *run;
}

Result<Value> Eval(const ExprNode& node, const Scope& scope) {
  switch (node.kind) {
    case NodeKind::kHistory: return EvalHistory(node, scope);
    case NodeKind::kCond: return EvalCond(node, scope);
    case NodeKind::kLiteral: return node.literal;
    case NodeKind::kRoot: return scope.Root(node.name);
    case NodeKind::kList: {
      auto items = EvalAll(node.operands, scope);
      if (!items) return items.error();
      return Value(std::move(*items));
    }
    case NodeKind::kChain: return EvalChain(node, scope);
    case NodeKind::kNeg:
    case NodeKind::kNot: return EvalUnary(node, scope);
    case NodeKind::kAnd:
    case NodeKind::kOr: return EvalLogic(node, scope);
    case NodeKind::kAdd: return EvalAdd(node, scope);
    case NodeKind::kCompare: return EvalCompare(node, scope);
  }
  return Value();
}

// ---------------------------------------------------------------- static analysis

// The constant path element of an index step (`[0]`, `['k']`), if it is one.
std::optional<std::string> ConstantKey(const Step& step) {
  if (step.kind == Step::Kind::kMember) return step.name;
  if (step.kind != Step::Kind::kIndex || step.args.front()->kind != NodeKind::kLiteral) return std::nullopt;
  const Value& key = step.args.front()->literal;
  if (key.IsInt()) return std::to_string(key.AsInt());
  if (key.IsString()) return key.AsString();
  return std::nullopt;
}

void CollectReferences(const ExprNode& node, std::vector<Reference>& out) {
  if (node.kind == NodeKind::kRoot) out.push_back({{node.name}, node.offset});
  const bool rooted_chain = node.kind == NodeKind::kChain && node.operands.front()->kind == NodeKind::kRoot;
  if (rooted_chain) {
    Reference ref{{node.operands.front()->name}, node.operands.front()->offset};
    for (const Step& step : node.steps) {
      std::optional<std::string> key = ConstantKey(step);
      if (!key) break;
      ref.path.push_back(std::move(*key));
    }
    out.push_back(std::move(ref));
  }
  for (std::size_t i = rooted_chain ? 1 : 0; i < node.operands.size(); ++i) CollectReferences(*node.operands[i], out);
  for (const Step& step : node.steps) {
    for (const NodePtr& arg : step.args) {
      if (arg) CollectReferences(*arg, out);
    }
  }
}

void CollectFilters(const ExprNode& node, std::vector<std::string>& out) {
  for (const NodePtr& operand : node.operands) CollectFilters(*operand, out);
  for (const Step& step : node.steps) {
    if (step.kind == Step::Kind::kFilter) out.push_back(step.name);
    for (const NodePtr& arg : step.args) {
      if (arg) CollectFilters(*arg, out);
    }
  }
}

void CollectHistory(const ExprNode& node, std::vector<const ExprNode*>& out) {
  if (node.kind == NodeKind::kHistory) out.push_back(&node);
  for (const NodePtr& operand : node.operands) {
    if (operand) CollectHistory(*operand, out);
  }
  for (const Step& step : node.steps) {
    for (const NodePtr& arg : step.args) {
      if (arg) CollectHistory(*arg, out);
    }
  }
}

std::string Quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

bool IsBlank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace

// ---------------------------------------------------------------- Template

Template::Template() = default;
Template::Template(const Template&) = default;
Template& Template::operator=(const Template&) = default;
Template::Template(Template&&) noexcept = default;
Template& Template::operator=(Template&&) noexcept = default;
Template::~Template() = default;

Result<Template> Template::Parse(std::string_view text) {
  Template t;
  t.text_ = std::string(text);
  std::string literal;
  std::size_t pos = 0;
  for (std::size_t open = text.find("{{"); open != std::string_view::npos; open = text.find("{{", pos)) {
    literal.append(text.substr(pos, open - pos));
    auto tokens = Lexer(text, open + 2).Run();
    if (!tokens) return tokens.error();
    pos = tokens->back().offset + 2;  // past the `}}` (or the end, where parsing fails)
    auto expr = Parser(std::move(*tokens), open).Run();
    if (!expr) return expr.error();
    if (!literal.empty()) t.pieces_.push_back({std::move(literal), nullptr});
    literal.clear();
    t.pieces_.push_back({"", std::shared_ptr<const ExprNode>(std::move(*expr))});
  }
  literal.append(text.substr(pos));
  if (!literal.empty()) t.pieces_.push_back({std::move(literal), nullptr});
  return t;
}

bool Template::HasExpressions() const {
  return std::any_of(pieces_.begin(), pieces_.end(), [](const Piece& p) { return p.expr != nullptr; });
}

bool Template::IsSingleExpression() const {
  const auto expressions = std::count_if(pieces_.begin(), pieces_.end(), [](const Piece& p) { return p.expr != nullptr; });
  return expressions == 1 &&
         std::all_of(pieces_.begin(), pieces_.end(), [](const Piece& p) { return p.expr || IsBlank(p.literal); });
}

std::vector<Reference> Template::References() const {
  std::vector<Reference> out;
  for (const Piece& piece : pieces_) {
    if (piece.expr) CollectReferences(*piece.expr, out);
  }
  std::stable_sort(out.begin(), out.end(), [](const Reference& a, const Reference& b) { return a.offset < b.offset; });
  return out;
}

std::vector<std::string> Template::Filters() const {
  std::vector<std::string> out;
  for (const Piece& piece : pieces_) {
    if (piece.expr) CollectFilters(*piece.expr, out);
  }
  return out;
}

std::vector<Reference> Template::HistoryReferences() const {
  std::vector<const ExprNode*> calls;
  for (const Piece& piece : pieces_) {
    if (piece.expr) CollectHistory(*piece.expr, calls);
  }
  std::vector<Reference> out;
  for (const ExprNode* call : calls) {
    for (const NodePtr& arg : call->operands) CollectReferences(*arg, out);
  }
  std::stable_sort(out.begin(), out.end(), [](const Reference& a, const Reference& b) { return a.offset < b.offset; });
  out.erase(std::unique(out.begin(), out.end(), [](const Reference& a, const Reference& b) { return a.offset == b.offset && a.path == b.path; }), out.end());
  return out;
}

Result<std::vector<HistoryKey>> Template::HistoryKeys(const Scope& scope) const {
  std::vector<const ExprNode*> calls;
  for (const Piece& piece : pieces_) {
    if (piece.expr) CollectHistory(*piece.expr, calls);
  }
  std::vector<HistoryKey> out;
  for (const ExprNode* call : calls) {
    auto key = EvalHistoryKey(*call, scope);
    if (!key) return key.error();
    out.push_back(std::move(*key));
  }
  return out;
}

std::string HistoryKey::Describe() const {
  return "history.last(playbook=" + Quoted(playbook) + ", key=" + Quoted(key) + ")";
}

const Value* FindHistory(const Value& root, const HistoryKey& key) {
  if (!root.IsMap()) return nullptr;
  const Value* runs = root.AsMap().Find(key.playbook);
  return runs != nullptr && runs->IsMap() ? runs->AsMap().Find(key.key) : nullptr;
}

void SetHistory(Map& root, const HistoryKey& key, Value run) {
  Value* runs = root.Find(key.playbook);
  if (runs == nullptr || !runs->IsMap()) {
    root.Set(key.playbook, Value(Map()));
    runs = root.Find(key.playbook);
  }
  runs->AsMap().Set(key.key, std::move(run));
}

Result<Value> Template::Render(const Scope& scope) const {
  if (IsSingleExpression()) {
    for (const Piece& piece : pieces_) {
      if (piece.expr) return Eval(*piece.expr, scope);
    }
  }
  std::string out;
  for (const Piece& piece : pieces_) {
    if (!piece.expr) {
      out += piece.literal;
      continue;
    }
    auto v = Eval(*piece.expr, scope);
    if (!v) return v;
    out += v->ToText();
  }
  return Value(std::move(out));
}

Result<Value> MapScope::Root(std::string_view name) const {
  if (const Value* v = roots_.Find(name)) return *v;
  return Error::Unresolved("'" + std::string(name) + "' is known only at run time");
}

std::span<const std::string_view> RootNames() {
  static constexpr std::string_view kNames[] = {"inputs", "vars", "tasks", "item", "index", "run", "now", "result", "params", "calendars"};
  return kNames;
}

}  // namespace tenure::workflows
