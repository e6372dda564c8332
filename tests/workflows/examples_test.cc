// The shipped examples are valid, plan cleanly with their inputs, and every truncated prefix of
// every example fails cleanly (diagnostics, never a crash or a hang).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/load.h"
#include "tests/support/in_memory_files.h"
#include "tests/support/playbook_fixture.h"
#include "workflows/preview.h"

using namespace tenure;
using namespace tenure::workflows;

namespace {

const std::string kExamples = std::string(TENURE_SOURCE_DIR) + "/examples";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Example {
  const char* playbook;
  const char* inputs;
};
constexpr Example kAll[] = {{"onboarding.yaml", "inputs/jane.yaml"},
                            {"sales-onboarding.yaml", "inputs/omar.yaml"},
                            {"contractor-onboarding.yaml", "inputs/chloe-contractor.yaml"},
                            {"offboarding.yaml", "inputs/jane-leaves.yaml"},
                            {"offboarding-cloud.yaml", "inputs/ada-leaves.yaml"},
                            {"offboarding-directory.yaml", "inputs/ada-leaves-directory.yaml"},
                            {"offboarding-everywhere.yaml", "inputs/ada-leaves-everywhere.yaml"},
                            {"mover.yaml", "inputs/jane-moves.yaml"},
                            {"rehire.yaml", "inputs/jane-rejoins.yaml"},

                            {"people-offboarding.yaml", "inputs/ada-leaves-people.yaml"}};

}  // namespace

TEST_CASE("every example validates and plans with its inputs", "[examples]") {
  testing::BaseDirFiles files(kExamples);
  const auto catalog = connectors::BuiltinCatalog();
  for (const Example& ex : kAll) {
    INFO(ex.playbook);
    auto lp = workflows::LoadAndValidate(files, catalog, ex.playbook);
    for (const auto& d : lp.diags.items()) FAIL_CHECK(Render(d));
    REQUIRE(lp.graph);
    Diagnostics d;
    auto given = cli::ReadGivenInputs(files, lp.pb, {ex.inputs}, {}, d);
    const Map inputs = ResolveInputs(lp.pb.inputs, given, SourceLocation{ex.playbook, 0, 0}, d);
    const Value plan = Preview(lp.pb, *lp.graph, inputs, d);
    for (const auto& x : d.items()) FAIL_CHECK(Render(x));
    CHECK(plan.AsMap().Find("tasks")->AsList().size() == lp.pb.tasks.size());
    CHECK(plan.ToJson().find("${env:") == std::string::npos);  // secrets never shown
  }
}

namespace {

// Each task library with an example that includes it.
struct Library {
  const char* file;
  const char* used_by;
};
constexpr Library kLibraries[] = {{"lib/slack-welcome.yaml", "onboarding.yaml"},
                                  {"lib/directory-offboard.yaml", "offboarding-directory.yaml"},
                                  {"lib/google-offboard.yaml", "offboarding-cloud.yaml"},
                                  {"lib/m365-offboard.yaml", "offboarding-cloud.yaml"}};

}  // namespace

namespace {

// Which prefix lengths to try: every one in an optimized build; under the sanitizers (a Debug
// build some 30 times slower) every line's first and last bytes and every fifth byte between.
bool TryPrefix(const std::string& text, std::size_t n) {
#if defined(__SANITIZE_ADDRESS__)
  constexpr std::size_t kStride = 5;
#else
  constexpr std::size_t kStride = 1;
#endif
  if (n % kStride == 0 || n + 1 >= text.size()) return true;
  return text[n] == '\n' || text[n - 1] == '\n' || (n >= 2 && text[n - 2] == '\n');
}

}  // namespace

TEST_CASE("every truncated prefix of every example fails cleanly", "[examples][truncation]") {
  const auto catalog = connectors::BuiltinCatalog();
  std::map<std::string, std::string> libs;  // path -> text
  for (const Library& l : kLibraries) libs[l.file] = Slurp(kExamples + "/" + l.file);
  // pb.yaml and every library, `truncated` (a library's path) cut to its first `n` bytes.
  const auto files_with = [&libs](std::string pb, const std::string& truncated = "", std::size_t n = 0) {
    testing::InMemoryFiles files;
    files.Add("pb.yaml", std::move(pb));
    for (const auto& [path, text] : libs) files.Add(path, path == truncated ? text.substr(0, n) : text);
    return files;
  };
  std::size_t prefixes = 0, clean = 0;
  for (const Example& ex : kAll) {
    const std::string text = Slurp(kExamples + "/" + ex.playbook);
    REQUIRE(!text.empty());
    for (std::size_t n = 0; n < text.size(); ++n) {
      if (!TryPrefix(text, n)) continue;
      testing::InMemoryFiles files = files_with(text.substr(0, n));
      auto lp = workflows::LoadAndValidate(files, catalog, "pb.yaml");
      ++prefixes;
      if (!lp.diags.HasErrors()) {
        ++clean;  // a prefix that ends between tasks can be a valid playbook
        REQUIRE(lp.graph);
      } else {
        for (const auto& d : lp.diags.items()) REQUIRE(!d.message.empty());
      }
    }
  }
  for (const Library& l : kLibraries) {
    INFO(l.file);
    const std::string& lib = libs[l.file];
    const std::string pb = Slurp(kExamples + "/" + l.used_by);
    REQUIRE(!lib.empty());
    for (std::size_t n = 0; n < lib.size(); ++n) {
      if (!TryPrefix(lib, n)) continue;
      testing::InMemoryFiles files = files_with(pb, l.file, n);
      auto lp = workflows::LoadAndValidate(files, catalog, "pb.yaml");
      ++prefixes;
      if (lp.diags.HasErrors()) REQUIRE(!lp.diags.items().front().message.empty());
    }
  }
  CHECK(prefixes > 3000);
  CHECK(clean < prefixes / 2);
}
