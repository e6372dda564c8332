#include "cli/progress.h"

#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>

#include "engine/clock.h"
#include "engine/history.h"

namespace tenure::cli {
namespace {

using engine::EventRecord;

std::string Subject(const EventRecord& e) {
  if (e.task.empty()) return "run";
  return e.item >= 0 ? e.task + "[" + std::to_string(e.item) + "]" : e.task;
}

class PlainProgress final : public engine::Reporter {
 public:
  explicit PlainProgress(std::ostream& out) : out_(out) {}
  void OnEvent(const EventRecord& e) override {
    out_ << ClockTime(e.at_ms) << "  " << Subject(e) << "  " << e.kind;
    if (!e.detail.empty()) out_ << ": " << Printable(e.detail);  // one line: its line breaks shown, not obeyed
    out_ << "\n" << std::flush;
  }

 private:
  std::ostream& out_;
};

class JsonProgress final : public engine::Reporter {
 public:
  explicit JsonProgress(std::ostream& out) : out_(out) {}
  void OnEvent(const EventRecord& e) override { out_ << EventJson(e) << "\n" << std::flush; }

 private:
  std::ostream& out_;
};

// Redraws one line per task in place (ANSI cursor movement), plus a last line for run events.
class TableProgress final : public engine::Reporter {
 public:
  // `out` is the raw terminal: this class escapes what it shows itself (Printable).
  TableProgress(std::streambuf* out, std::vector<std::string> tasks, const std::map<std::string, std::string>& earlier,
                bool color)
      : out_(out), tasks_(std::move(tasks)), color_(color) {
    for (const std::string& t : tasks_) width_ = std::max(width_, t.size());
    for (const auto& [task, state] : earlier) {
      lines_[task].state = state;
      lines_[task].detail = "(before this process)";
    }
  }
  void OnEvent(const EventRecord& e) override {
    if (e.task.empty()) {
      last_run_line_ = Printable(e.kind + (e.detail.empty() ? "" : ": " + e.detail));
    } else {
      Line& l = lines_[e.task.substr(0, e.task.find(':')) + (e.task.find(':') != std::string::npos ? " (undo)" : "")];
      l.state = e.kind;
      l.detail = e.detail;
      if (e.item >= 0) l.items = std::max(l.items, e.item + 1);
    }
    Redraw();
  }

 private:
  struct Line {
    std::string state = "pending";
    std::string detail;
    int items = 0;
  };
  const char* Mark(const std::string& state) const {
    if (state == "succeeded") return color_ ? "\033[32m✓\033[0m" : "✓";
    if (state == "failed" || state == "cancelled") return color_ ? "\033[31m✗\033[0m" : "✗";
    if (state == "skipped") return "-";
    if (state == "waiting") return color_ ? "\033[33m…\033[0m" : "…";
    if (state == "pending") return " ";
    return color_ ? "\033[36m▸\033[0m" : "▸";
  }
  void Redraw() {
    if (drawn_ > 0) out_ << "\033[" << drawn_ << "A";
    drawn_ = 0;
    std::vector<std::string> rows = tasks_;
    for (const auto& [name, line] : lines_) {
      if (std::find(rows.begin(), rows.end(), name) == rows.end()) rows.push_back(name);
    }
    for (const std::string& t : rows) {
      const Line& l = lines_[t];
      std::string detail = Printable(l.detail.size() > 70 ? l.detail.substr(0, 67) + "..." : l.detail);
      char name[128];
      std::snprintf(name, sizeof name, "%-*s", static_cast<int>(width_ + 8), Printable(t).c_str());
      out_ << "\033[2K " << Mark(l.state) << " " << name << " " << Printable(l.state) << (detail.empty() ? "" : "  " + detail)
           << "\n";
      ++drawn_;
    }
    out_ << "\033[2K " << last_run_line_ << "\n" << std::flush;
    ++drawn_;
  }

  std::ostream out_;
  std::vector<std::string> tasks_;
  std::size_t width_ = 4;
  std::map<std::string, Line> lines_;
  std::string last_run_line_;
  int drawn_ = 0;
  bool color_ = true;
};

}  // namespace

std::unique_ptr<engine::Reporter> MakeProgress(ProgressStyle style, std::ostream& out, std::vector<std::string> tasks,
                                               std::map<std::string, std::string> earlier, bool color) {
  switch (style) {
    case ProgressStyle::kJson: return std::make_unique<JsonProgress>(out);
    case ProgressStyle::kTable: {
      std::streambuf* raw = out.rdbuf();
      if (auto* escaping = dynamic_cast<EscapingStreambuf*>(raw)) {
        out.flush();
        raw = escaping->underlying();
      }
      return std::make_unique<TableProgress>(raw, std::move(tasks), earlier, color);
    }
    case ProgressStyle::kPlain: break;
  }
  return std::make_unique<PlainProgress>(out);
}

namespace {
bool DumbTerminal() {
  const char* term = std::getenv("TERM");
  return term != nullptr && std::string_view(term) == "dumb";
}
}  // namespace

std::optional<ColorMode> ParseColorMode(std::string_view text) {
  if (text == "auto") return ColorMode::kAuto;
  if (text == "always") return ColorMode::kAlways;
  if (text == "never") return ColorMode::kNever;
  return std::nullopt;
}

void AddOutputOptions(CLI::App* cmd, OutputOptions* out, std::string* color_text, const char* json_help) {
  cmd->add_flag("--json", out->json, json_help);
  cmd->add_flag("--quiet,-q", out->quiet, "Print nothing but errors (for cron); the exit code tells the outcome");
  cmd->add_option("--color", *color_text,
                  "auto (default: a live table on a terminal; NO_COLOR and TERM=dumb respected), always, or never "
                  "(plain lines, no escape sequences)")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->each([out](const std::string& v) { out->color = ParseColorMode(v).value_or(ColorMode::kAuto); });
}

ProgressStyle ChooseStyle(bool json, ColorMode color) {
  if (json) return ProgressStyle::kJson;
  switch (color) {
    case ColorMode::kAlways: return ProgressStyle::kTable;
    case ColorMode::kNever: return ProgressStyle::kPlain;
    case ColorMode::kAuto: break;
  }
  return ::isatty(STDOUT_FILENO) && !DumbTerminal() ? ProgressStyle::kTable : ProgressStyle::kPlain;
}

bool UseColor(ColorMode color) {
  switch (color) {
    case ColorMode::kAlways: return true;
    case ColorMode::kNever: return false;
    case ColorMode::kAuto: break;
  }
  const char* no_color = std::getenv("NO_COLOR");
  return ::isatty(STDOUT_FILENO) && !DumbTerminal() && (no_color == nullptr || *no_color == '\0');
}

std::string Printable(std::string_view text, bool keep_newlines) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  auto hex = [&](const char* prefix, unsigned value, int digits) {
    out += prefix;
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += kHex[(value >> shift) & 15];
  };
  for (std::size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    if (b < 0x80) {
      if (b == '\n' && keep_newlines) {
        out += '\n';
      } else if (b == '\t' || (b >= 0x20 && b != 0x7f)) {
        out += static_cast<char>(b);
      } else if (b == 0x1b) {
        out += "\\e";
      } else if (b == '\n') {
        out += "\\n";
      } else if (b == '\r') {
        out += "\\r";
      } else if (b == 0x7f) {
        hex("\\u", b, 4);  // DEL; like C1 below, written as a JSON escape so JSON output stays valid
      } else {
        hex("\\x", b, 2);
      }
      ++i;
      continue;
    }
    // A UTF-8 sequence: its length, the smallest code point it may encode, and the code point.
    const std::size_t len = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? (b <= 0xef ? 3 : 0) : b >= 0xc2 ? 2 : 0;
    char32_t cp = len == 4 ? b & 0x07u : len == 3 ? b & 0x0fu : b & 0x1fu;
    bool valid = len != 0 && i + len <= text.size();
    for (std::size_t k = 1; valid && k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      valid = (c & 0xc0) == 0x80;
      cp = (cp << 6) | (c & 0x3fu);
    }
    const char32_t min = len == 4 ? 0x10000 : len == 3 ? 0x800 : 0x80;
    valid = valid && cp >= min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    if (!valid) {
      hex("\\x", b, 2);
      ++i;
    } else if (cp <= 0x9f) {
      hex("\\u", static_cast<unsigned>(cp), 4);  // C1 control, e.g. U+009B (CSI)
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

EscapingStreambuf::int_type EscapingStreambuf::overflow(int_type ch) {
  if (traits_type::eq_int_type(ch, traits_type::eof())) return sync() == 0 ? traits_type::not_eof(ch) : ch;
  const char c = traits_type::to_char_type(ch);
  xsputn(&c, 1);
  return ch;
}

std::streamsize EscapingStreambuf::xsputn(const char* s, std::streamsize n) {
  pending_.append(s, static_cast<std::size_t>(n));
  // Whole lines go on at once, so a UTF-8 sequence is never split between two writes.
  if (const auto nl = pending_.rfind('\n'); nl != std::string::npos && !Emit(nl + 1)) return 0;
  return n;
}

int EscapingStreambuf::sync() {
  if (!Emit(pending_.size())) return -1;
  return out_->pubsync();
}

bool EscapingStreambuf::Emit(std::size_t upto) {
  const std::string shown = Printable(std::string_view(pending_).substr(0, upto), true);
  pending_.erase(0, upto);
  return out_->sputn(shown.data(), static_cast<std::streamsize>(shown.size())) ==
         static_cast<std::streamsize>(shown.size());
}

ScopedEscaping::ScopedEscaping() : out_(std::cout.rdbuf()), err_(std::cerr.rdbuf()) {
  std::cout.rdbuf(&out_);
  std::cerr.rdbuf(&err_);
}

ScopedEscaping::~ScopedEscaping() {
  std::cout.flush();
  std::cerr.flush();
  std::cout.rdbuf(out_.underlying());
  std::cerr.rdbuf(err_.underlying());
}

std::string EventJson(const EventRecord& e) {
  boost::json::object o{{"seq", e.seq},   {"at", engine::FormatRfc3339(engine::FromUnixMillis(e.at_ms))},
                        {"run", e.run_id}, {"task", e.task},
                        {"item", e.item}, {"attempt", e.attempt},
                        {"kind", e.kind},  {"detail", e.detail}};
  if (e.seq == 0) o.erase("seq");
  return boost::json::serialize(o);
}

std::string ClockTime(std::int64_t ms) {
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%H:%M:%S", &tm);
  return buf;
}

std::string Elapsed(std::int64_t ms) {
  char buf[32];
  if (ms < 60'000) {
    std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3'600'000) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(ms / 60'000),
                  static_cast<long long>(ms / 1000 % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(ms / 3'600'000),
                  static_cast<long long>(ms / 60'000 % 60));
  }
  return buf;
}

void PrintSummary(engine::StateStore& store, const std::string& run_id, std::ostream& out) {
  auto run = store.GetRun(run_id);
  auto tasks = store.GetTasks(run_id);
  if (!run || !tasks) return;
  std::map<std::string, int> counts;
  std::vector<std::string> problems;
  std::vector<std::string> waiting;
  for (const engine::TaskRecord& t : *tasks) {
    if (t.item >= 0 || t.task == engine::kHistoryRow) continue;  // what history.last read: not a task
    ++counts[engine::TaskStatusName(t.status)];
    if (t.status == engine::TaskStatus::kFailed) problems.push_back(t.task + ": " + Printable(t.error));
    if (t.status == engine::TaskStatus::kWaiting) {
      // A timer (due_ms set) needs no one; a manual task needs a decision.
      waiting.push_back(t.due_ms != 0 ? t.task + " (its timer is due at " +
                                            engine::FormatRfc3339(engine::FromUnixMillis(t.due_ms)) + ")"
                                      : t.task + " (tenure approve " + run_id + " " + t.task + ")");
    }
  }
  const std::int64_t end = run->finished_ms != 0 ? run->finished_ms : run->updated_ms;
  out << "run " << run_id << " " << engine::RunStatusName(run->status) << " after " << Elapsed(end - run->created_ms)
      << ":";
  const char* sep = " ";
  for (const auto& [status, n] : counts) {
    out << sep << n << " " << status;
    sep = ", ";
  }
  out << "\n";
  for (const std::string& p : problems) out << "  failed: " << p << "\n";
  for (const std::string& w : waiting) {
    out << "  waiting: " << w << "\n";
  }
  if (run->status == engine::RunStatus::kWaiting) out << "continue with: tenure resume " << run_id << "\n";
  if (run->status == engine::RunStatus::kFailed) out << "after fixing the cause: tenure retry " << run_id << "\n";
}

}  // namespace tenure::cli
