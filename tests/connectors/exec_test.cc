// The exec connector with the real posix_spawn runner (test programs are small sh scripts; the
// connector itself never uses a shell: argv items reach the program as separate, literal strings).
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "connectors/exec/connector.h"
#include "connectors/http_support.h"
#include "tests/connectors/support/scripted_transport.h"

namespace tenure::connectors {
namespace {

using testing::FailureOf;
using testing::InvokeNow;
using testing::ResultMap;

constexpr const char* kSecret = "exec-secret-value-31337";

struct TempDir {
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tenure-exec-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

struct Fixture {
  Fixture() : runner(exec::MakePosixProcessRunner()) {
    redactor.Add(kSecret);
    exec::ExecConfig c;
    c.env = MakeMap({{"CONN_VAR", "from-connection"}, {"API_TOKEN", kSecret}});
    connector = exec::MakeExecConnector(c, *runner, redactor);
  }
  Outcome Sh(std::string script, Map extra = {}, std::string key = "run1-task1") {
    List argv{Value("sh"), Value("-c"), Value(std::move(script)), Value("sh")};
    if (const Value* more = extra.Find("args")) {
      for (const Value& v : more->AsList()) argv.push_back(v);
    }
    Map args = MakeMap({{"argv", std::move(argv)}});
    for (const auto& [k, v] : extra) {
      if (k != "args") args.Set(k, v);
    }
    return InvokeNow(*connector, "run", std::move(args), std::move(key));
  }
  std::unique_ptr<exec::ProcessRunner> runner;
  Redactor redactor;
  std::unique_ptr<Connector> connector;
};

// Records the spec and answers with a scripted result (the ProcessRunner seam).
class ScriptedRunner final : public exec::ProcessRunner {
 public:
  boost::asio::awaitable<Result<exec::ProcessResult>> Run(exec::ProcessSpec spec) override {
    specs.push_back(std::move(spec));
    co_return result;
  }
  std::vector<exec::ProcessSpec> specs;
  Result<exec::ProcessResult> result = Succeeding();

 private:
  static exec::ProcessResult Succeeding() {
    exec::ProcessResult r;
    r.exit_code = 0;
    r.out = "{}";
    return r;
  }
};

TEST_CASE("exec run: the spec handed to the runner", "[exec]") {
  ScriptedRunner runner;
  Redactor redactor;
  exec::ExecConfig c;
  c.cwd = "/srv";
  c.env = MakeMap({{"A", "conn"}, {"B", "conn"}, {"TENURE_IDEMPOTENCY_KEY", "forged"}});
  auto connector = exec::MakeExecConnector(c, runner, redactor);
  Outcome o = InvokeNow(*connector, "run",
                        MakeMap({{"argv", List{Value("tool"), Value("--n"), Value(3), Value(true)}},
                                 {"env", MakeMap({{"B", "action"}})},
                                 {"stdin", MakeMap({{"k", "v"}})},
                                 {"timeout", "2s"}}),
                        "run5/task6");
  REQUIRE(std::holds_alternative<Succeeded>(o));
  REQUIRE(runner.specs.size() == 1);
  const exec::ProcessSpec& spec = runner.specs[0];
  CHECK(spec.argv == std::vector<std::string>{"tool", "--n", "3", "true"});
  CHECK(spec.cwd == "/srv");
  CHECK(spec.stdin_data == R"({"k":"v"})");
  CHECK(spec.timeout == std::chrono::seconds(2));
  auto has = [&](const std::string& kv) { return std::find(spec.env.begin(), spec.env.end(), kv) != spec.env.end(); };
  CHECK(has("A=conn"));
  CHECK(has("B=action"));
  CHECK(has("TENURE_IDEMPOTENCY_KEY=run5/task6"));
  CHECK_FALSE(has("TENURE_IDEMPOTENCY_KEY=forged"));
  runner.result = Error::Io("cannot start tool: Permission denied");
  Outcome failed = InvokeNow(*connector, "run", MakeMap({{"argv", List{Value("tool")}}}));
  REQUIRE(std::holds_alternative<Failed>(failed));
  CHECK(std::get<Failed>(failed).failure.message == "exec run: cannot start tool: Permission denied");
}

TEST_CASE("exec run: stdout JSON is the result, env and key are passed", "[exec]") {
  Fixture f;
  Outcome o =
      f.Sh(R"sh(printf '{"key":"%s","conn":"%s","action":"%s"}' "$TENURE_IDEMPOTENCY_KEY" "$CONN_VAR" "$ACTION_VAR")sh",
           MakeMap({{"env", MakeMap({{"ACTION_VAR", "from-action"}})}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o).Find("key")->AsString() == "run1-task1");
  CHECK(ResultMap(o).Find("conn")->AsString() == "from-connection");
  CHECK(ResultMap(o).Find("action")->AsString() == "from-action");
  Outcome empty = f.Sh("true");
  REQUIRE(std::holds_alternative<Succeeded>(empty));
  CHECK(ResultMap(empty).empty());
  Outcome scalar = f.Sh("echo 42");
  CHECK(ResultMap(scalar).Find("value")->AsInt() == 42);
}

TEST_CASE("exec run: stdin JSON and cwd", "[exec]") {
  Fixture f;
  Map in = MakeMap({{"name", "Zoë \"$(id)\""}, {"n", 3}});
  Outcome o = f.Sh("cat", MakeMap({{"stdin", in}}));
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o) == in);
  TempDir dir;
  Outcome cwd = f.Sh(R"sh(printf '{"cwd":"%s"}' "$(pwd)")sh", MakeMap({{"cwd", dir.path}}));
  REQUIRE(std::holds_alternative<Succeeded>(cwd));
  CHECK(std::filesystem::equivalent(ResultMap(cwd).Find("cwd")->AsString(), dir.path));
}

TEST_CASE("exec run: tenure's own environment stays out of the child", "[exec]") {
  ::setenv("TENURE_TEST_PARENT_SECRET", "parent-only", 1);
  Fixture f;
  Outcome o = f.Sh(R"sh(printf '{"v":"%s","path":"%s"}' "${TENURE_TEST_PARENT_SECRET:-unset}" "${PATH:+set}")sh");
  ::unsetenv("TENURE_TEST_PARENT_SECRET");
  REQUIRE(std::holds_alternative<Succeeded>(o));
  CHECK(ResultMap(o).Find("v")->AsString() == "unset");
  CHECK(ResultMap(o).Find("path")->AsString() == "set");
}

TEST_CASE("exec run: injection corpus arrives as literal argv items", "[exec]") {
  Fixture f;
  TempDir dir;
  const std::vector<std::string> corpus = {"$(touch pwned)", "`touch pwned`", "; touch pwned",
                                           "a\"b\\c'd",      "line\nbreak",   "*",
                                           "名前 émile",     "$HOME",         "|| true &&"};
  int i = 0;
  for (const std::string& item : corpus) {
    std::string out = dir.path + "/arg" + std::to_string(i++);
    Outcome o = f.Sh(R"sh(printf '%s' "$1" > "$2"; echo '{}')sh", MakeMap({{"args", List{Value(item), Value(out)}}}));
    REQUIRE(std::holds_alternative<Succeeded>(o));
    std::ifstream in(out, std::ios::binary);
    std::stringstream got;
    got << in.rdbuf();
    CHECK(got.str() == item);
  }
  CHECK_FALSE(std::filesystem::exists("pwned"));
  CHECK_FALSE(std::filesystem::exists(dir.path + "/pwned"));
}

TEST_CASE("exec run: the idempotency key makes a rerun a no-op", "[exec]") {
  Fixture f;
  TempDir dir;
  std::string script = R"sh(f="$1/$TENURE_IDEMPOTENCY_KEY"; if [ -e "$f" ]; then echo '{"created":false}'; )sh"
                       R"sh(else echo x >> "$1/effects"; touch "$f"; echo '{"created":true}'; fi)sh";
  Map args = MakeMap({{"args", List{Value(dir.path)}}});
  CHECK(ResultMap(f.Sh(script, args)).Find("created")->AsBool());
  CHECK_FALSE(ResultMap(f.Sh(script, args)).Find("created")->AsBool());
  std::ifstream effects(dir.path + "/effects");
  std::string line;
  int n = 0;
  while (std::getline(effects, line)) ++n;
  CHECK(n == 1);
}

TEST_CASE("exec run: exit codes map to error classes", "[exec]") {
  Fixture f;
  Outcome temp = f.Sh("echo busy >&2; exit 75");
  REQUIRE(std::holds_alternative<RetryLater>(temp));
  CHECK(FailureOf(temp)->cls == FailureClass::kTransient);
  CHECK(FailureOf(temp)->provider_code == "exit 75");
  CHECK(std::holds_alternative<RetryLater>(f.Sh("exit 69")));
  Outcome perm = f.Sh(R"sh(echo "no such user; token=$API_TOKEN" >&2; exit 3)sh");
  REQUIRE(std::holds_alternative<Failed>(perm));
  CHECK(FailureOf(perm)->cls == FailureClass::kPermanent);
  CHECK(FailureOf(perm)->message == "exec sh: failed (exit 3): no such user; token=***");
  Outcome signalled = f.Sh("kill -TERM $$");
  CHECK(std::holds_alternative<Unknown>(signalled));
}

TEST_CASE("exec run: non-JSON stdout is a permanent failure with a bounded, redacted excerpt", "[exec]") {
  Fixture f;
  Outcome o = f.Sh(
      R"sh(echo "hello $API_TOKEN"; i=0; while [ $i -lt 100 ]; do echo "more output line $i"; i=$((i+1)); done)sh");
  REQUIRE(std::holds_alternative<Failed>(o));
  const std::string& msg = FailureOf(o)->message;
  CHECK(msg.rfind("exec sh: stdout is not JSON: hello ***", 0) == 0);
  CHECK(msg.size() < 400);
  CHECK(msg.find(kSecret) == std::string::npos);
}

TEST_CASE("exec run: timeout kills the whole process group", "[exec]") {
  Fixture f;
  TempDir dir;
  auto start = std::chrono::steady_clock::now();
  Outcome o = f.Sh(R"sh((sleep 1; touch "$1/survivor") & sleep 30)sh",
                   MakeMap({{"timeout", "300ms"}, {"args", List{Value(dir.path)}}}));
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE(std::holds_alternative<Unknown>(o));
  CHECK(std::get<Unknown>(o).why == "exec sh: timed out; the process group was killed");
  CHECK(took < std::chrono::seconds(3));
  // The background child was in the killed group: it never gets to leave its mark.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  CHECK_FALSE(std::filesystem::exists(dir.path + "/survivor"));
  Outcome quick = f.Sh("echo '{}'", MakeMap({{"timeout", 10}}));
  CHECK(std::holds_alternative<Succeeded>(quick));
}

TEST_CASE("exec run: cancellation through the slot kills the program, the outcome is Unknown", "[exec]") {
  namespace asio = boost::asio;
  Fixture f;
  TempDir dir;
  asio::io_context io;
  asio::cancellation_signal cancel;
  std::optional<Outcome> out;
  Context ctx;
  ctx.idempotency_key = "k";
  ctx.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  Action run{"run", MakeMap({{"argv", List{Value("sh"), Value("-c"), Value("sleep 5; touch \"$1/survivor\""),
                                           Value("sh"), Value(dir.path)}}})};
  asio::co_spawn(io, f.connector->Invoke(run, ctx),
                 asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e, Outcome o) {
                   if (!e) out = std::move(o);
                 }));
  asio::steady_timer timer(io, std::chrono::milliseconds(200));
  timer.async_wait([&](boost::system::error_code) { cancel.emit(asio::cancellation_type::terminal); });
  auto start = std::chrono::steady_clock::now();
  io.run();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
  REQUIRE(out.has_value());
  REQUIRE(std::holds_alternative<Unknown>(*out));
  CHECK(std::get<Unknown>(*out).why == "exec sh: cancelled while running; the process group was killed");
}

TEST_CASE("exec run: a program that ignores a large stdin does not hurt tenure", "[exec]") {
  Fixture f;
  std::string big(4 << 20, 'x');
  Outcome o = f.Sh("exit 0", MakeMap({{"stdin", big}}));
  CHECK(std::holds_alternative<Succeeded>(o));
  Outcome partial = f.Sh("head -c 10 >/dev/null; echo '{\"read\":10}'", MakeMap({{"stdin", big}}));
  REQUIRE(std::holds_alternative<Succeeded>(partial));
  CHECK(ResultMap(partial).Find("read")->AsInt() == 10);
}

TEST_CASE("exec run: output cap, missing program, bad arguments", "[exec]") {
  Fixture f;
  Outcome big = f.Sh("head -c 3000000 /dev/zero | tr '\\0' 'a'");
  REQUIRE(std::holds_alternative<Failed>(big));
  CHECK(FailureOf(big)->message == "exec sh: output exceeds the size cap");
  Outcome missing = InvokeNow(*f.connector, "run", MakeMap({{"argv", List{Value("/no/such/program")}}}));
  REQUIRE(std::holds_alternative<Failed>(missing));
  CHECK(FailureOf(missing)->message == "exec run: program /no/such/program not found");
  for (Map bad : {MakeMap({{"argv", List{}}}), MakeMap({{"argv", "sh -c true"}}),
                  MakeMap({{"argv", List{Value("true")}}, {"timeout", "soon"}}),
                  MakeMap({{"argv", List{Value("true")}}, {"env", MakeMap({{"A=B", "x"}})}})}) {
    Outcome o = InvokeNow(*f.connector, "run", bad);
    REQUIRE(std::holds_alternative<Failed>(o));
    CHECK(FailureOf(o)->cls == FailureClass::kPermanent);
  }
}

}  // namespace
}  // namespace tenure::connectors
