// Internal to the expression language (expr.cc, expr_types.cc): the syntax tree of `{{ expr }}`.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/expr.h"
#include "workflows/filters.h"
#include "workflows/value.h"

namespace tenure::workflows {

struct ExprNode;
using NodePtr = std::unique_ptr<ExprNode>;

// kCond is `a if cond else b`: operands {a, cond, b}; only the branch taken is evaluated.
// kHistory is `history.last(playbook=P, key=K)`: operands {P, K}; it reads the `history` root.
enum class NodeKind { kLiteral, kRoot, kList, kChain, kNeg, kNot, kAnd, kOr, kAdd, kCompare, kCond, kHistory };

// One postfix step of a chain: `.name`, `[index]` or `| filter(args)`.
struct Step {
  enum class Kind { kMember, kIndex, kFilter };
  Kind kind = Kind::kMember;
  std::string name;                  // member or filter name
  const internal::FilterSpec* filter = nullptr;
  std::vector<NodePtr> args;         // the index, or the filter's arguments by position (keyword
                                     // arguments placed at their parameter's position)
  std::vector<bool> given;           // kFilter: which positions were written (the others are null)
  std::size_t offset = 0;            // of the member or filter name, or of the `[`
};

struct ExprNode {
  NodeKind kind = NodeKind::kLiteral;
  std::size_t offset = 0;            // of the node's first token in the template text
  Value literal;                     // kLiteral
  std::string name;                  // kRoot
  std::string_view op;               // kCompare: == != < <= > >= in, "not in"
  std::vector<NodePtr> operands;     // list items; chain base; unary/binary/n-ary operands
  std::vector<Step> steps;           // kChain
};

struct Template::Piece {
  std::string literal;                    // when expr is null
  std::shared_ptr<const ExprNode> expr;   // immutable, so copies of a Template share it
};

}  // namespace tenure::workflows
