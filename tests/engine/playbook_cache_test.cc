#include "engine/playbook_cache.h"

#include <catch2/catch.hpp>

#include "connectors/catalog.h"

namespace tenure::engine {
namespace {

std::vector<SourceSnapshot> Snapshot(const std::string& text) {
  return {{"p.yaml", text, Sha256Hex(text)}};
}

const char* const kPlaybook = "playbook: p\ntasks:\n  ask: { uses: manual.approve, with: { prompt: ok } }\n";

TEST_CASE("a snapshot is parsed once while runs hold it or it is recent, and again after it is neither", "[engine][cache]") {
  const auto catalog = connectors::BuiltinCatalog();
  PlaybookCache cache;
  auto first = cache.Get(Snapshot(kPlaybook), catalog);
  auto second = cache.Get(Snapshot(kPlaybook), catalog);
  REQUIRE(first.has_value());
  REQUIRE(second.has_value());
  CHECK(first->get() == second->get());
  CHECK(cache.loads() == 1);
  CHECK((*first)->playbook.tasks.size() == 1);
  CHECK((*first)->graph.size() == 1);

  auto changed = cache.Get(Snapshot(std::string(kPlaybook) + "  more: { uses: manual.task, with: { prompt: x } }\n"), catalog);
  REQUIRE(changed.has_value());
  CHECK(changed->get() != first->get());
  CHECK(cache.loads() == 2);

  first->reset();
  second->reset();
  auto again = cache.Get(Snapshot(kPlaybook), catalog);
  REQUIRE(again.has_value());
  CHECK(cache.loads() == 2);  // no run holds it, but it is among the recently loaded: kept
  again->reset();
  changed->reset();

  // Eight other playbooks later, nobody holds the first any more: its memory was freed.
  for (int i = 0; i < 8; ++i) {
    auto other = cache.Get(Snapshot(std::string(kPlaybook) + "# variant " + std::to_string(i) + "\n"), catalog);
    REQUIRE(other.has_value());
  }
  CHECK(cache.loads() == 10);
  auto evicted = cache.Get(Snapshot(kPlaybook), catalog);
  REQUIRE(evicted.has_value());
  CHECK(cache.loads() == 11);  // parsed anew
}

TEST_CASE("a snapshot this tenure cannot load is an error naming the place", "[engine][cache]") {
  const auto catalog = connectors::BuiltinCatalog();
  PlaybookCache cache;
  auto bad = cache.Get(Snapshot("playbook: p\ntasks:\n  a: { uses: nowhere.thing }\n"), catalog);
  REQUIRE(bad.has_error());
  CHECK(bad.error().message ==
        "the playbook snapshot is not valid for this tenure: p.yaml:3:14: unknown connection 'nowhere' (declare it "
        "under 'connections:')");
  auto empty = cache.Get({}, catalog);
  REQUIRE(empty.has_error());
  CHECK(empty.error().message == "the run has no playbook snapshot");
}

}  // namespace
}  // namespace tenure::engine
