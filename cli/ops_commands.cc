// backup, prune, health: the operator's commands on the state database (docs/operations.md).
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/commands.h"
#include "cli/engine_host.h"
#include "engine/clock.h"
#include "engine/daemon.h"
#include "engine/state_store.h"
#include "engine/timer.h"
#include "workflows/loader.h"

namespace tenure::cli {
namespace {

struct OpsOptions {
  std::string db;
  std::string file;        // backup FILE
  bool force = false;      // backup --force
  std::string before;      // prune --before DATE
  std::string older_than;  // prune --older-than 90d
  bool dry_run = false;    // prune --dry-run
  bool json = false;
};

ExitCode Backup(const OpsOptions& o) {
  const std::string db = engine::DefaultDbPath(o.db);
  auto r = engine::BackupDatabase(db, o.file, o.force);
  if (!r) {
    std::cerr << "tenure backup: " << r.error().message << "\n";
    return ExitCodeFor(r.error());
  }
  std::cout << "backed up " << db << " to " << o.file << "\n";
  return ExitCode::kOk;
}

// The instant of --before (a date: midnight UTC, or an RFC 3339 instant) or --older-than (a
// duration before now).
Result<std::int64_t> PruneCutoff(const OpsOptions& o) {
  if (o.before.empty() == o.older_than.empty()) {
    return Error::InvalidArgument("give exactly one of --before DATE and --older-than DURATION (e.g. 90d)");
  }
  if (!o.older_than.empty()) {
    auto d = workflows::ParseDuration(o.older_than);
    if (!d || d->count() <= 0) {
      return Error::InvalidArgument("--older-than '" + o.older_than + "' is not a duration such as 90d or 12h");
    }
    return engine::ToUnixMillis(std::chrono::system_clock::now() - *d);
  }
  const std::string instant = o.before.size() == 10 ? o.before + "T00:00:00Z" : o.before;
  // The clock counts nanoseconds in 64 bits: instants after 2200 are refused before parsing.
  if (o.before.size() >= 4 && std::all_of(o.before.begin(), o.before.begin() + 4, [](unsigned char c) { return std::isdigit(c) != 0; }) &&
      o.before.substr(0, 4) > "2200") {
    return Error::InvalidArgument("--before '" + o.before + "' is too far in the future (the latest is 2200-01-01)");
  }
  auto t = engine::ParseInstant(instant, "UTC");
  if (!t) {
    return Error::InvalidArgument("--before '" + o.before + "' is neither a date (2026-01-31) nor an RFC 3339 instant");
  }
  return engine::ToUnixMillis(*t);
}

ExitCode Prune(const OpsOptions& o) {
  auto cutoff = PruneCutoff(o);
  if (!cutoff) {
    std::cerr << "tenure prune: " << cutoff.error().message << "\n";
    return ExitCode::kUsage;
  }
  auto store = OpenExistingStore(o.db);
  if (!store) {
    std::cerr << "tenure prune: " << store.error().message << "\n";
    return ExitCodeFor(store.error());
  }
  auto ids = (*store)->PruneRuns(*cutoff, o.dry_run);
  if (!ids) {
    std::cerr << "tenure prune: " << ids.error().message << "\n";
    return ExitCodeFor(ids.error());
  }
  const std::string when = engine::FormatRfc3339(engine::FromUnixMillis(*cutoff));
  if (o.json) {
    boost::json::array runs;
    for (const std::string& id : *ids) runs.emplace_back(id);
    boost::json::object out{{"before", when}, {"dry_run", o.dry_run}, {"runs", std::move(runs)}};
    std::cout << boost::json::serialize(out) << "\n";
    return ExitCode::kOk;
  }
  for (const std::string& id : *ids) std::cout << (o.dry_run ? "would remove " : "removed ") << id << "\n";
  const std::size_t n = ids->size();
  std::cout << (o.dry_run ? "would remove " : "removed ") << n << (n == 1 ? " run" : " runs") << " finished before "
            << when << (o.dry_run ? " (dry run: nothing changed)" : "") << "\n";
  return ExitCode::kOk;
}

ExitCode Health(const OpsOptions& o) {
  const std::string db = engine::DefaultDbPath(o.db);
  auto h = engine::InspectDatabase(db);
  if (!h) {
    std::cerr << "tenure health: " << h.error().message << "\n";
    return ExitCodeFor(h.error());
  }
  // The daemon's status file (written about once a second while it runs), if there is one.
  std::ifstream in(engine::DaemonStatusPath(db));
  std::stringstream text;
  text << in.rdbuf();
  std::int64_t heartbeat_ms = 0;
  std::string heartbeat;
  if (in) {
    boost::system::error_code ec;
    auto j = boost::json::parse(text.str(), ec);
    if (!ec && j.is_object()) {
      if (const auto* v = j.as_object().if_contains("heartbeat_ms"); v != nullptr && v->is_int64())
        heartbeat_ms = v->as_int64();
      if (const auto* v = j.as_object().if_contains("heartbeat"); v != nullptr && v->is_string())
        heartbeat = v->as_string().c_str();
    }
  }
  const bool daemon_running = engine::DaemonLock::Held(db);
  const bool schema_ok = h->schema_version == h->current_version;
  const bool ok = schema_ok && h->check == "ok";
  std::string problem;
  if (h->check != "ok") problem = "integrity check failed: " + h->check;
  if (h->schema_version < h->current_version) {
    problem = "schema version " + std::to_string(h->schema_version) + " is older than this tenure's " +
              std::to_string(h->current_version) + "; any command that writes (e.g. tenure resume --all) migrates it";
  }
  if (h->schema_version > h->current_version) {
    problem = "schema version " + std::to_string(h->schema_version) + " is newer than this tenure understands (" +
              std::to_string(h->current_version) + "); upgrade tenure";
  }
  if (o.json) {
    boost::json::object out{
        {"database", db},
        {"ok", ok},
        {"schema_version", h->schema_version},
        {"current_version", h->current_version},
        {"integrity", h->check},
        {"runs", h->runs},
        {"daemon_running", daemon_running},
        {"heartbeat", heartbeat.empty() ? boost::json::value(nullptr) : boost::json::value(heartbeat)}};
    if (!problem.empty()) out["problem"] = problem;
    std::cout << boost::json::serialize(out) << "\n";
  } else {
    std::cout << "database   " << db << ": " << (ok ? "ok" : problem) << "\n"
              << "schema     " << h->schema_version << (schema_ok ? " (current)" : "") << ", " << h->runs
              << (h->runs == 1 ? " run" : " runs") << "\n"
              << "daemon     " << (daemon_running ? "running" : "not running");
    if (!heartbeat.empty()) {
      const std::int64_t age = engine::ToUnixMillis(std::chrono::system_clock::now()) - heartbeat_ms;
      std::cout << ", last heartbeat " << heartbeat << " (" << age / 1000 << "s ago)";
    }
    std::cout << "\n";
  }
  return ok ? ExitCode::kOk : ExitCode::kFailed;
}

void AddDb(CLI::App* cmd, std::string* db) {
  cmd->add_option("--db", *db,
                  "State database (default: $TENURE_DB, else $XDG_STATE_HOME/tenure/tenure.db, else "
                  "~/.local/state/tenure/tenure.db)");
}

}  // namespace

void RegisterOpsCommands(CLI::App& app, ExitCode* exit_code) {
  auto backup = std::make_shared<OpsOptions>();
  CLI::App* b =
      app.add_subcommand("backup", "Copy the state database consistently, even while runs or the daemon write");
  b->add_option("file", backup->file, "Where to write the copy (must not exist unless --force)")->required();
  b->add_flag("--force", backup->force, "Replace FILE if it exists");
  AddDb(b, &backup->db);
  b->footer("The copy is one self-contained SQLite file (mode 0600), written beside FILE and renamed into place.\n"
            "Example:\n  tenure backup /var/backups/tenure/tenure-$(date +%F).db\n"
            "Restore: stop tenure, then copy the backup over the database (docs/operations.md).\n"
            "Exit codes: 0 written, 2 FILE exists (without --force), no database, or a bad path, 70 I/O failure.");
  b->callback([backup, exit_code] { *exit_code = Backup(*backup); });

  auto prune = std::make_shared<OpsOptions>();
  CLI::App* p =
      app.add_subcommand("prune", "Delete finished runs older than a date (never pending, running or waiting ones)");
  p->add_option("--before", prune->before, "Runs finished before this date (2026-01-31, midnight UTC) or instant");
  p->add_option("--older-than", prune->older_than, "Runs finished longer ago than this: 90d, 12h");
  p->add_flag("--dry-run", prune->dry_run, "Only list what would be removed");
  p->add_flag("--json", prune->json, "As JSON");
  AddDb(p, &prune->db);
  p->footer(
      "Removes succeeded, failed and cancelled runs with their tasks, audit events and links, in one transaction.\n"
      "Examples:\n  tenure prune --older-than 365d --dry-run\n  tenure prune --before 2026-01-01\n"
      "Exit codes: 0 done (also when nothing matched), 2 bad option or no database, 70 database failure.");
  p->callback([prune, exit_code] { *exit_code = Prune(*prune); });

  auto health = std::make_shared<OpsOptions>();
  CLI::App* h = app.add_subcommand("health", "Check the state database (schema, integrity) and the daemon's heartbeat");
  h->add_flag("--json", health->json, "As JSON");
  AddDb(h, &health->db);
  h->footer("Reads only: never creates or migrates the database.\n"
            "Exit codes: 0 healthy (schema current, integrity ok), 1 unhealthy (the message says why),\n"
            "2 no database or not a tenure database, 70 I/O failure.");
  h->callback([health, exit_code] { *exit_code = Health(*health); });
}

}  // namespace tenure::cli
