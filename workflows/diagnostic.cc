#include "workflows/diagnostic.h"

#include <algorithm>
#include <boost/json.hpp>

namespace tenure::workflows {

std::string SourceLocation::ToString() const {
  if (!Known()) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

SourceLocation SourceLocation::Shifted(std::size_t bytes) const {
  SourceLocation s = *this;
  if (Known()) s.column += static_cast<int>(bytes);
  return s;
}

void Diagnostics::Error(SourceLocation where, std::string path, std::string message) {
  items_.push_back({Severity::kError, std::move(where), std::move(path), std::move(message), {}});
}

void Diagnostics::Warning(SourceLocation where, std::string path, std::string message) {
  items_.push_back({Severity::kWarning, std::move(where), std::move(path), std::move(message), {}});
}

void Diagnostics::Append(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
}

bool Diagnostics::HasErrors() const { return ErrorCount() > 0; }

std::size_t Diagnostics::ErrorCount() const {
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [](const Diagnostic& d) { return d.severity == Severity::kError; }));
}

void Diagnostics::Sort() {
  std::stable_sort(items_.begin(), items_.end(), [](const Diagnostic& a, const Diagnostic& b) {
    if (a.where.file != b.where.file) return a.where.file < b.where.file;
    if (a.where.line != b.where.line) return a.where.line < b.where.line;
    return a.where.column < b.where.column;
  });
}

std::string Render(const Diagnostic& d) {
  std::string out = d.where.ToString();
  out += d.severity == Severity::kError ? ": error: " : ": warning: ";
  out += d.message;
  out += '\n';
  if (!d.excerpt.empty() && d.where.column > 0) {
    out += "  " + d.excerpt + '\n';
    // The column counts characters; walk the excerpt's UTF-8 so the caret sits under the right
    // one, keeping tabs as tabs.
    std::string caret;
    int column = 1;
    for (std::size_t i = 0; i < d.excerpt.size() && column < d.where.column; ++i) {
      const auto c = static_cast<unsigned char>(d.excerpt[i]);
      if ((c & 0xC0) == 0x80) continue;
      caret += c == '\t' ? '\t' : ' ';
      ++column;
    }
    caret.append(static_cast<std::size_t>(d.where.column - column), ' ');
    out += "  " + caret + "^\n";
  }
  return out;
}

std::string RenderJson(const Diagnostic& d) {
  boost::json::object o;
  o["severity"] = d.severity == Severity::kError ? "error" : "warning";
  o["file"] = d.where.file;
  o["line"] = d.where.line;
  o["column"] = d.where.column;
  o["path"] = d.path;
  o["message"] = d.message;
  return boost::json::serialize(o);
}

std::string_view LineOf(std::string_view text, int line) {
  if (line < 1) return {};
  std::size_t start = 0;
  for (int i = 1; i < line; ++i) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  std::size_t end = text.find('\n', start);
  std::string_view l = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
  return l;
}

}  // namespace tenure::workflows
