#include "workflows/yaml_tree.h"

#include <yaml.h>

#include <charconv>
#include <map>
#include <memory>
#include <optional>
#include <unordered_map>

namespace tenure::workflows {
namespace {

// A document with more nodes than this (after expanding aliases) is refused: it bounds what
// loading and validation may allocate (about 1 KB a node, all told: tree, playbook, checks), and
// it stops "billion laughs" alias bombs. Real playbooks have a few thousand nodes.
constexpr std::size_t kMaxNodes = 300'000;
constexpr const char* kTooLarge =
    "document too large: more than 300000 YAML values (a playbook file may hold at most 300000; "
    "split it into several playbooks)";
constexpr std::size_t kMaxDepth = 200;

// Builds the tree from libyaml's events (libyaml: a fast C parser with exact marks and scalar
// styles; yaml-cpp's parser was the bottleneck of `tenure validate` on large playbooks).
class TreeBuilder {
 public:
  TreeBuilder(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  YamlNode TakeRoot() { return std::move(root_); }
  bool failed() const { return failed_; }
  // The tree can be used despite the errors reported (only duplicated keys, left out).
  bool usable() const { return !failed_ && !unusable_ && documents_ <= 1; }
  int documents() const { return documents_; }

  // Handles one event; false when parsing must stop.
  bool Handle(const yaml_event_t& e) {
    switch (e.type) {
      case YAML_DOCUMENT_START_EVENT: ++documents_; return true;
      case YAML_SCALAR_EVENT: OnScalar(e); return !failed_;
      case YAML_ALIAS_EVENT: OnAlias(e); return !failed_;
      case YAML_SEQUENCE_START_EVENT: Open(YamlNode::Kind::kSequence, e, Anchor(e.data.sequence_start.anchor)); return !failed_;
      case YAML_MAPPING_START_EVENT: Open(YamlNode::Kind::kMap, e, Anchor(e.data.mapping_start.anchor)); return !failed_;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT: Close(); return true;
      case YAML_STREAM_END_EVENT: return false;
      default: return true;
    }
  }

  void Fail(const SourceLocation& where, std::string message) {
    if (failed_) return;
    failed_ = true;
    diags_.Error(where, "", std::move(message));
  }

  SourceLocation Where(const yaml_mark_t& mark) const {
    return SourceLocation{file_, static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1};
  }

 private:
  struct Frame {
    YamlNode node;
    std::string anchor;
    std::size_t first_count = 0;  // node_count_ when the frame opened
    bool have_key = false;        // kMap: a key is waiting for its value
    YamlNode pending_key;
    std::unordered_map<std::string, int> key_lines;  // kMap: each key's line, for duplicates
  };
  struct Anchored {
    YamlNode node;
    std::size_t count;
  };

  static std::string Anchor(const yaml_char_t* a) { return a == nullptr ? std::string() : reinterpret_cast<const char*>(a); }

  void OnScalar(const yaml_event_t& e) {
    YamlNode n;
    n.kind = YamlNode::Kind::kScalar;
    n.where = Where(e.start_mark);
    n.scalar.assign(reinterpret_cast<const char*>(e.data.scalar.value), e.data.scalar.length);
    n.quoted = e.data.scalar.style != YAML_PLAIN_SCALAR_STYLE || e.data.scalar.tag != nullptr;
    if (!n.quoted && n.scalar.empty()) n.kind = YamlNode::Kind::kNull;  // `key:` with no value
    if (++node_count_ > kMaxNodes) {
      Fail(n.where, kTooLarge);
      return;
    }
    Place(std::move(n), Anchor(e.data.scalar.anchor), 1);
  }

  void OnAlias(const yaml_event_t& e) {
    auto it = anchors_.find(Anchor(e.data.alias.anchor));
    if (it == anchors_.end()) {
      Fail(Where(e.start_mark), "unknown alias");
      return;
    }
    node_count_ += it->second.count;
    if (node_count_ > kMaxNodes) {
      Fail(Where(e.start_mark), kTooLarge);
      return;
    }
    YamlNode copy = it->second.node;
    Place(std::move(copy), std::string(), 0);
  }

  void Open(YamlNode::Kind kind, const yaml_event_t& e, std::string anchor) {
    if (stack_.size() >= kMaxDepth) {
      Fail(Where(e.start_mark), "document nested too deeply (more than 200 levels)");
      return;
    }
    Frame f;
    f.node.kind = kind;
    f.node.where = Where(e.start_mark);
    f.anchor = std::move(anchor);
    f.first_count = ++node_count_;
    if (node_count_ > kMaxNodes) {
      Fail(f.node.where, kTooLarge);
      return;
    }
    stack_.push_back(std::move(f));
  }

  void Close() {
    if (stack_.empty()) return;
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    const std::size_t count = node_count_ - f.first_count + 1;
    Place(std::move(f.node), f.anchor, count);
  }

  // Puts a finished node where it belongs: the root, a sequence item, a map key or a map value.
  void Place(YamlNode n, const std::string& anchor, std::size_t count) {
    if (!anchor.empty()) anchors_[anchor] = {n, count};
    if (stack_.empty()) {
      if (documents_ <= 1) root_ = std::move(n);
      return;
    }
    Frame& top = stack_.back();
    if (top.node.kind == YamlNode::Kind::kSequence) {
      top.node.items.push_back(std::move(n));
    } else if (!top.have_key) {
      top.pending_key = std::move(n);
      top.have_key = true;
    } else {
      AddEntry(top, std::move(n));
    }
  }

  void AddEntry(Frame& top, YamlNode value) {
    top.have_key = false;
    YamlNode& key = top.pending_key;
    if (!key.IsScalar()) {
      // Usually an unquoted template (`id: {{ x }}` is a mapping with a mapping as key): the tree
      // would only lead to confusing follow-up errors.
      diags_.Error(key.where, "", "mapping keys must be plain text, got " + std::string(key.Describe()));
      unusable_ = true;
      return;
    }
    const auto [it, inserted] = top.key_lines.emplace(key.scalar, key.where.line);
    if (!inserted) {
      diags_.Error(key.where, "",
                   "duplicate key '" + key.scalar + "' (first defined at line " + std::to_string(it->second) + ")");
      return;
    }
    top.node.entries.push_back({std::move(key), std::move(value)});
  }

  const std::string& file_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::map<std::string, Anchored> anchors_;
  YamlNode root_;
  std::size_t node_count_ = 0;
  int documents_ = 0;
  bool failed_ = false;    // parsing stopped
  bool unusable_ = false;  // a non-scalar key was left out
};

}  // namespace

const YamlNode* YamlNode::Find(std::string_view key) const {
  for (const YamlEntry& e : entries) {
    if (e.key.scalar == key) return &e.value;
  }
  return nullptr;
}

const char* YamlNode::Describe() const {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kScalar: return "text";
    case Kind::kSequence: return "a list";
    case Kind::kMap: return "a mapping";
  }
  return "?";
}

YamlNode ParseYaml(std::string_view text, const std::string& file, Diagnostics& diags, bool* complete) {
  if (complete != nullptr) *complete = false;
  yaml_parser_t parser;
  if (yaml_parser_initialize(&parser) == 0) {
    diags.Error(SourceLocation{file, 0, 0}, "", "out of memory starting the YAML parser");
    return YamlNode();
  }
  const std::unique_ptr<yaml_parser_t, decltype(&yaml_parser_delete)> guard(&parser, &yaml_parser_delete);
  yaml_parser_set_input_string(&parser, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  TreeBuilder builder(file, diags);
  for (;;) {
    yaml_event_t event;
    if (yaml_parser_parse(&parser, &event) == 0) {
      // The caret goes where the message points. libyaml gives the problem's position and, with
      // a context ("while scanning a quoted scalar"), where that construct starts: the caret sits
      // on the problem, and the message says on which line the construct started. When the
      // problem is past the last line (an unterminated quote runs to the end of the file), the
      // caret sits where the construct starts, which is where the author must look.
      const std::string problem = parser.problem != nullptr ? parser.problem : "syntax error";
      const SourceLocation at = builder.Where(parser.problem_mark);
      if (parser.context == nullptr) {
        builder.Fail(at, "invalid YAML: " + problem);
      } else {
        const SourceLocation from = builder.Where(parser.context_mark);
        const bool past_end = LineOf(text, at.line).empty() && at.line > from.line;
        if (past_end) {
          builder.Fail(from, "invalid YAML: " + problem + " " + parser.context + " that starts here");
        } else if (from.line == at.line) {
          builder.Fail(at, "invalid YAML: " + problem + " " + parser.context + " (started earlier on this line)");
        } else {
          builder.Fail(at, "invalid YAML: " + problem + " " + parser.context + " (started at line " +
                               std::to_string(from.line) + ")");
        }
      }
      break;
    }
    const std::unique_ptr<yaml_event_t, decltype(&yaml_event_delete)> event_guard(&event, &yaml_event_delete);
    if (!builder.Handle(event)) break;
  }
  if (builder.documents() > 1) {
    diags.Error(SourceLocation{file, 1, 1}, "", "a playbook file holds one YAML document, found " +
                                                    std::to_string(builder.documents()));
  }
  if (complete != nullptr) *complete = builder.usable();
  return builder.TakeRoot();
}

namespace {

bool IsPlainNull(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

std::optional<bool> PlainBool(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return std::nullopt;
}

std::optional<std::int64_t> PlainInt(std::string_view s) {
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  std::int64_t v = 0;
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> PlainDouble(std::string_view s) {
  // YAML 1.2 core: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
  if (s.empty() || s.find_first_not_of("0123456789.eE+-") != std::string_view::npos) return std::nullopt;
  if (s.find_first_of("0123456789") == std::string_view::npos) return std::nullopt;
  double v = 0;
  const char* first = s.data() + (s[0] == '+' ? 1 : 0);
  auto [ptr, ec] = std::from_chars(first, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

Value ToValue(const YamlNode& node) {
  switch (node.kind) {
    case YamlNode::Kind::kNull: return Value();
    case YamlNode::Kind::kScalar: {
      if (node.quoted) return Value(node.scalar);
      if (IsPlainNull(node.scalar)) return Value();
      if (auto b = PlainBool(node.scalar)) return Value(*b);
      if (auto i = PlainInt(node.scalar)) return Value(*i);
      if (auto d = PlainDouble(node.scalar)) return Value(*d);
      return Value(node.scalar);
    }
    case YamlNode::Kind::kSequence: {
      List l;
      l.reserve(node.items.size());
      for (const YamlNode& item : node.items) l.push_back(ToValue(item));
      return Value(std::move(l));
    }
    case YamlNode::Kind::kMap: {
      Map m;
      for (const YamlEntry& e : node.entries) m.Set(e.key.scalar, ToValue(e.value));
      return Value(std::move(m));
    }
  }
  return Value();
}

void AttachExcerpt(Diagnostic& d, std::string_view text) {
  if (d.where.Known() && d.excerpt.empty()) d.excerpt = std::string(LineOf(text, d.where.line));
}

}  // namespace tenure::workflows
