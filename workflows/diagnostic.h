// Diagnostics: what is wrong with a playbook, where (file:line:col and the field path), shown the
// way a compiler shows it, with the source line and a caret. Loading and validation collect every
// diagnostic instead of stopping at the first.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tenure::workflows {

// A position in a source file; line and column count from 1 (0 means unknown).
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  bool Known() const { return line > 0; }
  // "file:line:col", or "file" when the position is unknown.
  std::string ToString() const;
  // The location `bytes` further along the same line.
  SourceLocation Shifted(std::size_t bytes) const;
};

enum class Severity { kError, kWarning };

struct Diagnostic {
  Severity severity = Severity::kError;
  SourceLocation where;
  std::string path;     // field path, e.g. "tasks.account.with.userName" ("" for the file)
  std::string message;  // lower-case, no trailing period
  std::string excerpt;  // the source line at `where`, if known
};

class Diagnostics {
 public:
  void Add(Diagnostic d) { items_.push_back(std::move(d)); }
  void Error(SourceLocation where, std::string path, std::string message);
  void Warning(SourceLocation where, std::string path, std::string message);
  void Append(const Diagnostics& other);

  bool HasErrors() const;
  std::size_t ErrorCount() const;
  const std::vector<Diagnostic>& items() const { return items_; }
  bool empty() const { return items_.empty(); }
  // Orders by file, line, column (stable), so output reads top to bottom.
  void Sort();

 private:
  std::vector<Diagnostic> items_;
};

// "file:line:col: error: message\n  <source line>\n  <caret>\n".
std::string Render(const Diagnostic& d);
// A JSON object: {"severity","file","line","column","path","message"}.
std::string RenderJson(const Diagnostic& d);

// The 1-based line `line` of `text`, without its newline ("" if out of range).
std::string_view LineOf(std::string_view text, int line);

}  // namespace tenure::workflows
