// The operator's commands and the command line's consistency (issue 15), through the real binary:
// backup of a live database, prune, health, read commands on a missing database, --key across
// playbooks, --quiet, --color, status --exit-status, logs --follow, connectors show, the `$${`
// escape in an exec argument.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "connectors/catalog.h"
#include "tests/engine/support/engine_fixture.h"
#include "tests/engine/support/tenure_cli.h"

extern char** environ;

namespace tenure::engine {
namespace {

using testing::BinaryBuilt;
using testing::Contains;
using testing::Output;
using testing::Tenure;

// The id in the first "run rID: ..." line of `tenure run`, or in "run rID started in the background".
std::string RunId(const std::string& text) {
  const auto at = text.find("run r");
  REQUIRE(at != std::string::npos);
  const auto end = text.find_first_of(": ", at + 4);
  return text.substr(at + 4, end - at - 4);
}

// A playbook whose run takes about `steps` x 0.15 s and writes all the while.
// `steps` tasks one after another, each sleeping a little; with a `gate` file, a last task waits
// until that file exists, so a test decides when the run ends (a slow machine or a sanitizer
// build cannot make it end early).
void WriteSlowPlaybook(const std::string& path, int steps, const std::string& gate = "") {
  std::ofstream out(path);
  out << "playbook: slow\nconnections:\n  sh: { connector: exec }\ntasks:\n";
  for (int i = 0; i < steps; ++i) {
    out << "  t" << i << ":\n"
        << (i > 0 ? "    needs: t" + std::to_string(i - 1) + "\n" : "")
        << "    uses: sh.run\n    with: { argv: [/bin/sh, -c, 'sleep 0.15; echo {}'] }\n";
  }
  if (!gate.empty()) {
    out << "  gate:\n    needs: t" << steps - 1 << "\n    uses: sh.run\n    with: { argv: [/bin/sh, -c, "
        << "'while [ ! -e \"$0\" ]; do sleep 0.05; done; echo {}', '" << gate << "'] }\n";
  }
}

void WriteQuickPlaybook(const std::string& path, const std::string& name) {
  std::ofstream(path) << "playbook: " << name << R"(
connections:
  sh: { connector: exec }
tasks:
  hello:
    uses: sh.run
    with: { argv: [/bin/echo, '{"greeting": "hi"}'] }
)";
}

void WriteWaitingPlaybook(const std::string& path) {
  std::ofstream(path) << R"(playbook: waits
tasks:
  ask:
    uses: manual.approve
    with: { prompt: "go?" }
)";
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Starts `tenure ARGS...` without a shell; returns its pid.
pid_t Spawn(std::vector<std::string> args, const std::string& out_file) {
  args.insert(args.begin(), TENURE_BINARY);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  posix_spawn_file_actions_addopen(&files, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&files, 1, 2);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, TENURE_BINARY, &files, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  REQUIRE(rc == 0);
  return pid;
}

int WaitExit(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST_CASE("backup copies a database while a run writes to it, and the copy lists the run", "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  const std::string gate = dir.path() + "/gate";
  WriteSlowPlaybook(dir.path() + "/slow.yaml", 12, gate);
  const pid_t run = Spawn({"run", dir.path() + "/slow.yaml", "--db", db}, dir.path() + "/run.out");
  // Wait until the run exists, then take copies while it goes on writing.
  for (int i = 0; i < 100 && !Contains(ReadAll(dir.path() + "/run.out"), "t1"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const Output first = Tenure("backup " + dir.path() + "/copy.db --db " + db);
  INFO(first.text);
  CHECK(first.code == 0);
  CHECK(first.text == "backed up " + db + " to " + dir.path() + "/copy.db\n");
  // A second copy mid-run, over the first: refused without --force, nothing changed.
  const Output again = Tenure("backup " + dir.path() + "/copy.db --db " + db);
  CHECK(again.code == 2);
  CHECK(again.text == "tenure backup: backup target " + dir.path() +
                          "/copy.db already exists; give another path, or --force to replace it\n");
  const Output forced = Tenure("backup " + dir.path() + "/copy.db --force --db " + db);
  CHECK(forced.code == 0);
  const bool still_running = ::waitpid(run, nullptr, WNOHANG) == 0;
  CHECK(still_running);  // the copies were taken while the run was going on
  std::ofstream(gate) << "go\n";
  CHECK(WaitExit(run) == 0);

  struct stat st {};
  REQUIRE(::stat((dir.path() + "/copy.db").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  {
    SQLite::Database copy(dir.path() + "/copy.db", SQLite::OPEN_READONLY);
    CHECK(copy.execAndGet("PRAGMA integrity_check").getString() == "ok");
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/copy.db-wal"));  // one self-contained file
  const Output runs = Tenure("runs --db " + dir.path() + "/copy.db");
  INFO(runs.text);
  CHECK(runs.code == 0);
  CHECK(Contains(runs.text, " slow "));
  // Nothing but the copy was left in the directory (no temporary file).
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
  }
  // The source must exist: a backup never creates a database.
  const Output missing = Tenure("backup " + dir.path() + "/other.db --db " + dir.path() + "/none.db");
  CHECK(missing.code == 2);
  CHECK(Contains(missing.text, "no state database at " + dir.path() + "/none.db"));
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/none.db"));
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/other.db"));
}

TEST_CASE("prune removes finished runs before a date, never waiting ones, and a dry run changes nothing",
          "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  WriteQuickPlaybook(dir.path() + "/quick.yaml", "quick");
  WriteWaitingPlaybook(dir.path() + "/waits.yaml");
  const Output done = Tenure("run " + dir.path() + "/quick.yaml" + db);
  REQUIRE(done.code == 0);
  const std::string done_id = RunId(done.text);
  const Output waiting = Tenure("run " + dir.path() + "/waits.yaml" + db);
  REQUIRE(waiting.code == 3);
  const std::string waiting_id = RunId(waiting.text);

  const Output none = Tenure("prune --before 2000-01-01" + db);
  CHECK(none.code == 0);
  CHECK(none.text == "removed 0 runs finished before 2000-01-01T00:00:00.000Z\n");

  const Output dry = Tenure("prune --before 2100-01-01 --dry-run" + db);
  CHECK(dry.code == 0);
  CHECK(dry.text == "would remove " + done_id +
                        "\nwould remove 1 run finished before 2100-01-01T00:00:00.000Z (dry run: nothing changed)\n");
  CHECK(Tenure("status " + done_id + db).code == 0);

  const Output pruned = Tenure("prune --before 2100-01-01 --json" + db);
  CHECK(pruned.code == 0);
  CHECK(pruned.text == "{\"before\":\"2100-01-01T00:00:00.000Z\",\"dry_run\":false,\"runs\":[\"" + done_id + "\"]}\n");
  const Output gone = Tenure("status " + done_id + db);
  CHECK(gone.code == 2);
  CHECK(gone.text == "tenure: no run '" + done_id + "'\n");
  CHECK(Tenure("logs " + done_id + db).code == 2);
  const Output kept = Tenure("runs" + db);
  CHECK(Contains(kept.text, waiting_id));
  CHECK_FALSE(Contains(kept.text, done_id));

  const Output both = Tenure("prune --before 2100-01-01 --older-than 90d" + db);
  CHECK(both.code == 2);
  CHECK(both.text == "tenure prune: give exactly one of --before DATE and --older-than DURATION (e.g. 90d)\n");
  const Output far = Tenure("prune --before 2999-01-01" + db);
  CHECK(far.code == 2);
  CHECK(far.text == "tenure prune: --before '2999-01-01' is too far in the future (the latest is 2200-01-01)\n");
  const Output bad = Tenure("prune --older-than soon" + db);
  CHECK(bad.code == 2);
  CHECK(bad.text == "tenure prune: --older-than 'soon' is not a duration such as 90d or 12h\n");
  CHECK(Tenure("prune --older-than 90d --db " + dir.path() + "/none.db").code == 2);
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/none.db"));
}

TEST_CASE("health: 0 for a current database, 1 for an old schema, 2 without a database", "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string path = dir.path() + "/t.db";
  WriteQuickPlaybook(dir.path() + "/quick.yaml", "quick");
  REQUIRE(Tenure("run " + dir.path() + "/quick.yaml --db " + path).code == 0);
  const Output ok = Tenure("health --db " + path);
  INFO(ok.text);
  CHECK(ok.code == 0);
  CHECK(Contains(ok.text, "database   " + path + ": ok\nschema     6 (current), 1 run\ndaemon     not running\n"));
  const Output json = Tenure("health --json --db " + path);
  CHECK(json.code == 0);
  const auto j = boost::json::parse(json.text).as_object();
  CHECK(j.at("ok").as_bool());
  CHECK(j.at("heartbeat").is_null());

  REQUIRE(Tenure("backup " + dir.path() + "/old.db --db " + path).code == 0);
  {
    SQLite::Database old(dir.path() + "/old.db", SQLite::OPEN_READWRITE);
    old.exec("PRAGMA user_version = 4");
  }
  const Output stale = Tenure("health --db " + dir.path() + "/old.db");
  CHECK(stale.code == 1);
  CHECK(Contains(stale.text, "schema version 4 is older than this tenure's 6; any command that writes"));
  {
    SQLite::Database old(dir.path() + "/old.db", SQLite::OPEN_READONLY);
    CHECK(old.execAndGet("PRAGMA user_version").getInt() == 4);  // health migrated nothing
  }
  const Output missing = Tenure("health --db " + dir.path() + "/none.db");
  CHECK(missing.code == 2);
  CHECK_FALSE(std::filesystem::exists(dir.path() + "/none.db"));
}

TEST_CASE("read commands on a missing database say so, exit 2 and create nothing", "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string path = dir.path() + "/state/none.db";
  for (const std::string cmd : {"runs", "status r1", "logs r1", "report r1", "schedule list", "schedule show k1",
                                "schedule cancel k1", "schedule pause k1", "daemon status", "daemon status --json"}) {
    const Output out = Tenure(cmd + " --db " + path);
    INFO(cmd);
    CHECK(out.code == 2);
    CHECK(out.text == "tenure: no state database at " + path +
                          " (nothing has run with it yet; give the right path with --db or TENURE_DB)\n");
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/state"));
  }
}

TEST_CASE("a key taken by a run of another playbook is an error naming that run", "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  WriteQuickPlaybook(dir.path() + "/a.yaml", "first");
  WriteQuickPlaybook(dir.path() + "/b.yaml", "second");
  const Output a = Tenure("run " + dir.path() + "/a.yaml --key hr-1" + db);
  REQUIRE(a.code == 0);
  const std::string id = RunId(a.text);
  const Output b = Tenure("run " + dir.path() + "/b.yaml --key hr-1" + db);
  CHECK(b.code == 2);
  CHECK(b.text == "tenure run: key hr-1 is taken by run " + id +
                      " of playbook first (succeeded), not second; give this run another --key (keys are unique "
                      "across playbooks: e.g. prefix them with the playbook)\n");
  // The same playbook again: the existing run is reported, nothing starts.
  const Output same = Tenure("run " + dir.path() + "/a.yaml --key hr-1" + db);
  CHECK(same.code == 0);
  CHECK(same.text == "run " + id + " already exists for key hr-1 (succeeded); not starting another\n");
}

TEST_CASE("quiet prints nothing, color decides the escape sequences, status exits with the run state",
          "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = " --db " + dir.path() + "/t.db";
  WriteQuickPlaybook(dir.path() + "/quick.yaml", "quick");
  WriteWaitingPlaybook(dir.path() + "/waits.yaml");
  const Output quiet = Tenure("run " + dir.path() + "/quick.yaml --quiet" + db);
  CHECK(quiet.code == 0);
  CHECK(quiet.text == "");
  const Output waiting = Tenure("run " + dir.path() + "/waits.yaml -q" + db);
  CHECK(waiting.code == 3);
  CHECK(waiting.text == "");

  const Output plain = Tenure("run " + dir.path() + "/quick.yaml" + db);  // a pipe: auto means plain lines
  CHECK(plain.code == 0);
  CHECK_FALSE(Contains(plain.text, "\033["));
  const Output always = Tenure("run " + dir.path() + "/quick.yaml --color always" + db);
  CHECK(always.code == 0);
  CHECK(Contains(always.text, "\033[32m✓\033[0m"));
  const Output never = Tenure("run " + dir.path() + "/quick.yaml --color never" + db);
  CHECK_FALSE(Contains(never.text, "\033["));
  const Output wrong = Tenure("run " + dir.path() + "/quick.yaml --color sometimes" + db);
  CHECK(wrong.code == 2);

  const std::string id = RunId(plain.text);
  CHECK(Tenure("status " + id + db).code == 0);
  CHECK(Tenure("status " + id + " --exit-status" + db).code == 0);
  const Output runs = Tenure("runs --status waiting --json" + db);
  const std::string waiting_id =
      boost::json::parse(runs.text.substr(0, runs.text.find('\n'))).as_object().at("id").as_string().c_str();
  CHECK(Tenure("status " + waiting_id + db).code == 0);
  const Output st = Tenure("status " + waiting_id + " --exit-status --json" + db);
  CHECK(st.code == 3);
  const auto j = boost::json::parse(st.text).as_object();
  CHECK(j.at("finished").is_null());  // not "-"
  CHECK(j.at("error").is_null());
  CHECK(j.at("tasks").as_array().at(0).as_object().at("finished").is_null());
}

// On a pseudo-terminal (script(1)): the live table, without colour under NO_COLOR, and plain lines
// under TERM=dumb.
TEST_CASE("on a terminal, NO_COLOR drops the colours and TERM=dumb the table", "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  if (!std::filesystem::exists("/usr/bin/script")) {
    WARN("skipped: script(1) is not installed");
    return;
  }
  testing::TempDir dir;
  WriteQuickPlaybook(dir.path() + "/quick.yaml", "quick");
  auto on_tty = [&](const std::string& env) {
    const std::string cmd =
        std::string(TENURE_BINARY) + " run " + dir.path() + "/quick.yaml --db " + dir.path() + "/t.db";
    Output out;
    FILE* p = ::popen(("env " + env + " script -qec '" + cmd + "' /dev/null 2>&1").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.text.append(buf, n);
    const int status = ::pclose(p);
    out.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return out;
  };
  const Output colour = on_tty("TERM=xterm");
  INFO(colour.text);
  CHECK(colour.code == 0);
  CHECK(Contains(colour.text, "\033[32m✓\033[0m"));
  const Output no_color = on_tty("TERM=xterm NO_COLOR=1");
  CHECK(no_color.code == 0);
  CHECK(Contains(no_color.text, "\033[2K"));  // still the live table
  CHECK_FALSE(Contains(no_color.text, "\033[32m"));
  const Output dumb = on_tty("TERM=dumb");
  CHECK(dumb.code == 0);
  CHECK_FALSE(Contains(dumb.text, "\033["));
  CHECK(Contains(dumb.text, "hello  succeeded"));
}

TEST_CASE("logs follows a run until it stops, and Ctrl-C exits 130", "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/t.db";
  WriteSlowPlaybook(dir.path() + "/slow.yaml", 5);
  const Output started = Tenure("run " + dir.path() + "/slow.yaml --detach --db " + db);
  REQUIRE(started.code == 0);
  CHECK(Contains(started.text, "started in the background"));
  CHECK(Contains(started.text, "follow it with: tenure logs "));
  const std::string id = RunId(started.text);
  CHECK(Contains(started.text, "tenure logs " + id + " --follow\n"));
  const Output followed = Tenure("logs " + id + " --follow --db " + db);
  INFO(followed.text);
  CHECK(followed.code == 0);
  CHECK(Contains(followed.text, "t4  succeeded"));
  CHECK(followed.text.rfind("run  run_succeeded") != std::string::npos);

  WriteSlowPlaybook(dir.path() + "/slower.yaml", 40);
  const Output again = Tenure("run " + dir.path() + "/slower.yaml --detach --db " + db);
  const std::string slow_id = RunId(again.text);
  const pid_t logs = Spawn({"logs", slow_id, "--follow", "--db", db}, dir.path() + "/logs.out");
  // Interrupt it once it is following (it has printed the run's first event), not at a guess.
  for (int i = 0; i < 600 && !Contains(ReadAll(dir.path() + "/logs.out"), "run_started"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(logs, SIGINT);
  CHECK(WaitExit(logs) == 130);
  CHECK(Contains(ReadAll(dir.path() + "/logs.out"), "run_started"));
  CHECK(Tenure("cancel " + slow_id + " --db " + db).code == 0);
}

TEST_CASE("connectors show with an action prints result fields, and every snippet validates",
          "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  const Output show = Tenure("connectors show scim ensure_user");
  CHECK(show.code == 0);
  CHECK(Contains(show.text, "scim.ensure_user\n  ensure_user: find the user by userName"));
  CHECK(Contains(show.text, "    result:\n      id: the provider's id of the user\n"));
  CHECK(Contains(show.text, "idempotent; undone by delete_user"));
  const Output unknown = Tenure("connectors show scim ensure_usr");
  CHECK(unknown.code == 2);
  CHECK(Contains(unknown.text, "connector 'scim' has no action 'ensure_usr'; its actions: ensure_user get_user"));

  // Each action's snippet, pasted into a playbook that declares the connection, validates.
  testing::TempDir dir;
  const auto catalog = connectors::BuiltinCatalog();
  int checked = 0;
  std::string files;
  for (const auto& c : catalog.all()) {
    std::string connection;
    if (!c.builtin_connection) {
      connection = "connections:\n  " + c.name + ":\n    connector: " + c.name + "\n";
      for (const auto& k : c.config) {
        if (!k.required) continue;
        connection += "    " + k.name + ": " +
                      (k.secret                                ? std::string("\"${env:SECRET}\"")
                       : k.type == workflows::ArgType::kString ? std::string("\"https://example.com/x\"")
                                                               : std::string("CHANGE")) +
                      "\n";
      }
    }
    for (std::size_t i = 0; i < c.actions.size(); ++i) {
      // Every action in an optimized build; under the sanitizers (a process start costs seconds)
      // each connector's first and last and every fifth between.
      if (testing::kSlowdown > 1 && i % 5 != 0 && i + 1 != c.actions.size()) continue;
      const auto& a = c.actions[i];
      const Output snippet = Tenure("connectors show " + c.name + " " + a.name + " --snippet");
      REQUIRE(snippet.code == 0);
      std::string indented;
      std::istringstream lines(snippet.text);
      for (std::string line; std::getline(lines, line);) indented += "  " + line + "\n";
      const std::string file = dir.path() + "/" + c.name + "_" + a.name + ".yaml";
      std::ofstream(file) << "playbook: snippet\n" << connection << "tasks:\n" << indented;
      files += " " + file;
      ++checked;
    }
  }
  CHECK(checked > (testing::kSlowdown > 1 ? 15 : 40));
  // One validate over every file (a process per file is minutes under the sanitizers).
  const Output valid = Tenure("validate" + files);
  INFO(valid.text);
  CHECK(valid.code == 0);
}

TEST_CASE("an exec argument's $${ reaches the program as ${ (a shell variable)", "[engine][cli][issue15]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  std::ofstream(dir.path() + "/shell.yaml") << R"(playbook: shell
connections:
  sh:
    connector: exec
    env: { GREETING: "hi $${USER}" }
tasks:
  show:
    uses: sh.run
    with:
      argv: [/bin/sh, -c, 'printf "{\"home\": \"%s\", \"greeting\": \"%s\"}" "$${HOME}" "$GREETING"']
)";
  const Output valid = Tenure("validate " + dir.path() + "/shell.yaml");
  INFO(valid.text);
  CHECK(valid.code == 0);
  const Output run =
      Tenure("run " + dir.path() + "/shell.yaml --json --db " + dir.path() + "/t.db", "HOME=/tmp/tenure-home");
  INFO(run.text);
  CHECK(run.code == 0);
  const Output runs = Tenure("runs --json --db " + dir.path() + "/t.db");
  const std::string id =
      boost::json::parse(runs.text.substr(0, runs.text.find('\n'))).as_object().at("id").as_string().c_str();
  const Output st = Tenure("status " + id + " --json --db " + dir.path() + "/t.db");
  const auto tasks = boost::json::parse(st.text).as_object().at("tasks");
  const auto result = tasks.as_array().at(0).as_object().at("result").as_object();
  CHECK(result.at("home").as_string() == "/tmp/tenure-home");  // the shell expanded ${HOME}: tenure passed it on
  CHECK(result.at("greeting").as_string() == "hi ${USER}");    // a connection setting's escape: literal text
}

}  // namespace
}  // namespace tenure::engine
