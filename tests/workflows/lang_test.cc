// The language a real checklist needs (issue 13): the conditional, short-circuit laziness, list
// and map filters with named arguments, dates, calendars and durations, static type checks at
// their columns, and the richer input types.
#include <catch2/catch.hpp>

#include "tests/support/playbook_fixture.h"
#include "workflows/expr.h"
#include "workflows/inputs.h"

using namespace tenure;
using namespace tenure::workflows;
using tenure::testing::Check;

namespace {

MapScope Scope() {
  Map alice;
  alice.Set("name", "alice");
  alice.Set("dept", "Sales");
  alice.Set("age", 40);
  Map bob;
  bob.Set("name", "bob");
  bob.Set("dept", "Eng");
  bob.Set("age", 30);
  Map carol;
  carol.Set("name", "carol");
  carol.Set("dept", "Sales");
  carol.Set("age", 35);
  carol.Set("active", true);
  Map fr;
  fr.Set("weekends", List{Value("Sat"), Value("Sun")});
  fr.Set("holidays", List{Value("2026-12-25"), Value("2027-01-01")});
  Map calendars;
  calendars.Set("fr", fr);
  Map inputs;
  inputs.Set("old", List{Value("everyone"), Value("sales"), Value("emea")});
  inputs.Set("new", List{Value("everyone"), Value("eng"), Value("emea"), Value("eng")});
  inputs.Set("people", List{Value(alice), Value(bob), Value(carol)});
  inputs.Set("last_day", "2026-12-04");  // a Friday
  inputs.Set("tags", List{Value("a")});
  Map roots;
  roots.Set("inputs", inputs);
  roots.Set("calendars", calendars);
  return MapScope(std::move(roots));
}

Value Render(std::string_view text) {
  auto t = Template::Parse(text);
  INFO(text << " -> " << (t ? "" : t.error().message));
  REQUIRE(t.has_value());
  auto v = t->Render(Scope());
  INFO(text << " -> " << (v ? "" : v.error().message));
  REQUIRE(v.has_value());
  return *v;
}

std::string Json(std::string_view text) { return Render(text).ToJson(); }

Error Failure(std::string_view text) {
  auto t = Template::Parse(text);
  if (!t) return t.error();
  auto v = t->Render(Scope());
  INFO(text);
  REQUIRE_FALSE(v.has_value());
  return v.error();
}

std::vector<std::string> Errors(const std::string& yaml) { return Check(yaml).Lines(); }

const char* kPb = R"(playbook: t
inputs:
  email: { type: email }
  groups: { type: list, items: string }
  count: { type: int }
  manager: { type: map, keys: { email: email, name: { type: string, required: false } } }
  notice: { type: duration, default: 4w }
  zone: { type: time_zone, default: Europe/Paris }
connections:
  idp: { connector: scim, base_url: "${env:SCIM_URL}", token: "${env:SCIM_TOKEN}" }
)";

}  // namespace

TEST_CASE("the conditional yields one branch and evaluates only that one", "[lang]") {
  CHECK(Render("{{ '12:00' if (inputs.last_day | weekday) == 'Fri' else '16:00' }}") == Value("12:00"));
  CHECK(Render("{{ '12:00' if (inputs.last_day | weekday) == 'Mon' else '16:00' }}") == Value("16:00"));
  CHECK(Render("{{ 1 if false else 2 if true else 3 }}") == Value(2));  // right-associative
  // The branch not taken would fail (a filter on the wrong kind): it is never evaluated.
  CHECK(Render("{{ 'ok' if true else (inputs.tags | lower) }}") == Value("ok"));
  CHECK(Render("{{ (inputs.tags | lower) if false else 'ok' }}") == Value("ok"));
  CHECK(Failure("{{ (inputs.tags | lower) if true else 'ok' }}").message == "filter 'lower' expects a string, got list");
  const Error missing_else = Failure("{{ 1 if true }}");
  CHECK(missing_else.message == "expected 'else' after the condition of 'if', got '}}'");
  CHECK(missing_else.offset == 13);
}

TEST_CASE("and/or never evaluate the operand not needed", "[lang]") {
  CHECK(Render("{{ false and (inputs.tags | lower) }}") == Value(false));
  CHECK(Render("{{ true or (inputs.tags | lower) }}") == Value(true));
  CHECK(Failure("{{ true and (inputs.tags | lower) }}").message == "filter 'lower' expects a string, got list");
}

TEST_CASE("difference, intersect, union, unique, contains", "[lang]") {
  CHECK(Json("{{ inputs.old | difference(inputs.new) }}") == R"(["sales"])");
  CHECK(Json("{{ inputs.new | difference(inputs.old) }}") == R"(["eng"])");  // without repeats
  CHECK(Json("{{ inputs.old | intersect(inputs.new) }}") == R"(["everyone","emea"])");
  CHECK(Json("{{ inputs.old | union(inputs.new) }}") == R"(["everyone","sales","emea","eng"])");
  CHECK(Json("{{ [1, 2.0, 3] | difference([2]) }}") == "[1,3]");
  CHECK(Render("{{ inputs.old | contains('emea') }}") == Value(true));
  CHECK(Render("{{ 'offboarding' | contains('board') }}") == Value(true));
  CHECK(Render("{{ inputs.people[0] | contains('dept') }}") == Value(true));
  CHECK(Failure("{{ inputs.old | difference('sales') }}").message == "filter 'difference' expects a list as argument 1, got string");
  CHECK(Failure("{{ 'x' | union([]) }}").message == "filter 'union' expects a list, got string");
}

TEST_CASE("select, reject and map by attribute or test, with named arguments", "[lang]") {
  CHECK(Json("{{ inputs.people | select('eq', 'Sales', attribute='dept') | map(attribute='name') }}") == R"(["alice","carol"])");
  CHECK(Json("{{ inputs.people | reject(attribute='dept', value='Sales', test='eq') | map(attribute='name') }}") == R"(["bob"])");
  CHECK(Json("{{ inputs.people | select(attribute='active') | map(attribute='name') }}") == R"(["carol"])");
  CHECK(Json("{{ inputs.people | select('ge', 35, attribute='age') | map(attribute='name') }}") == R"(["alice","carol"])");
  CHECK(Json("{{ inputs.old | reject('startswith', 'e') }}") == R"(["sales"])");
  CHECK(Json("{{ inputs.old | select('in', ['sales', 'emea']) }}") == R"(["sales","emea"])");
  CHECK(Json("{{ inputs.old | map('upper') }}") == R"(["EVERYONE","SALES","EMEA"])");
  CHECK(Json("{{ inputs.people | sort(attribute='age') | map(attribute='name') }}") == R"(["bob","carol","alice"])");
  CHECK(Json("{{ inputs.people | sort(attribute='name', reverse=true) | map(attribute='name') }}") == R"(["carol","bob","alice"])");
  CHECK(Json("{{ inputs.people | map(attribute='dept') | unique | sort }}") == R"(["Eng","Sales"])");
  CHECK(Failure("{{ inputs.old | select('equals', 'x') }}").message ==
        "filter 'select': unknown test 'equals'; tests: truthy, null, eq, ne, lt, le, gt, ge, in, contains, startswith, endswith");
  CHECK(Failure("{{ inputs.old | map }}").message ==
        "filter 'map' takes either a filter name (map('lower')) or an attribute (map(attribute='id'))");
  CHECK(Failure("{{ inputs.old | map(attribute='x') }}").message == "filter 'map' cannot read attribute 'x' of a string");
  const Error bad_name = Failure("{{ inputs.old | map(atribute='x') }}");
  CHECK(bad_name.message == "filter 'map' has no argument 'atribute' (did you mean 'attribute'?)");
  CHECK(bad_name.offset == 20);
  CHECK(Failure("{{ inputs.old | join(sep=',') }}").message == "filter 'join' has no argument 'sep' (it takes no named arguments)");
  CHECK(Failure("{{ inputs.old | select(test='eq', 'x') }}").message == "a positional argument cannot follow a named one in filter 'select'");
  CHECK(Failure("{{ inputs.old | select('eq', test='ne') }}").message == "argument 'test' of filter 'select' is given twice");
  CHECK(Failure("{{ a = 1 }}").message == "unexpected '=' (did you mean '=='?)");
}

TEST_CASE("keys, values, items, dict, length, first, last", "[lang]") {
  CHECK(Json("{{ inputs.people[0] | items }}") ==
        R"([{"key":"name","value":"alice"},{"key":"dept","value":"Sales"},{"key":"age","value":40}])");
  CHECK(Json("{{ inputs.people[0] | items | dict }}") == R"({"name":"alice","dept":"Sales","age":40})");
  CHECK(Json("{{ [['a', 1], ['b', 2]] | dict }}") == R"({"a":1,"b":2})");
  CHECK(Json("{{ inputs.people[1] | keys }}") == R"(["name","dept","age"])");
  CHECK(Render("{{ inputs.people | length }}") == Value(3));
  CHECK(Render("{{ (inputs.people | last).name }}") == Value("carol"));
  CHECK(Failure("{{ [1, 2] | dict }}").message == "filter 'dict' expects [key, value] pairs or {key, value} maps with string keys, got 1");
}

TEST_CASE("dates: date, datetime, weekday, comparisons, formatting", "[lang]") {
  CHECK(Render("{{ inputs.last_day | weekday }}") == Value("Fri"));
  CHECK(Render("{{ '2026-12-04T23:30:00-02:00' | date }}") == Value("2026-12-04"));
  CHECK(Render("{{ '2026-12-04T23:30:00-02:00' | datetime }}") == Value("2026-12-05T01:30:00Z"));
  CHECK(Render("{{ inputs.last_day | datetime }}") == Value("2026-12-04T00:00:00Z"));
  CHECK(Render("{{ inputs.last_day < '2026-12-10' }}") == Value(true));
  CHECK(Render("{{ ('2026-12-04T10:00:00+02:00' | datetime) < ('2026-12-04T09:00:00Z' | datetime) }}") == Value(true));
  CHECK(Render("{{ inputs.last_day | format_date('%A %e %B') }}") == Value("Friday  4 December"));
  CHECK(Render("{{ inputs.last_day | days_until('2026-12-25') }}") == Value(21));
  CHECK(Failure("{{ '2026-02-30' | weekday }}").message ==
        "filter 'weekday' expects a date (YYYY-MM-DD) or RFC 3339 datetime, got '2026-02-30'");
}

TEST_CASE("working days skip weekends and the calendar's holidays", "[lang]") {
  CHECK(Render("{{ inputs.last_day | add_working_days(1) }}") == Value("2026-12-07"));  // Fri -> Mon
  CHECK(Render("{{ '2026-12-24' | add_working_days(1, calendars.fr) }}") == Value("2026-12-28"));
  CHECK(Render("{{ '2026-12-24' | add_working_days(5, calendar=calendars.fr) }}") == Value("2027-01-04"));
  CHECK(Render("{{ '2026-12-28' | add_working_days(-1, calendars.fr) }}") == Value("2026-12-24"));
  CHECK(Render("{{ '2026-12-25' | add_working_days(0, calendars.fr) }}") == Value("2026-12-28"));
  CHECK(Render("{{ '2026-12-25' | is_working_day(calendars.fr) }}") == Value(false));
  CHECK(Render("{{ '2026-12-05T16:00:00Z' | add_working_days(1) }}") == Value("2026-12-08T16:00:00Z"));
  CHECK(Failure("{{ inputs.last_day | add_working_days(1, 'fr') }}").message ==
        "filter 'add_working_days' expects a calendar (a map with weekends and holidays) as argument 2, got string");
}

TEST_CASE("durations are values: 4w, 90d, 36h", "[lang]") {
  CHECK(Render("{{ 4w }}") == Value("4w"));
  CHECK(Render("{{ 4w | days }}") == Value(28));
  CHECK(Render("{{ 36h | days }}") == Value(1.5));
  CHECK(Render("{{ 1h30m | seconds }}") == Value(5400));
  CHECK(Render("{{ 90d | duration }}") == Value("90d"));
  CHECK(Render("{{ (4w | days) > (20d | days) }}") == Value(true));
  CHECK(Render("{{ inputs.last_day | add(4w) }}") == Value("2027-01-01"));
  CHECK(Render("{{ inputs.last_day | subtract(90d) }}") == Value("2026-09-05"));
  CHECK(Render("{{ '2026-12-04T20:00:00+01:00' | add(36h) }}") == Value("2026-12-06T08:00:00+01:00"));
  CHECK(Render("{{ '2026-12-04T20:00:00Z' | add('30m') }}") == Value("2026-12-04T20:30:00Z"));
  CHECK(Failure("{{ inputs.last_day | add(36h) }}").message == "filter 'add': a date moves by whole days; 1d12h is not (use a datetime)");
  const Error bad = Failure("{{ 4x }}");
  CHECK(bad.message == "invalid duration '4x': a number and a unit (ms, s, m, h, d, w), like 36h, 90d, 4w or 1h30m");
  CHECK(bad.offset == 3);
}

TEST_CASE("run-time errors carry the column of the filter or operator", "[lang]") {
  CHECK(Failure("{{ inputs.old | lower }}").offset == 16);
  CHECK(Failure("{{ 1 + 'a' }}").offset == 7);
  CHECK(Failure("{{ inputs.last_day.x }}").offset == 19);
}

TEST_CASE("validate reports type errors statically, each at its column", "[lang][validate]") {
  CHECK(Errors(std::string(kPb) + R"(tasks:
  a: { uses: idp.get_user, with: { id: "{{ inputs.groups | lower }}" } }
  b: { uses: idp.get_user, with: { id: "{{ inputs.email | difference(inputs.groups) }}" } }
  c: { uses: idp.get_user, with: { id: "{{ inputs.groups | difference(inputs.email) }}" } }
  d: { uses: idp.get_user, with: { id: "{{ inputs.count + 'x' }}" } }
  e: { uses: idp.get_user, with: { id: "{{ inputs.manager.mail }}" } }
  f: { uses: idp.get_user, with: { id: "{{ inputs.email.domain }}" } }
  g: { uses: idp.get_user, with: { id: "{{ (inputs.groups | first) | upper }} {{ inputs.groups | length }}" } }
  h: { uses: idp.get_user, with: { id: "{{ 'a' if inputs.count > 'b' else 'c' }}" } }
)") == std::vector<std::string>{
            "pb.yaml:12:60: error: filter 'lower' expects a string, got list",
            "pb.yaml:13:59: error: filter 'difference' expects a list, got string",
            "pb.yaml:14:71: error: filter 'difference' expects a list as argument 1, got string",
            "pb.yaml:15:59: error: operator '+' cannot add int and string",
            "pb.yaml:16:59: error: this map has no key 'mail' (its keys: email, name)",
            "pb.yaml:17:57: error: cannot read 'domain' of a string",
            "pb.yaml:19:51: error: cannot compare int with string using '>'",
        });
}

TEST_CASE("static types flow through vars and for_each items", "[lang][validate]") {
  CHECK(Errors(std::string(kPb) + R"(vars:
  removed: "{{ inputs.groups | difference(['everyone']) }}"
  n: "{{ vars.removed | length }}"
tasks:
  a:
    for_each: "{{ vars.removed }}"
    uses: idp.get_user
    with: { id: "{{ item | keys }}" }
  b: { uses: idp.get_user, with: { id: "{{ vars.n | upper }}" } }
)") == std::vector<std::string>{
            "pb.yaml:18:28: error: filter 'keys' expects a map, got string",
            "pb.yaml:19:53: error: filter 'upper' expects a string, got int",
        });
}

TEST_CASE("inputs: duration, time_zone, map with keys, list with item types", "[lang][inputs]") {
  auto checked = Check(std::string(kPb) + "tasks:\n  a: { uses: idp.get_user, with: { id: x } }\n");
  REQUIRE(checked.Lines().empty());
  const auto& ins = checked.pb.inputs;
  const InputSpec& groups = ins[1];
  const InputSpec& manager = ins[3];
  const InputSpec& notice = ins[4];
  const InputSpec& zone = ins[5];
  CHECK(CheckInputValue(groups, Value(List{Value("a"), Value(1)})) == "item 1: expected string text, got int 1");
  CHECK(CheckInputValue(groups, Value(List{Value("a")})) == std::nullopt);
  Map m;
  m.Set("email", "x@example.com");
  CHECK(CheckInputValue(manager, Value(m)) == std::nullopt);
  m.Set("emial", "y");
  CHECK(CheckInputValue(manager, Value(m)) == "unknown key 'emial' (did you mean 'email'?) (keys: email, name)");
  Map no_email;
  no_email.Set("name", "Bo");
  CHECK(CheckInputValue(manager, Value(no_email)) == "missing key 'email' (email)");
  Map bad_email;
  bad_email.Set("email", "bo");
  CHECK(CheckInputValue(manager, Value(bad_email)) == "key 'email': expected an email address, got 'bo'");
  CHECK(CheckInputValue(notice, Value("90d")) == std::nullopt);
  CHECK(CheckInputValue(notice, Value("soon")) == "expected a duration like 90d, 4w or 36h, got 'soon'");
  CHECK(CheckInputValue(zone, Value("Europe/Paris")) == std::nullopt);
  CHECK(CheckInputValue(zone, Value("Paris time")) == "expected an IANA time zone name like Europe/Paris, got 'Paris time'");
  const TimeZoneCheck only_paris = [](std::string_view z) -> std::optional<std::string> {
    if (z == "Europe/Paris") return std::nullopt;
    return "unknown time zone '" + std::string(z) + "'";
  };
  CHECK(CheckInputValue(zone, Value("Europe/Pariss"), only_paris) == "unknown time zone 'Europe/Pariss'");
  CHECK(CoerceInput(manager, R"({"email":"a@b.co"})").ToJson() == R"({"email":"a@b.co"})");
}

TEST_CASE("input declarations: errors name the input and what was expected", "[lang][inputs]") {
  CHECK(Errors(R"(playbook: t
inputs:
  a: { type: map, keys: { email: email }, default: { email: nope } }
  b: { type: list, items: int, default: [1, x] }
  c: { type: duration, default: soon }
  d: { type: string, items: int }
  e: { type: time_zone, default: "Not a zone" }
tasks:
  x: { uses: timer.wait, with: { for: 1s } }
)") == std::vector<std::string>{
            "pb.yaml:3:52: error: default of input 'a': key 'email': expected an email address, got 'nope'",
            "pb.yaml:4:41: error: default of input 'b': item 1: expected a whole number, got 'x'",
            "pb.yaml:5:33: error: default of input 'c': expected a duration like 90d, 4w or 36h, got 'soon'",
            "pb.yaml:6:29: error: 'items' is only for inputs of type list",
            "pb.yaml:7:34: error: default of input 'e': expected an IANA time zone name like Europe/Paris, got 'Not a zone'",
        });
}

TEST_CASE("calendars are declared and checked", "[lang][validate]") {
  CHECK(Errors(R"(playbook: t
calendars:
  fr: { weekends: [Sat, Sunday], holidays: [2026-12-25, 2026-13-01] }
  bad: { weekends: [Sam] }
tasks:
  x: { uses: timer.wait, with: { until: "{{ '2026-12-24' | add_working_days(1, calendars.fr) }}T09:00:00Z" } }
)") == std::vector<std::string>{
            "pb.yaml:3:57: error: holiday '2026-13-01' is not a date (YYYY-MM-DD)",
            "pb.yaml:4:21: error: 'Sam' is not a day name (Mon .. Sun or Monday .. Sunday) (did you mean 'Sat'?)",
        });
}
