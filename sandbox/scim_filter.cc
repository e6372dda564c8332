#include "sandbox/scim_filter.h"

#include <boost/json/parse.hpp>
#include <cctype>

#include "sandbox/message.h"

namespace tenure::sandbox {
namespace {

namespace json = boost::json;
using Node = ScimFilter::Node;

struct Token {
  enum class Kind { kWord, kString, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // word or punctuation as written; for strings the raw JSON literal
};

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '$' || c == '_' || c == '-' ||
         c == '+';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Node> ParseAll() {
    auto node = ParseOr(0);
    if (!node) return node;
    if (Peek().kind != Token::Kind::kEnd) return Fail("unexpected \"" + Peek().text + "\"");
    return node;
  }

 private:
  Error Fail(const std::string& why) const { return Error::Parse(why + " at offset " + std::to_string(pos_)); }

  Token Lex() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    if (pos_ >= text_.size()) return {};
    const char c = text_[pos_];
    if (c == '(' || c == ')' || c == '[' || c == ']') return {Token::Kind::kPunct, std::string(1, text_[pos_++])};
    if (c == '"') {
      const std::size_t start = pos_++;
      while (pos_ < text_.size() && text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
      if (pos_ >= text_.size()) return {Token::Kind::kPunct, "unterminated string"};
      ++pos_;
      return {Token::Kind::kString, std::string(text_.substr(start, pos_ - start))};
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && IsWordChar(text_[pos_])) ++pos_;
    if (pos_ == start) return {Token::Kind::kPunct, std::string(1, text_[pos_++])};
    return {Token::Kind::kWord, std::string(text_.substr(start, pos_ - start))};
  }

  const Token& Peek() {
    if (!peeked_) {
      peek_ = Lex();
      peeked_ = true;
    }
    return peek_;
  }
  Token Next() {
    Peek();
    peeked_ = false;
    return peek_;
  }
  bool PeekWord(std::string_view w) { return Peek().kind == Token::Kind::kWord && IEquals(Peek().text, w); }
  bool PeekPunct(std::string_view p) { return Peek().kind == Token::Kind::kPunct && Peek().text == p; }

  Result<Node> ParseOr(int depth) {
    if (depth > 32) return Fail("filter nested too deeply");
    auto left = ParseAnd(depth);
    while (left && PeekWord("or")) {
      Next();
      auto right = ParseAnd(depth);
      if (!right) return right;
      left = Node{Node::Kind::kOr, "", "", nullptr, {std::move(*left), std::move(*right)}};
    }
    return left;
  }

  Result<Node> ParseAnd(int depth) {
    auto left = ParseUnary(depth);
    while (left && PeekWord("and")) {
      Next();
      auto right = ParseUnary(depth);
      if (!right) return right;
      left = Node{Node::Kind::kAnd, "", "", nullptr, {std::move(*left), std::move(*right)}};
    }
    return left;
  }

  Result<Node> ParseGroup(int depth) {
    Next();  // '('
    auto inner = ParseOr(depth + 1);
    if (!inner) return inner;
    if (!PeekPunct(")")) return Fail("expected \")\"");
    Next();
    return inner;
  }

  Result<Node> ParseUnary(int depth) {
    if (PeekWord("not")) {
      Next();
      if (!PeekPunct("(")) return Fail("expected \"(\" after not");
      auto inner = ParseGroup(depth);
      if (!inner) return inner;
      return Node{Node::Kind::kNot, "", "", nullptr, {std::move(*inner)}};
    }
    if (PeekPunct("(")) return ParseGroup(depth);
    return ParseAttrExpr(depth);
  }

  Result<Node> ParseAttrExpr(int depth) {
    Token attr = Next();
    // "urn:ietf:params:scim:schemas:core:2.0:User:name.givenName" names name.givenName.
    if (attr.text.starts_with("urn:")) attr.text = attr.text.substr(attr.text.rfind(':') + 1);
    if (attr.kind != Token::Kind::kWord) return Fail(attr.kind == Token::Kind::kEnd ? "expected an attribute" : "unexpected \"" + attr.text + "\"");
    if (PeekPunct("[")) {
      Next();
      auto inner = ParseOr(depth + 1);
      if (!inner) return inner;
      if (!PeekPunct("]")) return Fail("expected \"]\"");
      Next();
      return Node{Node::Kind::kValuePath, attr.text, "", nullptr, {std::move(*inner)}};
    }
    const Token op = Next();
    std::string lower = op.text;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (op.kind != Token::Kind::kWord) return Fail("expected an operator after \"" + attr.text + "\"");
    if (lower == "pr") return Node{Node::Kind::kPresent, attr.text, lower, nullptr, {}};
    static const std::string_view kOps[] = {"eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"};
    if (std::find(std::begin(kOps), std::end(kOps), lower) == std::end(kOps)) {
      return Fail("unsupported operator \"" + op.text + "\"");
    }
    auto value = ParseValue();
    if (!value) return value.error();
    return Node{Node::Kind::kCompare, attr.text, lower, std::move(*value), {}};
  }

  Result<json::value> ParseValue() {
    const Token t = Next();
    if (t.kind == Token::Kind::kString || (t.kind == Token::Kind::kWord && !t.text.empty())) {
      std::string literal = t.text;
      if (t.kind == Token::Kind::kWord) {
        for (auto& ch : literal) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
      boost::system::error_code ec;
      auto v = json::parse(literal, ec);
      if (!ec && !v.is_object() && !v.is_array()) return v;
    }
    return Fail("expected a value (a \"string\", number, true, false or null)");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  Token peek_;
  bool peeked_ = false;
};

bool CaseExact(std::string_view attr) {
  const auto dot = attr.rfind('.');
  const auto leaf = dot == std::string_view::npos ? attr : attr.substr(dot + 1);
  return IEquals(leaf, "id") || IEquals(leaf, "externalId") || IEquals(leaf, "value") || IEquals(leaf, "$ref");
}

// The leaf values at `path` (dotted), flattening multi-valued attributes.
void Collect(const json::value& v, std::string_view path, std::vector<const json::value*>& out) {
  if (v.is_array()) {
    for (const auto& e : v.get_array()) Collect(e, path, out);
    return;
  }
  if (path.empty()) {
    out.push_back(&v);
    return;
  }
  if (!v.is_object()) return;
  const auto dot = path.find('.');
  const auto* child = FindAttr(v.get_object(), path.substr(0, dot));
  if (child != nullptr) Collect(*child, dot == std::string_view::npos ? "" : path.substr(dot + 1), out);
}

std::string Fold(std::string s, bool exact) {
  if (!exact) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

bool CompareOne(const json::value& have, const Node& n) {
  const auto& want = n.value;
  if (have.is_string() && want.is_string()) {
    const bool exact = CaseExact(n.attr);
    const std::string a = Fold(std::string(have.get_string()), exact);
    const std::string b = Fold(std::string(want.get_string()), exact);
    if (n.op == "eq") return a == b;
    if (n.op == "ne") return a != b;
    if (n.op == "co") return a.find(b) != std::string::npos;
    if (n.op == "sw") return a.starts_with(b);
    if (n.op == "ew") return a.ends_with(b);
    if (n.op == "gt") return a > b;
    if (n.op == "ge") return a >= b;
    if (n.op == "lt") return a < b;
    return a <= b;
  }
  if (have.is_number() && want.is_number()) {
    const double a = have.to_number<double>();
    const double b = want.to_number<double>();
    if (n.op == "eq") return a == b;
    if (n.op == "ne") return a != b;
    if (n.op == "gt") return a > b;
    if (n.op == "ge") return a >= b;
    if (n.op == "lt") return a < b;
    if (n.op == "le") return a <= b;
    return false;
  }
  if (n.op == "eq") return have == want;
  if (n.op == "ne") return have != want;
  return false;
}

bool Eval(const Node& n, const json::object& o) {
  switch (n.kind) {
    case Node::Kind::kAnd: return Eval(n.children[0], o) && Eval(n.children[1], o);
    case Node::Kind::kOr: return Eval(n.children[0], o) || Eval(n.children[1], o);
    case Node::Kind::kNot: return !Eval(n.children[0], o);
    case Node::Kind::kValuePath: {
      const auto* attr = FindAttr(o, n.attr);
      if (attr == nullptr) return false;
      if (attr->is_object()) return Eval(n.children[0], attr->get_object());
      if (!attr->is_array()) return false;
      for (const auto& e : attr->get_array()) {
        if (e.is_object() && Eval(n.children[0], e.get_object())) return true;
      }
      return false;
    }
    case Node::Kind::kPresent:
    case Node::Kind::kCompare: break;
  }
  std::vector<const json::value*> values;
  const auto dot = std::string_view(n.attr).find('.');
  if (const auto* top = FindAttr(o, std::string_view(n.attr).substr(0, dot))) {
    Collect(*top, dot == std::string_view::npos ? "" : std::string_view(n.attr).substr(dot + 1), values);
  }
  if (n.kind == Node::Kind::kPresent) {
    return std::any_of(values.begin(), values.end(), [](const json::value* v) {
      return !v->is_null() && !(v->is_string() && v->get_string().empty());
    });
  }
  if (values.empty()) return n.op == "ne" || (n.op == "eq" && n.value.is_null());
  return std::any_of(values.begin(), values.end(), [&](const json::value* v) { return CompareOne(*v, n); });
}

}  // namespace

Result<ScimFilter> ScimFilter::Parse(std::string_view text) {
  Parser parser(text);
  auto root = parser.ParseAll();
  if (!root) return root.error();
  return ScimFilter(std::move(*root));
}

bool ScimFilter::Matches(const boost::json::object& resource) const { return Eval(root_, resource); }

bool ScimFilter::IsSimpleEq() const {
  return root_.kind == Node::Kind::kCompare && root_.op == "eq" && root_.attr.find('.') == std::string::npos &&
         root_.attr.find('[') == std::string::npos;
}

const boost::json::value* FindAttr(const boost::json::object& o, std::string_view name) {
  // "urn:...:User:userName" names the core attribute userName.
  if (const auto colon = name.rfind(':'); colon != std::string_view::npos && name.starts_with("urn:")) {
    if (const auto* whole = o.if_contains(name)) return whole;
    name = name.substr(colon + 1);
  }
  for (const auto& kv : o) {
    if (IEquals(kv.key(), name)) return &kv.value();
  }
  return nullptr;
}

boost::json::value* FindAttr(boost::json::object& o, std::string_view name) {
  return const_cast<boost::json::value*>(FindAttr(static_cast<const boost::json::object&>(o), name));
}

}  // namespace tenure::sandbox
