// schema/playbook.schema.json (for editors, through yaml-language-server) must agree with the
// loader: the same keys in every section, and the same verdict on the examples and on broken files.
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "connectors/catalog.h"
#include "workflows/loader.h"
#include "workflows/yaml_tree.h"

using namespace tenure;
using namespace tenure::workflows;
namespace json = boost::json;

namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const json::value& Schema() {
  static const json::value schema = json::parse(Slurp(std::string(TENURE_SOURCE_DIR) + "/schema/playbook.schema.json"));
  return schema;
}

const json::object& Def(std::string_view name) { return Schema().at("definitions").at(name).as_object(); }

std::set<std::string> Keys(const json::object& o) {
  std::set<std::string> out;
  for (const auto& [k, v] : o.at("properties").as_object()) out.insert(std::string(k));
  return out;
}

std::set<std::string> Keys(std::span<const std::string_view> keys) {
  std::set<std::string> out;
  for (std::string_view k : keys) out.insert(std::string(k));
  return out;
}

// A small JSON Schema (draft-07) validator: the keywords schema/playbook.schema.json uses.
class Validator {
 public:
  std::vector<std::string> errors;

  void Check(const json::value& schema, const Value& v, const std::string& path) {
    const json::object& s = schema.as_object();
    if (const auto* ref = s.if_contains("$ref")) return Check(Resolve(ref->as_string()), v, path);
    if (const auto* t = s.if_contains("type"); t != nullptr && !TypeMatches(*t, v)) {
      return Fail(path, "wrong type " + std::string(v.KindName()));
    }
    if (const auto* e = s.if_contains("enum"); e != nullptr && !InEnum(e->as_array(), v)) return Fail(path, "not in enum");
    if (const auto* p = s.if_contains("pattern"); p != nullptr && v.IsString() &&
        !std::regex_search(v.AsString(), std::regex(std::string(p->as_string())))) {
      return Fail(path, "does not match pattern");
    }
    if (const auto* m = s.if_contains("minimum"); m != nullptr && v.IsNumber() && v.AsDouble() < m->to_number<double>()) {
      return Fail(path, "below minimum");
    }
    if (const auto* m = s.if_contains("maximum"); m != nullptr && v.IsNumber() && v.AsDouble() > m->to_number<double>()) {
      return Fail(path, "above maximum");
    }
    if (const auto* one = s.if_contains("oneOf")) CheckOneOf(one->as_array(), v, path);
    if (v.IsMap()) CheckObject(s, v.AsMap(), path);
    if (v.IsList()) CheckArray(s, v.AsList(), path);
  }

 private:
  void Fail(const std::string& path, const std::string& why) { errors.push_back(path + ": " + why); }

  static const json::value& Resolve(json::string_view ref) {
    const std::string r(ref);
    const std::string name = r.substr(r.rfind('/') + 1);
    return Schema().at("definitions").at(name);
  }

  static bool TypeMatches(const json::value& t, const Value& v) {
    if (t.is_array()) {
      for (const auto& x : t.as_array()) {
        if (TypeMatches(x, v)) return true;
      }
      return false;
    }
    const std::string_view n = t.as_string();
    return (n == "string" && v.IsString()) || (n == "integer" && v.IsInt()) || (n == "number" && v.IsNumber()) ||
           (n == "boolean" && v.IsBool()) || (n == "object" && v.IsMap()) || (n == "array" && v.IsList()) ||
           (n == "null" && v.IsNull());
  }

  static bool InEnum(const json::array& e, const Value& v) {
    for (const auto& x : e) {
      if (FromJsonValue(x) == v) return true;
    }
    return false;
  }

  void CheckOneOf(const json::array& options, const Value& v, const std::string& path) {
    int matches = 0;
    for (const auto& o : options) {
      Validator sub;
      sub.Check(o, v, path);
      matches += sub.errors.empty() ? 1 : 0;
    }
    if (matches != 1) Fail(path, "matches " + std::to_string(matches) + " of oneOf");
  }

  void CheckObject(const json::object& s, const Map& m, const std::string& path) {
    if (const auto* req = s.if_contains("required")) {
      for (const auto& r : req->as_array()) {
        if (!m.Contains(r.as_string())) Fail(path, "missing " + std::string(r.as_string()));
      }
    }
    const json::object* props = s.if_contains("properties") ? &s.at("properties").as_object() : nullptr;
    for (const auto& [k, item] : m) {
      if (const auto* names = s.if_contains("propertyNames")) Check(*names, Value(k), path + "." + k + "(name)");
      if (props != nullptr && props->contains(k)) {
        Check(props->at(k), item, path + "." + k);
      } else if (const auto* extra = s.if_contains("additionalProperties")) {
        if (extra->is_bool() && !extra->as_bool()) Fail(path, "unknown key " + k);
        if (extra->is_object()) Check(*extra, item, path + "." + k);
      }
    }
  }

  void CheckArray(const json::object& s, const List& l, const std::string& path) {
    if (const auto* min = s.if_contains("minItems"); min != nullptr && l.size() < min->to_number<std::size_t>()) {
      Fail(path, "too few items");
    }
    if (const auto* items = s.if_contains("items")) {
      for (std::size_t i = 0; i < l.size(); ++i) Check(*items, l[i], path + "[" + std::to_string(i) + "]");
    }
  }
};

std::vector<std::string> SchemaErrors(const std::string& file, const json::value& root) {
  Diagnostics d;
  YamlNode n = ParseYaml(Slurp(file), file, d);
  REQUIRE(!d.HasErrors());
  Validator v;
  v.Check(root, ToValue(n), "");
  return v.errors;
}

}  // namespace

TEST_CASE("the JSON Schema has exactly the loader's keys in every section", "[schema]") {
  CHECK(Keys(Schema().as_object()) == Keys(KnownKeys(Section::kTop)));
  CHECK(Keys(Def("input").at("oneOf").as_array()[2].as_object()) == Keys(KnownKeys(Section::kInput)));
  CHECK(Keys(Schema().at("properties").at("defaults").as_object()) == Keys(KnownKeys(Section::kDefaults)));
  CHECK(Keys(Def("retry")) == Keys(KnownKeys(Section::kRetry)));
  CHECK(Keys(Def("task")) == Keys(KnownKeys(Section::kTask)));
  CHECK(Keys(Def("call")) == Keys(KnownKeys(Section::kCompensate)));
  CHECK(Keys(Def("includes").at("items").as_object()) == Keys(KnownKeys(Section::kInclude)));
  CHECK(Keys(Def("library")) == Keys(KnownKeys(Section::kLibrary)));

  // Connections: the common keys plus every connector's own settings; connector types agree too.
  std::set<std::string> connection_keys = Keys(KnownKeys(Section::kConnection));
  std::set<std::string> types;
  const auto catalog = connectors::BuiltinCatalog();
  for (const auto& c : catalog.all()) {
    if (c.builtin_connection) continue;
    types.insert(c.name);
    for (const auto& a : c.config) connection_keys.insert(a.name);
  }
  CHECK(Keys(Def("connection")) == connection_keys);
  std::set<std::string> schema_types;
  for (const auto& t : Def("connection").at("properties").at("connector").at("enum").as_array()) {
    schema_types.insert(std::string(t.as_string()));
  }
  CHECK(schema_types == types);
}

TEST_CASE("the JSON Schema accepts every example and rejects broken playbooks", "[schema]") {
  const std::string ex = std::string(TENURE_SOURCE_DIR) + "/examples/";
  for (const char* f : {"onboarding.yaml", "sales-onboarding.yaml", "contractor-onboarding.yaml", "offboarding.yaml"}) {
    INFO(f);
    CHECK(SchemaErrors(ex + f, Schema()) == std::vector<std::string>{});
  }
  CHECK(SchemaErrors(ex + "lib/slack-welcome.yaml", Schema().at("definitions").at("library")).empty());

  const std::string bad = std::string(TENURE_SOURCE_DIR) + "/tests/workflows/invalid/";
  CHECK(SchemaErrors(bad + "unknown_keys.yaml", Schema()) ==
        std::vector<std::string>{": unknown key descripton", ".inputs.email: matches 0 of oneOf",
                                 ".connections.idp: unknown key tokn", ".tasks.find: unknown key wiht",
                                 ".tasks.find.retry: unknown key attempt"});
  CHECK(!SchemaErrors(bad + "durations.yaml", Schema()).empty());
  CHECK(!SchemaErrors(bad + "wrong_shapes.yaml", Schema()).empty());
  CHECK(!SchemaErrors(bad + "secrets.yaml", Schema()).empty());
  CHECK(!SchemaErrors(bad + "ids.yaml", Schema()).empty());
}
