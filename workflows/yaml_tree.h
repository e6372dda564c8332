// YamlNode: a YAML document as a tree in which every node knows its file:line:col.
//
// Built from libyaml's event parser rather than a DOM because playbooks need what DOMs usually
// hide: the position of every key and value, whether a scalar was quoted (quoted "123" is a
// string, plain 123 a number), and duplicated keys, which yaml-cpp's YAML::Load accepts silently.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/diagnostic.h"
#include "workflows/value.h"

namespace tenure::workflows {

struct YamlEntry;

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };

  Kind kind = Kind::kNull;
  SourceLocation where;
  std::string scalar;    // kScalar: the text, after YAML unescaping
  bool quoted = false;   // kScalar: written '..', "..", | or > (always a string)
  std::vector<YamlNode> items;     // kSequence
  std::vector<YamlEntry> entries;  // kMap, in document order; keys are unique (checked on load)

  bool IsNull() const { return kind == Kind::kNull; }
  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  bool IsMap() const { return kind == Kind::kMap; }
  // kMap: the value under `key`, or nullptr.
  const YamlNode* Find(std::string_view key) const;
  // "null", "a string", "a list", "a mapping": for "expected X, got Y" messages.
  const char* Describe() const;
};

struct YamlEntry {
  YamlNode key;
  YamlNode value;
};

// Parses one YAML document. `file` names it in locations. Syntax errors, more than one document,
// non-scalar keys, duplicated keys and alias bombs become diagnostics (each with the source line).
// A duplicated key is reported and left out (the first occurrence stays), and the rest of the
// document is still read, so that later checks can report every other mistake too; `*complete`
// (when given) is then true. On any other error `*complete` is false and the returned tree is
// whatever was read before it: it must not be used.
// An empty document yields a kNull node.
YamlNode ParseYaml(std::string_view text, const std::string& file, Diagnostics& diags, bool* complete = nullptr);

// The YAML 1.2 core-schema value of a node: plain null/~/empty -> null, true/false -> bool,
// integers, floats; quoted scalars are always strings.
Value ToValue(const YamlNode& node);

// The excerpt for diagnostics: sets `d.excerpt` from `text` when `d.where` is in it.
void AttachExcerpt(Diagnostic& d, std::string_view text);

}  // namespace tenure::workflows
