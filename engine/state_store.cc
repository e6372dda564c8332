// SqliteStateStore: the StateStore on one SQLite file (SQLiteCpp).
//
// Durability, chosen on purpose: WAL with synchronous=FULL. A committed transition survives power
// loss, not only kill -9 (NORMAL would lose the last commits on power loss, and an intent that was
// lost after its connector call ran would make a resumed run repeat it under a new attempt count).
// FULL costs an fsync per commit; group commit (journal.h) shares each fsync among many tasks.
//
// Concurrency: busy_timeout lets a second process wait for the write lock instead of failing with
// "database is locked"; every write transaction is BEGIN IMMEDIATE so a reader never has to
// upgrade to a writer mid-transaction (the upgrade is what fails with SQLITE_BUSY despite the
// timeout).
//
// Schema (PRAGMA user_version = 3; 2 adds the partial index runs_cancel_requested, 3 the wake-up
// counters):
//   runs(id, playbook, inputs_json, status, trigger, trigger_key UNIQUE (NULL = none), error,
//        owner "host:pid" of the executing process, cancel_requested, *_ms times in Unix ms,
//        wakeups (decisions and retries recorded), wakeups_seen (the count an executor last read))
//   run_sources(run_id, position (0 = main file), path, text, sha256)
//   tasks(run_id, task, item (-1 = the task itself, else the for_each item), status, attempts,
//         idempotency_key, result_json, error, due_ms (timers), items_json (for_each list),
//         decided_by, note, started_ms, finished_ms, updated_ms, seq (first-write order))
//   events(seq AUTOINCREMENT, at_ms, run_id, task, item, attempt, kind, detail): append-only.
//          A schedule's events use its id (s...) as run_id.
//   schedules(id, key (unique among those not removed), playbook, inputs_json, cron ('' = one-shot),
//          at (one-shot local date-time as given), time_zone, catch_up, status, next_ms (UTC, 0 =
//          never again), last_run, fires, created_by, created_ms, updated_ms)  (schema 4)
//   schedule_sources(schedule_id, position, path, text, sha256): the snapshot a fire runs.
//   links(id, run_id, task, item, person, purpose, channel, created_ms, expires_ms, used_ms):
//          signed decision links, ids only (schema 5; engine/links.h)
//   events.prev_hash, events.hash, audit_chain(genesis): the hash chain of the audit log (schema 6;
//          docs/audit.md). Each event's prev_hash is the hash of the previous event of its run (or
//          schedule); a run's first event chains to the event written just before it in the
//          database (seq order), the first event of all to the genesis.
#include "engine/state_store.h"

#include "engine/clock.h"

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace tenure::engine {
namespace {

constexpr int kSchemaVersion = 6;


const char* const kMigrations[] = {
    // 0 -> 1
    R"sql(
CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  playbook TEXT NOT NULL,
  inputs_json TEXT NOT NULL,
  status TEXT NOT NULL,
  trigger TEXT NOT NULL,
  trigger_key TEXT UNIQUE,
  error TEXT NOT NULL DEFAULT '',
  owner TEXT NOT NULL DEFAULT '',
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  finished_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_status ON runs(status);
CREATE TABLE run_sources (
  run_id TEXT NOT NULL REFERENCES runs(id),
  position INTEGER NOT NULL,
  path TEXT NOT NULL,
  text TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (run_id, position)
);
CREATE TABLE tasks (
  run_id TEXT NOT NULL REFERENCES runs(id),
  task TEXT NOT NULL,
  item INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT NOT NULL DEFAULT '',
  result_json TEXT NOT NULL DEFAULT 'null',
  error TEXT NOT NULL DEFAULT '',
  due_ms INTEGER NOT NULL DEFAULT 0,
  items_json TEXT NOT NULL DEFAULT 'null',
  decided_by TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  started_ms INTEGER NOT NULL DEFAULT 0,
  finished_ms INTEGER NOT NULL DEFAULT 0,
  updated_ms INTEGER NOT NULL DEFAULT 0,
  seq INTEGER NOT NULL,
  PRIMARY KEY (run_id, task, item)
);
CREATE INDEX tasks_by_seq ON tasks(run_id, seq);  -- MAX(seq) for new rows, listing order
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  task TEXT NOT NULL,
  item INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX events_by_run ON events(run_id, seq);
)sql",
    // 1 -> 2: the cancellation poll (CancelRequests) reads only runs with a pending request.
    R"sql(
CREATE INDEX runs_cancel_requested ON runs(owner) WHERE cancel_requested = 1;
)sql",
    // 2 -> 3: wake-ups. A decision (or a retry) recorded at any moment counts one in `wakeups`; an
    // executor records in `wakeups_seen` the count it read before it read the run's tasks. A run
    // with wakeups > wakeups_seen has news no executor has looked at (`resume --all`, the daemon).
    R"sql(
ALTER TABLE runs ADD COLUMN wakeups INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN wakeups_seen INTEGER NOT NULL DEFAULT 0;
CREATE INDEX runs_woken ON runs(id) WHERE wakeups > wakeups_seen;
)sql",
    // 3 -> 4: schedules (the daemon fires them), and an index for the timers that are due.
    R"sql(
CREATE TABLE schedules (
  id TEXT PRIMARY KEY,
  key TEXT,
  playbook TEXT NOT NULL,
  inputs_json TEXT NOT NULL,
  cron TEXT NOT NULL DEFAULT '',
  at TEXT NOT NULL DEFAULT '',
  time_zone TEXT NOT NULL,
  catch_up TEXT NOT NULL,
  status TEXT NOT NULL,
  next_ms INTEGER NOT NULL,
  last_run TEXT NOT NULL DEFAULT '',
  fires INTEGER NOT NULL DEFAULT 0,
  created_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX schedules_by_key ON schedules(key) WHERE key IS NOT NULL AND status != 'removed';
CREATE INDEX schedules_due ON schedules(next_ms) WHERE status = 'pending';
CREATE TABLE schedule_sources (
  schedule_id TEXT NOT NULL REFERENCES schedules(id),
  position INTEGER NOT NULL,
  path TEXT NOT NULL,
  text TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY (schedule_id, position)
);
CREATE INDEX tasks_due ON tasks(due_ms) WHERE status = 'waiting' AND due_ms > 0;
)sql",
    // 4 -> 5: signed decision links (engine/links.h). Only ids and what they are for: the key that
    // signs them stays in a 0600 file next to the database, and no token is stored.
    R"sql(
CREATE TABLE links (
  id TEXT PRIMARY KEY,
  run_id TEXT NOT NULL,
  task TEXT NOT NULL,
  item INTEGER NOT NULL,
  person TEXT NOT NULL,
  purpose TEXT NOT NULL,
  channel TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX links_by_run ON links(run_id, created_ms);
)sql",
    // 5 -> 6: the hash chain of the audit log (docs/audit.md). The rows already there are chained
    // by ChainExistingEvents in the same transaction.
    R"sql(
ALTER TABLE events ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN hash TEXT NOT NULL DEFAULT '';
CREATE TABLE audit_chain (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  genesis TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
)sql",
};

constexpr const char* kLinkColumns =
    "SELECT id, run_id, task, item, person, purpose, channel, created_ms, expires_ms, used_ms FROM links";

std::string ToJson(const Value& v) { return v.ToJson(); }
Value FromJson(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value j = boost::json::parse(text, ec);
  return ec ? Value(text) : FromJsonValue(j);
}

// The canonical encoding of an audit event (docs/audit.md): a version line, then each field as
// "<byte length>:<bytes>\n", integers in decimal. Length prefixes make it unambiguous whatever the
// fields contain.
std::string HashEvent(std::string_view prev, std::string_view run_id, std::int64_t seq, std::int64_t at_ms,
                      std::string_view task, int item, int attempt, std::string_view kind, std::string_view detail) {
  std::string text = "tenure-event-v1\n";
  text.reserve(128 + run_id.size() + task.size() + kind.size() + detail.size());
  auto field = [&text](std::string_view f) {
    text += std::to_string(f.size());
    text += ':';
    text += f;
    text += '\n';
  };
  field(prev);
  field(run_id);
  field(std::to_string(seq));
  field(std::to_string(at_ms));
  field(task);
  field(std::to_string(item));
  field(std::to_string(attempt));
  field(kind);
  field(detail);
  return Sha256Hex(text);
}

// A run-level (or schedule) event.
EventRecord RunEvent(std::int64_t at_ms, std::string run_id, std::string kind, std::string detail) {
  EventRecord e;
  e.at_ms = at_ms;
  e.run_id = std::move(run_id);
  e.kind = std::move(kind);
  e.detail = std::move(detail);
  return e;
}

// A database the user has to fix (kInvalidArgument, exit 2), as opposed to a failure of tenure.
Error BadDatabase(const std::string& path, const std::string& why) {
  return Error::InvalidArgument("state database " + path + " " + why);
}

std::string NotWritable(const std::string& path, const std::string& reason) {
  return "cannot be written (" + reason + "): tenure keeps its runs there and must write it; check the " +
         "permissions of the file and its directory (chmod 600 " + path + "), or give another path with --db or TENURE_DB";
}

// Creates `path` with mode 0600 before SQLite sees it (SQLite would use 0644 minus umask), and
// checks an existing file is a writable regular file that others cannot read.
Result<void> EnsureFile(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path p(path);
  if (p.has_parent_path() && !std::filesystem::exists(p.parent_path(), ec)) {
    std::filesystem::create_directories(p.parent_path(), ec);
    if (ec) {
      return Error::InvalidArgument("cannot create directory " + p.parent_path().string() + " for the state database: " +
                                    ec.message() + "; give another path with --db or TENURE_DB");
    }
    ::chmod(p.parent_path().c_str(), 0700);
  }
  if (std::filesystem::is_directory(p, ec)) {
    return BadDatabase(path, "is a directory, not a file; give the path of a file with --db or TENURE_DB");
  }
  const int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EACCES || err == EPERM || err == EROFS) return BadDatabase(path, NotWritable(path, std::strerror(err)));
    if (err == EISDIR) return BadDatabase(path, "is a directory, not a file; give the path of a file with --db or TENURE_DB");
    return Error::Io("cannot open state database " + path + ": " + std::strerror(err));
  }
  struct stat st {};
  const int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0) return Error::Io("cannot stat state database " + path + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return BadDatabase(path, "is not a regular file; give the path of a file with --db or TENURE_DB");
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
    return BadDatabase(path, std::string("is accessible by other users (mode ") + mode + "); run: chmod 600 " + path);
  }
  return {};
}

// The error for an SQLite failure while opening `path`: the user's problem when the file is not a
// database, is damaged or cannot be written; else an I/O failure.
Error OpenFailure(const std::string& path, const std::exception& e) {
  const auto* sqlite = dynamic_cast<const SQLite::Exception*>(&e);
  const int code = sqlite != nullptr ? sqlite->getErrorCode() : -1;
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
    return BadDatabase(path, std::string("is not a usable SQLite database (") + e.what() +
                                 "); move it away, or give another path with --db or TENURE_DB");
  }
  if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM || code == SQLITE_AUTH) {
    return BadDatabase(path, NotWritable(path, e.what()));
  }
  return Error::Io("cannot open state database " + path + ": " + e.what());
}

class SqliteStateStore final : public StateStore {
 public:
  explicit SqliteStateStore(const std::string& path)
      : path_(path), db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX, 10000) {}

  Result<void> Init() {
    try {
      db_.exec("PRAGMA journal_mode=WAL");
      db_.exec("PRAGMA synchronous=FULL");
      db_.exec("PRAGMA foreign_keys=ON");
      const int version = db_.execAndGet("PRAGMA user_version").getInt();
      if (version > kSchemaVersion) {
        return BadDatabase(path_, "has schema version " + std::to_string(version) + "; this tenure understands up to " +
                                      std::to_string(kSchemaVersion));
      }
      if (auto foreign = ForeignTables(version); !foreign.empty()) {
        return BadDatabase(path_, "is an SQLite database that tenure did not create (it has " + foreign +
                                      "); tenure will not add its tables to it: give another path with --db or TENURE_DB");
      }
      for (int v = version; v < kSchemaVersion; ++v) {
        SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
        if (db_.execAndGet("PRAGMA user_version").getInt() != v) continue;  // another process did it
        db_.exec(kMigrations[v]);
        if (v == 5) ChainExistingEvents();
        db_.exec("PRAGMA user_version=" + std::to_string(v + 1));
        txn.commit();
      }
      read_db_ = std::make_unique<SQLite::Database>(path_, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX, 10000);
    } catch (const std::exception& e) {
      return OpenFailure(path_, e);
    }
    return {};
  }

  // "" for a new database or one of tenure's, else the tables that show it is someone else's
  // ("tables contacts, notes"). tenure's own have schema version >= 1 and a `runs` table.
  std::string ForeignTables(int version) {
    std::vector<std::string> tables;
    bool has_runs = false;
    SQLite::Statement q(db_, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
    while (q.executeStep()) {
      tables.push_back(q.getColumn(0).getString());
      has_runs = has_runs || tables.back() == "runs";
    }
    if (version == 0 ? tables.empty() : has_runs) return "";
    if (tables.empty()) return "schema version " + std::to_string(version) + " and no tables";
    std::string list;
    for (std::size_t i = 0; i < tables.size() && i < 5; ++i) list += (i == 0 ? "" : ", ") + tables[i];
    if (tables.size() > 5) list += ", ...";
    return (tables.size() == 1 ? "table " : "tables ") + list;
  }

  Result<CreatedRun> CreateRun(const RunRecord& run) override {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    try {
      SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
      ChainTxn chain(*this);
      if (!run.trigger_key.empty()) {
        SQLite::Statement q(db_, "SELECT id FROM runs WHERE trigger_key = ?");
        q.bind(1, run.trigger_key);
        if (q.executeStep()) return CreatedRun{q.getColumn(0).getString(), false};
      }
      // Checked, not left to the primary key: a constraint failure would make the store sticky-failed.
      SQLite::Statement taken(db_, "SELECT 1 FROM runs WHERE id = ?");
      taken.bind(1, run.id);
      if (taken.executeStep()) return Error::AlreadyExists("a run with id " + run.id + " already exists");
      SQLite::Statement ins(db_,
                            "INSERT INTO runs (id, playbook, inputs_json, status, trigger, trigger_key, "
                            "created_ms, updated_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
      ins.bind(1, run.id);
      ins.bind(2, run.playbook);
      ins.bind(3, ToJson(run.inputs));
      ins.bind(4, RunStatusName(run.status));
      ins.bind(5, run.trigger);
      if (run.trigger_key.empty()) {
        ins.bind(6);
      } else {
        ins.bind(6, run.trigger_key);
      }
      ins.bind(7, static_cast<int64_t>(run.created_ms));
      ins.bind(8, static_cast<int64_t>(run.created_ms));
      ins.exec();
      InsertSources("INSERT INTO run_sources VALUES (?, ?, ?, ?, ?)", run.id, run.sources);
      InsertEvent(RunEvent(run.created_ms, run.id, "run_created",
                           "playbook " + run.playbook + " (trigger " + run.trigger + ")"));
      txn.commit();
      chain.Committed();
      return CreatedRun{run.id, true};
    } catch (const std::exception& e) {
      return Fail(e);
    }
  }

  Result<RunRecord> GetRun(const std::string& id) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement& q = CachedRead(get_run_, std::string(kRunColumns) + " WHERE id = ?");
      Done done(q);
      q.bind(1, id);
      if (!q.executeStep()) return Error::NotFound("no run '" + id + "'");
      RunRecord r = ReadRun(q);
      SQLite::Statement& src =
          CachedRead(get_run_sources_, "SELECT path, text, sha256 FROM run_sources WHERE run_id = ? ORDER BY position");
      Done src_done(src);
      src.bind(1, id);
      while (src.executeStep()) {
        r.sources.push_back({src.getColumn(0).getString(), src.getColumn(1).getString(), src.getColumn(2).getString()});
      }
      return r;
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading run ") + id + ": " + e.what());
    }
  }

  Result<std::vector<RunRecord>> ListRuns(const RunFilter& f) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement q(*read_db_, std::string(kRunColumns) +
                                   " WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR playbook = ?2) "
                                   "AND created_ms >= ?3 ORDER BY created_ms, id");
      q.bind(1, f.status ? RunStatusName(*f.status) : "");
      q.bind(2, f.playbook);
      q.bind(3, static_cast<int64_t>(f.since_ms));
      std::vector<RunRecord> out;
      while (q.executeStep()) out.push_back(ReadRun(q));
      return out;
    } catch (const std::exception& e) {
      return Error::Io(std::string("listing runs: ") + e.what());
    }
  }

  Result<std::vector<TaskRecord>> GetTasks(const std::string& run_id) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement& q = CachedRead(get_tasks_,
                                        "SELECT task, item, status, attempts, idempotency_key, result_json, error, "
                                        "due_ms, items_json, decided_by, note, started_ms, finished_ms, updated_ms "
                                        "FROM tasks WHERE run_id = ? ORDER BY seq, item");
      Done done(q);
      q.bind(1, run_id);
      std::vector<TaskRecord> out;
      while (q.executeStep()) {
        TaskRecord t;
        t.task = q.getColumn(0).getString();
        t.item = q.getColumn(1).getInt();
        t.status = ParseTaskStatus(q.getColumn(2).getString()).value_or(TaskStatus::kPending);
        t.attempts = q.getColumn(3).getInt();
        t.idempotency_key = q.getColumn(4).getString();
        t.result = FromJson(q.getColumn(5).getString());
        t.error = q.getColumn(6).getString();
        t.due_ms = q.getColumn(7).getInt64();
        t.items = FromJson(q.getColumn(8).getString());
        t.decided_by = q.getColumn(9).getString();
        t.note = q.getColumn(10).getString();
        t.started_ms = q.getColumn(11).getInt64();
        t.finished_ms = q.getColumn(12).getInt64();
        t.updated_ms = q.getColumn(13).getInt64();
        out.push_back(std::move(t));
      }
      return out;
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading tasks of ") + run_id + ": " + e.what());
    }
  }

  Result<std::vector<EventRecord>> GetEvents(const std::string& run_id) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement q(*read_db_, std::string(kEventColumns) + " WHERE run_id = ? ORDER BY seq");
      q.bind(1, run_id);
      std::vector<EventRecord> out;
      while (q.executeStep()) out.push_back(ReadEvent(q));
      return out;
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading events of ") + run_id + ": " + e.what());
    }
  }

  Result<AuditLog> ReadAuditLog(const std::string& run_id) override {
    std::lock_guard lock(read_mu_);
    try {
      SQLite::Transaction snapshot(*read_db_);  // one consistent view while writers go on
      AuditLog log;
      SQLite::Statement g(*read_db_, "SELECT genesis FROM audit_chain WHERE id = 1");
      if (g.executeStep()) log.genesis = g.getColumn(0).getString();
      SQLite::Statement seq(*read_db_, "SELECT seq FROM sqlite_sequence WHERE name = 'events'");
      if (seq.executeStep()) log.sequence = seq.getColumn(0).getInt64();
      SQLite::Statement q(*read_db_, std::string(kEventColumns) + " WHERE ?1 = '' OR run_id = ?1 ORDER BY seq");
      q.bind(1, run_id);
      while (q.executeStep()) log.events.push_back(ReadEvent(q));
      if (!run_id.empty()) {
        if (log.events.empty()) return Error::NotFound("no events of run '" + run_id + "'");
        SQLite::Statement p(*read_db_, std::string(kEventColumns) + " WHERE seq < ? ORDER BY seq DESC LIMIT 1");
        p.bind(1, static_cast<int64_t>(log.events.front().seq));
        if (p.executeStep()) log.predecessor = ReadEvent(p);
      }
      snapshot.commit();
      return log;
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading the audit log: ") + e.what());
    }
  }

  static constexpr const char* kEventColumns =
      "SELECT seq, at_ms, run_id, task, item, attempt, kind, detail, prev_hash, hash FROM events";

  static EventRecord ReadEvent(SQLite::Statement& q) {
    return {q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
            q.getColumn(3).getString(), q.getColumn(4).getInt(),   q.getColumn(5).getInt(),
            q.getColumn(6).getString(), q.getColumn(7).getString(), q.getColumn(8).getString(),
            q.getColumn(9).getString()};
  }

  Result<void> Apply(std::span<const Transition> batch) override {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    try {
      SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
      ChainTxn chain(*this);
      for (const Transition& t : batch) {
        if (auto r = ApplyOne(t); !r) return r.error();  // txn rolls back
      }
      txn.commit();
      chain.Committed();
      return {};
    } catch (const std::exception& e) {
      return Fail(e);
    }
  }

  Result<std::string> ClaimRun(const std::string& run_id, const std::string& owner,
                               bool (*owner_dead)(const std::string&)) override {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    try {
      SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
      ChainTxn chain(*this);
      SQLite::Statement q(db_, "SELECT owner FROM runs WHERE id = ?");
      q.bind(1, run_id);
      if (!q.executeStep()) return Error::NotFound("no run '" + run_id + "'");
      const std::string current = q.getColumn(0).getString();
      if (!current.empty() && current != owner && !owner_dead(current)) return current;
      SQLite::Statement u(db_, "UPDATE runs SET owner = ? WHERE id = ?");
      u.bind(1, owner);
      u.bind(2, run_id);
      u.exec();
      txn.commit();
      chain.Committed();
      return owner;
    } catch (const std::exception& e) {
      return Fail(e);
    }
  }

  Result<std::vector<std::string>> ClaimRuns(const std::vector<std::string>& run_ids, const std::string& owner,
                                             bool (*owner_dead)(const std::string&)) override {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    try {
      SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
      ChainTxn chain(*this);
      std::vector<std::string> claimed;
      SQLite::Statement q(db_, "SELECT owner FROM runs WHERE id = ?");
      SQLite::Statement u(db_, "UPDATE runs SET owner = ? WHERE id = ?");
      for (const std::string& id : run_ids) {
        q.reset();
        q.bind(1, id);
        if (!q.executeStep()) continue;
        const std::string current = q.getColumn(0).getString();
        if (!current.empty() && current != owner && !owner_dead(current)) continue;
        u.reset();
        u.bind(1, owner);
        u.bind(2, id);
        u.exec();
        claimed.push_back(id);
      }
      txn.commit();
      chain.Committed();
      return claimed;
    } catch (const std::exception& e) {
      return Fail(e);
    }
  }

  Result<void> ReleaseRun(const std::string& run_id, const std::string& owner) override {
    auto changed = Exec("UPDATE runs SET owner = '' WHERE id = ?1 AND owner = ?2", {run_id, owner});
    if (!changed) return changed.error();
    return {};
  }

  Result<void> RequestCancel(const std::string& run_id) override {
    auto changed = Exec("UPDATE runs SET cancel_requested = 1 WHERE id = ?1", {run_id});
    if (!changed) return changed.error();
    if (*changed == 0) return Error::NotFound("no run '" + run_id + "'");
    return {};
  }

  Result<std::vector<std::string>> CancelRequests(const std::string& owner) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement q(*read_db_, "SELECT id FROM runs WHERE cancel_requested = 1 AND owner = ?");
      q.bind(1, owner);
      std::vector<std::string> out;
      while (q.executeStep()) out.push_back(q.getColumn(0).getString());
      return out;
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading cancellation requests: ") + e.what());
    }
  }


  Result<std::vector<RunRecord>> RunnableRuns(std::int64_t now_ms, const std::string& self) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement q(*read_db_, std::string(kRunColumns) +
                                   " WHERE (status = 'pending' AND (?1 = '' OR owner != ?1)) "
                                   "OR (status = 'waiting' AND wakeups > wakeups_seen) "
                                   "OR (status = 'running' AND (?1 = '' OR owner != ?1)) "
                                   "OR (status = 'waiting' AND id IN (SELECT run_id FROM tasks WHERE status = "
                                   "'waiting' AND due_ms > 0 AND due_ms <= ?2)) ORDER BY created_ms, id");
      q.bind(1, self);
      q.bind(2, static_cast<int64_t>(now_ms));
      std::vector<RunRecord> out;
      while (q.executeStep()) out.push_back(ReadRun(q));
      return out;
    } catch (const std::exception& e) {
      return Error::Io(std::string("listing runnable runs: ") + e.what());
    }
  }

  Result<std::int64_t> NextTimerDue(std::int64_t now_ms) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement q(*read_db_, "SELECT COALESCE(MIN(due_ms), 0) FROM tasks WHERE status = 'waiting' AND due_ms > ?");
      q.bind(1, static_cast<int64_t>(now_ms));
      q.executeStep();
      return static_cast<std::int64_t>(q.getColumn(0).getInt64());
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading timers: ") + e.what());
    }
  }

  Result<ScheduleWrite> PutSchedule(const ScheduleRecord& s) override {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    try {
      SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
      ChainTxn chain(*this);
      ScheduleWrite out;
      out.id = s.id;
      std::string old_status;
      if (!s.key.empty()) {
        SQLite::Statement q(db_, "SELECT id, status, last_run, next_ms FROM schedules WHERE key = ? AND status != 'removed'");
        q.bind(1, s.key);
        if (q.executeStep()) {
          out.id = q.getColumn(0).getString();
          old_status = q.getColumn(1).getString();
          const std::string last_run = q.getColumn(2).getString();
          out.previous_next_ms = q.getColumn(3).getInt64();
          if (old_status == "fired") {
            return Error::FailedPrecondition("schedule " + s.key + " (" + out.id + ") already started run " + last_run +
                                             "; look at it with: tenure status " + last_run);
          }
          out.replaced = true;
        }
      }
      if (out.replaced) {
        SQLite::Statement u(db_,
                            "UPDATE schedules SET playbook = ?, inputs_json = ?, cron = ?, at = ?, time_zone = ?, "
                            "catch_up = ?, status = ?, next_ms = ?, updated_ms = ? WHERE id = ?");
        u.bind(1, s.playbook);
        u.bind(2, ToJson(s.inputs));
        u.bind(3, s.cron);
        u.bind(4, s.at);
        u.bind(5, s.time_zone);
        u.bind(6, CatchUpName(s.catch_up));
        // A correction keeps a pause; it revives a cancelled schedule (a termination reinstated).
        u.bind(7, old_status == "paused" ? "paused" : "pending");
        u.bind(8, static_cast<int64_t>(s.next_ms));
        u.bind(9, static_cast<int64_t>(s.created_ms));
        u.bind(10, out.id);
        u.exec();
        SQLite::Statement d(db_, "DELETE FROM schedule_sources WHERE schedule_id = ?");
        d.bind(1, out.id);
        d.exec();
      } else {
        SQLite::Statement ins(db_,
                              "INSERT INTO schedules (id, key, playbook, inputs_json, cron, at, time_zone, catch_up, "
                              "status, next_ms, created_by, created_ms, updated_ms) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)");
        ins.bind(1, s.id);
        if (s.key.empty()) {
          ins.bind(2);
        } else {
          ins.bind(2, s.key);
        }
        ins.bind(3, s.playbook);
        ins.bind(4, ToJson(s.inputs));
        ins.bind(5, s.cron);
        ins.bind(6, s.at);
        ins.bind(7, s.time_zone);
        ins.bind(8, CatchUpName(s.catch_up));
        ins.bind(9, static_cast<int64_t>(s.next_ms));
        ins.bind(10, s.created_by);
        ins.bind(11, static_cast<int64_t>(s.created_ms));
        ins.bind(12, static_cast<int64_t>(s.created_ms));
        ins.exec();
      }
      InsertSources("INSERT INTO schedule_sources VALUES (?, ?, ?, ?, ?)", out.id, s.sources);
      const std::string rule = s.cron.empty() ? "at " + s.at : "cron \"" + s.cron + "\"";
      const std::string detail = "playbook " + s.playbook + ", " + rule + " " + s.time_zone + " by " + s.created_by;
      if (out.replaced) {
        InsertEvent(RunEvent(s.created_ms, out.id, "schedule_replaced",
                             detail + "; was " + old_status + " with next fire at " +
                                 (out.previous_next_ms > 0 ? FormatRfc3339(FromUnixMillis(out.previous_next_ms))
                                                           : std::string("never"))));
      } else {
        InsertEvent(RunEvent(s.created_ms, out.id, "schedule_created", detail));
      }
      txn.commit();
      chain.Committed();
      return out;
    } catch (const std::exception& e) {
      return Fail(e);
    }
  }

  Result<ScheduleRecord> GetSchedule(const std::string& id_or_key) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement q(*read_db_, std::string(kScheduleColumns) +
                                   " WHERE id = ?1 OR (key = ?1 AND status != 'removed') ORDER BY id = ?1 DESC LIMIT 1");
      q.bind(1, id_or_key);
      if (!q.executeStep()) return Error::NotFound("no schedule '" + id_or_key + "'");
      ScheduleRecord r = ReadSchedule(q);
      r.sources = ReadSources("SELECT path, text, sha256 FROM schedule_sources WHERE schedule_id = ? ORDER BY position",
                              r.id);
      return r;
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading schedule ") + id_or_key + ": " + e.what());
    }
  }

  Result<std::vector<ScheduleRecord>> ListSchedules(bool removed) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement q(*read_db_, std::string(kScheduleColumns) +
                                   " WHERE ?1 OR status != 'removed' ORDER BY next_ms = 0, next_ms, created_ms, id");
      q.bind(1, removed ? 1 : 0);
      std::vector<ScheduleRecord> out;
      while (q.executeStep()) out.push_back(ReadSchedule(q));
      return out;
    } catch (const std::exception& e) {
      return Error::Io(std::string("listing schedules: ") + e.what());
    }
  }

  Result<ScheduleRecord> SetScheduleStatus(const std::string& id_or_key, const std::vector<ScheduleStatus>& from,
                                           ScheduleStatus to, const std::string& kind, const std::string& detail,
                                           std::int64_t at_ms) override {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    try {
      SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
      ChainTxn chain(*this);
      SQLite::Statement q(db_, std::string(kScheduleColumns) +
                                   " WHERE id = ?1 OR (key = ?1 AND status != 'removed') ORDER BY id = ?1 DESC LIMIT 1");
      q.bind(1, id_or_key);
      if (!q.executeStep()) return Error::NotFound("no schedule '" + id_or_key + "'");
      ScheduleRecord r = ReadSchedule(q);
      q.reset();
      if (std::find(from.begin(), from.end(), r.status) == from.end()) {
        std::string allowed;
        for (ScheduleStatus f : from) allowed += std::string(allowed.empty() ? "" : " or ") + ScheduleStatusName(f);
        return Error::FailedPrecondition("schedule " + r.id + (r.key.empty() ? "" : " (" + r.key + ")") + " is " +
                                         ScheduleStatusName(r.status) + ", not " + allowed +
                                         (r.last_run.empty() ? "" : "; its run: tenure status " + r.last_run));
      }
      SQLite::Statement u(db_, "UPDATE schedules SET status = ?, updated_ms = ? WHERE id = ?");
      u.bind(1, ScheduleStatusName(to));
      u.bind(2, static_cast<int64_t>(at_ms));
      u.bind(3, r.id);
      u.exec();
      InsertEvent(RunEvent(at_ms, r.id, kind, detail));
      txn.commit();
      chain.Committed();
      r.status = to;
      r.updated_ms = at_ms;
      return r;
    } catch (const std::exception& e) {
      return Fail(e);
    }
  }

  Result<std::vector<ScheduleRecord>> DueSchedules(std::int64_t now_ms, int limit) override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      // (next_ms, rowid) is the order of the schedules_due index (an index ends with the rowid): a
      // chunk of the due is read without sorting every schedule due at that instant, and in the
      // order the schedules were added, which keeps a chunk's writes on neighbouring pages.
      SQLite::Statement q(*read_db_, std::string(kScheduleColumns) +
                                   " WHERE status = 'pending' AND next_ms > 0 AND next_ms <= ? ORDER BY next_ms, rowid LIMIT ?");
      q.bind(1, static_cast<int64_t>(now_ms));
      q.bind(2, limit);
      std::vector<ScheduleRecord> out;
      while (q.executeStep()) out.push_back(ReadSchedule(q));
      return out;
    } catch (const std::exception& e) {
      return Error::Io(std::string("listing due schedules: ") + e.what());
    }
  }

  Result<std::int64_t> NextScheduleDue() override {
    std::lock_guard lock(read_mu_);  // the read connection: never waits for a commit's fsync
    try {
      SQLite::Statement q(*read_db_, "SELECT COALESCE(MIN(next_ms), 0) FROM schedules WHERE status = 'pending' AND next_ms > 0");
      q.executeStep();
      return static_cast<std::int64_t>(q.getColumn(0).getInt64());
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading schedules: ") + e.what());
    }
  }

  Result<void> FireSchedule(const ScheduleFire& f) override {
    auto all = FireSchedules({&f, 1});
    if (!all) return all.error();
    if (!(*all)[0]) return (*all)[0].error();
    return {};
  }

  Result<std::vector<Result<RunRecord>>> FireSchedules(std::span<const ScheduleFire> fires) override {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    try {
      SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
      ChainTxn chain(*this);
      std::vector<Result<RunRecord>> out;
      out.reserve(fires.size());
      for (const ScheduleFire& f : fires) out.push_back(FireOne(f));
      txn.commit();
      chain.Committed();
      return out;
    } catch (const std::exception& e) {
      return Fail(e);
    }
  }

  Result<std::vector<EventRecord>> GetScheduleEvents(const std::string& id) override { return GetEvents(id); }

  // A pruned run's events stay as tombstones: their content goes (kind 'pruned', no task, no
  // detail), their seq, run, time and hashes stay, so the hash chain still verifies across them
  // (docs/audit.md, "Pruning").
  static constexpr const char* kPruneEvents =
      "UPDATE events SET kind = 'pruned', task = '', item = -1, attempt = 0, detail = '' WHERE run_id = ?";

  Result<std::vector<std::string>> PruneRuns(std::int64_t before_ms, bool dry_run) override {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    std::vector<std::string> ids;
    try {
      SQLite::Transaction txn(db_, SQLite::TransactionBehavior::IMMEDIATE);
      // finished_ms is set when a run reaches a final status; a run finished before that column
      // was written has 0 there, so its last change counts instead.
      SQLite::Statement q(db_,
                          "SELECT id FROM runs WHERE status IN ('succeeded', 'failed', 'cancelled') "
                          "AND (CASE WHEN finished_ms > 0 THEN finished_ms ELSE updated_ms END) < ? "
                          "ORDER BY created_ms, id");
      q.bind(1, static_cast<int64_t>(before_ms));
      while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
      if (dry_run || ids.empty()) return ids;
      for (const char* sql : {"DELETE FROM tasks WHERE run_id = ?", "DELETE FROM run_sources WHERE run_id = ?",
                              kPruneEvents, "DELETE FROM links WHERE run_id = ?",
                              "DELETE FROM runs WHERE id = ?"}) {
        SQLite::Statement del(db_, sql);
        for (const std::string& id : ids) {
          del.bind(1, id);
          del.exec();
          del.reset();
        }
      }
      txn.commit();
    } catch (const std::exception& e) {
      write_error_ = Error::Io(std::string("pruning runs: ") + e.what());
      return *write_error_;
    }
    return ids;
  }

  std::optional<Error> WriteError() const override {
    std::lock_guard lock(mu_);
    return write_error_;
  }

 private:
  // One fire inside the caller's transaction; refusals write nothing. Returns the run created
  // (id "" when skipped), with its snapshot when it is created owned.
  Result<RunRecord> FireOne(const ScheduleFire& f) {
    // Prepared once per store: a pass fires thousands (preparing costs more than running them).
    SQLite::Statement& q = Cached(fire_read_, "SELECT status, next_ms, playbook, inputs_json, key FROM schedules WHERE id = ?");
    q.bind(1, f.schedule_id);
    if (!q.executeStep()) {
      q.reset();
      return Error::NotFound("no schedule '" + f.schedule_id + "'");
    }
    const std::string status = q.getColumn(0).getString();
    const std::int64_t next = q.getColumn(1).getInt64();
    const std::string playbook = q.getColumn(2).getString();
    const std::string inputs = q.getColumn(3).getString();
    q.reset();
    if (status != "pending" || next != f.fire_ms) {
      return Error::Conflict("schedule " + f.schedule_id + " is no longer due at " +
                             FormatRfc3339(FromUnixMillis(f.fire_ms)) + " (it is " + status + ")");
    }
    if (f.run_id.empty()) {  // skipped (catch_up: skip): the schedule moves on without a run
      SQLite::Statement u(db_, "UPDATE schedules SET next_ms = ?, status = ?, updated_ms = ? WHERE id = ?");
      u.bind(1, static_cast<int64_t>(f.next_ms));
      u.bind(2, f.next_ms == 0 ? "cancelled" : "pending");
      u.bind(3, static_cast<int64_t>(f.at_ms));
      u.bind(4, f.schedule_id);
      u.exec();
      InsertEvent(RunEvent(f.at_ms, f.schedule_id, "schedule_skipped", f.detail));
      return RunRecord{};
    }
    const std::string key = "schedule:" + f.schedule_id + "@" + std::to_string(f.fire_ms);
    // OR IGNORE: a run id drawn twice or a fire already recorded inserts nothing, and only then
    // is it worth two lookups to say which (one statement per fire instead of three).
    SQLite::Statement& ins = Cached(fire_insert_run_,
                                    "INSERT OR IGNORE INTO runs (id, playbook, inputs_json, status, trigger, "
                                    "trigger_key, created_ms, updated_ms, owner) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?)");
    ins.bindNoCopy(1, f.run_id);  // each string outlives exec() (see InsertEvent)
    ins.bindNoCopy(2, playbook);
    ins.bindNoCopy(3, inputs);
    ins.bindNoCopy(4, f.trigger);
    ins.bindNoCopy(5, key);
    ins.bind(6, static_cast<int64_t>(f.at_ms));
    ins.bind(7, static_cast<int64_t>(f.at_ms));
    ins.bindNoCopy(8, f.owner);
    if (ins.exec() == 0) {
      SQLite::Statement& taken = Cached(fire_taken_, "SELECT 1 FROM runs WHERE id = ?");
      Done taken_done(taken);
      taken.bind(1, f.run_id);
      if (taken.executeStep()) return Error::AlreadyExists("a run with id " + f.run_id + " already exists");
      SQLite::Statement& dup = Cached(fire_dup_, "SELECT id FROM runs WHERE trigger_key = ?");
      Done dup_done(dup);
      dup.bind(1, key);
      if (!dup.executeStep()) {
        return Error::Conflict("schedule " + f.schedule_id + ": the runs table refused run " + f.run_id);
      }
      return Error::Conflict("schedule " + f.schedule_id + " already fired at " +
                             FormatRfc3339(FromUnixMillis(f.fire_ms)) + ": run " + dup.getColumn(0).getString());
    }
    SQLite::Statement& src = Cached(fire_sources_,
                                    "INSERT INTO run_sources (run_id, position, path, text, sha256) SELECT ?, "
                                    "position, path, text, sha256 FROM schedule_sources WHERE schedule_id = ?");
    src.bindNoCopy(1, f.run_id);
    src.bindNoCopy(2, f.schedule_id);
    src.exec();
    SQLite::Statement& u = Cached(fire_update_,
                                  "UPDATE schedules SET last_run = ?, fires = fires + 1, next_ms = ?, status = ?, "
                                  "updated_ms = ? WHERE id = ?");
    u.bindNoCopy(1, f.run_id);
    u.bind(2, static_cast<int64_t>(f.next_ms));
    u.bindNoCopy(3, f.next_ms == 0 ? "fired" : "pending");
    u.bind(4, static_cast<int64_t>(f.at_ms));
    u.bindNoCopy(5, f.schedule_id);
    u.exec();
    InsertEvent(RunEvent(f.at_ms, f.run_id, "run_created",
                         "playbook " + playbook + " (trigger " + f.trigger + "; " + f.detail + ")"),
                /*new_run=*/true);
    InsertEvent(RunEvent(f.at_ms, f.schedule_id, "schedule_fired",
                         "run " + f.run_id + "; " + f.detail));
    RunRecord run;
    run.id = f.run_id;
    run.playbook = playbook;
    run.inputs = FromJson(inputs);
    run.status = RunStatus::kPending;
    run.trigger = f.trigger;
    run.trigger_key = key;
    run.owner = f.owner;
    run.created_ms = run.updated_ms = f.at_ms;
    if (!f.owner.empty()) {  // its executor starts from this record: the snapshot as stored
      SQLite::Statement& text = Cached(fire_read_sources_,
                                       "SELECT path, text, sha256 FROM run_sources WHERE run_id = ? ORDER BY position");
      Done text_done(text);
      text.bind(1, f.run_id);
      while (text.executeStep()) {
        run.sources.push_back({text.getColumn(0).getString(), text.getColumn(1).getString(), text.getColumn(2).getString()});
      }
    }
    return run;
  }

  static constexpr const char* kScheduleColumns =
      "SELECT id, COALESCE(key, ''), playbook, inputs_json, cron, at, time_zone, catch_up, status, next_ms, "
      "last_run, fires, created_by, created_ms, updated_ms FROM schedules";

  static ScheduleRecord ReadSchedule(SQLite::Statement& q) {
    ScheduleRecord r;
    r.id = q.getColumn(0).getString();
    r.key = q.getColumn(1).getString();
    r.playbook = q.getColumn(2).getString();
    r.inputs = FromJson(q.getColumn(3).getString());
    r.cron = q.getColumn(4).getString();
    r.at = q.getColumn(5).getString();
    r.time_zone = q.getColumn(6).getString();
    r.catch_up = ParseCatchUp(q.getColumn(7).getString()).value_or(CatchUp::kFireOnce);
    r.status = ParseScheduleStatus(q.getColumn(8).getString()).value_or(ScheduleStatus::kPending);
    r.next_ms = q.getColumn(9).getInt64();
    r.last_run = q.getColumn(10).getString();
    r.fires = q.getColumn(11).getInt64();
    r.created_by = q.getColumn(12).getString();
    r.created_ms = q.getColumn(13).getInt64();
    r.updated_ms = q.getColumn(14).getInt64();
    return r;
  }

  static constexpr const char* kRunColumns =
      "SELECT id, playbook, inputs_json, status, trigger, COALESCE(trigger_key, ''), error, owner, "
      "cancel_requested, created_ms, updated_ms, finished_ms, wakeups, wakeups_seen FROM runs";

  static RunRecord ReadRun(SQLite::Statement& q) {
    RunRecord r;
    r.id = q.getColumn(0).getString();
    r.playbook = q.getColumn(1).getString();
    r.inputs = FromJson(q.getColumn(2).getString());
    r.status = ParseRunStatus(q.getColumn(3).getString()).value_or(RunStatus::kPending);
    r.trigger = q.getColumn(4).getString();
    r.trigger_key = q.getColumn(5).getString();
    r.error = q.getColumn(6).getString();
    r.owner = q.getColumn(7).getString();
    r.cancel_requested = q.getColumn(8).getInt() != 0;
    r.created_ms = q.getColumn(9).getInt64();
    r.updated_ms = q.getColumn(10).getInt64();
    r.finished_ms = q.getColumn(11).getInt64();
    r.wakeups = q.getColumn(12).getInt64();
    r.wakeups_seen = q.getColumn(13).getInt64();
    return r;
  }

  // Runs one write statement with text parameters; returns the number of rows changed.
  Result<int> Exec(const char* sql, std::initializer_list<std::string> params) {
    std::lock_guard lock(mu_);
    if (write_error_) return *write_error_;
    try {
      SQLite::Statement s(db_, sql);
      int i = 1;
      for (const std::string& p : params) s.bind(i++, p);
      return s.exec();
    } catch (const std::exception& e) {
      return Fail(e);
    }
  }

  Result<void> ApplyOne(const Transition& t) {
    for (const TaskRecord& task : t.tasks) {
      if (auto r = UpsertTask(t.run_id, task, t.at_ms); !r) return r;
    }
    if (t.run_status || t.run_error) {
      // With the wake-ups seen (a run start) and the release of the claim (a run's last write):
      // one statement instead of up to three.
      SQLite::Statement& u = Cached(update_run_,
                                    "UPDATE runs SET status = COALESCE(?1, status), error = COALESCE(?2, error), "
                                    "updated_ms = ?3, finished_ms = ?4, wakeups_seen = COALESCE(?6, wakeups_seen), "
                                    "owner = CASE WHEN ?7 IS NOT NULL AND owner = ?7 THEN '' ELSE owner END "
                                    "WHERE id = ?5");
      if (t.run_status) {
        u.bindNoCopy(1, RunStatusName(*t.run_status));
      } else {
        u.bind(1);
      }
      if (t.run_error) {
        u.bindNoCopy(2, *t.run_error);
      } else {
        u.bind(2);
      }
      u.bind(3, static_cast<int64_t>(t.at_ms));
      const bool final = t.run_status && (*t.run_status == RunStatus::kSucceeded ||
                                          *t.run_status == RunStatus::kFailed ||
                                          *t.run_status == RunStatus::kCancelled);
      u.bind(4, static_cast<int64_t>(final ? t.at_ms : 0));
      u.bindNoCopy(5, t.run_id);
      if (t.wakeups_seen) u.bind(6, static_cast<int64_t>(*t.wakeups_seen));
      if (t.release_owner) u.bindNoCopy(7, *t.release_owner);
      if (u.exec() == 0) return Error::NotFound("no run '" + t.run_id + "'");
    }
    const bool folded = t.run_status || t.run_error;  // wakeups_seen and release went with it
    if (t.release_owner && !folded) {
      SQLite::Statement& r = Cached(release_owner_, "UPDATE runs SET owner = '' WHERE id = ? AND owner = ?");
      r.bindNoCopy(1, t.run_id);
      r.bindNoCopy(2, *t.release_owner);
      r.exec();
    }
    if (t.wake) {
      SQLite::Statement& w = Cached(wake_run_, "UPDATE runs SET wakeups = wakeups + 1 WHERE id = ?");
      w.bind(1, t.run_id);
      w.exec();
    }
    if (t.wakeups_seen && !folded) {
      // Prepared once (preparing costs more than running it).
      SQLite::Statement& w = Cached(wakeups_seen_, "UPDATE runs SET wakeups_seen = ? WHERE id = ?");
      w.bind(1, static_cast<int64_t>(*t.wakeups_seen));
      w.bindNoCopy(2, t.run_id);
      w.exec();
    }
    if (t.clear_cancel_request) {
      SQLite::Statement& c = Cached(clear_cancel_, "UPDATE runs SET cancel_requested = 0 WHERE id = ?");
      c.bind(1, t.run_id);
      c.exec();
    }
    for (const LinkRecord& l : t.new_links) {
      SQLite::Statement i(db_,
                          "INSERT INTO links (id, run_id, task, item, person, purpose, channel, created_ms, "
                          "expires_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
      i.bind(1, l.id);
      i.bind(2, l.run_id);
      i.bind(3, l.task);
      i.bind(4, l.item);
      i.bind(5, l.person);
      i.bind(6, l.purpose);
      i.bind(7, l.channel);
      i.bind(8, static_cast<int64_t>(l.created_ms));
      i.bind(9, static_cast<int64_t>(l.expires_ms));
      i.exec();
    }
    if (!t.use_link.empty()) {
      SQLite::Statement u(db_, "UPDATE links SET used_ms = ? WHERE id = ? AND used_ms = 0");
      u.bind(1, static_cast<int64_t>(std::max<std::int64_t>(t.at_ms, 1)));
      u.bind(2, t.use_link);
      if (u.exec() == 0) return Error::Conflict("this link was already used");
    }
    for (const EventRecord& e : t.events) InsertEvent(e);
    return {};
  }

  static LinkRecord ReadLink(SQLite::Statement& q) {
    LinkRecord l;
    l.id = q.getColumn(0).getString();
    l.run_id = q.getColumn(1).getString();
    l.task = q.getColumn(2).getString();
    l.item = q.getColumn(3).getInt();
    l.person = q.getColumn(4).getString();
    l.purpose = q.getColumn(5).getString();
    l.channel = q.getColumn(6).getString();
    l.created_ms = q.getColumn(7).getInt64();
    l.expires_ms = q.getColumn(8).getInt64();
    l.used_ms = q.getColumn(9).getInt64();
    return l;
  }

  Result<LinkRecord> GetLink(const std::string& id) override {
    std::lock_guard lock(mu_);  // the write connection: a link just used must read as used
    try {
      SQLite::Statement q(db_, std::string(kLinkColumns) + " WHERE id = ?");
      q.bind(1, id);
      if (!q.executeStep()) return Error::NotFound("no link '" + id + "'");
      return ReadLink(q);
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading link: ") + e.what());
    }
  }

  Result<std::vector<LinkRecord>> ListLinks(const std::string& run_id) override {
    std::lock_guard lock(read_mu_);
    try {
      SQLite::Statement q(*read_db_, std::string(kLinkColumns) + " WHERE run_id = ? ORDER BY created_ms, id");
      q.bind(1, run_id);
      std::vector<LinkRecord> out;
      while (q.executeStep()) out.push_back(ReadLink(q));
      return out;
    } catch (const std::exception& e) {
      return Error::Io(std::string("reading links of ") + run_id + ": " + e.what());
    }
  }

  Result<void> UpsertTask(const std::string& run_id, const TaskRecord& t, std::int64_t at_ms) {
    if (t.expect) {
      SQLite::Statement& q = Cached(task_status_, "SELECT status FROM tasks WHERE run_id = ? AND task = ? AND item = ?");
      Done done(q);
      q.bind(1, run_id);
      q.bind(2, t.task);
      q.bind(3, t.item);
      const std::string now = q.executeStep() ? q.getColumn(0).getString() : "absent";
      if (now != TaskStatusName(*t.expect)) {
        return Error::Conflict("task " + t.task + " of run " + run_id + " is " + now + ", not " +
                               TaskStatusName(*t.expect));
      }
    }
    SQLite::Statement& u =
        Cached(upsert_task_,
               "INSERT INTO tasks (run_id, task, item, status, attempts, idempotency_key, result_json, "
               "error, due_ms, items_json, decided_by, note, started_ms, finished_ms, updated_ms, seq) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
               "(SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks WHERE run_id = ?1)) "
               "ON CONFLICT (run_id, task, item) DO UPDATE SET status = ?4, attempts = ?5, "
               "idempotency_key = ?6, result_json = ?7, error = ?8, due_ms = ?9, items_json = ?10, "
               "decided_by = ?11, note = ?12, started_ms = ?13, finished_ms = ?14, updated_ms = ?15");
    const std::string result = ToJson(t.result);
    const std::string items = ToJson(t.items);
    u.bindNoCopy(1, run_id);  // each string outlives exec() (see InsertEvent)
    u.bindNoCopy(2, t.task);
    u.bind(3, t.item);
    u.bindNoCopy(4, TaskStatusName(t.status));
    u.bind(5, t.attempts);
    u.bindNoCopy(6, t.idempotency_key);
    u.bindNoCopy(7, result);
    u.bindNoCopy(8, t.error);
    u.bind(9, static_cast<int64_t>(t.due_ms));
    u.bindNoCopy(10, items);
    u.bindNoCopy(11, t.decided_by);
    u.bindNoCopy(12, t.note);
    u.bind(13, static_cast<int64_t>(t.started_ms));
    u.bind(14, static_cast<int64_t>(t.finished_ms));
    u.bind(15, static_cast<int64_t>(at_ms));
    u.exec();
    return {};
  }

  // A snapshot as stored (read connection; REQUIRES read_mu_ held).
  std::vector<SourceSnapshot> ReadSources(const char* sql, const std::string& owner) {
    std::vector<SourceSnapshot> out;
    SQLite::Statement s(*read_db_, sql);
    s.bind(1, owner);
    while (s.executeStep()) {
      out.push_back({s.getColumn(0).getString(), s.getColumn(1).getString(), s.getColumn(2).getString()});
    }
    return out;
  }

  // The snapshot of a run or a schedule: one row per source file, the main file at position 0.
  void InsertSources(const char* sql, const std::string& owner, const std::vector<SourceSnapshot>& sources) {
    int position = 0;
    for (const SourceSnapshot& s : sources) {
      SQLite::Statement ins(db_, sql);
      ins.bind(1, owner);
      ins.bind(2, position++);
      ins.bind(3, s.path);
      ins.bind(4, s.text);
      ins.bind(5, s.sha256);
      ins.exec();
    }
  }

  // Appends `e` to the audit log, chained (docs/audit.md): seq is the next one the database would
  // assign, prev_hash the hash of the run's newest event, or of the newest event of all for the
  // first event of a run. Inside the caller's write transaction (REQUIRES mu_ held).
  // `new_run`: the run was created in this transaction, so it has no event yet (no lookup).
  void InsertEvent(const EventRecord& e, bool new_run = false) {
    if (!chain_checked_) SyncChain();
    const std::int64_t seq = chain_.last_seq + 1;
    const std::string prev = new_run ? chain_.last_hash : RunHead(e.run_id);
    std::string hash = HashEvent(prev, e.run_id, seq, e.at_ms, e.task, e.item, e.attempt, e.kind, e.detail);
    SQLite::Statement& s = Cached(insert_event_,
                                  "INSERT INTO events (seq, at_ms, run_id, task, item, attempt, kind, detail, "
                                  "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    // bindNoCopy: every string outlives exec(), and Cached() clears the bindings before the next
    // use (a copy per bound string was most of the writer's allocations).
    s.bind(1, static_cast<int64_t>(seq));
    s.bind(2, static_cast<int64_t>(e.at_ms));
    s.bindNoCopy(3, e.run_id);
    s.bindNoCopy(4, e.task);
    s.bind(5, e.item);
    s.bind(6, e.attempt);
    s.bindNoCopy(7, e.kind);
    s.bindNoCopy(8, e.detail);
    s.bindNoCopy(9, prev);
    s.bindNoCopy(10, hash);
    s.exec();
    chain_.last_seq = seq;
    chain_.last_hash = hash;
    if (chain_.runs.size() >= kChainCacheRuns) chain_.runs.clear();
    chain_.runs[e.run_id] = std::move(hash);
  }

  // Makes chain_ the head of the chain as committed (REQUIRES mu_ held, inside a write transaction,
  // so nobody else appends meanwhile). The cached head stays valid while no other connection has
  // committed since this one last wrote: PRAGMA data_version says so in one cheap step, so a batch
  // of events costs no lookup of the head at all.
  void SyncChain() {
    SQLite::Statement& v = Cached(data_version_, "PRAGMA data_version");
    v.executeStep();
    const std::int64_t version = v.getColumn(0).getInt64();
    v.reset();
    chain_checked_ = true;
    if (chain_.loaded && chain_.data_version == version) return;
    chain_ = ChainHead{};
    SQLite::Statement g(db_, "SELECT genesis FROM audit_chain WHERE id = 1");
    if (g.executeStep()) chain_.genesis = g.getColumn(0).getString();
    chain_.last_hash = chain_.genesis;
    SQLite::Statement h(db_, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1");
    if (h.executeStep()) {
      chain_.last_seq = h.getColumn(0).getInt64();
      chain_.last_hash = h.getColumn(1).getString();
    }
    SQLite::Statement q(db_, "SELECT seq FROM sqlite_sequence WHERE name = 'events'");
    if (q.executeStep()) chain_.last_seq = std::max<std::int64_t>(chain_.last_seq, q.getColumn(0).getInt64());
    chain_.data_version = version;
    chain_.loaded = true;
  }

  // The hash the next event of `run_id` chains to (REQUIRES SyncChain done in this transaction).
  std::string RunHead(const std::string& run_id) {
    if (auto it = chain_.runs.find(run_id); it != chain_.runs.end()) return it->second;
    SQLite::Statement& q = Cached(run_head_, "SELECT hash FROM events WHERE run_id = ? ORDER BY seq DESC LIMIT 1");
    q.bind(1, run_id);
    std::string head = q.executeStep() ? q.getColumn(0).getString() : chain_.last_hash;
    q.reset();
    return head;
  }

  // Migration 5 -> 6: a genesis for this database and the chain over the events already there,
  // computed by the same rules as InsertEvent (inside the migration's transaction).
  void ChainExistingEvents() {
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1) throw std::runtime_error("no random bytes for the audit log genesis");
    const std::string genesis = Sha256Hex(std::string_view(reinterpret_cast<const char*>(random), sizeof random));
    SQLite::Statement g(db_, "INSERT INTO audit_chain (id, genesis, created_ms) VALUES (1, ?, ?)");
    g.bind(1, genesis);
    g.bind(2, static_cast<int64_t>(ToUnixMillis(std::chrono::system_clock::now())));
    g.exec();
    std::vector<std::pair<std::int64_t, std::pair<std::string, std::string>>> rows;  // seq, (prev, hash)
    {
      SQLite::Statement q(db_, "SELECT seq, at_ms, run_id, task, item, attempt, kind, detail FROM events ORDER BY seq");
      std::unordered_map<std::string, std::string> heads;
      std::string last = genesis;
      while (q.executeStep()) {
        const std::int64_t seq = q.getColumn(0).getInt64();
        const std::string run = q.getColumn(2).getString();
        auto it = heads.find(run);
        std::string prev = it != heads.end() ? it->second : last;
        std::string hash = HashEvent(prev, run, seq, q.getColumn(1).getInt64(), q.getColumn(3).getString(),
                                     q.getColumn(4).getInt(), q.getColumn(5).getInt(), q.getColumn(6).getString(),
                                     q.getColumn(7).getString());
        heads[run] = hash;
        last = hash;
        rows.push_back({seq, {std::move(prev), std::move(hash)}});
      }
    }
    SQLite::Statement u(db_, "UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?");
    for (const auto& [seq, hashes] : rows) {
      u.bind(1, hashes.first);
      u.bind(2, hashes.second);
      u.bind(3, static_cast<int64_t>(seq));
      u.exec();
      u.reset();
    }
  }

  // The statements of every transition, prepared once (preparing costs more than running them).
  // Reset before each use, so one that threw half-way is reusable.
  SQLite::Statement& Cached(std::unique_ptr<SQLite::Statement>& slot, const char* sql) {
    if (!slot) slot = std::make_unique<SQLite::Statement>(db_, sql);
    slot->reset();
    slot->clearBindings();
    return *slot;
  }

  // A read statement on the read connection, prepared once (REQUIRES read_mu_ held). Use it through
  // a Done guard: a SELECT left mid-way keeps its read transaction, and so an old snapshot, open.
  SQLite::Statement& CachedRead(std::unique_ptr<SQLite::Statement>& slot, const std::string& sql) {
    if (!slot) slot = std::make_unique<SQLite::Statement>(*read_db_, sql);
    slot->reset();
    slot->clearBindings();
    return *slot;
  }
  // Resets a cached statement when the scope that used it ends (even by an exception).
  class Done {
   public:
    explicit Done(SQLite::Statement& s) : s_(s) {}
    Done(const Done&) = delete;
    Done& operator=(const Done&) = delete;
    ~Done() { (void)s_.tryReset(); }

   private:
    SQLite::Statement& s_;
  };

  Error Fail(const std::exception& e) {
    write_error_ = Error::Io("state database " + path_ + " write failed: " + e.what());
    return *write_error_;
  }

  // The head of the audit log's hash chain as this connection knows it (guarded by mu_).
  static constexpr std::size_t kChainCacheRuns = 100000;
  struct ChainHead {
    bool loaded = false;
    std::int64_t data_version = -1;  // PRAGMA data_version when loaded (others' commits change it)
    std::string genesis;
    std::int64_t last_seq = 0;   // the highest seq ever assigned
    std::string last_hash;       // hash of the newest event; the genesis when there is none
    std::unordered_map<std::string, std::string> runs;  // run id -> hash of its newest event
  };
  // Brackets a write transaction that may append events: the head is checked once, at the first
  // event; a transaction that does not commit drops the cache (it may hold uncommitted hashes).
  class ChainTxn {
   public:
    explicit ChainTxn(SqliteStateStore& s) : s_(s) { s_.chain_checked_ = false; }
    ~ChainTxn() {
      if (!committed_) s_.chain_.loaded = false;
      s_.chain_checked_ = false;
    }
    ChainTxn(const ChainTxn&) = delete;
    ChainTxn& operator=(const ChainTxn&) = delete;
    void Committed() { committed_ = true; }

   private:
    SqliteStateStore& s_;
    bool committed_ = false;
  };

  const std::string path_;
  mutable std::mutex mu_;
  // Both connections are opened without SQLite's own mutex (SQLITE_OPEN_NOMUTEX): every use holds
  // mu_ or read_mu_, so SQLite's lock on each bind, step and column read was pure overhead.
  SQLite::Database db_;                 // guarded by mu_
  // Reads use a connection of their own: in WAL mode it sees every committed transition and never
  // waits for the writer's transaction and fsync (the journal's writer thread holds mu_ for those),
  // so an engine thread starting thousands of runs is not stalled by group commits.
  mutable std::mutex read_mu_;
  std::unique_ptr<SQLite::Database> read_db_;  // guarded by read_mu_; opened by Init
  std::optional<Error> write_error_;    // guarded by mu_; sticky
  ChainHead chain_;                     // guarded by mu_
  bool chain_checked_ = false;          // guarded by mu_; chain_ checked in this transaction
  // Guarded by mu_; declared after db_ so they are finalized before it closes.
  std::unique_ptr<SQLite::Statement> upsert_task_, insert_event_, update_run_, data_version_, run_head_;
  std::unique_ptr<SQLite::Statement> fire_read_, fire_taken_, fire_dup_, fire_insert_run_, fire_sources_, fire_update_,
      fire_read_sources_, wake_run_, wakeups_seen_, clear_cancel_;
  std::unique_ptr<SQLite::Statement> task_status_, release_owner_;
  // Guarded by read_mu_; on read_db_, finalized before it closes (declared after it).
  std::unique_ptr<SQLite::Statement> get_run_, get_run_sources_, get_tasks_;
};

}  // namespace

const char* ScheduleStatusName(ScheduleStatus s) {
  switch (s) {
    case ScheduleStatus::kPending: return "pending";
    case ScheduleStatus::kPaused: return "paused";
    case ScheduleStatus::kFired: return "fired";
    case ScheduleStatus::kCancelled: return "cancelled";
    case ScheduleStatus::kRemoved: return "removed";
  }
  return "?";
}

std::optional<ScheduleStatus> ParseScheduleStatus(std::string_view s) {
  for (ScheduleStatus v : {ScheduleStatus::kPending, ScheduleStatus::kPaused, ScheduleStatus::kFired,
                           ScheduleStatus::kCancelled, ScheduleStatus::kRemoved}) {
    if (s == ScheduleStatusName(v)) return v;
  }
  return std::nullopt;
}

const char* CatchUpName(CatchUp c) {
  switch (c) {
    case CatchUp::kFireOnce: return "fire_once";
    case CatchUp::kSkip: return "skip";
    case CatchUp::kFireAll: return "fire_all";
  }
  return "?";
}

std::optional<CatchUp> ParseCatchUp(std::string_view s) {
  for (CatchUp v : {CatchUp::kFireOnce, CatchUp::kSkip, CatchUp::kFireAll}) {
    if (s == CatchUpName(v)) return v;
  }
  return std::nullopt;
}

const char* RunStatusName(RunStatus s) {
  switch (s) {
    case RunStatus::kPending: return "pending";
    case RunStatus::kRunning: return "running";
    case RunStatus::kWaiting: return "waiting";
    case RunStatus::kSucceeded: return "succeeded";
    case RunStatus::kFailed: return "failed";
    case RunStatus::kCancelled: return "cancelled";
  }
  return "?";
}

const char* TaskStatusName(TaskStatus s) {
  switch (s) {
    case TaskStatus::kPending: return "pending";
    case TaskStatus::kRunning: return "running";
    case TaskStatus::kWaiting: return "waiting";
    case TaskStatus::kSucceeded: return "succeeded";
    case TaskStatus::kFailed: return "failed";
    case TaskStatus::kSkipped: return "skipped";
    case TaskStatus::kCancelled: return "cancelled";
  }
  return "?";
}

std::optional<RunStatus> ParseRunStatus(std::string_view s) {
  for (RunStatus r : {RunStatus::kPending, RunStatus::kRunning, RunStatus::kWaiting, RunStatus::kSucceeded,
                      RunStatus::kFailed, RunStatus::kCancelled}) {
    if (s == RunStatusName(r)) return r;
  }
  return std::nullopt;
}

std::optional<TaskStatus> ParseTaskStatus(std::string_view s) {
  for (TaskStatus t : {TaskStatus::kPending, TaskStatus::kRunning, TaskStatus::kWaiting, TaskStatus::kSucceeded,
                       TaskStatus::kFailed, TaskStatus::kSkipped, TaskStatus::kCancelled}) {
    if (s == TaskStatusName(t)) return t;
  }
  return std::nullopt;
}

bool IsTerminal(TaskStatus s) {
  return s == TaskStatus::kSucceeded || s == TaskStatus::kFailed || s == TaskStatus::kSkipped ||
         s == TaskStatus::kCancelled;
}

std::string DefaultDbPath(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("TENURE_DB"); env != nullptr && *env != '\0') return env;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/tenure/tenure.db";
  }
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : ".") + "/.local/state/tenure/tenure.db";
}

Result<std::unique_ptr<StateStore>> OpenSqliteStore(const std::string& path) {
  if (auto r = EnsureFile(path); !r) return r.error();
  std::unique_ptr<SqliteStateStore> store;
  try {
    store = std::make_unique<SqliteStateStore>(path);
  } catch (const std::exception& e) {
    return OpenFailure(path, e);
  }
  if (auto r = store->Init(); !r) return r.error();
  return std::unique_ptr<StateStore>(std::move(store));
}

namespace {

// Opens an existing database read-only for a backup or an inspection: never creates the file.
Result<std::unique_ptr<SQLite::Database>> OpenExisting(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Error::NotFound("no state database at " + path + " (give the right path with --db or TENURE_DB)");
  }
  if (std::filesystem::is_directory(path, ec)) {
    return BadDatabase(path, "is a directory, not a file; give the path of a file with --db or TENURE_DB");
  }
  try {
    auto db = std::make_unique<SQLite::Database>(path, SQLite::OPEN_READONLY, 10000);
    const int version = db->execAndGet("PRAGMA user_version").getInt();
    const bool has_runs =
        db->execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'").getInt() > 0;
    if (version < 1 || !has_runs) return BadDatabase(path, "is not a tenure database (no runs table)");
    return db;
  } catch (const std::exception& e) {
    return OpenFailure(path, e);
  }
}

// Removes a temporary file when a backup does not get to rename it.
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }
  void Release() { path_.clear(); }

 private:
  std::string path_;
};

Result<void> SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Error::Io("cannot open " + path + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return Error::Io("cannot sync " + path + ": " + std::strerror(err));
  return {};
}

}  // namespace

Result<void> BackupDatabase(const std::string& db_path, const std::string& dest, bool force) {
  auto source = OpenExisting(db_path);
  if (!source) return source.error();
  std::error_code ec;
  const std::filesystem::path target(dest);
  if (std::filesystem::is_directory(target, ec)) {
    return Error::InvalidArgument("backup target " + dest + " is a directory; give the path of a file");
  }
  if (std::filesystem::exists(target, ec) && !force) {
    return Error::AlreadyExists("backup target " + dest +
                                " already exists; give another path, or --force to replace it");
  }
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string pattern = dir + "/." + target.filename().string() + ".tmp-XXXXXX";
  const int fd = ::mkstemp(pattern.data());  // mode 0600
  if (fd < 0) {
    return Error::InvalidArgument("cannot write the backup in " + dir + ": " + std::strerror(errno));
  }
  ::close(fd);
  TempFile tmp(pattern);
  try {
    SQLite::Database copy(tmp.path(), SQLite::OPEN_READWRITE, 10000);
    {
      SQLite::Backup backup(copy, **source);
      // One step copies every page under one read transaction: the copy is the database as of one
      // instant. In WAL mode writers are not blocked meanwhile; busy answers are retried.
      for (int tries = 0;; ++tries) {
        const int rc = backup.executeStep(-1);
        if (rc == SQLITE_DONE) break;
        if (tries > 200) return Error::Io("backup of " + db_path + ": the database stayed busy");
        ::usleep(50'000);
      }
    }  // finished: the copy's connection is free again
    const std::string check = copy.execAndGet("PRAGMA integrity_check").getString();
    if (check != "ok") return Error::Io("backup of " + db_path + " failed its integrity check: " + check);
    // A single self-contained file: the copy's pages are all in it (no -wal beside it).
    copy.exec("PRAGMA journal_mode=DELETE");
  } catch (const std::exception& e) {
    return Error::Io("backup of " + db_path + " to " + dest + ": " + e.what());
  }
  if (auto r = SyncPath(tmp.path(), O_RDONLY); !r) return r.error();
  if (::rename(tmp.path().c_str(), dest.c_str()) != 0) {
    return Error::Io("cannot rename the backup to " + dest + ": " + std::strerror(errno));
  }
  tmp.Release();
  (void)SyncPath(dir, O_RDONLY | O_DIRECTORY);  // the rename itself survives power loss
  return {};
}

Result<DatabaseHealth> InspectDatabase(const std::string& db_path) {
  auto db = OpenExisting(db_path);
  if (!db) return db.error();
  DatabaseHealth h;
  h.current_version = kSchemaVersion;
  try {
    h.schema_version = (*db)->execAndGet("PRAGMA user_version").getInt();
    h.check = (*db)->execAndGet("PRAGMA quick_check").getString();
    h.runs = (*db)->execAndGet("SELECT COUNT(*) FROM runs").getInt64();
  } catch (const std::exception& e) {
    return OpenFailure(db_path, e);
  }
  return h;
}

std::string EventHash(std::string_view prev_hash, const EventRecord& e) {
  return HashEvent(prev_hash, e.run_id, e.seq, e.at_ms, e.task, e.item, e.attempt, e.kind, e.detail);
}

std::string Sha256Hex(std::string_view data) {
  // Fetched once (immutable afterwards): EVP_sha256() makes every EVP_Digest fetch the
  // implementation again, several allocations for each audit event hashed.
  static const EVP_MD* const kSha256 = [] {
    const EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md != nullptr ? md : EVP_sha256();
  }();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, kSha256, nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(2 * len, '\0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 15];
  }
  return out;
}

}  // namespace tenure::engine
