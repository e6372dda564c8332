// The invalid-playbook corpus: tests/workflows/invalid/NAME.yaml must produce exactly the
// diagnostics in NAME.expected (rendered with excerpts and carets, as `tenure validate` prints).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/load.h"
#include "tests/support/in_memory_files.h"
#include "tests/support/playbook_fixture.h"

using namespace tenure;

namespace {

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("each invalid playbook gives exactly its expected diagnostics", "[corpus]") {
  const std::filesystem::path dir = std::filesystem::path(TENURE_SOURCE_DIR) / "tests/workflows/invalid";
  testing::BaseDirFiles files(dir.string());
  const auto catalog = connectors::BuiltinCatalog();
  std::size_t cases = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++cases;
    const std::string name = entry.path().filename().string();
    SECTION(name) {
      auto lp = workflows::LoadAndValidate(files, catalog, name);
      std::ostringstream got;
      cli::PrintDiagnostics(lp.diags, got);
      const auto expected_path = entry.path().parent_path() / (entry.path().stem().string() + ".expected");
      REQUIRE(std::filesystem::exists(expected_path));
      CHECK(got.str() == Slurp(expected_path));
      CHECK(lp.diags.HasErrors());
    }
  }
  CHECK(cases >= 15);
}
