// The docs say what the binary does: every fenced playbook in README.md and docs/**/*.md, and every
// examples/*.yaml, passes `tenure validate` (the built binary); a block that starts with
// `playbook:` but is only a fragment is marked with `<!-- fragment -->` on the line before it. Every
// link `tenure validate` prints names an anchor of the language reference, and every relative
// link between the docs names a file and an anchor that exist.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "workflows/reference_link.h"

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

// GitHub's id for a heading: lower case, punctuation but '-' and '_' dropped, spaces as '-'.
std::string Slug(std::string_view heading) {
  std::string slug;
  for (const char c : heading) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || u >= 0x80) {
      slug += static_cast<char>(std::tolower(u));
    } else if (c == ' ') {
      slug += '-';
    }
  }
  return slug;
}

// Every anchor of a Markdown file: explicit `<a id="X"></a>` (which must stand on the line before
// a heading) and the ids GitHub gives its headings (a repeated heading gets "-1", "-2", ...).
std::set<std::string> Anchors(const fs::path& md) {
  const auto lines = Lines(kSource / md);
  std::set<std::string> anchors;
  std::map<std::string, int> seen;
  const std::regex explicit_id(R"re(^<a id="([^"]+)"></a>$)re");
  bool in_fence = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (Trimmed(lines[i]).starts_with("```")) in_fence = !in_fence;
    if (in_fence) continue;
    std::smatch m;
    if (std::regex_match(lines[i], m, explicit_id)) {
      INFO(md.string() << ":" << i + 1 << ": an explicit anchor stands on the line before its heading");
      CHECK((i + 1 < lines.size() && lines[i + 1].starts_with("#")));
      anchors.insert(m[1]);
    } else if (lines[i].starts_with("#")) {
      const std::string slug = Slug(Trimmed(lines[i].substr(lines[i].find(' ') + 1)));
      const int n = seen[slug]++;
      anchors.insert(n == 0 ? slug : slug + "-" + std::to_string(n));
    }
  }
  return anchors;
}

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

TEST_CASE("every rule tenure validate links to has an anchored heading in the reference", "[docs]") {
  const auto anchors = Anchors(std::string(tenure::workflows::kReferencePage));
  const auto linked = tenure::workflows::ReferenceAnchors();
  REQUIRE(linked.size() >= 30);
  for (const std::string& a : linked) {
    INFO(tenure::workflows::kReferencePage << "#" << a);
    CHECK(anchors.contains(a));
  }
  for (const std::string& link : tenure::workflows::OtherReferenceLinks()) {
    INFO(link);
    const auto hash = link.find('#');
    REQUIRE(hash != std::string::npos);
    CHECK(Anchors(link.substr(0, hash)).contains(link.substr(hash + 1)));
  }
}

TEST_CASE("tenure validate prints, with each problem, a link to the rule it breaks", "[docs]") {
  Scratch scratch;
  const fs::path bad = scratch.dir / "bad.yaml";
  std::ofstream(bad) << R"(playbook: bad
descripton: a misspelt top-level key
defaults: { timeout: 3x }
inputs:
  email: { type: emial }
vars:
  handle: "{{ inputs.email | lowr }}"
connections:
  idp: { connector: scim, base_url: "${env:X}", token: "${env:Y}", rate: 3/q }
tasks:
  a:
    uses: idp.ensure_user
    with: { userName: "{{ inputs.email }}" }
    for_each: 3
    until: { condition: "{{ true }}" }
    need: b
  b:
    uses: idp.get_user
    with: { id: "{{ tasks.a.result.id }}" }
)";
  const Ran text = Tenure("validate '" + bad.string() + "'");
  INFO(text.output);
  CHECK(text.exit_code == 2);
  std::set<std::string> printed;
  const std::regex see(R"(\n  see (docs/[a-z-]+\.md)#([^\s]+)\n)");
  for (auto it = std::sregex_iterator(text.output.begin(), text.output.end(), see); it != std::sregex_iterator();
       ++it) {
    printed.insert(std::string((*it)[1]) + "#" + std::string((*it)[2]));
    INFO((*it)[0]);
    CHECK(Anchors(std::string((*it)[1])).contains((*it)[2]));
  }
  // One link per diagnostic, each right after its caret line.
  const auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.output.find(needle); at != std::string::npos; at = text.output.find(needle, at + 1)) ++n;
    return n;
  };
  CHECK(count(": error: ") == 9);
  CHECK(count("^\n  see docs/") == 9);
  const std::set<std::string> expected{"docs/playbooks.md#top-level-keys",        "docs/playbooks.md#defaults",
                                       "docs/playbooks.md#inputs.name.type",      "docs/expressions.md#filters",
                                       "docs/playbooks.md#connections.name.rate", "docs/playbooks.md#tasks.id.for_each",
                                       "docs/playbooks.md#tasks.id.until",        "docs/playbooks.md#tasks",
                                       "docs/playbooks.md#tasks.id.needs"};
  CHECK(printed == expected);

  const Ran json = Tenure("validate --json '" + bad.string() + "'");
  CHECK(json.exit_code == 2);
  CHECK(json.output.find(R"("path":"tasks.a.for_each","message":"'for_each' must be a list)") != std::string::npos);
  CHECK(json.output.find(R"("reference":"docs/playbooks.md#tasks.id.for_each")") != std::string::npos);
  CHECK(json.output.find(R"("reference":"docs/playbooks.md#inputs.name.type")") != std::string::npos);
}

TEST_CASE("every relative link between the docs names a file and an anchor that exist", "[docs]") {
  const std::regex link(R"(\]\(([^()\s#]*)(#[^()\s]*)?\))");
  int checked = 0;
  for (const fs::path& md : MarkdownFiles()) {
    const auto lines = Lines(kSource / md);
    bool in_fence = false;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      if (Trimmed(lines[i]).starts_with("```")) in_fence = !in_fence;
      if (in_fence) continue;
      for (auto it = std::sregex_iterator(lines[i].begin(), lines[i].end(), link); it != std::sregex_iterator(); ++it) {
        const std::string target = (*it)[1];
        const std::string anchor = (*it)[2].matched ? std::string((*it)[2]).substr(1) : "";
        if (target.find("://") != std::string::npos || target.starts_with("mailto:")) continue;
        const fs::path file = target.empty() ? md : (md.parent_path() / target).lexically_normal();
        INFO(md.string() << ":" << i + 1 << ": " << (*it)[0]);
        REQUIRE(fs::exists(kSource / file));
        if (!anchor.empty() && file.extension() == ".md") CHECK(Anchors(file).contains(anchor));
        ++checked;
      }
    }
  }
  CHECK(checked >= 50);
}
