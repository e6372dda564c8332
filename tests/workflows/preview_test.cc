#include <catch2/catch.hpp>

#include "tests/support/playbook_fixture.h"
#include "workflows/graph_export.h"
#include "workflows/preview.h"

using namespace tenure;
using namespace tenure::workflows;
using tenure::testing::Check;
using tenure::testing::kHeader;

namespace {

const Value& Task(const Value& plan, std::size_t i) { return plan.AsMap().Find("tasks")->AsList()[i]; }

Map Inputs(std::string email) {
  Map m;
  m.Set("email", Value(std::move(email)));
  m.Set("first_name", Value("Zoë"));
  m.Set("groups", Value(List{Value("a"), Value("b")}));
  m.Set("manager", Value());
  return m;
}

}  // namespace

TEST_CASE("plan resolves what it can and marks the rest as known at run time", "[preview]") {
  auto c = Check(std::string(kHeader) + R"(vars:
  user: "{{ inputs.first_name | slug }}"
  stamp: "{{ now }}"
tasks:
  account:
    uses: idp.ensure_user
    with: { userName: "{{ inputs.email | upper }}", externalId: "{{ vars.user }}-{{ vars.stamp }}" }
  groups:
    needs: account
    for_each: "{{ inputs.groups }}"
    uses: idp.add_to_group
    with: { user_id: "{{ tasks.account.result.id }}", group: "g-{{ item }}-{{ index }}" }
  tell:
    when: "{{ inputs.manager != null }}"
    uses: manual.task
    with: { prompt: "tell {{ inputs.manager }}" }
)");
  REQUIRE(c.Lines().empty());
  Diagnostics d;
  const Value plan = Preview(c.pb, *c.graph, Inputs("jo@example.com"), d);
  REQUIRE(!d.HasErrors());
  CHECK(plan.AsMap().Find("vars")->ToJson() == R"({"user":"zoe","stamp":{"at_run_time":"{{ now }}"}})");
  CHECK(Task(plan, 0).AsMap().Find("with")->ToJson() ==
        R"({"userName":"JO@EXAMPLE.COM","externalId":{"at_run_time":"{{ vars.user }}-{{ vars.stamp }}"}})");
  const Value& fan = *Task(plan, 1).AsMap().Find("for_each");
  CHECK(fan.ToJson() ==
        R"({"count":2,"items":[{"item":"a","with":{"user_id":{"at_run_time":"{{ tasks.account.result.id }}"},"group":"g-a-0"}},)"
        R"({"item":"b","with":{"user_id":{"at_run_time":"{{ tasks.account.result.id }}"},"group":"g-b-1"}}]})");
  CHECK(Task(plan, 2).AsMap().Find("when")->ToJson() ==
        R"({"template":"{{ inputs.manager != null }}","value":false})");
  CHECK(plan.AsMap().Find("connections")->ToJson() ==
        R"([{"name":"idp","connector":"scim","config":{"base_url":"***","token":"***"}}])");
}

TEST_CASE("plan reports errors that only these inputs reveal", "[preview]") {
  auto c = Check(std::string(kHeader) + R"(tasks:
  a:
    for_each: "{{ inputs.first_name }}"
    uses: idp.get_user
    with: { id: "{{ (inputs.groups if true else 'x') | lower }}" }
)");
  REQUIRE(c.Lines().empty());
  Diagnostics d;
  Preview(c.pb, *c.graph, Inputs("jo@example.com"), d);
  std::vector<std::string> lines;
  for (const auto& x : d.items()) lines.push_back(x.where.ToString() + ": " + x.message);
  CHECK(lines == std::vector<std::string>{
                     "pb.yaml:11:15: for_each must yield a list, got string (with these inputs)",
                     "pb.yaml:13:17: filter 'lower' expects a string, got list (with these inputs)",
                 });
}

TEST_CASE("graph exports quote names and list every edge", "[graph]") {
  auto c = Check(std::string(kHeader) + R"(tasks:
  a: { uses: idp.get_user, with: { id: x } }
  b: { uses: idp.get_user, with: { id: x }, needs: a }
)");
  REQUIRE(c.graph);
  CHECK(GraphToDot(c.pb, *c.graph) ==
        "digraph \"test\" {\n  rankdir=LR;\n  node [shape=box];\n  \"a\" [label=\"a\nidp.get_user\"];\n"
        "  \"b\" [label=\"b\nidp.get_user\"];\n  \"a\" -> \"b\";\n}\n");
  CHECK(GraphToMermaid(c.pb, *c.graph) ==
        "flowchart TD\n  t0[\"a<br/>idp.get_user\"]\n  t1[\"b<br/>idp.get_user\"]\n  t0 --> t1\n");
  CHECK(GraphToText(c.pb, *c.graph) == "test: 2 tasks\n  0  a  idp.get_user\n  1  b  idp.get_user  <- a\n");
}

TEST_CASE("plan runs the run's argument checks on every call whose arguments are known", "[preview]") {
  auto c = Check(std::string(kHeader) + R"(tasks:
  known:
    uses: timer.wait
    with: { for: "{{ inputs.first_name }}" }
  skipped:
    when: "{{ inputs.manager != null }}"
    uses: timer.wait
    with: { for: "{{ inputs.first_name }}" }
  later:
    needs: known
    uses: timer.wait
    with: { for: "{{ tasks.known.result.fired_at }}" }
  fanned:
    for_each: "{{ inputs.groups }}"
    uses: timer.wait
    with: { for: "{{ item }}" }
)");
  REQUIRE(c.ok());
  std::vector<std::string> seen;
  PreviewOptions options;
  options.check = [&seen](std::string_view connector, std::string_view action, const Value& args,
                          const std::string& path) -> std::optional<ArgProblem> {
    seen.push_back(std::string(connector) + "." + std::string(action) + " " + path + " " + args.ToJson());
    return ArgProblem{"for", "timer.wait: `for` refused"};
  };
  Diagnostics d;
  Preview(c.pb, *c.graph, Inputs("a@b.co"), d, options);
  // `skipped` will not run (its `when` is false), `later` is known only at run time.
  CHECK(seen == std::vector<std::string>{
                    R"(timer.wait tasks.known.with {"for":"Zoë"})",
                    R"(timer.wait tasks.fanned.with {"for":"a"})",
                    R"(timer.wait tasks.fanned.with {"for":"b"})",
                });
  std::vector<std::string> lines;
  for (const Diagnostic& x : d.items()) lines.push_back(x.where.ToString() + " " + x.path + ": " + x.message);
  CHECK(lines == std::vector<std::string>{
                     "pb.yaml:12:18 tasks.known.with.for: timer.wait: `for` refused",
                     "pb.yaml:24:18 tasks.fanned.with.for: timer.wait: `for` refused",
                     "pb.yaml:24:18 tasks.fanned.with.for: timer.wait: `for` refused",
                 });
}
