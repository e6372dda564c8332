// The hash-chained audit log (docs/audit.md): the real binary writes runs into a real SQLite file,
// the file is tampered with through SQL as an attacker with sqlite3 would, and `tenure verify-log`
// must find each change. And a schema-5 database is migrated with its chain computed.
#include <SQLiteCpp/SQLiteCpp.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "engine/audit_log.h"
#include "engine/state_store.h"
#include "tests/engine/support/engine_fixture.h"
#include "tests/engine/support/tenure_cli.h"

namespace tenure::engine {
namespace {

using testing::Contains;
using testing::Output;
using testing::Tenure;

const char* const kEcho = R"(playbook: echo
inputs:
  who: { type: string }
connections:
  sh: { connector: exec }
tasks:
  first:
    uses: sh.run
    with: { argv: [/bin/echo, '{"who": "{{ inputs.who }}"}'] }
  second:
    uses: sh.run
    needs: [first]
    with: { argv: [/bin/echo, '{}'] }
)";

// Two runs of the echo playbook in `db`; returns their ids in order.
std::vector<std::string> TwoRuns(const std::string& dir, const std::string& db) {
  std::ofstream(dir + "/echo.yaml") << kEcho;
  for (const char* who : {"ada", "bob"}) {
    const Output out = Tenure("run " + dir + "/echo.yaml --set who=" + who + " --db " + db);
    INFO(out.text);
    REQUIRE(out.code == 0);
  }
  auto store = OpenSqliteStore(db);
  REQUIRE(store.has_value());
  auto runs = (*store)->ListRuns({});
  REQUIRE(runs->size() == 2);
  return {(*runs)[0].id, (*runs)[1].id};
}

// Executes SQL on the database file, as someone with sqlite3 would.
void Sql(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READWRITE);
  d.exec(sql);
}

std::int64_t Scalar(const std::string& db, const std::string& sql) {
  SQLite::Database d(db, SQLite::OPEN_READONLY);
  return d.execAndGet(sql).getInt64();
}

TEST_CASE("verify-log: an intact log, then a changed, a removed and a moved event are each found", "[audit][cli]") {
  if (!testing::BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  const auto runs = TwoRuns(dir.path(), db);
  const std::string flags = " --db " + db;

  Output ok = Tenure("verify-log" + flags);
  INFO(ok.text);
  CHECK(ok.code == 0);
  CHECK(Contains(ok.text, "audit log intact: "));
  CHECK(Contains(ok.text, " of 2 runs and schedules"));
  CHECK(Tenure("verify-log --run " + runs[1] + flags).code == 0);

  // The second run's first event chains to the first run's last event: runs are chained.
  {
    auto store = OpenSqliteStore(db);
    REQUIRE(store.has_value());
    auto first = (*store)->GetEvents(runs[0]);
    auto second = (*store)->GetEvents(runs[1]);
    REQUIRE(!first->empty());
    REQUIRE(!second->empty());
    CHECK(second->front().prev_hash == first->back().hash);
    CHECK(second->front().kind == "run_created");
    CHECK(first->back().hash == EventHash(first->back().prev_hash, first->back()));
  }

  const std::int64_t middle = Scalar(db, "SELECT seq FROM events WHERE run_id = '" + runs[0] +
                                             "' AND kind = 'succeeded' ORDER BY seq LIMIT 1");
  const std::string at = std::to_string(middle);

  SECTION("a changed detail") {
    Sql(db, "UPDATE events SET detail = 'nothing happened' WHERE seq = " + at);
    const Output out = Tenure("verify-log" + flags);
    INFO(out.text);
    CHECK(out.code == 1);
    CHECK(Contains(out.text, "audit log BROKEN: event " + at + " (run " + runs[0] + ", succeeded) was changed"));
    CHECK(Contains(out.text, "expected hash: "));
    const Output json = Tenure("verify-log --json" + flags);
    CHECK(json.code == 1);
    CHECK(Contains(json.text, "\"intact\":false"));
    CHECK(Contains(json.text, "\"seq\":" + at));
    CHECK(Contains(json.text, "\"field\":\"hash\""));
    // The other run on its own is intact; this one is not.
    CHECK(Tenure("verify-log --run " + runs[0] + flags).code == 1);
  }
  SECTION("a removed event in the middle of a run") {
    Sql(db, "DELETE FROM events WHERE seq = " + at);
    const Output out = Tenure("verify-log" + flags);
    INFO(out.text);
    CHECK(out.code == 1);
    CHECK(Contains(out.text, "event " + at + " is missing before event " + std::to_string(middle + 1)));
    // Within the run alone, the next event no longer chains to the one before it.
    const Output run = Tenure("verify-log --run " + runs[0] + flags);
    INFO(run.text);
    CHECK(run.code == 1);
    CHECK(Contains(run.text, "does not chain to the event before it"));
  }
  SECTION("the last events of the log removed") {
    Sql(db, "DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events)");
    const Output out = Tenure("verify-log" + flags);
    INFO(out.text);
    CHECK(out.code == 1);
    CHECK(Contains(out.text, "missing at the end of the log"));
  }
  SECTION("two events swapped") {
    const std::string next = std::to_string(middle + 1);
    Sql(db, "UPDATE events SET seq = -1 WHERE seq = " + at + "; UPDATE events SET seq = " + at + " WHERE seq = " +
                next + "; UPDATE events SET seq = " + next + " WHERE seq = -1");
    const Output out = Tenure("verify-log" + flags);
    INFO(out.text);
    CHECK(out.code == 1);
    CHECK(Contains(out.text, "audit log BROKEN: event " + at + " (run " + runs[0]));
  }
  SECTION("a whole run's events removed") {
    Sql(db, "DELETE FROM events WHERE run_id = '" + runs[0] + "'");
    const Output out = Tenure("verify-log" + flags);
    INFO(out.text);
    CHECK(out.code == 1);
    CHECK(Contains(out.text, "are missing before event "));
  }
  SECTION("new events after the check still chain") {
    std::ofstream(dir.path() + "/echo.yaml") << kEcho;
    CHECK(Tenure("run " + dir.path() + "/echo.yaml --set who=cy" + flags).code == 0);
    const Output out = Tenure("verify-log" + flags);
    INFO(out.text);
    CHECK(out.code == 0);
    CHECK(Contains(out.text, " of 3 runs and schedules"));
  }
}

TEST_CASE("prune leaves tombstones the chain verifies across, and a forged tombstone is found", "[audit][cli]") {
  if (!testing::BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  const auto runs = TwoRuns(dir.path(), db);
  const std::string flags = " --db " + db;
  const std::int64_t events = Scalar(db, "SELECT COUNT(*) FROM events");
  // Both runs finished a moment ago: prune everything that finished before 2100.
  const Output pruned = Tenure("prune --before 2100-01-01" + flags);
  INFO(pruned.text);
  REQUIRE(pruned.code == 0);
  CHECK(Scalar(db, "SELECT COUNT(*) FROM runs") == 0);
  CHECK(Scalar(db, "SELECT COUNT(*) FROM events") == events);  // tombstones, same seqs
  CHECK(Scalar(db, "SELECT COUNT(*) FROM events WHERE kind <> 'pruned' OR detail <> ''") == 0);
  const Output ok = Tenure("verify-log" + flags);
  INFO(ok.text);
  CHECK(ok.code == 0);
  CHECK(Contains(ok.text, "audit log intact"));

  // A run after the prune chains on from the tombstones.
  std::ofstream(dir.path() + "/echo.yaml") << kEcho;
  REQUIRE(Tenure("run " + dir.path() + "/echo.yaml --set who=cy" + flags).code == 0);
  CHECK(Tenure("verify-log" + flags).code == 0);

  // Removing a tombstone, or giving one content, is found.
  Sql(db, "UPDATE events SET detail = 'forged' WHERE seq = 2");
  const Output forged = Tenure("verify-log" + flags);
  INFO(forged.text);
  CHECK(forged.code == 1);
  CHECK(Contains(forged.text, "is marked pruned but still has content"));
  Sql(db, "UPDATE events SET detail = '' WHERE seq = 2");
  CHECK(Tenure("verify-log" + flags).code == 0);
  Sql(db, "DELETE FROM events WHERE seq = 3");
  CHECK(Tenure("verify-log" + flags).code == 1);
  (void)runs;
}

TEST_CASE("verify-log of an unknown run is a usage error", "[audit][cli]") {
  if (!testing::BinaryBuilt()) return;
  testing::TempDir dir;
  const Output out = Tenure("verify-log --run r-nope --db " + dir.path() + "/t.db");
  CHECK(out.code == 2);
  CHECK(Contains(out.text, "no events of run 'r-nope'"));
}

TEST_CASE("a schema 5 database is migrated: its events are chained and later ones chain on", "[audit][store]") {
  if (!testing::BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  const auto runs = TwoRuns(dir.path(), db);
  const std::int64_t events = Scalar(db, "SELECT COUNT(*) FROM events");
  // Back to schema 5 as it was: no hash columns, no genesis; and rows written by the old code.
  Sql(db,
      "ALTER TABLE events DROP COLUMN prev_hash; ALTER TABLE events DROP COLUMN hash; DROP TABLE audit_chain; "
      "INSERT INTO events (at_ms, run_id, task, item, attempt, kind, detail) VALUES "
      "(1, '" + runs[1] + "', '', -1, 0, 'note', 'written by tenure with schema 5'); PRAGMA user_version = 5;");
  REQUIRE(Scalar(db, "PRAGMA user_version") == 5);

  {
    auto store = OpenSqliteStore(db);
    REQUIRE(store.has_value());
    CHECK(Scalar(db, "PRAGMA user_version") == 6);
    CHECK(Scalar(db, "SELECT COUNT(*) FROM events") == events + 1);
    CHECK(Scalar(db, "SELECT COUNT(*) FROM events WHERE length(hash) != 64 OR length(prev_hash) != 64") == 0);
    auto log = (*store)->ReadAuditLog("");
    REQUIRE(log.has_value());
    CHECK(log->genesis.size() == 64);
    CHECK(log->events.front().prev_hash == log->genesis);
    const ChainCheck check = VerifyChain(*log, "");
    CHECK(!check.broken);
    CHECK(check.events == events + 1);
  }
  // The binary agrees, and runs added after the migration chain on.
  std::ofstream(dir.path() + "/echo.yaml") << kEcho;
  CHECK(Tenure("run " + dir.path() + "/echo.yaml --set who=cy --db " + db).code == 0);
  const Output out = Tenure("verify-log --db " + db);
  INFO(out.text);
  CHECK(out.code == 0);
  Sql(db, "UPDATE events SET detail = 'x' WHERE kind = 'note'");
  CHECK(Tenure("verify-log --db " + db).code == 1);
}

}  // namespace
}  // namespace tenure::engine
