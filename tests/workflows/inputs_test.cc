#include <catch2/catch.hpp>

#include "tests/support/playbook_fixture.h"
#include "workflows/inputs.h"

using namespace tenure;
using namespace tenure::workflows;

namespace {

InputSpec Spec(std::string name, InputType type) {
  InputSpec s;
  s.name = std::move(name);
  s.type = type;
  return s;
}

SourceLocation At(int line) { return SourceLocation{"in.yaml", line, 8}; }

}  // namespace

TEST_CASE("input values are checked against their types", "[inputs]") {
  CHECK_FALSE(CheckInputValue(Spec("e", InputType::kEmail), Value("jane.doe@example.com")));
  CHECK(*CheckInputValue(Spec("e", InputType::kEmail), Value("jane")) == "expected an email address, got 'jane'");
  CHECK(*CheckInputValue(Spec("d", InputType::kDate), Value("2026-02-30")) == "expected a date as YYYY-MM-DD, got '2026-02-30'");
  CHECK_FALSE(CheckInputValue(Spec("d", InputType::kDate), Value("2028-02-29")));
  CHECK_FALSE(CheckInputValue(Spec("t", InputType::kDateTime), Value("2026-12-01T09:00:00+01:00")));
  CHECK_FALSE(CheckInputValue(Spec("t", InputType::kDateTime), Value("2026-12-01T09:00Z")));
  CHECK(CheckInputValue(Spec("t", InputType::kDateTime), Value("2026-12-01T09:00:00")));
  CHECK(*CheckInputValue(Spec("n", InputType::kInt), Value("3")) == "expected a whole number, got '3'");
  CHECK(*CheckInputValue(Spec("b", InputType::kBool), Value(1)) == "expected true or false, got int 1");
  InputSpec dept = Spec("dept", InputType::kEnum);
  dept.values = {"Engineering", "Sales"};
  CHECK(*CheckInputValue(dept, Value("engineering")) == "expected one of Engineering, Sales, got 'engineering'");
  InputSpec pattern = Spec("p", InputType::kString);
  pattern.pattern = "^[a-z]+$";
  CHECK(*CheckInputValue(pattern, Value("ab1")) == "does not match pattern '^[a-z]+$', got 'ab1'");
}

TEST_CASE("values given with --set are coerced to the input's type", "[inputs]") {
  CHECK(CoerceInput(Spec("n", InputType::kInt), "42") == Value(42));
  CHECK(CoerceInput(Spec("b", InputType::kBool), "true") == Value(true));
  CHECK(CoerceInput(Spec("l", InputType::kList), "[a, b]") == Value(List{Value("a"), Value("b")}));
  CHECK(CoerceInput(Spec("l", InputType::kList), "a,b") == Value(List{Value("a"), Value("b")}));
  CHECK(CoerceInput(Spec("s", InputType::kString), "007") == Value("007"));
}

TEST_CASE("a list input from --set takes what jq -c prints, items with commas included", "[inputs]") {
  const InputSpec groups = Spec("groups", InputType::kList);
  CHECK(CoerceInput(groups, R"(["everyone","support"])") == Value(List{Value("everyone"), Value("support")}));
  CHECK(CoerceInput(groups, R"(["Sales, EMEA","it"])") == Value(List{Value("Sales, EMEA"), Value("it")}));
  CHECK(CoerceInput(groups, R"([])") == Value(List{}));
  CHECK(CoerceInput(groups, "everyone, support") == Value(List{Value("everyone"), Value("support")}));
  // A broken list stays text, which the input's type check refuses with the text shown.
  const Value broken = CoerceInput(groups, R"(["everyone","support")");
  CHECK(broken == Value(R"(["everyone","support")"));
  CHECK(*CheckInputValue(groups, broken) == R"(expected a list, got '["everyone","support"')");
}

TEST_CASE("every bad input is reported at once, defaults and nulls fill the rest", "[inputs]") {
  std::vector<InputSpec> specs = {Spec("email", InputType::kEmail), Spec("start", InputType::kDate),
                                  Spec("manager", InputType::kEmail), Spec("count", InputType::kInt)};
  specs[2].required = false;
  specs[3].default_value = Value(5);
  specs[3].required = false;
  Diagnostics d;
  Map m = ResolveInputs(specs, {{"emali", Value("x@y.z"), At(1)}, {"start", Value("tomorrow"), At(2)}},
                        SourceLocation{"pb.yaml", 0, 0}, d);
  std::vector<std::string> lines;
  for (const auto& x : d.items()) lines.push_back(x.where.ToString() + ": " + x.message);
  CHECK(lines == std::vector<std::string>{
                     "in.yaml:1:8: unknown input 'emali' (did you mean 'email'?)",
                     "in.yaml:2:8: input 'start': expected a date as YYYY-MM-DD, got 'tomorrow'",
                     "pb.yaml: missing required input 'email' (email)",
                 });
  Diagnostics ok;
  Map good = ResolveInputs(specs, {{"email", Value("a@b.co"), At(1)}, {"start", Value("2026-12-01"), At(2)}},
                           SourceLocation{"pb.yaml", 0, 0}, ok);
  CHECK(!ok.HasErrors());
  CHECK(Value(good).ToJson() == R"({"email":"a@b.co","start":"2026-12-01","manager":null,"count":5})");
}
