// One person through the four lifecycle examples, driven by the real `tenure` binary against a
// real `tenure sandbox serve` over loopback, the sandbox read back after each step: joiner
// (examples/onboarding.yaml), mover (mover.yaml), leaver (offboarding.yaml, --key jane-doe) and
// rehire (rehire.yaml, which reads that offboarding with history.last). Also: the rehire twice
// changes nothing; a rehire with no earlier offboarding fails before touching anything; a resumed
// rehire keeps the offboarding it read when it started, though a newer one exists by then. And
// `status` and `report` list the tasks in dependency order, each for_each item under its parent.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli/support/run.h"

namespace {

using tenure::cli::testing::Ran;
using tenure::cli::testing::Tenure;

// Starts `tenure ARGS` in the background (output to `log`); returns its pid.
int Background(const std::string& args, const std::string& env, const std::filesystem::path& log) {
  const std::filesystem::path pid_file = log.string() + ".pid";
  const std::string cmd = "cd '" + std::string(TENURE_SOURCE_DIR) + "' && (env " + env + " '" + TENURE_BINARY + "' " +
                          args + " > '" + log.string() + "' 2>&1 & echo $! > '" + pid_file.string() + "')";
  REQUIRE(std::system(cmd.c_str()) == 0);
  int pid = 0;
  std::ifstream(pid_file) >> pid;
  REQUIRE(pid > 0);
  return pid;
}

void Stop(int pid) {
  if (pid <= 0) return;
  ::kill(pid, SIGTERM);
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) ::usleep(100'000);
}

// A private `tenure sandbox serve --port 0` and state database; env() is what the examples read.
struct World {
  World() {
    dir = std::filesystem::temp_directory_path() / ("tenure_lifecycle_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    pid = Background("sandbox serve --port 0 --quiet", "", dir / "serve.out");
    for (int i = 0; i < 100 && Exports().empty(); ++i) ::usleep(100'000);
    REQUIRE_FALSE(Exports().empty());
    env = Exports() + "TENURE_DB='" + (dir / "tenure.db").string() + "'";
  }
  ~World() {
    Stop(pid);
    std::filesystem::remove_all(dir);
  }
  // The sandbox's "  export A=1 B=2" lines as "A='1' B='2' " (the SCIM and Slack ones suffice).
  std::string Exports() const {
    std::ifstream out(dir / "serve.out");
    std::string line, vars;
    while (std::getline(out, line)) {
      if (!line.starts_with("  export ")) continue;
      std::istringstream words(line.substr(9, line.find('#') == std::string::npos ? std::string::npos : line.find('#') - 9));
      std::string word;
      while (words >> word) {
        const auto eq = word.find('=');
        if (eq == std::string::npos || word.find("$(") != std::string::npos) continue;
        if (word.starts_with("TENURE_SCIM_") || word.starts_with("TENURE_SLACK_") || word.starts_with("TENURE_HTTP_") ||
            word.starts_with("TENURE_SANDBOX_URL")) {
          vars += word.substr(0, eq) + "='" + word.substr(eq + 1) + "' ";
        }
      }
      if (line.find("TENURE_SANDBOX_URL") != std::string::npos) return vars;
    }
    return "";
  }
  Ran Run(const std::string& args) const { return Tenure(args, env); }

  std::filesystem::path dir;
  std::string env;
  int pid = 0;
};

// Jane's SCIM account as the sandbox holds it.
struct Account {
  bool exists = false;
  bool active = false;
  std::set<std::string> groups;
};

Account Jane(const World& w) {
  const Ran shown = w.Run("sandbox show --json");
  REQUIRE(shown.exit_code == 0);
  const auto state = boost::json::parse(shown.out);
  for (const auto& u : state.at("users").as_array()) {
    if (u.at("userName") != "jane.doe@example.com") continue;
    Account a;
    a.exists = true;
    a.active = u.at("active").as_bool();
    for (const auto& g : u.at("groups").as_array()) a.groups.insert(std::string(g.as_string()));
    return a;
  }
  return {};
}

// The id of the run `tenure run` started ("run rID: playbook ..." on stderr).
std::string RunId(const Ran& r) {
  std::smatch m;
  REQUIRE(std::regex_search(r.err, m, std::regex("run (r[0-9]{8}-[0-9]{6}-[0-9a-f]{6})")));
  return m[1];
}

const std::string kOnboard = "run examples/onboarding.yaml --input examples/inputs/jane.yaml";
const std::string kMove = "run examples/mover.yaml --input examples/inputs/jane-moves.yaml";
const std::string kOffboard = "run examples/offboarding.yaml --input examples/inputs/jane-leaves.yaml --key jane-doe";
const std::string kRehire = "run examples/rehire.yaml --input examples/inputs/jane-rejoins.yaml";
const std::set<std::string> kEngineering = {"everyone", "engineering", "on-call"};
const std::set<std::string> kSales = {"everyone", "sales", "sales-emea"};

}  // namespace

TEST_CASE("joiner, mover, leaver, rehire: jane through the four examples, the sandbox checked after each",
          "[cli][lifecycle]") {
  World w;
  const Ran joined = w.Run(kOnboard);
  INFO(joined.out << joined.err);
  REQUIRE(joined.exit_code == 0);
  Account jane = Jane(w);
  CHECK(jane.active);
  CHECK(jane.groups == kEngineering);

  const Ran moved = w.Run(kMove);
  INFO(moved.out << moved.err);
  REQUIRE(moved.exit_code == 0);
  jane = Jane(w);
  CHECK(jane.active);
  CHECK(jane.groups == kSales);

  const Ran left = w.Run(kOffboard);
  INFO(left.out << left.err);
  REQUIRE(left.exit_code == 0);
  const std::string offboarding = RunId(left);
  jane = Jane(w);
  REQUIRE(jane.exists);
  CHECK_FALSE(jane.active);
  CHECK(jane.groups.empty());

  // plan shows which run the rehire would read, and the groups it would put back.
  const Ran plan = w.Run("plan examples/rehire.yaml --input examples/inputs/jane-rejoins.yaml");
  INFO(plan.out << plan.err);
  REQUIRE(plan.exit_code == 0);
  CHECK(plan.out.find("history (read once when the run starts, kept with the run):\n"
                      "  history.last(playbook='standard-offboarding', key='jane-doe') -> run " +
                      offboarding + " (succeeded, finished ") != std::string::npos);
  CHECK(plan.out.find("for each of 3 items:") != std::string::npos);

  const Ran back = w.Run(kRehire);
  INFO(back.out << back.err);
  REQUIRE(back.exit_code == 0);
  jane = Jane(w);
  CHECK(jane.active);
  CHECK(jane.groups == kSales);  // exactly what the offboarding removed
  const Ran logs = w.Run("logs " + RunId(back));
  CHECK(logs.out.find("history_read") != std::string::npos);
  CHECK(logs.out.find("history.last(playbook='standard-offboarding', key='jane-doe') -> run " + offboarding +
                      " (succeeded)") != std::string::npos);

  // The rehire again: every step finds its work done; the sandbox is byte for byte the same.
  const std::string before = w.Run("sandbox show").out;
  const Ran again = w.Run(kRehire);
  INFO(again.out << again.err);
  REQUIRE(again.exit_code == 0);
  CHECK(w.Run("sandbox show").out == before);
}

TEST_CASE("a rehire of someone never offboarded fails at once and changes nothing", "[cli][lifecycle]") {
  World w;
  REQUIRE(w.Run(kOnboard).exit_code == 0);
  const std::string before = w.Run("sandbox show").out;
  const std::string why = "no offboarding of jane-doe removed any groups (no standard-offboarding run with key "
                          "jane-doe got that far): nothing to restore; onboard them instead";
  const Ran plan = w.Run("plan examples/rehire.yaml --input examples/inputs/jane-rejoins.yaml");
  CHECK(plan.exit_code == 2);
  CHECK(plan.err.find(why) != std::string::npos);
  CHECK(plan.out.find("-> none") == std::string::npos);  // errors only on stderr

  const Ran back = w.Run(kRehire);
  CHECK(back.exit_code == 1);
  CHECK((back.out + back.err).find(why) != std::string::npos);
  CHECK(w.Run("sandbox show").out == before);
  const Ran status = w.Run("status " + RunId(back) + " --json");
  CHECK(status.out.find("\"failed\"") != std::string::npos);
}

TEST_CASE("a resumed rehire restores what the offboarding it read at its start removed, not a newer one's",
          "[cli][lifecycle]") {
  World w;
  REQUIRE(w.Run(kOnboard).exit_code == 0);
  const Ran left = w.Run(kOffboard);
  REQUIRE(left.exit_code == 0);
  const std::string first = RunId(left);
  CHECK(Jane(w).groups.empty());

  // Starts, reads history.last (the first offboarding) and waits for a person.
  const std::string gated = "tests/cli/playbooks/rehire-gated.yaml --set email=jane.doe@example.com --set employee_id=jane-doe";
  const Ran started = w.Run("run " + gated);
  INFO(started.out << started.err);
  REQUIRE(started.exit_code == 3);
  const std::string rehire = RunId(started);

  // Meanwhile she is given the sales groups and offboarded again, by a schedule with the same key
  // that the daemon fires: a newer standard-offboarding run with key jane-doe.
  REQUIRE(w.Run(kMove).exit_code == 0);
  CHECK(Jane(w).groups == std::set<std::string>{"sales", "sales-emea"});
  const auto soon = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + std::chrono::seconds(2));
  std::tm utc{};
  ::gmtime_r(&soon, &utc);
  char at[32];
  std::strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%S", &utc);
  const Ran scheduled = w.Run("schedule add examples/offboarding.yaml --input examples/inputs/jane-leaves.yaml --at " +
                              std::string(at) + " --tz UTC --key jane-doe");
  INFO(scheduled.out << scheduled.err);
  REQUIRE(scheduled.exit_code == 0);
  const int daemon = Background("daemon --poll 200ms", w.env, w.dir / "daemon.log");
  std::string second;
  for (int i = 0; i < 300 && second.empty(); ++i) {
    ::usleep(100'000);
    const Ran runs = w.Run("runs --status succeeded");
    const std::regex fired("(r[0-9]{8}-[0-9]{6}-[0-9a-f]{6}) +succeeded +standard-offboarding");
    for (auto it = std::sregex_iterator(runs.out.begin(), runs.out.end(), fired); it != std::sregex_iterator(); ++it) {
      if ((*it)[1] != first) second = (*it)[1];
    }
  }
  Stop(daemon);
  REQUIRE_FALSE(second.empty());
  CHECK(Jane(w).groups.empty());
  // A rehire starting now would read the newer offboarding...
  const Ran plan = w.Run("plan " + gated);
  CHECK(plan.out.find("-> run " + second + " (succeeded") != std::string::npos);

  // ...but the waiting one keeps what it read when it started.
  REQUIRE(w.Run("approve " + rehire + " approve").exit_code == 0);
  const Ran resumed = w.Run("resume " + rehire);
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  const Account jane = Jane(w);
  CHECK(jane.active);
  CHECK(jane.groups == kEngineering);
}

TEST_CASE("status and report list tasks in dependency order, each for_each item under its parent", "[cli][lifecycle]") {
  World w;
  const Ran joined = w.Run("run examples/onboarding.yaml --input examples/inputs/jane.yaml --color never");
  REQUIRE(joined.exit_code == 0);
  const std::string run = RunId(joined);
  // account -> groups (3 items) -> welcome.lookup -> welcome.invite -> welcome.post, whatever order
  // the rows were recorded in (items are recorded when the parent fans out, after every task row).
  const std::vector<std::string> order = {"account",   "groups",         "groups[0]",      "groups[1]",
                                          "groups[2]", "welcome.lookup", "welcome.invite", "welcome.post"};
  const auto check_order = [&](const std::string& text, const std::string& before, const std::string& after) {
    std::vector<std::size_t> at;
    for (const std::string& name : order) {
      const std::size_t p = text.find(before + name + after);
      INFO(name << " in\n" << text);
      REQUIRE(p != std::string::npos);
      at.push_back(p);
    }
    CHECK(std::is_sorted(at.begin(), at.end()));
  };
  const Ran status = w.Run("status " + run);
  REQUIRE(status.exit_code == 0);
  check_order(status.out, "\n", " ");
  // The items follow their parent directly.
  const std::size_t parent = status.out.find("\ngroups ");
  REQUIRE(parent != std::string::npos);
  CHECK(status.out.compare(status.out.find('\n', parent + 1) + 1, 10, "groups[0] ") == 0);
  const Ran md = w.Run("report " + run);
  REQUIRE(md.exit_code == 0);
  check_order(md.out, "\n| ", " |");
  const Ran html = w.Run("report " + run + " --format html");
  check_order(html.out, "<tr><td>", "</td><td>");
  // Item events keep their [i] in the reports' timelines.
  CHECK(md.out.find(" groups[1] attempt_started: idp.add_to_group") != std::string::npos);
  CHECK(html.out.find("<td>groups[1]</td><td>attempt_started</td>") != std::string::npos);
}

TEST_CASE("an offboarding killed after its group removal took effect, resumed: the rehire still restores every group",
          "[cli][lifecycle]") {
  World w;
  REQUIRE(w.Run(kOnboard).exit_code == 0);
  REQUIRE(w.Run(kMove).exit_code == 0);
  REQUIRE(Jane(w).groups == kSales);

  // Every answer about a group is held for 4 s after its change took effect: the removals happen,
  // their answers have not arrived when the process is killed.
  const std::string faults = "env " + w.env +
                             " sh -c 'curl -sf -X POST \"$TENURE_SANDBOX_URL/_sandbox/faults\" -d \"$0\" >/dev/null' ";
  REQUIRE(std::system((faults + "'{\"path_prefix\":\"/scim/v2/Groups\",\"stall_rate\":1,\"stall_ms\":4000}'").c_str()) ==
          0);
  const int pid = Background(kOffboard, w.env, w.dir / "offboard.log");
  bool removed = false;
  for (int i = 0; i < 400 && !removed; ++i) {
    ::usleep(50'000);
    removed = Jane(w).groups.empty();
  }
  ::kill(pid, SIGKILL);  // all three removed, the last one's answer still held: never recorded
  for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) ::usleep(50'000);
  REQUIRE(removed);
  REQUIRE(std::system((faults + "'[]'").c_str()) == 0);

  std::ifstream log(w.dir / "offboard.log");
  const Ran started{0, "", std::string(std::istreambuf_iterator<char>(log), {})};
  const std::string run = RunId(started);
  const Ran before = w.Run("status " + run + " --json");
  REQUIRE(before.exit_code != -1);
  CHECK(before.out.find("\"running\"") != std::string::npos);  // killed mid-run

  const Ran resumed = w.Run("resume " + run);
  INFO(resumed.out << resumed.err);
  REQUIRE(resumed.exit_code == 0);
  CHECK(Jane(w).groups.empty());

  // The resumed attempt found no groups left, yet its result lists the three its first attempt
  // removed (from the pre-state recorded before that attempt), beside that pre-state.
  const Ran status = w.Run("status " + run + " --json");
  REQUIRE(status.exit_code == 0);
  const auto parsed = boost::json::parse(status.out);
  std::set<std::string> listed, held_before;
  int attempts = 0;
  for (const auto& t : parsed.at("tasks").as_array()) {
    if (t.at("task") != "remove_groups") continue;
    attempts = static_cast<int>(t.at("attempts").as_int64());
    for (const auto& g : t.at("result").at("groups").as_array()) listed.insert(std::string(g.at("displayName").as_string()));
    for (const auto& g : t.at("result").at("pre_state").at("groups").as_array()) {
      held_before.insert(std::string(g.at("displayName").as_string()));
    }
  }
  CHECK(attempts == 2);
  CHECK(held_before == kSales);
  CHECK(listed == kSales);

  const Ran back = w.Run(kRehire);
  INFO(back.out << back.err);
  REQUIRE(back.exit_code == 0);
  const Account jane = Jane(w);
  CHECK(jane.active);
  CHECK(jane.groups == kSales);  // exactly what the killed offboarding removed
}
