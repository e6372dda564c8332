#include <catch2/catch.hpp>

#include "tests/support/playbook_fixture.h"
#include "workflows/secret_ref.h"

using namespace tenure;
using namespace tenure::workflows;
using tenure::testing::Check;
using tenure::testing::kHeader;

namespace {
std::vector<std::string> Errors(const std::string& tasks) { return Check(std::string(kHeader) + tasks).Lines(); }
}  // namespace

TEST_CASE("uses must name a declared connection and an action of its connector", "[validate]") {
  CHECK(Errors("tasks:\n  a: { uses: ipd.get_user, with: { id: x } }\n") ==
        std::vector<std::string>{"pb.yaml:10:14: error: unknown connection 'ipd' (did you mean 'idp'?)"});
  CHECK(Errors("tasks:\n  a: { uses: idp.get_usr, with: { id: x } }\n") ==
        std::vector<std::string>{
            "pb.yaml:10:18: error: connector 'scim' has no action 'get_usr' (did you mean 'get_user'?); actions: "
            "ensure_user, get_user, update_user, deactivate_user, reactivate_user, delete_user, ensure_group, "
            "add_to_group, remove_from_group, remove_from_all_groups, list_users, list_groups"});
}

TEST_CASE("arguments: required, unknown, one-of groups and literal types", "[validate]") {
  CHECK(Errors("tasks:\n  a:\n    uses: idp.ensure_user\n    with: { username: x, active: maybe }\n") ==
        std::vector<std::string>{
            "pb.yaml:12:11: error: idp.ensure_user needs argument 'userName' (unique user name, usually the email)",
            "pb.yaml:12:13: error: unknown argument 'username' for idp.ensure_user (did you mean 'userName'?); "
            "arguments: userName, name, emails, externalId, active, displayName, attributes",
            "pb.yaml:12:34: error: argument 'active' must be true or false, got 'maybe'"});
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user }\n") ==
        std::vector<std::string>{"pb.yaml:10:14: error: idp.get_user needs 'id' or 'userName'"});
  CHECK(Errors("tasks:\n  a: { uses: manual.approve, with: { prompt: ok, approvers: \"{{ inputs.email }} x\" } }\n") ==
        std::vector<std::string>{
            "pb.yaml:10:61: error: argument 'approvers' must be a list, but this template renders text"});
}

TEST_CASE("templates: syntax errors point into the string", "[validate][expr]") {
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ inputs.email | lowr }}\" } }\n") ==
        std::vector<std::string>{"pb.yaml:10:59: error: unknown filter 'lowr' (did you mean 'lower'?)"});
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: {{ inputs.email }} } }\n").size() == 1);
  CHECK(Errors("tasks:\n  a:\n    uses: idp.get_user\n    with:\n      id: x-{{ inputs.emial }}\n") ==
        std::vector<std::string>{"pb.yaml:13:16: error: unknown input 'emial' (did you mean 'email'?)"});
}

TEST_CASE("a task may read only results of tasks upstream of it", "[validate]") {
  const std::string pb = R"(tasks:
  a: { uses: idp.get_user, with: { id: x } }
  b: { uses: idp.get_user, with: { id: "{{ tasks.a.result.id }}" } }
  c: { uses: idp.get_user, needs: d, with: { id: "{{ tasks.a.result.id }}" } }
  d: { uses: idp.get_user, needs: a, with: { id: "{{ tasks.d.result.id }}" } }
  e: { uses: idp.get_user, needs: a, with: { id: "{{ tasks.zz.result.id }} {{ tasks.a.reslt }}" } }
)";
  CHECK(Errors(pb) == std::vector<std::string>{
                          "pb.yaml:11:44: error: task 'b' reads tasks.a but does not need it: add 'a' to its needs, "
                          "so the result exists when it runs",
                          "pb.yaml:13:54: error: task 'd' cannot read its own result",
                          "pb.yaml:14:54: error: unknown task 'zz'",
                          "pb.yaml:14:79: error: after tasks.a comes 'result' or 'status', got 'reslt'",
                      });
}

TEST_CASE("item, index, result and vars are checked where they are used", "[validate]") {
  CHECK(Errors(R"(vars:
  a: "{{ vars.b }}"
  b: "{{ tasks.x.result }}"
tasks:
  x: { uses: idp.get_user, with: { id: "{{ item }}" } }
  y:
    uses: idp.get_user
    needs: x
    with: { id: "{{ result.id }}" }
)") == std::vector<std::string>{
             "pb.yaml:10:10: error: var 'b' is defined at or after this one; a var can read only the vars above it",
             "pb.yaml:11:10: error: vars cannot read task results (vars are resolved before the run starts)",
             "pb.yaml:13:44: error: 'item' exists only in the 'with' of a task with for_each",
             "pb.yaml:17:21: error: 'result' exists only in 'compensate' (the task's own result); use "
             "tasks.ID.result elsewhere",
         });
}

TEST_CASE("needs: unknown ids and cycles with their path", "[validate][graph]") {
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: x }, needs: bb }\n  b: { uses: idp.get_user, with: { id: x } }\n") ==
        std::vector<std::string>{"pb.yaml:10:52: error: unknown task 'bb' in needs"});
  CHECK(Errors(R"(tasks:
  a: { uses: idp.get_user, with: { id: x }, needs: c }
  b: { uses: idp.get_user, with: { id: x }, needs: a }
  c: { uses: idp.get_user, with: { id: x }, needs: b }
  d: { uses: idp.get_user, with: { id: x }, needs: d }
)") == std::vector<std::string>{"pb.yaml:10:3: error: task cycle: a -> b -> c -> a",
                                 "pb.yaml:13:3: error: task cycle: d -> d"});
}

TEST_CASE("connections: connector type, keys, required settings, secrets only by reference", "[validate]") {
  auto c = Check(R"(playbook: t
connections:
  a: { connector: scmi, base_url: x }
  b: { connector: scim, base_ur: x, token: "s3cr3t-Value" }
  c: { connector: slack, token: "${vault:x}" }
tasks:
  t: { uses: manual.task, with: { prompt: p } }
)");
  CHECK(c.Lines() == std::vector<std::string>{
                         "pb.yaml:3:19: error: unknown connector 'scmi' (did you mean 'scim'?); known: scim, http, "
                         "exec, slack, ldap, google, msgraph, smtp, manual, timer",
                         "pb.yaml:4:3: error: connection 'b' needs 'base_url' (the SCIM base URL, e.g. "
                         "https://idp.example.com/scim/v2)",
                         "pb.yaml:4:25: error: unknown key 'base_ur' for a scim connection (did you mean 'base_url'?)",
                         "pb.yaml:4:44: error: 'token' is a secret: write it as ${env:NAME} or ${file:PATH}, not as "
                         "text",
                         "pb.yaml:5:34: error: unknown secret reference '${vault:x}': use ${env:NAME} or ${file:PATH}; "
                         "for a literal ${ (a shell variable), write $${",
                     });
  for (const auto& line : c.Lines()) CHECK(line.find("s3cr3t") == std::string::npos);
}

TEST_CASE("the task graph orders tasks deterministically and answers ancestry", "[graph]") {
  auto c = Check(std::string(kHeader) + R"(tasks:
  d: { uses: idp.get_user, with: { id: x }, needs: [b, c] }
  c: { uses: idp.get_user, with: { id: x }, needs: a }
  b: { uses: idp.get_user, with: { id: x }, needs: a }
  a: { uses: idp.get_user, with: { id: x } }
  e: { uses: idp.get_user, with: { id: x } }
)");
  REQUIRE(c.graph);
  std::vector<std::string> order;
  for (TaskId t : c.graph->TopologicalOrder()) order.push_back(c.graph->Name(t));
  // Dependencies first; among ready tasks, document order.
  CHECK(order == std::vector<std::string>{"a", "c", "b", "d", "e"});
  const auto a = *c.graph->Find("a"), d = *c.graph->Find("d"), e = *c.graph->Find("e");
  CHECK(c.graph->IsUpstream(a, d));
  CHECK_FALSE(c.graph->IsUpstream(d, a));
  CHECK_FALSE(c.graph->IsUpstream(e, d));
  CHECK(c.graph->Depth(d) == 2);
}

TEST_CASE("carets count characters, not bytes, before a mistake", "[validate][diagnostic]") {
  auto c = Check(std::string(kHeader) + "tasks:\n  a: { uses: manual.task, with: { prompt: \"Zoë → {{ inputs.emial }}\" } }\n");
  REQUIRE(c.diags.items().size() == 1);
  const Diagnostic& d = c.diags.items()[0];
  CHECK(d.where.ToString() == "pb.yaml:10:53");  // 'Zoë → ' is 6 characters, 9 bytes
  AttachExcerpt(const_cast<Diagnostic&>(d), c.pb.sources[0].text);
  CHECK(Render(d) ==
        "pb.yaml:10:53: error: unknown input 'emial' (did you mean 'email'?)\n"
        "    a: { uses: manual.task, with: { prompt: \"Zoë → {{ inputs.emial }}\" } }\n" +
            std::string(2 + 52, ' ') + "^\n");
}

TEST_CASE("malformed secret references in task arguments are errors", "[validate]") {
  CHECK(Errors("tasks:\n  a: { uses: manual.task, with: { prompt: \"${vault:x}\" } }\n") ==
        std::vector<std::string>{
            "pb.yaml:10:44: error: unknown secret reference '${vault:x}': use ${env:NAME} or ${file:PATH}; for a "
            "literal ${ (a shell variable), write $${"});
}

TEST_CASE("$${ is a literal ${, not a secret reference", "[validate]") {
  // A shell variable in an exec argument: without the escape it is a malformed reference.
  CHECK(Errors("tasks:\n  a: { uses: manual.task, with: { prompt: \"echo ${HOME}\" } }\n") ==
        std::vector<std::string>{"pb.yaml:10:49: error: unknown secret reference '${HOME}': use ${env:NAME} or "
                                 "${file:PATH}; for a literal ${ (a shell variable), write $${"});
  CHECK(Errors("tasks:\n  a: { uses: manual.task, with: { prompt: \"echo $${HOME} {{ inputs.email }}\" } }\n").empty());

  auto refs = FindSecretRefs("a $${X} b ${env:Y} $$${Z} ${file:/k}");
  REQUIRE(refs.has_value());
  REQUIRE(refs->size() == 2);
  CHECK(refs->at(0).name == "Y");
  CHECK(refs->at(0).offset == 10);
  CHECK(refs->at(1).kind == SecretRef::Kind::kFile);
  CHECK(refs->at(1).name == "/k");
  CHECK(UnescapeSecretText("a $${X} b ${env:Y} $$${Z}") == "a ${X} b ${env:Y} $${Z}");
  CHECK(UnescapeSecretText("$$ $ {} $${") == "$$ $ {} ${");
  CHECK_FALSE(MentionsSecret("sh -c 'echo $${HOME}'"));
  CHECK(MentionsSecret("$${a} ${env:B}"));
  CHECK_FALSE(FindSecretRefs("${HOME}").has_value());
}
