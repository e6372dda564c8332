// history.last: parsing, evaluation against a frozen `history` root, static checks at their
// column, the lookups a run reads when it starts, and the `mandatory` filter.
#include <catch2/catch.hpp>

#include "tests/support/playbook_fixture.h"
#include "workflows/expr.h"
#include "workflows/history.h"

using namespace tenure;
using namespace tenure::workflows;
using tenure::testing::Check;
using tenure::testing::kHeader;

namespace {

// A `history` root holding one offboarding of E1 and "none" for E2.
MapScope HistoryScope() {
  Map group;
  group.Set("id", "g1");
  group.Set("displayName", "sales");
  Map groups_result;
  groups_result.Set("groups", List{Value(group)});
  Map remove;
  remove.Set("status", "succeeded");
  remove.Set("result", groups_result);
  Map tasks;
  tasks.Set("remove_groups", remove);
  Map run;
  run.Set("id", "r1");
  run.Set("status", "succeeded");
  run.Set("key", "E1");
  run.Set("tasks", tasks);
  Map history;
  SetHistory(history, HistoryKey{"offboarding", "E1"}, Value(run));
  SetHistory(history, HistoryKey{"offboarding", "E2"}, Value());
  SetHistory(history, HistoryKey{"offboarding", "7"}, Value(run));
  Map inputs;
  inputs.Set("id", "E1");
  inputs.Set("other", "E2");
  inputs.Set("number", 7);
  inputs.Set("missing", nullptr);
  Map roots;
  roots.Set("inputs", inputs);
  roots.Set("history", history);
  return MapScope(std::move(roots));
}

Result<Value> Eval(std::string_view text, const Scope& scope) {
  auto t = Template::Parse(text);
  INFO(text << " -> " << (t ? "" : t.error().message));
  REQUIRE(t.has_value());
  return t->Render(scope);
}

Error ParseError(std::string_view text) {
  auto t = Template::Parse(text);
  REQUIRE_FALSE(t.has_value());
  return t.error();
}

std::vector<std::string> Errors(const std::string& rest) { return Check(std::string(kHeader) + rest).Lines(); }

}  // namespace

TEST_CASE("history.last reads the frozen run by playbook and key, by name or position", "[history][expr]") {
  const MapScope scope = HistoryScope();
  CHECK(Eval("{{ history.last(playbook='offboarding', key=inputs.id).id }}", scope)->AsString() == "r1");
  CHECK(Eval("{{ history.last('offboarding', inputs.id).tasks.remove_groups.result.groups | map(attribute='id') }}",
             scope)
            ->ToJson() == "[\"g1\"]");
  CHECK(Eval("{{ history.last(key=inputs.id, playbook='offboarding').status }}", scope)->AsString() == "succeeded");
  CHECK(Eval("{{ history.last(playbook='offboarding', key=inputs.number).key }}", scope)->AsString() == "E1");
  CHECK(Eval("{{ history.last(playbook='offboarding', key=inputs.other) }}", scope)->IsNull());
  CHECK(Eval("{{ history.last(playbook='offboarding', key=inputs.other).tasks }}", scope)->IsNull());
}

TEST_CASE("history.last without the frozen root is known only when the run starts", "[history][expr]") {
  Map inputs;
  inputs.Set("id", "E1");
  Map roots;
  roots.Set("inputs", inputs);
  auto v = Eval("{{ history.last(playbook='offboarding', key=inputs.id) }}", MapScope(roots));
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().Is(Errc::kUnresolved));
  CHECK(v.error().message == "history.last(playbook='offboarding', key='E1') is read when the run starts");
  // A root that was frozen without this lookup: never guessed.
  auto other = Eval("{{ history.last(playbook='onboarding', key=inputs.id) }}", HistoryScope());
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().message == "history.last(playbook='onboarding', key='E1') was not read when the run started");
}

TEST_CASE("history.last refuses a null key or an empty playbook at the argument", "[history][expr]") {
  auto v = Eval("{{ history.last(playbook='offboarding', key=inputs.missing) }}", HistoryScope());
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().Is(Errc::kType));
  CHECK(v.error().message == "history.last: 'key' must be a run key (a string or a whole number), got null");
  CHECK(v.error().offset == 44);
  auto p = Eval("{{ history.last('', inputs.id) }}", HistoryScope());
  REQUIRE_FALSE(p.has_value());
  CHECK(p.error().message == "history.last: 'playbook' must be a playbook's name, got an empty string");
  CHECK(p.error().offset == 16);
}

TEST_CASE("history.last syntax errors name the problem at its offset", "[history][expr]") {
  Error e = ParseError("{{ history.last(playbook='p', keys=inputs.id) }}");
  CHECK(e.message == "history.last has no argument 'keys' (did you mean 'key'?); its arguments: playbook, key");
  CHECK(e.offset == 30);
  e = ParseError("{{ history.last(playbook='p') }}");
  CHECK(e.message == "history.last needs argument 'key' (history.last(playbook=..., key=...))");
  CHECK(e.offset == 11);
  e = ParseError("{{ history.last('p', 'k', 'x') }}");
  CHECK(e.message == "history.last takes 2 arguments (playbook, key), got more");
  CHECK(e.offset == 26);
  e = ParseError("{{ history.last(key='a', key='b') }}");
  CHECK(e.message == "argument 'key' of history.last is given twice");
  CHECK(e.offset == 25);
  e = ParseError("{{ history.last(playbook='p', 'k') }}");
  CHECK(e.message == "a positional argument cannot follow a named one in history.last");
  e = ParseError("{{ history.lats(playbook='p', key='k') }}");
  CHECK(e.message == "history has no function 'lats' (did you mean 'last'?); it has last(playbook=..., key=...)");
  CHECK(e.offset == 11);
  e = ParseError("{{ history }}");
  CHECK(e.message == "'history' is read with history.last(playbook=..., key=...), got '}}'");
  e = ParseError("{{ histroy.last('p', 'k') }}");
  CHECK(e.message == "unknown name 'histroy' (did you mean 'history'?)");
}

TEST_CASE("validate: history.last arguments come from inputs alone, typed, at their column", "[history][validate]") {
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ history.last('p', run.id).id }}\" } }\n") ==
        std::vector<std::string>{"pb.yaml:10:62: error: history.last is read when the run starts, so its arguments may "
                                 "use inputs and literals only, not 'run'"});
  CHECK(Errors("vars:\n  v: \"{{ inputs.email }}\"\ntasks:\n  a: { uses: idp.get_user, with: { id: \"{{ history.last('p', "
               "vars.v).id }}\" } }\n") ==
        std::vector<std::string>{"pb.yaml:12:62: error: history.last is read when the run starts, so its arguments may "
                                 "use inputs and literals only, not 'vars'"});
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ history.last('p', inputs.groups).id }}\" } }\n") ==
        std::vector<std::string>{
            "pb.yaml:10:62: error: history.last expects a string or a whole number as 'key', got list"});
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ history.last('p', inputs.email).taks }}\" } }\n") ==
        std::vector<std::string>{"pb.yaml:10:76: error: this map has no key 'taks' (its keys: id, status, key, "
                                 "started_at, finished_at, inputs, tasks)"});
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ history.last(playbook='p') }}\" } }\n") ==
        std::vector<std::string>{
            "pb.yaml:10:52: error: history.last needs argument 'key' (history.last(playbook=..., key=...))"});
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ history.last('p', inputs.email, 1) }}\" } }\n") ==
        std::vector<std::string>{"pb.yaml:10:76: error: history.last takes 2 arguments (playbook, key), got more"});
  // Inputs and literals are fine, and so is what the result is used for.
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ history.last('p', inputs.email).tasks.x.result.id "
               "| default('none') }}\" } }\n")
            .empty());
}

TEST_CASE("the lookups a run reads when it starts: every call, evaluated from inputs, once", "[history]") {
  auto checked = Check(std::string(kHeader) +
                       "vars:\n"
                       "  last: \"{{ history.last(playbook='offboarding', key=inputs.email) }}\"\n"
                       "tasks:\n"
                       "  a:\n"
                       "    uses: idp.get_user\n"
                       "    when: \"{{ history.last('offboarding', inputs.email) != null }}\"\n"
                       "    with: { id: \"{{ history.last('mover', 'fixed').id | default('x') }}\" }\n");
  REQUIRE(checked.ok());
  CHECK(UsesHistory(checked.pb));
  Map inputs;
  inputs.Set("email", "jane@example.com");
  auto lookups = HistoryLookups(checked.pb, inputs);
  REQUIRE(lookups.has_value());
  CHECK(*lookups == std::vector<HistoryKey>{{"offboarding", "jane@example.com"}, {"mover", "fixed"}});
  CHECK(lookups->front().Describe() == "history.last(playbook='offboarding', key='jane@example.com')");
  // An optional input left out: the run cannot start; the message names the field.
  inputs.Set("email", nullptr);
  auto bad = HistoryLookups(checked.pb, inputs);
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message == "vars.last: history.last: 'key' must be a run key (a string or a whole number), got null");

  auto plain = Check(std::string(kHeader) + "tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ inputs.email }}\" } }\n");
  REQUIRE(plain.ok());
  CHECK_FALSE(UsesHistory(plain.pb));
}

TEST_CASE("mandatory: the value, or an error with the message when it is null", "[history][expr]") {
  const MapScope scope = HistoryScope();
  CHECK(Eval("{{ inputs.id | mandatory('needed') }}", scope)->AsString() == "E1");
  auto v = Eval("{{ history.last('offboarding', inputs.other) | mandatory('no earlier offboarding of ' + inputs.other) }}",
                scope);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().Is(Errc::kInvalidArgument));
  CHECK(v.error().message == "no earlier offboarding of E2");
  CHECK(Errors("tasks:\n  a: { uses: idp.get_user, with: { id: \"{{ inputs.email | mandatory(1) }}\" } }\n") ==
        std::vector<std::string>{"pb.yaml:10:69: error: filter 'mandatory' expects a string as argument 1, got int"});
}
