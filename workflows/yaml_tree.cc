#include "workflows/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <map>
#include <optional>
#include <sstream>

namespace tenure::workflows {
namespace {

// A document with more nodes than this (after expanding aliases) is refused: it protects against
// "billion laughs" alias bombs. Real playbooks have a few thousand nodes.
constexpr std::size_t kMaxNodes = 2'000'000;
constexpr std::size_t kMaxDepth = 200;

class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(const std::string& file, Diagnostics& diags) : file_(file), diags_(diags) {}

  YamlNode TakeRoot() { return std::move(root_); }
  bool failed() const { return failed_; }
  int documents() const { return documents_; }

  void OnDocumentStart(const YAML::Mark&) override { ++documents_; }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    YamlNode n;
    n.where = Where(mark);
    Add(std::move(n), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (failed_) return;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      Fail(mark, "unknown alias");
      return;
    }
    node_count_ += it->second.count;
    if (node_count_ > kMaxNodes) {
      Fail(mark, "document too large after expanding aliases (more than 2000000 nodes)");
      return;
    }
    Place(YamlNode(it->second.node), 0, 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    YamlNode n;
    n.kind = YamlNode::Kind::kScalar;
    n.where = Where(mark);
    n.scalar = value;
    n.quoted = tag == "!";  // yaml-cpp tags non-plain (quoted or block) scalars "!"
    Add(std::move(n), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(YamlNode::Kind::kSequence, mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(YamlNode::Kind::kMap, mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Frame {
    YamlNode node;
    YAML::anchor_t anchor = 0;
    std::size_t first_count = 0;  // node_count_ when the frame opened
    bool have_key = false;        // kMap: a key is waiting for its value
    YamlNode pending_key;
  };
  struct Anchored {
    YamlNode node;
    std::size_t count;
  };

  SourceLocation Where(const YAML::Mark& mark) const {
    return SourceLocation{file_, mark.line + 1, mark.column + 1};
  }

  void Fail(const YAML::Mark& mark, std::string message) {
    if (failed_) return;
    failed_ = true;
    diags_.Error(Where(mark), "", std::move(message));
  }

  void Open(YamlNode::Kind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (stack_.size() >= kMaxDepth) {
      Fail(mark, "document nested too deeply (more than 200 levels)");
    }
    Frame f;
    f.node.kind = kind;
    f.node.where = Where(mark);
    f.anchor = anchor;
    f.first_count = ++node_count_;
    stack_.push_back(std::move(f));
  }

  void Close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    const std::size_t count = node_count_ - f.first_count + 1;
    Place(std::move(f.node), f.anchor, count);
  }

  void Add(YamlNode n, YAML::anchor_t anchor) {
    ++node_count_;
    Place(std::move(n), anchor, 1);
  }

  // Puts a finished node where it belongs: the root, a sequence item, a map key or a map value.
  void Place(YamlNode n, YAML::anchor_t anchor, std::size_t count) {
    if (anchor != 0) anchors_[anchor] = {n, count};
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
      diags_.Error(key.where, "", "mapping keys must be plain text, got " + std::string(key.Describe()));
      return;
    }
    if (const YamlNode* first = FindKey(top.node, key.scalar)) {
      diags_.Error(key.where, "",
                   "duplicate key '" + key.scalar + "' (first defined at line " + std::to_string(first->where.line) + ")");
      return;
    }
    top.node.entries.push_back({std::move(key), std::move(value)});
  }

  static const YamlNode* FindKey(const YamlNode& map, std::string_view key) {
    for (const YamlEntry& e : map.entries) {
      if (e.key.scalar == key) return &e.key;
    }
    return nullptr;
  }

  const std::string& file_;
  Diagnostics& diags_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  YamlNode root_;
  std::size_t node_count_ = 0;
  int documents_ = 0;
  bool failed_ = false;
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

YamlNode ParseYaml(std::string_view text, const std::string& file, Diagnostics& diags) {
  std::istringstream in{std::string(text)};
  TreeBuilder builder(file, diags);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
      if (builder.failed()) break;
    }
  } catch (const YAML::Exception& e) {
    SourceLocation where{file, e.mark.line + 1, e.mark.column + 1};
    if (e.mark.is_null()) where = SourceLocation{file, 0, 0};
    diags.Error(where, "", "invalid YAML: " + e.msg);
  }
  if (builder.documents() > 1) {
    diags.Error(SourceLocation{file, 1, 1}, "", "a playbook file holds one YAML document, found " +
                                                    std::to_string(builder.documents()));
  }
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
