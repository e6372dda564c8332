// The guides do what they say: every `tenure ...` command in the ```sh blocks of
// docs/getting-started.md and docs/cookbook.md is run as written, in order, by the real binary
// against a real `tenure sandbox serve` on loopback and a database of its own, with the exit code
// the guide gives (`# exit N`, else 0); then the sandbox is read back for what the guide says
// happened. Blocks marked `<!-- not run: ... -->` (those needing a real tenant) are skipped; a
// ```yaml block whose first line is `# NAME.yaml: ...` is the file the guide asks you to save.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kSource = TENURE_SOURCE_DIR;

struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `sh -c CMD` in `dir`; stdout and stderr apart.
Ran Shell(const fs::path& dir, const std::string& cmd) {
  const fs::path err_file = dir / ".stderr";
  const std::string full = "cd '" + dir.string() + "' && " + cmd + " 2>'" + err_file.string() + "'";
  Ran r;
  FILE* p = ::popen(full.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream e(err_file);
  r.err.assign(std::istreambuf_iterator<char>(e), {});
  return r;
}

std::string Trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::vector<std::string> Lines(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A private sandbox (`tenure sandbox serve --port 0`) and database, and a working directory
// where the examples are at `examples/` and the guide's files are saved.
struct World {
  World() {
    dir = fs::temp_directory_path() / ("tenure_guides_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::create_directory_symlink(kSource / "examples", dir / "examples");
    const std::string cmd = "('" + std::string(TENURE_BINARY) + "' sandbox serve --port 0 --quiet > '" +
                            (dir / "serve.out").string() + "' 2>&1 & echo $! > '" + (dir / "serve.pid").string() + "')";
    REQUIRE(std::system(cmd.c_str()) == 0);
    std::ifstream(dir / "serve.pid") >> pid;
    REQUIRE(pid > 0);
    for (int i = 0; i < 100 && env.empty(); ++i) {
      ::usleep(100'000);
      env = Exports();
    }
    REQUIRE_FALSE(env.empty());
    env += "TENURE_DB='" + (dir / "tenure.db").string() + "' NO_COLOR=1 ";
  }
  ~World() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) ::usleep(100'000);
    }
    fs::remove_all(dir);
  }
  // The sandbox's "  export A=1 B=2" lines as "A='1' B='2' " (those without a $(...)), once the
  // last one (TENURE_SANDBOX_URL) is printed.
  std::string Exports() const {
    std::ifstream out(dir / "serve.out");
    std::string line, vars;
    while (std::getline(out, line)) {
      if (!line.starts_with("  export ")) continue;
      const auto hash = line.find('#');
      std::istringstream words(line.substr(9, hash == std::string::npos ? std::string::npos : hash - 9));
      for (std::string word; words >> word;) {
        const auto eq = word.find('=');
        if (eq == std::string::npos || word.find("$(") != std::string::npos || word.find('"') != std::string::npos) {
          continue;
        }
        vars += word.substr(0, eq) + "='" + word.substr(eq + 1) + "' ";
      }
      if (line.find("TENURE_SANDBOX_URL") != std::string::npos) return vars;
    }
    return "";
  }
  Ran Tenure(const std::string& args) const { return Shell(dir, "env " + env + "'" + TENURE_BINARY + "' " + args); }

  // userName -> {active, groups} from `tenure sandbox show --json`.
  struct Account {
    bool active = false;
    std::set<std::string> groups;
  };
  std::map<std::string, Account> Accounts() const {
    const Ran shown = Tenure("sandbox show --json");
    REQUIRE(shown.exit_code == 0);
    std::map<std::string, Account> out;
    const boost::json::value doc = boost::json::parse(shown.out);
    for (const auto& u : doc.at("users").as_array()) {
      Account a;
      a.active = u.at("active").as_bool();
      for (const auto& g : u.at("groups").as_array()) a.groups.insert(std::string(g.as_string()));
      out[std::string(u.at("userName").as_string())] = a;
    }
    return out;
  }
  std::vector<std::string> Messages(const std::string& channel) const {
    const Ran shown = Tenure("sandbox show --json");
    std::vector<std::string> out;
    const boost::json::value doc = boost::json::parse(shown.out);
    for (const auto& m : doc.at("messages").as_array()) {
      if (m.at("channel_name").as_string() == channel) out.emplace_back(m.at("text").as_string());
    }
    return out;
  }

  fs::path dir;
  std::string env;
  int pid = 0;
};

struct Step {
  std::string command;  // as written in the guide
  int line = 0;
  Ran ran;
};

// Saves the guide's files, then runs its commands in order; checks each exit code.
std::vector<Step> RunGuide(const World& w, const fs::path& md) {
  const auto lines = Lines(kSource / md);
  std::vector<Step> steps;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const std::string fence = Trimmed(lines[i]);
    if (fence != "```sh" && fence != "```yaml") continue;
    const bool skipped = i > 0 && Trimmed(lines[i - 1]).starts_with("<!-- not run");
    std::vector<std::string> body;
    std::size_t j = i + 1;
    for (; j < lines.size() && !Trimmed(lines[j]).starts_with("```"); ++j) body.push_back(lines[j]);
    const std::size_t open = i;
    i = j;
    if (skipped || body.empty()) continue;
    if (fence == "```yaml") {
      // "# my-mover.yaml: ..." names the file to save.
      if (!body[0].starts_with("# ") || body[0].find(".yaml:") == std::string::npos) continue;
      const std::string name = body[0].substr(2, body[0].find(".yaml:") + 5 - 2);
      std::ofstream out(w.dir / name);
      for (const auto& l : body) out << l << "\n";
      continue;
    }
    for (std::size_t k = 0; k < body.size(); ++k) {
      std::string cmd = Trimmed(body[k]);
      if (cmd.empty() || cmd.starts_with("#")) continue;
      const int at = static_cast<int>(open + 2 + k);
      INFO(md.string() << ":" << at << ": " << cmd);
      // The test provides what these set up: its own sandbox, its exports and database, the binary.
      if (cmd == "tenure sandbox serve" || cmd.starts_with("export ")) continue;
      REQUIRE(cmd.starts_with("tenure "));
      int expected = 0;
      if (const auto c = cmd.find("  #"); c != std::string::npos) {
        const std::string comment = Trimmed(cmd.substr(c + 3));
        if (comment.starts_with("exit ")) expected = std::stoi(comment.substr(5));
        cmd = Trimmed(cmd.substr(0, c));
      }
      Step s{cmd, at, w.Tenure(cmd.substr(7))};
      INFO(s.ran.out << s.ran.err);
      CHECK(s.ran.exit_code == expected);
      steps.push_back(std::move(s));
    }
  }
  return steps;
}

const Step& Find(const std::vector<Step>& steps, const std::string& prefix, int nth = 0) {
  for (const Step& s : steps) {
    if (s.command.starts_with(prefix) && nth-- == 0) return s;
  }
  FAIL("no command starting with: " << prefix);
  return steps.front();
}

// The ```text block that follows `marker` in `md`.
std::string TextBlockAfter(const fs::path& md, const std::string& marker) {
  const auto lines = Lines(kSource / md);
  std::size_t i = 0;
  while (i < lines.size() && lines[i].find(marker) == std::string::npos) ++i;
  while (i < lines.size() && Trimmed(lines[i]) != "```text") ++i;
  std::string text;
  for (++i; i < lines.size() && !Trimmed(lines[i]).starts_with("```"); ++i) text += lines[i] + "\n";
  return text;
}

}  // namespace

TEST_CASE("getting started: every command in the guide runs as written against the sandbox", "[guides]") {
  World w;
  const auto steps = RunGuide(w, "docs/getting-started.md");
  REQUIRE(steps.size() >= 12);
  REQUIRE(fs::exists(w.dir / "my-mover.yaml"));

  CHECK(Find(steps, "tenure validate my-mover.yaml").ran.out == "my-mover.yaml: ok (3 tasks)\n");
  CHECK(Find(steps, "tenure plan my-mover.yaml").ran.out.find("group: \"support\"") != std::string::npos);
  CHECK(Find(steps, "tenure plan my-mover.yaml").ran.out.find("token: \"***\"") != std::string::npos);
  // The same key again starts nothing; a bad email is refused, naming the input.
  CHECK(Find(steps, "tenure run my-mover.yaml", 1).ran.out.find("already exists for key move-jane-support") !=
        std::string::npos);
  CHECK(Find(steps, "tenure plan my-mover.yaml", 1).ran.err.find("input 'email': expected an email address") !=
        std::string::npos);
  CHECK(Find(steps, "tenure report jane.doe@example.com").ran.out.find("my-mover") != std::string::npos);

  // What the guide says the sandbox holds afterwards.
  const auto accounts = w.Accounts();
  REQUIRE(accounts.contains("jane.doe@example.com"));
  const auto& jane = accounts.at("jane.doe@example.com");
  CHECK(jane.active);
  CHECK(jane.groups == std::set<std::string>{"everyone", "engineering", "support"});

  // The typo's output, as the guide prints it.
  fs::create_directory(w.dir / "typo");
  {
    std::ifstream in(w.dir / "my-mover.yaml");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const std::string needs = "  join:\n    needs: find\n";
    REQUIRE(text.find(needs) != std::string::npos);
    text.replace(text.find(needs), needs.size(), "  join:\n    need: find\n");
    std::ofstream(w.dir / "typo" / "my-mover.yaml") << text;
  }
  const Ran typo = Shell(w.dir / "typo", "'" + std::string(TENURE_BINARY) + "' validate my-mover.yaml");
  CHECK(typo.exit_code == 2);
  CHECK(typo.err == TextBlockAfter("docs/getting-started.md", "`need: find` instead of"));
}

TEST_CASE("cookbook: every recipe runs as written against the sandbox and does what it says", "[guides]") {
  World w;
  const auto steps = RunGuide(w, "docs/cookbook.md");
  REQUIRE(steps.size() >= 14);
  const auto accounts = w.Accounts();
  const auto account = [&](const std::string& user) {
    INFO(user);
    REQUIRE(accounts.contains(user));
    return accounts.at(user);
  };
  using Groups = std::set<std::string>;
  // Joiner, mover, leaver, rehire: Jane is back with the groups she had when she left.
  CHECK(account("jane.doe@example.com").active);
  CHECK(account("jane.doe@example.com").groups == Groups{"everyone", "sales", "sales-emea"});
  // Bulk onboarding: every row once, the second submission started nothing.
  CHECK(account("ana.souza@example.com").active);
  CHECK(account("ana.souza@example.com").groups == Groups{"everyone", "engineering", "on-call"});
  CHECK(account("chen.wei@example.com").groups == Groups{"everyone", "finance", "on-call"});
  CHECK(Find(steps, "tenure run examples/onboarding.yaml --inputs", 1).ran.out.find("(started earlier)") !=
        std::string::npos);
  // Emergency termination: off at once, one message however often it is triggered.
  CHECK_FALSE(account("ben.okafor@example.com").active);
  CHECK(account("ben.okafor@example.com").groups.empty());
  CHECK(w.Messages("#security").size() == 1);
  // Contractor end date: waiting for a future end, done for a past one.
  CHECK(account("chloe.martin@contractors.example.com").active);
  CHECK(account("chloe.martin@contractors.example.com").groups == Groups{"contractors", "design"});
  CHECK(Find(steps, "tenure runs").ran.out.find("waiting") != std::string::npos);
  CHECK_FALSE(account("max.roth@contractors.example.com").active);
  CHECK(account("max.roth@contractors.example.com").groups.empty());
}

TEST_CASE("the README's playbook runs as shipped on a fresh sandbox", "[guides]") {
  World w;
  // The first fenced playbook of the README, with its connection pointed at the sandbox.
  const auto lines = Lines(kSource / "README.md");
  std::string text;
  bool in = false;
  for (const auto& l : lines) {
    if (!in && Trimmed(l) == "```yaml") {
      in = true;
      continue;
    }
    if (in && Trimmed(l).starts_with("```")) {
      if (text.starts_with("playbook:")) break;
      text.clear();
      in = false;
      continue;
    }
    if (in) text += l + "\n";
  }
  REQUIRE(text.starts_with("playbook:"));
  std::ofstream(w.dir / "readme.yaml") << text;
  const std::string scim = w.env.substr(w.env.find("TENURE_SCIM_URL='") + 17);
  const std::string url = scim.substr(0, scim.find('\''));
  const Ran r = w.Tenure("run readme.yaml --set first_name=Jane --set email=jane.doe@example.com --color never");
  // IDP_SCIM_URL / IDP_SCIM_TOKEN, as the README's connection reads them.
  const Ran ran =
      Shell(w.dir, "env " + w.env + "IDP_SCIM_URL='" + url + "' IDP_SCIM_TOKEN=sandbox-token '" + TENURE_BINARY +
                       "' run readme.yaml --set first_name=Jane " + "--set email=jane.doe@example.com --color never");
  INFO(ran.out << ran.err);
  CHECK(r.exit_code == 2);  // without the variables: a clear error before anything starts
  CHECK(r.err.find("IDP_SCIM_URL") != std::string::npos);
  CHECK(ran.exit_code == 0);
  const auto accounts = w.Accounts();
  REQUIRE(accounts.contains("jane.doe@example.com"));
  CHECK(accounts.at("jane.doe@example.com").active);
  CHECK(accounts.at("jane.doe@example.com").groups == std::set<std::string>{"everyone", "engineering"});
}
