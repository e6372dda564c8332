// Security through the real binary: what a run's inputs and a server's answers can make tenure do.
// Servers are loopback RecordingServers that mask nothing, so the tests see exactly what was sent.
#include <SQLiteCpp/SQLiteCpp.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/http_support.h"
#include "tests/engine/support/engine_fixture.h"
#include "tests/engine/support/tenure_cli.h"
#include "tests/support/recording_server.h"

namespace tenure::engine {
namespace {

using tenure::testing::RecordedAnswer;
using tenure::testing::RecordedRequest;
using tenure::testing::RecordingServer;

using testing::BinaryBuilt;
using testing::Output;
using testing::Tenure;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

constexpr const char* kFileSecret = "FILE-SECRET-CONTENT-7781";
constexpr const char* kEnvSecret = "ENV-SECRET-VALUE-9902";

TEST_CASE("an input that looks like a secret reference is sent as text by every connector", "[engine][cli][security]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  std::ofstream(dir.path() + "/secret.txt") << kFileSecret << "\n";
  const std::string taint = "${file:" + dir.path() + "/secret.txt}|${env:TENURE_TEST_SECRET_VAR}";
  std::ofstream(dir.path() + "/in.json") << R"({"x": ")" << taint << R"("})";
  // Answers what each connector needs: a JSON object with ok (slack) and nothing else.
  RecordingServer server([](const RecordedRequest&) { return RecordedAnswer{200, R"({"ok":true,"ts":"1.5"})", {}}; });
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: taint
inputs:
  x: string
connections:
  api: { connector: http, base_url: ")" << server.url() << R"(" }
  chat: { connector: slack, base_url: ")" << server.url() << R"(/slack", token: "${env:TENURE_TEST_SLACK_TOKEN}" }
  local: { connector: exec }
tasks:
  bearer:
    uses: api.request
    with:
      method: POST
      url: /bearer
      query: { q: "{{ inputs.x }}" }
      headers: { X-From-Input: "{{ inputs.x }}", X-Literal: "${env:TENURE_TEST_SECRET_VAR}" }
      json: { v: "{{ inputs.x }}" }
      auth: { bearer: "{{ inputs.x }}" }
  basic:
    uses: api.request
    with: { method: GET, url: /basic, auth: { basic: { username: "{{ inputs.x }}", password: "{{ inputs.x }}" } } }
  header:
    uses: api.request
    with: { method: GET, url: /header, auth: { header: X-Key, value: "{{ inputs.x }}" } }
  message:
    uses: chat.post_message
    with: { channel: "{{ inputs.x }}", text: "{{ inputs.x }}", once_key: "{{ inputs.x }}" }
  program:
    uses: local.run
    with:
      argv: [/bin/sh, -c, 'printf "%s\n%s" "$1" "$X" > "$0"; echo {}', ")" << dir.path() << R"(/exec.out", "{{ inputs.x }}"]
      env: { X: "{{ inputs.x }}" }
)";
  const std::string env = "TENURE_TEST_SECRET_VAR=" + std::string(kEnvSecret) + " TENURE_TEST_SLACK_TOKEN=xoxb-test-1234";
  const Output run = Tenure("run " + dir.path() + "/p.yaml --input " + dir.path() + "/in.json --db " + dir.path() +
                                "/t.db",
                            env);
  INFO(run.text);
  REQUIRE(run.code == 0);
  const std::vector<RecordedRequest> requests = server.requests();
  std::string everything;
  for (const RecordedRequest& r : requests) everything += r.method + " " + r.target + "\n" + r.HeaderLines() + r.body + "\n";
  INFO(everything);
  // Neither secret ever left the process through a value that came from an input...
  CHECK(everything.find(kFileSecret) == std::string::npos);
  auto count = [&](const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = everything.find(needle); at != std::string::npos; at = everything.find(needle, at + 1)) ++n;
    return n;
  };
  CHECK(count(kEnvSecret) == 1);  // ...only where the author wrote the reference: X-Literal
  auto find = [&](const std::string& target_prefix) {
    for (const RecordedRequest& r : requests) {
      if (r.target.rfind(target_prefix, 0) == 0) return r;
    }
    FAIL("no request to " << target_prefix);
    return RecordedRequest{};
  };
  const RecordedRequest bearer = find("/bearer");
  CHECK(bearer.Header("Authorization") == "Bearer " + taint);
  CHECK(bearer.Header("X-From-Input") == taint);
  CHECK(bearer.Header("X-Literal") == kEnvSecret);
  CHECK(bearer.body == R"({"v":")" + taint + R"("})");
  CHECK(bearer.target.find("%24%7Bfile%3A") != std::string::npos);
  const RecordedRequest basic = find("/basic");
  CHECK(basic.Header("Authorization") == "Basic " + connectors::Base64(taint + ":" + taint));
  CHECK(find("/header").Header("X-Key") == taint);
  const RecordedRequest post = find("/slack/chat.postMessage");
  CHECK(post.body.find(R"("text":")" + taint) != std::string::npos);
  CHECK(post.body.find(R"("channel":")" + taint) != std::string::npos);
  CHECK(ReadFile(dir.path() + "/exec.out") == taint + "\n" + taint);

  // SCIM, in a run of its own against a minimal SCIM answerer: every attribute is sent as given.
  RecordingServer scim([](const RecordedRequest& r) {
    if (r.method == "POST") {
      return RecordedAnswer{201, R"({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u1","userName":"x"})", {}};
    }
    return RecordedAnswer{
        200, R"({"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]})", {}};
  });
  std::ofstream(dir.path() + "/scim.yaml") << R"(playbook: taint-scim
inputs:
  x: string
connections:
  idp: { connector: scim, base_url: ")" << scim.url() << R"(/scim/v2", token: "${env:TENURE_TEST_SLACK_TOKEN}" }
tasks:
  account:
    uses: idp.ensure_user
    with: { userName: "{{ inputs.x }}", displayName: "{{ inputs.x }}", externalId: "{{ inputs.x }}" }
    retry: { attempts: 1 }
)";
  const Output scim_run = Tenure("run " + dir.path() + "/scim.yaml --input " + dir.path() + "/in.json --db " + dir.path() +
                                     "/t.db",
                                 env);
  INFO(scim_run.text);
  std::string sent;
  for (const RecordedRequest& r : scim.requests()) sent += r.method + " " + r.target + "\n" + r.HeaderLines() + r.body + "\n";
  INFO(sent);
  CHECK(sent.find(kFileSecret) == std::string::npos);
  CHECK(sent.find(kEnvSecret) == std::string::npos);
  CHECK(sent.find(R"("displayName":")" + taint + "\"") != std::string::npos);
  CHECK(sent.find(R"("userName":")" + taint + "\"") != std::string::npos);
}


// Everything a user or an auditor can read about run `id`, plus the database file itself.
std::string EverythingAbout(const std::string& id, const std::string& db_path) {
  std::string out;
  for (const char* cmd : {"status ", "logs ", "report ", "status --json ", "logs --json "}) {
    out += Tenure(std::string(cmd) + id + " --db " + db_path).text;
  }
  out += Tenure("runs --db " + db_path).text;
  out += ReadFile(db_path) + ReadFile(db_path + "-wal");
  return out;
}

std::string RunIdOf(const std::string& text) {
  const auto at = text.find("run r");
  REQUIRE(at != std::string::npos);
  return text.substr(at + 4, text.find(':', at) - at - 4);
}

// A server that answers 401 with every request header in its error body, as some do.
RecordedAnswer EchoHeaders(const RecordedRequest& r) {
  std::string headers;
  for (const auto& [k, v] : r.headers) headers += k + ": " + v + "; ";
  return RecordedAnswer{401, R"({"detail":"not allowed with )" + headers + R"(","status":"401"})", {}};
}

TEST_CASE("a SCIM Basic credential echoed by the server is redacted everywhere", "[engine][cli][security]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  RecordingServer server(EchoHeaders);
  const std::string password = "S3cret-Basic-Passw0rd";
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: basic-echo
connections:
  idp: { connector: scim, base_url: ")" << server.url() << R"(/scim/v2", username: svc-tenure, password: "${env:TENURE_TEST_SCIM_PASSWORD}" }
tasks:
  account: { uses: idp.ensure_user, with: { userName: ada@example.com }, retry: { attempts: 1 } }
)";
  const std::string db = dir.path() + "/t.db";
  const Output run =
      Tenure("run " + dir.path() + "/p.yaml --db " + db, "TENURE_TEST_SCIM_PASSWORD=" + password);
  INFO(run.text);
  CHECK(run.code == 1);
  const std::string token = connectors::Base64("svc-tenure:" + password);
  REQUIRE_FALSE(server.requests().empty());
  REQUIRE(server.requests()[0].Header("Authorization") == "Basic " + token);  // what the server echoed
  const std::string seen = run.text + EverythingAbout(RunIdOf(run.text), db);
  CHECK(seen.find("not allowed with") != std::string::npos);  // the echo did reach the error
  CHECK(seen.find(token) == std::string::npos);
  CHECK(seen.find(password) == std::string::npos);
}

TEST_CASE("a proxy's credentials echoed back are redacted everywhere", "[engine][cli][security]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  RecordingServer proxy(EchoHeaders);  // an HTTP proxy that answers every request itself
  const std::string password = "Pr0xy-Passw%40rd-55";  // as written in the URL: %40 is '@'
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: proxy-echo
connections:
  api: { connector: http, base_url: "http://api.example.invalid" }
tasks:
  call: { uses: api.request, with: { method: GET, url: /x }, retry: { attempts: 1 } }
)";
  const std::string db = dir.path() + "/t.db";
  const Output run = Tenure("run " + dir.path() + "/p.yaml --db " + db,
                            "NO_PROXY= no_proxy= HTTP_PROXY=http://proxy-user:" + password + "@127.0.0.1:" +
                                std::to_string(proxy.port()));
  INFO(run.text);
  CHECK(run.code == 1);
  const std::string token = connectors::Base64("proxy-user:Pr0xy-Passw@rd-55");
  REQUIRE_FALSE(proxy.requests().empty());
  REQUIRE(proxy.requests()[0].Header("Proxy-Authorization") == "Basic " + token);
  const std::string seen = run.text + EverythingAbout(RunIdOf(run.text), db);
  CHECK(seen.find("not allowed with") != std::string::npos);
  CHECK(seen.find(token) == std::string::npos);
  CHECK(seen.find("Pr0xy-Passw") == std::string::npos);
}

TEST_CASE("control characters from inputs and server answers are shown escaped, never raw", "[engine][cli][security]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  // A server whose error message sets the terminal's title, colours text and sends a C1 CSI.
  RecordingServer server([](const RecordedRequest&) {
    return RecordedAnswer{400, R"({"message":"bad \u001b]0;pwned\u0007 \u001b[31mred\u009b2J\u007f"})", {}};
  });
  std::ofstream(dir.path() + "/in.json") << R"({"who": "ada\u001b[2Jx\r\nrun_succeeded"})";
  std::ofstream(dir.path() + "/p.yaml") << R"(playbook: ctl
inputs:
  who: string
connections:
  api: { connector: http, base_url: ")" << server.url() << R"(" }
tasks:
  call: { uses: api.request, with: { method: POST, url: /x, json: { who: "{{ inputs.who }}" } }, retry: { attempts: 1 } }
  note: { uses: manual.task, with: { prompt: "greet {{ inputs.who }}" } }
)";
  const std::string db = dir.path() + "/t.db";
  const Output run = Tenure("run " + dir.path() + "/p.yaml --input " + dir.path() + "/in.json --db " + db);
  INFO(run.text);
  CHECK((run.code == 1 || run.code == 3));
  const std::string id = RunIdOf(run.text);
  std::string shown = run.text + Tenure("runs --db " + db).text;
  for (const char* cmd : {"status ", "logs ", "report ", "status --json ", "logs --json ", "report --format json "}) {
    shown += Tenure(std::string(cmd) + id + " --db " + db).text;
  }
  INFO(shown);
  for (const char raw : {'\x1b', '\x07', '\r', '\x7f'}) CHECK(shown.find(raw) == std::string::npos);
  CHECK(shown.find("\xc2\x9b") == std::string::npos);
  // ...shown as visible text instead:
  CHECK(shown.find(R"(bad \e]0;pwned\x07 \e[31mred\u009b2J\u007f)") != std::string::npos);
  CHECK(Tenure("status " + id + " --db " + db).text.find(R"(HTTP 400 Bad Request: bad \e]0;pwned\x07 \e[31mred\u009b2J\u007f)") !=
        std::string::npos);
  // An input cannot forge a line of the log either: its line break is shown, not obeyed.
  CHECK(Tenure("logs " + id + " --db " + db).text.find(R"(waiting for a person: greet ada\e[2Jx\r\nrun_succeeded)") !=
        std::string::npos);
}

// ---- bad databases: the user's to fix (exit 2, a clear message), never "internal error" (70) ----

TEST_CASE("a database that is a directory, readable by others, damaged or not tenure's exits 2", "[engine][cli][store]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string playbook = dir.path() + "/p.yaml";
  std::ofstream(playbook) << "playbook: tiny\ntasks:\n  wait: { uses: timer.wait, with: { for: 1s } }\n";
  struct Case {
    std::string name;
    std::string path;
    std::string message;
  };
  const std::string open = dir.path() + "/open.db";
  std::ofstream(open) << "";
  ::chmod(open.c_str(), 0644);
  const std::string garbage = dir.path() + "/garbage.db";
  {
    std::ofstream out(garbage);
    for (int i = 0; i < 200; ++i) out << "this is not a database at all. ";
  }
  ::chmod(garbage.c_str(), 0600);
  const std::string foreign = dir.path() + "/contacts.db";
  {
    SQLite::Database db(foreign, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE notes (body TEXT)");
  }
  ::chmod(foreign.c_str(), 0600);
  const std::vector<Case> cases = {
      {"a directory", dir.path(),
       "tenure: state database " + dir.path() + " is a directory, not a file; give the path of a file with --db or TENURE_DB\n"},
      {"readable by others", open,
       "tenure: state database " + open + " is accessible by other users (mode 644); run: chmod 600 " + open + "\n"},
      {"not a database", garbage,
       "tenure: state database " + garbage +
           " is not a usable SQLite database (file is not a database); move it away, or give another path with --db or "
           "TENURE_DB\n"},
      {"another program's database", foreign,
       "tenure: state database " + foreign +
           " is an SQLite database that tenure did not create (it has tables contacts, notes); tenure will not add its "
           "tables to it: give another path with --db or TENURE_DB\n"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    for (const std::string& command : {"runs --db " + c.path, "run " + playbook + " --db " + c.path}) {
      INFO(command);
      const Output out = Tenure(command);
      CHECK(out.code == 2);
      CHECK(out.text == c.message);
    }
  }
  // The foreign database was left as it was: no tenure table was added to it.
  SQLite::Database db(foreign, SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs'").getInt() == 0);
}

TEST_CASE("a database tenure cannot write exits 2 and says so", "[engine][cli][store]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string db = dir.path() + "/ro.db";
  REQUIRE(Tenure("resume --all --db " + db).code == 0);  // a real tenure database (runs would not create it)
  std::string as_other_user;
  if (::geteuid() == 0) {
    // root writes anything: be an ordinary user for this one command.
    if (!std::filesystem::exists("/usr/bin/setpriv")) {
      WARN("skipped: running as root without setpriv");
      return;
    }
    ::chmod(dir.path().c_str(), 0755);
    as_other_user = "/usr/bin/setpriv --reuid=65534 --regid=65534 --clear-groups ";
  } else {
    ::chmod(db.c_str(), 0400);
  }
  const Output out = Tenure("runs --db " + db, as_other_user);
  CHECK(out.code == 2);
  CHECK(out.text == "tenure: state database " + db +
                        " cannot be written (Permission denied): tenure keeps its runs there and must write it; check the "
                        "permissions of the file and its directory (chmod 600 " + db +
                        "), or give another path with --db or TENURE_DB\n");
}

// ---- size limits: a playbook under the file size limit must not need gigabytes ----

long ChildrenMaxRssKb() {
  struct rusage usage {};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  return usage.ru_maxrss;
}

TEST_CASE("a 15 MiB playbook of 158k tasks is refused fast and small", "[engine][cli][limits]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string path = dir.path() + "/big.yaml";
  {
    std::ofstream out(path);
    out << "playbook: big\nconnections:\n  api: { connector: http, base_url: \"http://127.0.0.1:9\" }\ntasks:\n";
    for (int i = 0; i < 158'000; ++i) {
      out << "  t" << i << ": { uses: api.request, with: { method: GET, url: /users/" << i << ", expect: [200] } }\n";
    }
  }
  REQUIRE(std::filesystem::file_size(path) > 12u * 1024 * 1024);
  const auto start = std::chrono::steady_clock::now();
  const Output out = Tenure("validate " + path);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(out.code == 2);
  CHECK(out.text == path + ": error: cannot read " + path +
                        ": file too large (over 4 MiB; split it into several playbooks)\n1 error\n");
  CHECK(took < std::chrono::seconds(2) * testing::kSlowdown);
  CHECK(ChildrenMaxRssKb() < 400 * 1024);  // the largest child so far stayed under 400 MB
}

TEST_CASE("a small file of too many YAML values is refused after 300000 of them", "[engine][cli][limits]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string path = dir.path() + "/dense.yaml";
  {
    std::ofstream out(path);
    out << "playbook: dense\nvars:\n  v: [";
    for (int i = 0; i < 400'000; ++i) out << "1,";
    out << "1]\ntasks: {}\n";
  }
  REQUIRE(std::filesystem::file_size(path) < 1024 * 1024);
  const Output out = Tenure("validate " + path);
  INFO(out.text.substr(0, 500));
  CHECK(out.code == 2);
  CHECK(out.text.find(path + ":3:599993: error: document too large: more than 300000 YAML values (a playbook file may "
                             "hold at most 300000; split it into several playbooks)") != std::string::npos);
}

TEST_CASE("more than 10000 tasks are refused with one clear error", "[engine][cli][limits]") {
  if (!BinaryBuilt()) return;
  testing::TempDir dir;
  const std::string path = dir.path() + "/many.yaml";
  {
    std::ofstream out(path);
    out << "playbook: many\ntasks:\n";
    for (int i = 0; i < 10'500; ++i) out << "  t" << i << ": { uses: timer.wait, with: { for: 1s } }\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const Output out = Tenure("validate " + path);
  const auto took = std::chrono::steady_clock::now() - start;
  INFO(out.text);
  CHECK(out.code == 2);
  CHECK(out.text.find(path + ":10003:3: error: too many tasks: a playbook may have at most 10000, counting included "
                             "files; split it into several playbooks") != std::string::npos);
  std::size_t errors = 0;
  for (std::size_t at = out.text.find("error:"); at != std::string::npos; at = out.text.find("error:", at + 1)) ++errors;
  CHECK(errors == 1);
  CHECK(took < std::chrono::seconds(5) * testing::kSlowdown);
  // 10000 tasks are fine.
  std::ofstream(path, std::ios::trunc) << [] {
    std::string text = "playbook: many\ntasks:\n";
    for (int i = 0; i < 10'000; ++i) text += "  t" + std::to_string(i) + ": { uses: timer.wait, with: { for: 1s } }\n";
    return text;
  }();
  CHECK(Tenure("validate " + path).code == 0);
}

}  // namespace
}  // namespace tenure::engine
