// Static checks of expressions: the type of every node from literals and declared inputs, and
// the type errors that evaluation would certainly meet, each at its offset.
#include <algorithm>

#include "workflows/expr.h"
#include "workflows/expr_ast.h"
#include "workflows/filters.h"

namespace tenure::workflows {

using internal::KindSet;

ExprType ExprType::ListOf(ExprType item) {
  ExprType t = Of(internal::kListK);
  t.item = std::make_shared<const ExprType>(std::move(item));
  return t;
}

ExprType ExprType::MapOf(std::vector<std::pair<std::string, ExprType>> fields, bool closed) {
  ExprType t = Of(internal::kMapK);
  t.fields = std::make_shared<const std::vector<std::pair<std::string, ExprType>>>(std::move(fields));
  t.closed = closed;
  return t;
}

ExprType ExprType::FromValue(const Value& v) {
  if (v.IsList()) {
    if (v.AsList().empty()) return Of(internal::kListK);
    ExprType item = FromValue(v.AsList().front());
    for (const Value& x : v.AsList()) item = Union(item, FromValue(x));
    return ListOf(std::move(item));
  }
  if (v.IsMap()) {
    std::vector<std::pair<std::string, ExprType>> fields;
    for (const auto& [key, value] : v.AsMap()) fields.emplace_back(key, FromValue(value));
    return MapOf(std::move(fields), false);
  }
  return Of(internal::KindBit(v.kind()));
}

ExprType ExprType::Union(const ExprType& a, const ExprType& b) {
  // What is known of items and keys survives only when the other side cannot have them.
  if (a.kinds == internal::kNullK) {
    ExprType t = b;
    t.kinds |= a.kinds;
    return t;
  }
  if (b.kinds == internal::kNullK) return Union(b, a);
  ExprType t = Of(a.kinds | b.kinds);
  if (a.item && b.item) t.item = std::make_shared<const ExprType>(Union(*a.item, *b.item));
  return t;
}

const ExprType* ExprType::Field(std::string_view key) const {
  if (!fields) return nullptr;
  for (const auto& [name, type] : *fields) {
    if (name == key) return &type;
  }
  return nullptr;
}

std::string ExprType::Describe() const {
  std::string out;
  for (unsigned k = 0; k < 7; ++k) {
    if ((kinds & (1u << k)) == 0) continue;
    if (k == static_cast<unsigned>(Value::Kind::kDouble) && (kinds & internal::kIntK) != 0) continue;
    out += (out.empty() ? "" : " or ") + std::string(Value::KindName(static_cast<Value::Kind>(k)));
  }
  return out;
}

ExprType HistoryRunType() {
  const ExprType str = ExprType::Of(internal::kStrK);
  ExprType t = ExprType::MapOf({{"id", str},
                                {"status", str},
                                {"key", str},
                                {"started_at", str},
                                {"finished_at", ExprType::Of(internal::kStrK | internal::kNullK)},
                                {"inputs", ExprType::Of(internal::kMapK)},
                                {"tasks", ExprType::Of(internal::kMapK)}},
                               true);
  t.kinds |= internal::kNullK;
  return t;
}

namespace {

using internal::kBoolK;
using internal::kIntK;
using internal::kListK;
using internal::kMapK;
using internal::kNullK;
using internal::kNumK;
using internal::kStrK;

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

class Checker {
 public:
  Checker(const TypeScope& scope, std::vector<Error>* errors) : scope_(scope), errors_(errors) {}

  ExprType Infer(const ExprNode& node) {
    switch (node.kind) {
      case NodeKind::kLiteral: return ExprType::FromValue(node.literal);
      case NodeKind::kRoot: return scope_.Root(node.name);
      case NodeKind::kList: {
        if (node.operands.empty()) return ExprType::Of(kListK);
        ExprType item = Infer(*node.operands.front());
        for (std::size_t i = 1; i < node.operands.size(); ++i) item = ExprType::Union(item, Infer(*node.operands[i]));
        return ExprType::ListOf(std::move(item));
      }
      case NodeKind::kChain: return Chain(node);
      case NodeKind::kNeg: {
        const ExprType t = Infer(*node.operands.front());
        if ((t.kinds & kNumK) == 0) Report(node.offset, "operator '-' expects a number, got " + t.Describe());
        return ExprType::Of(t.kinds & kNumK ? t.kinds & kNumK : kNumK);
      }
      case NodeKind::kNot:
      case NodeKind::kAnd:
      case NodeKind::kOr:
        for (const NodePtr& operand : node.operands) Infer(*operand);
        return ExprType::Of(kBoolK);
      case NodeKind::kAdd: return Add(node);
      case NodeKind::kCompare: return CompareOp(node);
      case NodeKind::kCond: {
        Infer(*node.operands[1]);
        return ExprType::Union(Infer(*node.operands[0]), Infer(*node.operands[2]));
      }
      case NodeKind::kHistory: return History(node);
    }
    return ExprType::Any();
  }

 private:
  void Report(std::size_t offset, std::string message) {
    if (errors_ == nullptr) return;
    Error e = Error::Type(std::move(message));
    e.offset = offset;
    errors_->push_back(std::move(e));
  }

  static bool Known(const ExprType& t) { return t.kinds != ExprType::kAll && t.kinds != 0; }

  ExprType Chain(const ExprNode& node) {
    ExprType t = Infer(*node.operands.front());
    for (const Step& step : node.steps) t = ApplyStep(step, t);
    return t;
  }

  ExprType ApplyStep(const Step& step, const ExprType& t) {
    switch (step.kind) {
      case Step::Kind::kMember: return Read(step.offset, t, step.name, "cannot read " + Quote(step.name) + " of a ");
      case Step::Kind::kIndex: {
        const ExprType key = Infer(*step.args.front());
        if (Known(t) && (t.kinds & (kListK | kMapK | kNullK)) == 0) {
          Report(step.offset, "cannot index a " + t.Describe());
          return ExprType::Any();
        }
        const ExprNode& k = *step.args.front();
        if (k.kind == NodeKind::kLiteral && k.literal.IsString()) return Read(step.offset, t, k.literal.AsString(), "cannot read " + Quote(k.literal.AsString()) + " of a ");
        if (t.kinds == kListK && t.item && (key.kinds & kIntK)) return *t.item;
        return ExprType::Any();
      }
      case Step::Kind::kFilter: return Filter(step, t);
    }
    return ExprType::Any();
  }

  // Reading `key` of a value of type `t` (`.key` or `['key']`).
  ExprType Read(std::size_t offset, const ExprType& t, const std::string& key, const std::string& what) {
    if (!Known(t)) return ExprType::Any();
    if ((t.kinds & (kMapK | kNullK)) == 0) {
      Report(offset, what + t.Describe());
      return ExprType::Any();
    }
    if ((t.kinds & kMapK) == 0) return ExprType::Of(kNullK);  // null.x is null
    if (const ExprType* field = t.Field(key)) {
      ExprType out = *field;
      if (t.kinds & kNullK) out.kinds |= kNullK;
      return out;
    }
    if (t.closed) {
      std::string keys;
      for (const auto& [name, unused] : *t.fields) keys += (keys.empty() ? "" : ", ") + name;
      Report(offset, "this map has no key " + Quote(key) + " (its keys: " + keys + ")");
    }
    return ExprType::Any();
  }

  ExprType Filter(const Step& step, const ExprType& in) {
    const internal::FilterSpec& spec = *step.filter;
    std::vector<ExprType> args;
    for (std::size_t i = 0; i < step.args.size(); ++i) {
      args.push_back(step.args[i] ? Infer(*step.args[i]) : ExprType::Of(kNullK));
      if (!step.args[i] || !Known(args.back()) || (args.back().kinds & spec.args[i]) != 0) continue;
      Report(step.args[i]->offset, "filter " + Quote(spec.name) + " expects " + internal::DescribeKinds(spec.args[i] & ~kNullK) +
                                       " as argument " + std::to_string(i + 1) + ", got " + args.back().Describe());
    }
    if (Known(in) && (in.kinds & spec.input) == 0) {
      const std::string expects = spec.expects.empty() ? internal::DescribeKinds(spec.input) : std::string(spec.expects);
      Report(step.offset, "filter " + Quote(spec.name) + " expects " + expects + ", got " + in.Describe());
      return ExprType::Of(spec.result);
    }
    if (spec.name == "mandatory") {
      ExprType out = in;
      out.kinds &= ~kNullK;
      return out.kinds == 0 ? ExprType::Any() : out;
    }
    if (spec.name == "default") {
      ExprType out = in;
      out.kinds &= ~kNullK;
      if (out.kinds == 0) return args.front();
      return ExprType::Union(out, args.front());
    }
    switch (spec.rule) {
      case internal::ResultRule::kFixed: return ExprType::Of(spec.result);
      case internal::ResultRule::kSame: {
        if (in.kinds != kListK) return ExprType::Of(kListK);
        ExprType out = in;
        if (spec.name == "union" && args.front().item && in.item) out.item = std::make_shared<const ExprType>(ExprType::Union(*in.item, *args.front().item));
        if (spec.name == "union" && !(args.front().item && in.item)) out.item = nullptr;
        return out;
      }
      case internal::ResultRule::kItem: {
        if (in.kinds != kListK || !in.item) return ExprType::Any();
        return ExprType::Union(*in.item, ExprType::Of(kNullK));  // null for an empty list
      }
      case internal::ResultRule::kListOfItems: return ExprType::Of(kListK);
    }
    return ExprType::Any();
  }

  ExprType History(const ExprNode& node) {
    const ExprType playbook = Infer(*node.operands[0]);
    const ExprType key = Infer(*node.operands[1]);
    if (Known(playbook) && (playbook.kinds & kStrK) == 0) {
      Report(node.operands[0]->offset, "history.last expects a string as 'playbook' (a playbook's name), got " + playbook.Describe());
    }
    if (Known(key) && (key.kinds & (kStrK | kIntK)) == 0) {
      Report(node.operands[1]->offset, "history.last expects a string or a whole number as 'key', got " + key.Describe());
    }
    return HistoryRunType();
  }

  ExprType Add(const ExprNode& node) {
    ExprType sum = Infer(*node.operands.front());
    for (std::size_t i = 1; i < node.operands.size(); ++i) {
      const ExprType next = Infer(*node.operands[i]);
      const KindSet a = sum.kinds, b = next.kinds;
      const bool fits = ((a & kNumK) && (b & kNumK)) || ((a & kStrK) && (b & kStrK)) || ((a & kListK) && (b & kListK));
      if (Known(sum) && Known(next) && !fits) {
        Report(node.operands[i]->offset, "operator '+' cannot add " + sum.Describe() + " and " + next.Describe());
        return ExprType::Any();
      }
      if (!Known(sum) || !Known(next)) {
        sum = ExprType::Any();
      } else {
        sum = ExprType::Of((a & b & (kNumK | kStrK | kListK)) | ((a & kNumK) && (b & kNumK) ? kNumK : 0));
      }
    }
    return sum;
  }

  ExprType CompareOp(const ExprNode& node) {
    const ExprType a = Infer(*node.operands[0]);
    const ExprType b = Infer(*node.operands[1]);
    const std::string_view op = node.op;
    if (op == "in" || op == "not in") {
      if (Known(b) && (b.kinds & (kListK | kStrK | kMapK | kNullK)) == 0) {
        Report(node.offset, "operator 'in' expects a list, string or map on the right, got " + b.Describe());
      }
    } else if (op != "==" && op != "!=" && Known(a) && Known(b)) {
      const bool fits = ((a.kinds & kNumK) && (b.kinds & kNumK)) || ((a.kinds & kStrK) && (b.kinds & kStrK));
      if (!fits) Report(node.offset, "cannot compare " + a.Describe() + " with " + b.Describe() + " using " + Quote(op));
    }
    return ExprType::Of(kBoolK);
  }

  const TypeScope& scope_;
  std::vector<Error>* errors_;
};

}  // namespace

std::vector<Error> Template::TypeErrors(const TypeScope& types) const {
  std::vector<Error> errors;
  for (const Piece& piece : pieces_) {
    if (piece.expr) Checker(types, &errors).Infer(*piece.expr);
  }
  return errors;
}

ExprType Template::TypeOf(const TypeScope& types) const {
  if (!IsSingleExpression()) return ExprType::Of(internal::kStrK);
  for (const Piece& piece : pieces_) {
    if (piece.expr) return Checker(types, nullptr).Infer(*piece.expr);
  }
  return ExprType::Any();
}

}  // namespace tenure::workflows
