// The docs say what the binary does: every fenced playbook in README.md and docs/**/*.md, and every
// examples/*.yaml, passes `tenure validate` (the built binary); a block that starts with
// `playbook:` but is only a fragment is marked with `<!-- fragment -->` on the line before it.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kSource = TENURE_SOURCE_DIR;
constexpr std::string_view kFragmentMarker = "<!-- fragment -->";

struct Ran {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

Ran Tenure(const std::string& args) {
  const std::string cmd = "cd '" + kSource.string() + "' && '" + TENURE_BINARY + "' " + args + " 2>&1";
  Ran r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::vector<std::string> Lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// README.md and every Markdown file under docs/, relative to the source tree.
std::vector<fs::path> MarkdownFiles() {
  std::vector<fs::path> files{"README.md"};
  for (const auto& e : fs::recursive_directory_iterator(kSource / "docs")) {
    if (e.is_regular_file() && e.path().extension() == ".md") files.push_back(fs::relative(e.path(), kSource));
  }
  std::sort(files.begin() + 1, files.end());
  return files;
}

struct Block {
  fs::path file;
  int line = 0;           // of the opening fence, 1-based
  std::string text;       // without the fence's indentation
  bool fragment = false;  // marked <!-- fragment --> on the line before
};

std::string Trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Every ```yaml block of `file` whose first line that is not a comment starts with `playbook:`.
std::vector<Block> PlaybookBlocks(const fs::path& file) {
  const auto lines = Lines(kSource / file);
  std::vector<Block> blocks;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (Trimmed(lines[i]) != "```yaml") continue;
    const std::size_t indent = lines[i].find('`');
    Block b{file, static_cast<int>(i + 1), "", i > 0 && Trimmed(lines[i - 1]) == kFragmentMarker};
    std::string first;
    std::size_t j = i + 1;
    for (; j < lines.size() && !Trimmed(lines[j]).starts_with("```"); ++j) {
      const std::string line = lines[j].size() >= indent ? lines[j].substr(indent) : Trimmed(lines[j]);
      if (first.empty() && !Trimmed(line).empty() && !Trimmed(line).starts_with("#")) first = line;
      b.text += line + "\n";
    }
    if (first.starts_with("playbook:")) blocks.push_back(std::move(b));
    i = j;
  }
  return blocks;
}

// A scratch directory where blocks are written; `lib` points at examples/lib, so that a block
// may include the shipped task libraries as the examples do.
struct Scratch {
  Scratch() : dir(fs::temp_directory_path() / ("tenure_docs_test_" + std::to_string(::getpid()))) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::create_directory_symlink(kSource / "examples" / "lib", dir / "lib");
  }
  ~Scratch() { fs::remove_all(dir); }
  fs::path dir;
};

}  // namespace

TEST_CASE("every fenced playbook in the README and docs validates with the binary", "[docs]") {
  Scratch scratch;
  int checked = 0;
  for (const fs::path& md : MarkdownFiles()) {
    for (const Block& b : PlaybookBlocks(md)) {
      if (b.fragment) continue;
      const std::string where = md.string() + ":" + std::to_string(b.line);
      const fs::path file = scratch.dir / (md.filename().string() + "-" + std::to_string(b.line) + ".yaml");
      std::ofstream(file) << b.text;
      const Ran r = Tenure("validate '" + file.string() + "'");
      INFO(where << " (mark a fragment with " << kFragmentMarker << " on the line before its fence)\n" << r.output);
      CHECK(r.exit_code == 0);
      ++checked;
    }
  }
  // The README's example, the reference's opening example and the guards page's at least: a
  // parser that found none would pass the loop above without checking anything.
  CHECK(checked >= 3);
}

TEST_CASE("the fragment escape hatch is used sparingly and only before a playbook block", "[docs]") {
  int markers = 0;
  int marked_blocks = 0;
  for (const fs::path& md : MarkdownFiles()) {
    const auto lines = Lines(kSource / md);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (Trimmed(lines[i]) != kFragmentMarker) continue;
      ++markers;
      INFO(md.string() << ":" << i + 1 << ": a fragment marker must stand on the line before a ```yaml fence");
      CHECK((i + 1 < lines.size() && Trimmed(lines[i + 1]) == "```yaml"));
    }
    for (const Block& b : PlaybookBlocks(md)) marked_blocks += b.fragment ? 1 : 0;
  }
  CHECK(markers == marked_blocks);  // every marker marks a block that starts with `playbook:`
  CHECK(markers <= 3);
}

TEST_CASE("every playbook under examples validates with the binary", "[docs]") {
  std::vector<fs::path> examples;
  for (const auto& e : fs::directory_iterator(kSource / "examples")) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") examples.push_back(e.path());
  }
  std::sort(examples.begin(), examples.end());
  REQUIRE(examples.size() >= 10);
  for (const fs::path& p : examples) {
    const Ran r = Tenure("validate '" + p.string() + "'");
    INFO(p.string() << "\n" << r.output);
    CHECK(r.exit_code == 0);
    CHECK(r.output.find(": ok (") != std::string::npos);
  }
}
