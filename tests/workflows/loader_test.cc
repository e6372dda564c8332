#include <catch2/catch.hpp>

#include "tests/support/playbook_fixture.h"
#include "workflows/loader.h"

using namespace tenure;
using namespace tenure::workflows;
using tenure::testing::Check;
using tenure::testing::InMemoryFiles;
using tenure::testing::kHeader;

TEST_CASE("a complete playbook loads into the model", "[loader]") {
  auto c = Check(std::string(kHeader) + R"(defaults:
  retry: { attempts: 4, backoff: 1s, max_backoff: 30s }
  timeout: 45s
on_failure: compensate
tasks:
  account:
    description: The account
    uses: idp.ensure_user
    with: { userName: "{{ inputs.email }}" }
    compensate: { uses: idp.delete_user, with: { id: "{{ result.id }}" } }
  groups:
    needs: account
    for_each: "{{ inputs.groups }}"
    uses: idp.add_to_group
    with: { user_id: "{{ tasks.account.result.id }}", group: "{{ item }}" }
    retry: { attempts: 2 }
    timeout: 5m
    on_failure: continue
)");
  REQUIRE(c.Lines().empty());
  REQUIRE(c.pb.tasks.size() == 2);
  const TaskSpec& account = c.pb.tasks[0];
  CHECK(account.id == "account");
  CHECK(account.where.ToString() == "pb.yaml:14:3");
  CHECK(account.call.Uses() == "idp.ensure_user");
  CHECK(account.retry.attempts == 4);
  CHECK(account.timeout == std::chrono::seconds(45));
  REQUIRE(account.compensate);
  CHECK(account.compensate->Uses() == "idp.delete_user");
  const TaskSpec& groups = c.pb.tasks[1];
  CHECK(groups.needs == std::vector<std::string>{"account"});
  CHECK(groups.retry.attempts == 2);
  CHECK(groups.retry.backoff == std::chrono::seconds(1));  // the rest from defaults
  CHECK(groups.timeout == std::chrono::minutes(5));
  CHECK(groups.on_failure == TaskFailurePolicy::kContinue);
  CHECK(c.pb.on_failure == RunFailurePolicy::kCompensate);
  REQUIRE(c.pb.inputs.size() == 4);
  CHECK(c.pb.inputs[2].required == false);
  CHECK(c.pb.inputs[2].default_value == Value(List{Value("a"), Value("b")}));
  CHECK(c.pb.inputs[3].required == false);
  CHECK(c.pb.FindConnection("manual") != nullptr);
}

TEST_CASE("every mistake is reported at once, each at its line and column", "[loader]") {
  auto c = Check(R"(playbook: x
taks: {}
inputs:
  email: { type: emial }
  dept: { type: enum }
  n: { type: int, default: "3" }
connections:
  idp: { connector: scim, base_url: "${env:U}", token: "${env:T}", rate: 20 per s, max_in_flight: 0 }
defaults:
  timeout: 30
  retry: { attempts: 0, backoff: 2 seconds }
tasks:
  Bad-Id: { uses: idp.get_user }
  a:
    uses: idp
    need: b
    when: [1]
    on_failure: retry
)");
  CHECK(c.Lines() == std::vector<std::string>{
                         "pb.yaml:2:1: error: unknown key 'taks' in the playbook (did you mean 'tasks'?)",
                         "pb.yaml:4:18: error: unknown input type 'emial' (did you mean 'email'?); expected one of "
                         "string, email, date, datetime, int, bool, enum, list, duration, time_zone, map",
                         "pb.yaml:5:9: error: enum input 'dept' needs 'values': the allowed values",
                         "pb.yaml:6:28: error: default of input 'n': expected a whole number, got '3'",
                         "pb.yaml:8:74: error: invalid rate '20 per s': expected requests per unit, like 20/s, "
                         "600/m or 1000/h",
                         "pb.yaml:8:99: error: must be between 1 and 10000, got 0",
                         "pb.yaml:10:12: error: invalid duration '30': expected a number and a unit (ms, s, m, h, "
                         "d, w), like 30s, 5m, 2h, 7d, 4w or 1h30m",
                         "pb.yaml:11:22: error: must be between 1 and 100, got 0",
                         "pb.yaml:11:34: error: invalid duration '2 seconds': expected a number and a unit (ms, s, "
                         "m, h, d, w), like 30s, 5m, 2h, 7d, 4w or 1h30m",
                         "pb.yaml:13:3: error: invalid task id 'Bad-Id': use lower-case letters, digits and '_', "
                         "starting with a letter (at most 64)",
                         "pb.yaml:15:11: error: 'uses' must be CONNECTION.ACTION (e.g. idp.ensure_user), got 'idp'",
                         "pb.yaml:16:5: error: unknown key 'need' in task 'a' (did you mean 'needs'?)",
                         "pb.yaml:17:11: error: 'when' must be a condition such as \"{{ inputs.manager != null }}\", "
                         "got a list",
                         "pb.yaml:18:17: error: a task's on_failure must be 'fail' or 'continue', got 'retry'",
                     });
}

TEST_CASE("duplicated keys are errors, though YAML parsers accept them", "[loader]") {
  auto c = Check(std::string(kHeader) + R"(tasks:
  a:
    uses: idp.get_user
    with: { userName: x, userName: y }
  a:
    uses: idp.get_user
)");
  CHECK(c.Lines() == std::vector<std::string>{
                         "pb.yaml:12:26: error: duplicate key 'userName' (first defined at line 12)",
                         "pb.yaml:13:3: error: duplicate key 'a' (first defined at line 10)",
                     });
}

TEST_CASE("invalid YAML is one clear error with its position", "[loader]") {
  auto c = Check("playbook: x\ntasks:\n  a: { uses: idp.get_user\n");
  REQUIRE(c.diags.items().size() == 1);
  // The problem is past the last line, so the caret goes where the mapping starts, and the
  // message names that place, not another column.
  CHECK(c.Lines()[0] ==
        "pb.yaml:3:6: error: invalid YAML: did not find expected ',' or '}' while parsing a flow mapping that "
        "starts here");
  // A problem on a line of the file: the caret on it, and the line where the construct started.
  auto inner = Check("playbook: x\ntasks:\n  a: [1, 2\n  b: 2\n");
  CHECK(inner.Lines() == std::vector<std::string>{"pb.yaml:4:4: error: invalid YAML: did not find expected ',' or "
                                                  "']' while parsing a flow sequence (started at line 3)"});
}

TEST_CASE("an empty file and a non-mapping file are explained", "[loader]") {
  CHECK(Check("").Lines() == std::vector<std::string>{
                                 "pb.yaml:1:1: error: empty playbook: expected a mapping with 'playbook' and 'tasks'"});
  CHECK(Check("- a\n- b\n").Lines() ==
        std::vector<std::string>{"pb.yaml:1:1: error: a playbook must be a mapping, got a list"});
  CHECK(Check("a: 1\n---\nb: 2\n").Lines() ==
        std::vector<std::string>{"pb.yaml:1:1: error: a playbook file holds one YAML document, found 2"});
}

TEST_CASE("aliases are expanded, alias bombs are refused", "[loader][yaml]") {
  Diagnostics d;
  YamlNode n = ParseYaml("a: &x { k: 1 }\nb: *x\n", "f.yaml", d);
  REQUIRE(!d.HasErrors());
  CHECK(ToValue(*n.Find("b")) == ToValue(*n.Find("a")));
  std::string bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) bomb += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    bomb += "]\n";
  }
  Diagnostics d2;
  ParseYaml(bomb, "bomb.yaml", d2);
  REQUIRE(d2.items().size() == 1);
  CHECK(d2.items()[0].message ==
        "document too large: more than 300000 YAML values (a playbook file may hold at most 300000; split it into "
        "several playbooks)");
}

TEST_CASE("quoted scalars are strings, plain ones follow the YAML 1.2 core schema", "[yaml]") {
  Diagnostics d;
  YamlNode n = ParseYaml("a: 12\nb: '12'\nc: yes\nd: true\ne: ~\nf: 1.5\ng: \"null\"\n", "f.yaml", d);
  CHECK(ToValue(*n.Find("a")) == Value(12));
  CHECK(ToValue(*n.Find("b")) == Value("12"));
  CHECK(ToValue(*n.Find("c")) == Value("yes"));
  CHECK(ToValue(*n.Find("d")) == Value(true));
  CHECK(ToValue(*n.Find("e")).IsNull());
  CHECK(ToValue(*n.Find("f")) == Value(1.5));
  CHECK(ToValue(*n.Find("g")) == Value("null"));
}

TEST_CASE("includes instantiate task libraries under a name", "[loader][include]") {
  InMemoryFiles files{{"lib/welcome.yaml", R"(params:
  email: { type: email }
  channel: { type: string, default: "#general" }
tasks:
  find:
    uses: idp.get_user
    with: { userName: "{{ params.email }}" }
  tell:
    needs: find
    uses: idp.deactivate_user
    with: { id: "{{ tasks.find.result.id }}" }
)"}};
  auto c = Check(std::string(kHeader) + R"(include:
  - { file: lib/welcome.yaml, as: hello, needs: first, with: { email: "{{ inputs.email }}" } }
tasks:
  first:
    uses: idp.get_user
    with: { userName: x }
  last:
    needs: hello
    uses: idp.get_user
    with: { id: "{{ tasks.hello.tell.result.id }}" }
)",
                 files);
  REQUIRE(c.Lines().empty());
  REQUIRE(c.pb.FindTask("hello.find") != nullptr);
  CHECK(c.pb.FindTask("hello.find")->needs == std::vector<std::string>{"first"});
  CHECK(c.pb.FindTask("hello.tell")->needs == std::vector<std::string>{"hello.find"});
  CHECK(c.pb.FindTask("last")->needs == std::vector<std::string>{"hello.find", "hello.tell"});
  CHECK(c.pb.sources.size() == 2);
  CHECK(c.pb.includes[0].params.size() == 2);
}

TEST_CASE("include mistakes: cycles, missing files, params", "[loader][include]") {
  InMemoryFiles files{{"a.yaml", "include: [{ file: b.yaml, as: b }]\ntasks: {}\n"},
                      {"b.yaml", "include: [{ file: a.yaml, as: a }]\ntasks: {}\n"},
                      {"p.yaml", "params:\n  x: { type: string }\ntasks:\n  t:\n    uses: idp.get_user\n"
                                 "    with: { userName: \"{{ inputs.email }}{{ params.y }}\" }\n"}};
  auto cycle = Check(std::string(kHeader) + "include: [{ file: a.yaml, as: a }]\ntasks: {}\n", files);
  CHECK(cycle.Lines() ==
        std::vector<std::string>{"b.yaml:1:19: error: include cycle: pb.yaml -> a.yaml -> b.yaml -> a.yaml"});
  auto missing = Check(std::string(kHeader) + "include: [{ file: nope.yaml, as: n }]\ntasks: {}\n", files);
  CHECK(missing.Lines() ==
        std::vector<std::string>{"pb.yaml:9:19: error: cannot read nope.yaml: no such file"});
  auto params = Check(std::string(kHeader) + "include: [{ file: p.yaml, as: p, with: { z: 1 } }]\ntasks: {}\n", files);
  CHECK(params.Lines() == std::vector<std::string>{
                              "p.yaml:6:27: error: 'inputs' is not visible inside an included file; pass what it "
                              "needs as a parameter (params)",
                              "p.yaml:6:45: error: unknown parameter 'y'",
                              "pb.yaml:9:31: error: include 'p' needs parameter 'x'",
                              "pb.yaml:9:42: error: unknown parameter 'z' for p.yaml",
                          });
}

TEST_CASE("durations, rates and ids parse exactly", "[loader]") {
  CHECK(*ParseDuration("30s") == std::chrono::seconds(30));
  CHECK(*ParseDuration("1h30m") == std::chrono::minutes(90));
  CHECK(*ParseDuration("7d") == std::chrono::hours(168));
  CHECK(*ParseDuration("250ms") == std::chrono::milliseconds(250));
  CHECK(!ParseDuration(""));
  CHECK(!ParseDuration("5"));
  CHECK(!ParseDuration("-5s"));
  CHECK(!ParseDuration("5 s"));
  CHECK(*ParseDuration("5w") == std::chrono::hours(24 * 35));
  CHECK(!ParseDuration("5y"));
  CHECK(FormatDuration(std::chrono::minutes(90)) == "1h30m");
  CHECK(FormatDuration(std::chrono::milliseconds(1500)) == "1s500ms");
  CHECK(*ParseRate("20/s") == 20.0);
  CHECK(*ParseRate("600/m") == 10.0);
  CHECK(*ParseRate("3600/h") == 1.0);
  CHECK(!ParseRate("0/s"));
  CHECK(!ParseRate("20/d"));
  CHECK(!ParseRate("x/s"));
  CHECK(IsValidId("create_user2"));
  CHECK(!IsValidId("2users"));
  CHECK(!IsValidId("Create"));
  CHECK(!IsValidId("a-b"));
  CHECK(!IsValidId(std::string(65, 'a')));
}

TEST_CASE("validating a task library directly says how to check it", "[loader][include]") {
  CHECK(Check("params:\n  x: string\ntasks: {}\n").Lines() ==
        std::vector<std::string>{"pb.yaml:1:1: error: this looks like a task library (it has 'params' and no "
                                 "'playbook'): libraries are checked through a playbook that includes them"});
}
