// Progress reporters for `tenure run`, `resume` and `retry`: plain lines (not a terminal), an
// in-place task table (a terminal), or one JSON object per event (--json). And the end-of-run
// summary.
#pragma once

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "engine/executor.h"
#include "engine/state_store.h"

namespace tenure::cli {

enum class ProgressStyle { kPlain, kTable, kJson };

// --color auto|always|never.
enum class ColorMode { kAuto, kAlways, kNever };
std::optional<ColorMode> ParseColorMode(std::string_view text);

// How a command that follows runs prints (run, resume, retry): --json, --quiet, --color.
struct OutputOptions {
  bool json = false;
  bool quiet = false;  // no progress, no summary: only errors (stderr) and the exit code
  ColorMode color = ColorMode::kAuto;
};

// Adds --json, --quiet/-q and --color to `cmd`; `color_text` receives --color's word (checked by
// CLI11 against auto, always, never).
void AddOutputOptions(CLI::App* cmd, OutputOptions* out, std::string* color_text, const char* json_help);

// `tasks` are the playbook's task ids in display order (the table's rows); `earlier` the status
// each already had when this process started (resume, retry), which the table shows until the
// task's next event. `color`: whether the table marks states in colour.
std::unique_ptr<engine::Reporter> MakeProgress(ProgressStyle style, std::ostream& out, std::vector<std::string> tasks,
                                               std::map<std::string, std::string> earlier = {}, bool color = true);

// "json" with `json`. Else the live table when `color` is always, or auto and stdout is a
// terminal whose TERM is not "dumb"; plain lines otherwise (never: no escape sequence at all).
ProgressStyle ChooseStyle(bool json, ColorMode color = ColorMode::kAuto);
// Whether the table may use colour: never with --color never, always with always; with auto,
// when stdout is a terminal, TERM is not "dumb" and NO_COLOR is unset or empty (no-color.org).
bool UseColor(ColorMode color);

// The summary printed when a run stops: status, counts, the errors of failed tasks, what a
// waiting run waits for, and the command that continues it.
void PrintSummary(engine::StateStore& store, const std::string& run_id, std::ostream& out);

// `text` safe to show on a terminal: control characters (C0 such as ESC, C1, DEL) and bytes that
// are not valid UTF-8 become visible escapes ("\e", "\r", "\n", "\x07", "\u009b"), so an input or
// a server's answer can never move the cursor, set a title or hide text. Printable UTF-8 and tabs
// are kept; newlines too when `keep_newlines`. DEL and C1 are written "\u007f", "\u009b": inside
// JSON output (which escapes C0 itself) that is the same character, so the JSON stays valid.
std::string Printable(std::string_view text, bool keep_newlines = false);

// A stream buffer that passes everything written to it through Printable (newlines kept) to
// `out`. tenure installs one on std::cout and std::cerr for the whole process (ScopedEscaping);
// the live progress table, the one writer of deliberate escape sequences, writes to underlying().
class EscapingStreambuf final : public std::streambuf {
 public:
  explicit EscapingStreambuf(std::streambuf* out) : out_(out) {}
  std::streambuf* underlying() const { return out_; }

 protected:
  int_type overflow(int_type ch) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;

 private:
  bool Emit(std::size_t upto);  // writes pending_[0, upto) and drops it
  std::streambuf* out_;
  std::string pending_;  // written but not yet passed on: the unfinished line
};

// Installs EscapingStreambufs on std::cout and std::cerr; restores the originals when destroyed.
class ScopedEscaping {
 public:
  ScopedEscaping();
  ~ScopedEscaping();
  ScopedEscaping(const ScopedEscaping&) = delete;
  ScopedEscaping& operator=(const ScopedEscaping&) = delete;

 private:
  EscapingStreambuf out_;
  EscapingStreambuf err_;
};

// One event as a JSON object (no newline).
std::string EventJson(const engine::EventRecord& e);
// "HH:MM:SS" (UTC) of Unix milliseconds, and a duration such as "1.2s", "3m04s".
std::string ClockTime(std::int64_t ms);
std::string Elapsed(std::int64_t ms);

}  // namespace tenure::cli
