#include "workflows/expr.h"
#include "workflows/filters.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace Catch {
template <>
struct StringMaker<tenure::Value> {
  static std::string convert(const tenure::Value& v) { return std::string(v.KindName()) + " " + v.ToJson(); }
};
}  // namespace Catch

namespace tenure::workflows {
namespace {

MapScope SampleScope() {
  Map manager;
  manager.Set("email", "boss@example.com");
  Map inputs;
  inputs.Set("first_name", "Jos\xC3\xA9");                  // José
  inputs.Set("last_name", "M\xC3\xBCller-L\xC3\xBC""denscheid");  // Müller-Lüdenscheid
  inputs.Set("start_date", "2026-01-05");
  inputs.Set("tags", List{Value("admin"), Value("dev"), Value("admin")});
  inputs.Set("count", 3);
  inputs.Set("ratio", 0.5);
  inputs.Set("optional", nullptr);
  inputs.Set("manager", manager);
  inputs.Set("empty", List{});
  Map result;
  result.Set("id", "u-42");
  Map account;
  account.Set("result", result);
  Map tasks;
  tasks.Set("account", account);
  Map vars;
  vars.Set("domain", "example.com");
  vars.Set("key", "count");
  vars.Set("i", 1);
  Map run;
  run.Set("id", "run-1");
  Map roots;
  roots.Set("inputs", inputs);
  roots.Set("vars", vars);
  roots.Set("tasks", tasks);
  roots.Set("item", "x");
  roots.Set("index", 2);
  roots.Set("run", run);
  roots.Set("now", "2026-01-05T09:00:00Z");
  return MapScope(std::move(roots));  // "result" is absent: kUnresolved
}

Value Render(std::string_view text) {
  auto t = Template::Parse(text);
  INFO(text << " -> " << (t ? "" : t.error().message));
  REQUIRE(t.has_value());
  auto v = t->Render(SampleScope());
  INFO(text << " -> " << (v ? "" : v.error().message));
  REQUIRE(v.has_value());
  return *v;
}

std::string Json(std::string_view text) { return Render(text).ToJson(); }

Error ParseError(std::string_view text) {
  auto t = Template::Parse(text);
  INFO(text);
  REQUIRE_FALSE(t.has_value());
  CHECK(t.error().Is(Errc::kParse));
  return t.error();
}

Error RenderError(std::string_view text, Errc code) {
  auto t = Template::Parse(text);
  INFO(text << " -> " << (t ? "" : t.error().message));
  REQUIRE(t.has_value());
  auto v = t->Render(SampleScope());
  INFO(text);
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().Is(code));
  return v.error();
}

std::string TypeError(std::string_view text) { return RenderError(text, Errc::kType).message; }
std::string ArgError(std::string_view text) { return RenderError(text, Errc::kInvalidArgument).message; }

TEST_CASE("literal text without expressions renders as is", "[expr]") {
  auto t = Template::Parse("plain } text }} with ${env:HOME}");
  REQUIRE(t.has_value());
  CHECK_FALSE(t->HasExpressions());
  CHECK_FALSE(t->IsSingleExpression());
  CHECK(t->Render(SampleScope()).value() == Value("plain } text }} with ${env:HOME}"));
  CHECK(Render("") == Value(""));
}

TEST_CASE("a single expression renders typed, anything else renders text", "[expr]") {
  CHECK(Json("{{ inputs.tags }}") == R"(["admin","dev","admin"])");
  CHECK(Json("  {{ inputs.count }}\n") == "3");
  CHECK(Render("{{ inputs.count }}").IsInt());
  CHECK(Render("{{ inputs.optional }}").IsNull());
  CHECK(Render("{{ inputs.manager }}").IsMap());
  CHECK(Render("{{ 1 == 1 }}") == Value(true));
  CHECK(Render("n={{ inputs.count }}") == Value("n=3"));
  CHECK(Render("{{ inputs.tags }}!") == Value(R"(["admin","dev","admin"]!)"));
  CHECK(Render("[{{ inputs.optional }}]") == Value("[]"));
  CHECK(Render("{{ true }}{{ 1 }}") == Value("true1"));
  CHECK(Render("{{ inputs.first_name }}.{{ vars.domain }}") == Value("Jos\xC3\xA9.example.com"));
  auto two = Template::Parse("{{ 1 }} {{ 2 }}");
  REQUIRE(two.has_value());
  CHECK(two->HasExpressions());
  CHECK_FALSE(two->IsSingleExpression());
  auto one = Template::Parse(" \t{{ 1 }}\n");
  REQUIRE(one.has_value());
  CHECK(one->IsSingleExpression());
  CHECK(one->text() == " \t{{ 1 }}\n");
}

TEST_CASE("literals", "[expr]") {
  CHECK(Render("{{ 42 }}") == Value(42));
  CHECK(Render("{{ -7 }}") == Value(-7));
  CHECK(Render("{{ 2.5 }}") == Value(2.5));
  CHECK(Render("{{ -2.5 }}") == Value(-2.5));
  CHECK(Render("{{ 9223372036854775807 }}") == Value(INT64_MAX));
  CHECK(Render(R"({{ 'it\'s' }})") == Value("it's"));
  CHECK(Render(R"({{ "say \"hi\"\n\t\\" }})") == Value("say \"hi\"\n\t\\"));
  CHECK(Render(R"({{ "}}" }})") == Value("}}"));
  CHECK(Render("{{ '{{' }}") == Value("{{"));
  CHECK(Render("{{ null }}").IsNull());
  CHECK(Render("{{ false }}") == Value(false));
  CHECK(Json("{{ [] }}") == "[]");
  CHECK(Json("{{ [1, 'a', [true, null]] }}") == R"([1,"a",[true,null]])");
}

TEST_CASE("member and index access with null semantics", "[expr]") {
  CHECK(Render("{{ tasks.account.result.id }}") == Value("u-42"));
  CHECK(Render("{{ inputs['count'] }}") == Value(3));
  CHECK(Render("{{ inputs[vars.key] }}") == Value(3));
  CHECK(Render("{{ inputs.tags[0] }}") == Value("admin"));
  CHECK(Render("{{ inputs.tags[vars.i] }}") == Value("dev"));
  CHECK(Render("{{ inputs.tags[-1] }}") == Value("admin"));
  CHECK(Render("{{ inputs.tags[-3] }}") == Value("admin"));
  CHECK(Render("{{ inputs.missing }}").IsNull());
  CHECK(Render("{{ inputs.missing.deeper[3] }}").IsNull());
  CHECK(Render("{{ inputs.optional.x }}").IsNull());
  CHECK(Render("{{ null[0] }}").IsNull());
  CHECK(Render("{{ run.id }}") == Value("run-1"));
  CHECK(Render("{{ item }}/{{ index }}") == Value("x/2"));
  CHECK(TypeError("{{ inputs.count.x }}") == "cannot read 'x' of a int");
  CHECK(TypeError("{{ inputs.first_name.x }}") == "cannot read 'x' of a string");
  CHECK(TypeError("{{ inputs.tags.x }}") == "cannot read 'x' of a list");
  CHECK(TypeError("{{ inputs.tags[3] }}") == "index 3 is out of range for a list of length 3");
  CHECK(TypeError("{{ inputs.tags[-4] }}") == "index -4 is out of range for a list of length 3");
  CHECK(TypeError("{{ inputs.tags['a'] }}") == "a list index must be an int, got string");
  CHECK(TypeError("{{ inputs[0] }}") == "a map key must be a string, got int");
  CHECK(TypeError("{{ item[0] }}") == "cannot index a string");
}

TEST_CASE("operators and precedence", "[expr]") {
  CHECK(Render("{{ 1 + 2 + 3 }}") == Value(6));
  CHECK(Render("{{ 1 + 0.5 }}") == Value(1.5));
  CHECK(Render("{{ 'a' + 'b' + item }}") == Value("abx"));
  CHECK(Json("{{ [1] + [2, 3] }}") == "[1,2,3]");
  CHECK(Render("{{ -inputs.count }}") == Value(-3));
  CHECK(Render("{{ -inputs.ratio }}") == Value(-0.5));
  CHECK(Render("{{ --1 }}") == Value(1));
  CHECK(Render("{{ 1 + 2 == 3 }}") == Value(true));
  CHECK(Render("{{ not 1 == 2 }}") == Value(true));
  CHECK(Render("{{ not true or true }}") == Value(true));    // (not true) or true
  CHECK(Render("{{ true or false and false }}") == Value(true));  // and binds tighter
  CHECK(Render("{{ (true or false) and false }}") == Value(false));
  CHECK(Render("{{ 'ab' | upper + 'c' }}") == Value("ABc"));  // filter binds tighter than +
  CHECK(Render("{{ ('ab' + 'c') | upper }}") == Value("ABC"));
  CHECK(Render("{{ inputs.tags | length > 2 }}") == Value(true));
  CHECK(Render("{{ inputs.tags | first | upper }}") == Value("ADMIN"));
  CHECK(TypeError("{{ 1 + 'a' }}") == "operator '+' cannot add int and string");
  CHECK(TypeError("{{ [1] + null }}") == "operator '+' cannot add list and null");
  CHECK(TypeError("{{ -item }}") == "operator '-' expects a number, got string");
  CHECK(ArgError("{{ 9223372036854775807 + 1 }}") == "integer overflow in '+'");
  CHECK(ArgError("{{ -(-9223372036854775807 + -1) }}") == "integer overflow in '-'");
}

TEST_CASE("unary minus applies to the filtered value", "[expr]") {
  // unary := "-" unary | filtered, so `-x | f` is `-(x | f)`.
  CHECK(TypeError("{{ -inputs.count | string }}") == "operator '-' expects a number, got string");
}

TEST_CASE("comparisons and membership", "[expr]") {
  CHECK(Render("{{ 2 < 10 }}") == Value(true));
  CHECK(Render("{{ 2 <= 2.0 }}") == Value(true));
  CHECK(Render("{{ 2 > 2 }}") == Value(false));
  CHECK(Render("{{ 3 >= 2.5 }}") == Value(true));
  CHECK(Render("{{ 'b' > 'a' }}") == Value(true));
  CHECK(Render("{{ 'B' < 'a' }}") == Value(true));  // byte order
  CHECK(Render("{{ 1 == 1.0 }}") == Value(true));
  CHECK(Render("{{ 1 == '1' }}") == Value(false));
  CHECK(Render("{{ 1 != '1' }}") == Value(true));
  CHECK(Render("{{ null == inputs.optional }}") == Value(true));
  CHECK(Render("{{ [1, 'a'] == [1, 'a'] }}") == Value(true));
  CHECK(Render("{{ 'dev' in inputs.tags }}") == Value(true));
  CHECK(Render("{{ 'ops' in inputs.tags }}") == Value(false));
  CHECK(Render("{{ 'ops' not in inputs.tags }}") == Value(true));
  CHECK(Render("{{ 'xam' in vars.domain }}") == Value(true));
  CHECK(Render("{{ 'example.org' in vars.domain }}") == Value(false));
  CHECK(Render("{{ 'count' in inputs }}") == Value(true));
  CHECK(Render("{{ 'nope' not in inputs }}") == Value(true));
  CHECK(Render("{{ 'x' in inputs.optional }}") == Value(false));
  CHECK(TypeError("{{ 'a' < 1 }}") == "cannot compare string with int using '<'");
  CHECK(TypeError("{{ null >= 1 }}") == "cannot compare null with int using '>='");
  CHECK(TypeError("{{ [1] < [2] }}") == "cannot compare list with list using '<'");
  CHECK(TypeError("{{ 1 in 2 }}") == "operator 'in' expects a list, string or map on the right, got int");
  CHECK(TypeError("{{ 1 in 'abc' }}") == "operator 'in' expects a string on the left when searching a string, got int");
  CHECK(TypeError("{{ 1 not in inputs }}") == "operator 'in' expects a string on the left when searching a map, got int");
}

TEST_CASE("and/or/not use truthiness and short-circuit", "[expr]") {
  CHECK(Render("{{ inputs.tags and inputs.count }}") == Value(true));
  CHECK(Render("{{ inputs.empty or '' or 0 }}") == Value(false));
  CHECK(Render("{{ not inputs.empty }}") == Value(true));
  CHECK(Render("{{ not not 'x' }}") == Value(true));
  // The unresolved or failing right-hand side is never evaluated.
  CHECK(Render("{{ false and result.x }}") == Value(false));
  CHECK(Render("{{ true or result.x }}") == Value(true));
  CHECK(Render("{{ inputs.optional and inputs.count.x }}") == Value(false));
  CHECK(RenderError("{{ true and result.x }}", Errc::kUnresolved).message == "'result' is known only at run time");
  CHECK(RenderError("{{ result.x or true }}", Errc::kUnresolved).message == "'result' is known only at run time");
}

TEST_CASE("unresolved roots propagate from anywhere in an expression", "[expr]") {
  for (std::string_view text : {"{{ result }}", "id: {{ result.id }}", "{{ result | default('x') }}",
                                "{{ 'a' + result }}", "{{ [1, result] }}", "{{ inputs[result] }}",
                                "{{ 'x' | replace(result, 'y') }}", "{{ not result }}", "{{ result == 1 }}"}) {
    INFO(text);
    CHECK(RenderError(text, Errc::kUnresolved).message == "'result' is known only at run time");
  }
}

TEST_CASE("a scope's kNotFound propagates", "[expr]") {
  struct NoTasks : Scope {
    Result<Value> Root(std::string_view name) const override {
      if (name == "tasks") return Error::NotFound("'tasks' is not available in inputs");
      return Value(1);
    }
  };
  auto t = Template::Parse("{{ vars + tasks.a }}");
  REQUIRE(t.has_value());
  auto v = t->Render(NoTasks());
  REQUIRE_FALSE(v.has_value());
  CHECK(v.error().Is(Errc::kNotFound));
  CHECK(v.error().message == "'tasks' is not available in inputs");
}

TEST_CASE("string filters", "[expr]") {
  CHECK(Render("{{ 'AbC \xC3\x89' | lower }}") == Value("abc \xC3\x89"));  // non-ASCII untouched
  CHECK(Render("{{ 'AbC \xC3\xA9' | upper }}") == Value("ABC \xC3\xA9"));
  CHECK(Render("{{ '  a b \n\t' | trim }}") == Value("a b"));
  CHECK(Render("{{ 'hELLO world' | capitalize }}") == Value("Hello world"));
  CHECK(Render("{{ \"hELLO o'neil-smith x2y\" | title }}") == Value("Hello O'neil-Smith X2y"));
  CHECK(Render("{{ 'a.b.c' | replace('.', '::') }}") == Value("a::b::c"));
  CHECK(Render("{{ 'aaaa' | replace('aa', 'b') }}") == Value("bb"));
  CHECK(Render("{{ 'abc' | replace('x', 'y') }}") == Value("abc"));
  CHECK(Render("{{ 'a-b' | replace('-', '') }}") == Value("ab"));
  CHECK(Render("{{ 'a b/c?d=é~_.-' | urlencode }}") == Value("a%20b%2Fc%3Fd%3D%C3%A9~_.-"));
  CHECK(Render("{{ 42 | urlencode }}") == Value("42"));
  // Slack's three escapes, nothing else (an input cannot ping a channel or forge a link).
  CHECK(Render("{{ '<!channel> & <@U1|boss> <https://x|y>' | slack_escape }}") ==
        Value("&lt;!channel&gt; &amp; &lt;@U1|boss&gt; &lt;https://x|y&gt;"));
  CHECK(Render("{{ 'José *bold* _it_ ~s~ `c`' | slack_escape }}") == Value("José *bold* _it_ ~s~ `c`"));
  CHECK(Render("{{ 7 | slack_escape }}") == Value("7"));
  CHECK(Render("{{ inputs.count | string }}") == Value("3"));
  CHECK(Render("{{ inputs.tags | string }}") == Value(R"(["admin","dev","admin"])"));
  CHECK(Render("{{ inputs.optional | string }}") == Value(""));
  CHECK(TypeError("{{ inputs.tags | lower }}") == "filter 'lower' expects a string, got list");
  CHECK(TypeError("{{ 1 | upper }}") == "filter 'upper' expects a string, got int");
  CHECK(TypeError("{{ null | trim }}") == "filter 'trim' expects a string, got null");
  CHECK(TypeError("{{ [] | capitalize }}") == "filter 'capitalize' expects a string, got list");
  CHECK(TypeError("{{ true | title }}") == "filter 'title' expects a string, got bool");
  CHECK(TypeError("{{ 1 | replace('a', 'b') }}") == "filter 'replace' expects a string, got int");
  CHECK(TypeError("{{ 'a' | replace(1, 'b') }}") == "filter 'replace' expects a string as argument 1, got int");
  CHECK(TypeError("{{ 'a' | replace('a', null) }}") == "filter 'replace' expects a string as argument 2, got null");
  CHECK(ArgError("{{ 'a' | replace('', 'b') }}") == "filter 'replace' needs a non-empty string to replace");
  CHECK(TypeError("{{ [] | urlencode }}") == "filter 'urlencode' expects a string, got list");
  CHECK(TypeError("{{ [] | slack_escape }}") == "filter 'slack_escape' expects a string, got list");
}

TEST_CASE("slug", "[expr]") {
  CHECK(Render("{{ inputs.first_name + ' ' + inputs.last_name | slug }}") == Value("Jos\xC3\xA9 muller-ludenscheid"));
  CHECK(Render("{{ (inputs.first_name + ' ' + inputs.last_name) | slug }}") == Value("jose-muller-ludenscheid"));
  CHECK(Render("{{ '  --Hello,   World!--  ' | slug }}") == Value("hello-world"));
  CHECK(Render("{{ 'Stra\xC3\x9F" "e \xC3\x98" "re \xC3\x85se \xC3\x87" "a \xC3\x91o' | slug }}") == Value("strasse-ore-ase-ca-no"));
  CHECK(Render("{{ '\xC5\x81\xC3\xB3""d\xC5\xBA \xC5\x92uvre \xC3\x86sir' | slug }}") == Value("lodz-oeuvre-aesir"));
  CHECK(Render("{{ 'a\xE2\x82\xAC" "b \xF0\x9F\x98\x80 c' | slug }}") == Value("a-b-c"));  // € and emoji separate
  CHECK(Render("{{ 'user_01' | slug }}") == Value("user-01"));
  CHECK(Render("{{ '!!!' | slug }}") == Value(""));
  CHECK(Render("{{ '\xC3' | slug }}") == Value(""));  // truncated UTF-8
  CHECK(TypeError("{{ 5 | slug }}") == "filter 'slug' expects a string, got int");
}

TEST_CASE("default", "[expr]") {
  CHECK(Render("{{ inputs.optional | default('n/a') }}") == Value("n/a"));
  CHECK(Render("{{ inputs.missing.deep | default(7) }}") == Value(7));
  CHECK(Render("{{ inputs.count | default(7) }}") == Value(3));
  CHECK(Render("{{ '' | default('x') }}") == Value(""));  // only null is replaced
  CHECK(Render("{{ false | default(true) }}") == Value(false));
}

TEST_CASE("list and map filters", "[expr]") {
  CHECK(Render("{{ inputs.tags | join }}") == Value("admin,dev,admin"));
  CHECK(Render("{{ inputs.tags | join(' | ') }}") == Value("admin | dev | admin"));
  CHECK(Render("{{ [1, null, 'a', [2]] | join('/') }}") == Value("1//a/[2]"));
  CHECK(Render("{{ [] | join }}") == Value(""));
  CHECK(Json("{{ 'a,b,,c' | split(',') }}") == R"(["a","b","","c"])");
  CHECK(Json("{{ 'a--b' | split('--') }}") == R"(["a","b"])");
  CHECK(Json("{{ '' | split(',') }}") == R"([""])");
  CHECK(Render("{{ inputs.first_name | length }}") == Value(4));  // code points, not bytes
  CHECK(Render("{{ inputs.tags | length }}") == Value(3));
  CHECK(Render("{{ inputs.manager | length }}") == Value(1));
  CHECK(Render("{{ inputs.tags | first }}") == Value("admin"));
  CHECK(Render("{{ [1, 2] | last }}") == Value(2));
  CHECK(Render("{{ inputs.empty | first }}").IsNull());
  CHECK(Render("{{ [] | last }}").IsNull());
  CHECK(Json("{{ inputs.manager | keys }}") == R"(["email"])");
  CHECK(Json("{{ inputs.manager | values }}") == R"(["boss@example.com"])");
  CHECK(Json("{{ inputs.tags | unique }}") == R"(["admin","dev"])");
  CHECK(Json("{{ [1, 1.0, '1', 2, [1], [1]] | unique }}") == R"([1,"1",2,[1]])");
  CHECK(Json("{{ inputs.tags | sort }}") == R"(["admin","admin","dev"])");
  CHECK(Json("{{ [3, 1.5, -2] | sort }}") == R"([-2,1.5,3])");
  CHECK(TypeError("{{ 'a' | join }}") == "filter 'join' expects a list, got string");
  CHECK(TypeError("{{ [] | join(1) }}") == "filter 'join' expects a string as argument 1, got int");
  CHECK(TypeError("{{ [] | split(',') }}") == "filter 'split' expects a string, got list");
  CHECK(TypeError("{{ 'a' | split(1) }}") == "filter 'split' expects a string as argument 1, got int");
  CHECK(ArgError("{{ 'a' | split('') }}") == "filter 'split' needs a non-empty separator");
  CHECK(TypeError("{{ 1 | length }}") == "filter 'length' expects a string, list or map, got int");
  CHECK(TypeError("{{ 'ab' | first }}") == "filter 'first' expects a list, got string");
  CHECK(TypeError("{{ 1 | last }}") == "filter 'last' expects a list, got int");
  CHECK(TypeError("{{ inputs.tags | keys }}") == "filter 'keys' expects a map, got list");
  CHECK(TypeError("{{ 'a' | values }}") == "filter 'values' expects a map, got string");
  CHECK(TypeError("{{ inputs | unique }}") == "filter 'unique' expects a list, got map");
  CHECK(TypeError("{{ null | sort }}") == "filter 'sort' expects a list, got null");
  CHECK(TypeError("{{ [1, 'a'] | sort }}") == "filter 'sort' expects a list of numbers or a list of strings");
}

TEST_CASE("json and int", "[expr]") {
  CHECK(Render("{{ inputs.manager | json }}") == Value(R"({"email":"boss@example.com"})"));
  CHECK(Render("{{ ['a', 1, null, true] | json }}") == Value(R"(["a",1,null,true])"));
  CHECK(Render("{{ 'say \"hi\"' | json }}") == Value(R"("say \"hi\"")"));
  CHECK(Render("{{ null | json }}") == Value("null"));
  CHECK(Render("{{ ' 42 ' | int }}") == Value(42));
  CHECK(Render("{{ '-7' | int + 1 }}") == Value(-6));
  CHECK(Render("{{ 2.9 | int }}") == Value(2));
  CHECK(Render("{{ true | int }}") == Value(1));
  CHECK(ArgError("{{ '4x' | int }}") == "filter 'int' cannot convert '4x' to an int");
  CHECK(ArgError("{{ '' | int }}") == "filter 'int' cannot convert '' to an int");
  CHECK(TypeError("{{ [] | int }}") == "filter 'int' expects a string or number, got list");
}

TEST_CASE("add_days", "[expr]") {
  CHECK(Render("{{ inputs.start_date | add_days(30) }}") == Value("2026-02-04"));
  CHECK(Render("{{ '2024-02-28' | add_days(1) }}") == Value("2024-02-29"));  // leap year
  CHECK(Render("{{ '2025-02-28' | add_days(1) }}") == Value("2025-03-01"));
  CHECK(Render("{{ '2026-01-01' | add_days(-1) }}") == Value("2025-12-31"));
  CHECK(Render("{{ '2000-03-01' | add_days(-1) }}") == Value("2000-02-29"));
  CHECK(Render("{{ '1900-03-01' | add_days(-1) }}") == Value("1900-02-28"));
  CHECK(Render("{{ '2026-01-05' | add_days(0) }}") == Value("2026-01-05"));
  CHECK(Render("{{ '2026-01-05' | add_days(36524) }}") == Value("2126-01-05"));
  CHECK(Render("{{ now | add_days(-5) }}") == Value("2025-12-31T09:00:00Z"));
  CHECK(Render("{{ '2026-03-30T23:59:59+02:00' | add_days(2) }}") == Value("2026-04-01T23:59:59+02:00"));
  CHECK(Render("{{ '2026-03-30T08:00:00.250-05:30' | add_days(1) }}") == Value("2026-03-31T08:00:00.250-05:30"));
  CHECK(ArgError("{{ '2026-02-30' | add_days(1) }}") ==
        "filter 'add_days' expects a date (YYYY-MM-DD) or RFC 3339 datetime, got '2026-02-30'");
  CHECK(ArgError("{{ '2026-13-01' | add_days(1) }}") ==
        "filter 'add_days' expects a date (YYYY-MM-DD) or RFC 3339 datetime, got '2026-13-01'");
  CHECK(ArgError("{{ '2026-01-05T25:00:00Z' | add_days(1) }}") ==
        "filter 'add_days' expects a date (YYYY-MM-DD) or RFC 3339 datetime, got '2026-01-05T25:00:00Z'");
  CHECK(ArgError("{{ '2026-01-05T09:00:00' | add_days(1) }}") ==
        "filter 'add_days' expects a date (YYYY-MM-DD) or RFC 3339 datetime, got '2026-01-05T09:00:00'");
  CHECK(ArgError("{{ '2026-1-5' | add_days(1) }}") ==
        "filter 'add_days' expects a date (YYYY-MM-DD) or RFC 3339 datetime, got '2026-1-5'");
  CHECK(ArgError("{{ '9999-12-31' | add_days(1) }}") == "filter 'add_days': 9999-12-31 plus 1 days is out of range");
  CHECK(ArgError("{{ '2026-01-01' | add_days(9223372036854775807) }}") ==
        "filter 'add_days': 2026-01-01 plus 9223372036854775807 days is out of range");
  CHECK(TypeError("{{ 20260105 | add_days(1) }}") == "filter 'add_days' expects a date string, got int");
  CHECK(TypeError("{{ '2026-01-05' | add_days('1') }}") == "filter 'add_days' expects an int as argument 1, got string");
}

TEST_CASE("format_date", "[expr]") {
  CHECK(Render("{{ inputs.start_date | format_date('%A %d %B %Y') }}") == Value("Monday 05 January 2026"));
  CHECK(Render("{{ inputs.start_date | format_date('%a %e %b %y, day %j') }}") == Value("Mon  5 Jan 26, day 005"));
  CHECK(Render("{{ '2024-12-31' | format_date('%j %a') }}") == Value("366 Tue"));
  CHECK(Render("{{ '1970-01-01' | format_date('%A') }}") == Value("Thursday"));
  CHECK(Render("{{ '1969-12-31' | format_date('%A') }}") == Value("Wednesday"));
  CHECK(Render("{{ '2026-03-30T07:05:09+02:00' | format_date('%Y-%m-%d %H:%M:%S %z 100%%') }}") ==
        Value("2026-03-30 07:05:09 +0200 100%"));
  CHECK(Render("{{ now | format_date('%H:%M %z') }}") == Value("09:00 +0000"));
  CHECK(Render("{{ inputs.start_date | format_date('%H:%M') }}") == Value("00:00"));
  CHECK(ArgError("{{ now | format_date('%Q') }}") == "filter 'format_date': unknown directive '%Q'");
  CHECK(ArgError("{{ now | format_date('x %') }}") == "filter 'format_date': the format ends with a lone '%'");
  CHECK(ArgError("{{ 'soon' | format_date('%Y') }}") ==
        "filter 'format_date' expects a date (YYYY-MM-DD) or RFC 3339 datetime, got 'soon'");
  CHECK(TypeError("{{ now | format_date(1) }}") == "filter 'format_date' expects a string as argument 1, got int");
}

TEST_CASE("results too large are refused", "[expr]") {
  // Each replace multiplies the length by 16.
  const std::string grow = " | replace('a', 'aaaaaaaaaaaaaaaa')";
  CHECK(Render("{{ 'a'" + grow + grow + grow + grow + " | length }}") == Value(65536));
  CHECK(ArgError("{{ 'aa'" + grow + grow + grow + grow + grow + " }}") ==
        "result of filter 'replace' is too large (over 1048576 bytes)");
  // 16^5 bytes is exactly the limit, which is allowed.
  CHECK(Render("{{ 'a'" + grow + grow + grow + grow + grow + " | length }}") == Value(1048576));
  CHECK(ArgError("{{ 'a'" + grow + grow + grow + grow + grow + " + 'b' }}") ==
        "result of '+' is too large (over 1048576 bytes)");
}

TEST_CASE("parse errors carry a message and the offset of the offending token", "[expr]") {
  struct Case {
    std::string text;
    std::string message;
    std::size_t offset;
  };
  const std::vector<Case> cases = {
      {"Hi {{ inputs.name | lowr }}", "unknown filter 'lowr' (did you mean 'lower'?)", 20},
      {"{{ inputs.x | frobnicate }}", "unknown filter 'frobnicate'", 14},
      {"{{ input.name }}", "unknown name 'input' (did you mean 'inputs'?)", 3},
      {"{{ True }}", "unknown name 'True' (did you mean 'true'?)", 3},
      {"{{ employee }}", "unknown name 'employee'", 3},
      {"a {{ inputs.x", "unterminated '{{': expected '}}'", 2},
      {"{{ 1 }} and {{ 'x }}", "unterminated string", 15},
      {"{{ 'x\\q' }}", "unknown escape '\\q' in string", 5},
      {"{{ 'a' | replace('b') }}", "filter 'replace' takes 2 arguments, got 1", 9},
      {"{{ 'a' | lower(1) }}", "filter 'lower' takes no arguments, got 1", 9},
      {"{{ 'a' | default }}", "filter 'default' takes 1 argument, got 0", 9},
      {"{{ [] | join('a', 'b') }}", "filter 'join' takes at most 1 argument, got 2", 8},
      {"{{ inputs.a and }}", "expected an expression after 'and'", 16},
      {"{{ not }}", "expected an expression after 'not'", 7},
      {"{{ }}", "expected an expression after '{{'", 3},
      {"{{ 1 + }}", "expected an expression after '+'", 7},
      {"{{ or 1 }}", "expected an expression after '{{'", 3},
      {"{{ inputs. }}", "expected a name after '.', got '}}'", 11},
      {"{{ inputs | }}", "expected a filter name after '|'", 12},
      {"{{ inputs[0 }}", "expected ']' after the index, got '}}'", 12},
      {"{{ (1 + 2 }}", "expected ')', got '}}'", 10},
      {"{{ [1 2] }}", "expected ',' or ']' in the list, got '2'", 6},
      {"{{ 'a' | replace('a' 'b') }}", "expected ',' or ')' after an argument of filter 'replace', got ''b''", 21},
      {"{{ inputs.a inputs.b }}", "expected '}}' after the expression, got 'inputs'", 12},
      {"{{ 1 < 2 < 3 }}", "comparisons cannot be chained; combine them with 'and'", 9},
      {"{{ a }}", "unknown name 'a'", 3},
      {"{{ a = 1 }}", "unexpected '=' (did you mean '=='?)", 5},  // the lexer reports first
      {"{{ [[[ }}", "expected an expression after '['", 7},
      {"{{ 1 }} {{ 2", "unterminated '{{': expected '}}'", 8},
      {"{{ inputs.x | lower }", "unexpected '}' (did you mean '}}'?)", 20},
      {"{{ 1 ! 1 }}", "unexpected character '!'", 5},
      {"{{ 1 @ 1 }}", "unexpected character '@'", 5},
      {"{{ \x01 }}", "unexpected character '\\x01'", 3},
      {"{{ 99999999999999999999 }}", "number too large: 99999999999999999999", 3},
      {"{{ 1." + std::string(400, '9') + "e }}", "expected '}}' after the expression, got 'e'", 405},
      {"{{ 1" + std::string(400, '0') + ".5 }}", "number too large: 1" + std::string(39, '0'), 3},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    const Error e = ParseError(c.text);
    CHECK(e.message == c.message);
    CHECK(e.offset == c.offset);
  }
}

TEST_CASE("nesting depth is bounded", "[expr]") {
  const std::string ok = "{{ " + std::string(60, '(') + "1" + std::string(60, ')') + " }}";
  CHECK(Render(ok) == Value(1));
  const std::string parens = "{{ " + std::string(100, '(') + "1" + std::string(100, ')') + " }}";
  CHECK(ParseError(parens).message == "expression nested too deeply");
  CHECK(ParseError(parens).offset == 3 + 64);
  std::string nots = "{{ ";
  for (int i = 0; i < 100; ++i) nots += "not ";
  CHECK(ParseError(nots + "1 }}").message == "expression nested too deeply");
  CHECK(ParseError("{{ " + std::string(100, '-') + "1 }}").message == "expression nested too deeply");
  CHECK(ParseError("{{ " + std::string(100, '[') + " }}").message == "expression nested too deeply");
  // Long flat chains are not nesting.
  std::string sum = "{{ 0";
  for (int i = 0; i < 5000; ++i) sum += " + 1";
  CHECK(Render(sum + " }}") == Value(5000));
  std::string members = "{{ inputs";
  for (int i = 0; i < 5000; ++i) members += ".x";
  CHECK(Render(members + " }}").IsNull());
}

TEST_CASE("References lists static paths with root offsets in text order", "[expr]") {
  auto t = Template::Parse(
      "{{ tasks.account.result.id }} {{ inputs.tags[0] | join(vars.sep) }} "
      "{{ [item, inputs['a b'].c] }}{{ inputs.tags[vars.i].x }}{{ (run).id + now }}{{ inputs.x[-1].y | lower }}");
  REQUIRE(t.has_value());
  std::vector<std::pair<std::vector<std::string>, std::size_t>> got;
  for (const Reference& r : t->References()) got.emplace_back(r.path, r.offset);
  using P = std::vector<std::string>;
  const std::vector<std::pair<P, std::size_t>> want = {
      {P{"tasks", "account", "result", "id"}, 3},
      {P{"inputs", "tags", "0"}, 33},
      {P{"vars", "sep"}, 55},
      {P{"item"}, 72},
      {P{"inputs", "a b", "c"}, 78},
      {P{"inputs", "tags"}, 100},
      {P{"vars", "i"}, 112},
      {P{"run", "id"}, 128},
      {P{"now"}, 138},
      {P{"inputs", "x", "-1", "y"}, 147},
  };
  CHECK(got == want);
  CHECK(t->Filters() == std::vector<std::string>{"join", "lower"});
}

TEST_CASE("Filters lists filter names in text order", "[expr]") {
  auto t = Template::Parse("{{ (x | upper) | default(y | lower) | trim }}");
  REQUIRE_FALSE(t.has_value());  // x and y are not roots
  t = Template::Parse("{{ (item | upper) | default(item | lower) | trim }} {{ [item | slug] }}");
  REQUIRE(t.has_value());
  CHECK(t->Filters() == std::vector<std::string>{"upper", "default", "lower", "trim", "slug"});
  auto none = Template::Parse("no expressions");
  REQUIRE(none.has_value());
  CHECK(none->Filters().empty());
  CHECK(none->References().empty());
}

TEST_CASE("copied and moved templates render the same", "[expr]") {
  auto t = Template::Parse("{{ inputs.tags | join('+') }}");
  REQUIRE(t.has_value());
  const Template copy = *t;
  Template moved = std::move(*t);
  Template assigned = *Template::Parse("x");
  assigned = copy;
  for (const Template* each : std::vector<const Template*>{&copy, &moved, &assigned}) {
    CHECK(each->Render(SampleScope()).value() == Value("admin+dev+admin"));
    CHECK(each->text() == "{{ inputs.tags | join('+') }}");
  }
}

TEST_CASE("RootNames and FilterNames", "[expr]") {
  const auto roots = RootNames();
  CHECK(std::vector<std::string_view>(roots.begin(), roots.end()) ==
        std::vector<std::string_view>{"inputs", "vars", "tasks", "item", "index", "run", "now", "result", "params", "calendars"});
  const auto filters = FilterNames();
  CHECK(std::vector<std::string_view>(filters.begin(), filters.end()) ==
        std::vector<std::string_view>{"lower", "upper", "capitalize", "title", "trim", "default", "mandatory", "replace", "slug",
                                      "join", "split", "length", "first", "last", "json", "urlencode", "add_days",
                                      "format_date", "string", "int", "keys", "values", "unique", "sort",
                                      "slack_escape", "difference", "intersect", "union", "contains", "select",
                                      "reject", "map", "items", "dict", "date", "datetime", "weekday",
                                      "add_working_days", "is_working_day", "add", "subtract", "days_until",
                                      "duration", "seconds", "hours", "days"});
  // Every listed filter parses (with its argument count).
  for (std::string_view f : filters) {
    const internal::FilterSpec* spec = internal::FindFilter(f);
    REQUIRE(spec != nullptr);
    const bool one_arg = spec->min_args == 1;
    const std::string args = f == "replace" ? "('a', 'b')" : one_arg ? "(1)" : "";
    INFO(f);
    CHECK(Template::Parse("{{ item | " + std::string(f) + args + " }}").has_value());
  }
}

TEST_CASE("MapScope reports absent roots as unresolved", "[expr]") {
  Map roots;
  roots.Set("vars", 1);
  MapScope scope(roots);
  CHECK(scope.Root("vars").value() == Value(1));
  auto missing = scope.Root("tasks");
  REQUIRE_FALSE(missing.has_value());
  CHECK(missing.error().Is(Errc::kUnresolved));
  CHECK(missing.error().message == "'tasks' is known only at run time");
  scope.roots().Set("tasks", "t");
  CHECK(scope.Root("tasks").value() == Value("t"));
}

}  // namespace
}  // namespace tenure::workflows
