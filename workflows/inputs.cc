#include "workflows/inputs.h"

#include <algorithm>
#include <regex>

#include "workflows/loader.h"
#include "workflows/suggest.h"
#include "workflows/yaml_tree.h"

namespace tenure::workflows {
namespace {

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

std::string Quote(const Value& v) { return v.IsString() ? "'" + v.AsString() + "'" : v.ToJson(); }

}  // namespace

bool IsValidDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  const auto y = s.substr(0, 4), m = s.substr(5, 2), d = s.substr(8, 2);
  if (!AllDigits(y) || !AllDigits(m) || !AllDigits(d)) return false;
  const int month = ToInt(m), day = ToInt(d);
  return month >= 1 && month <= 12 && day >= 1 && day <= DaysInMonth(ToInt(y), month);
}

bool IsValidDateTime(std::string_view s) {
  if (s.size() < 17 || !IsValidDate(s.substr(0, 10)) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return false;
  std::string_view rest = s.substr(11);
  auto two = [&](int max) {
    if (rest.size() < 2 || !AllDigits(rest.substr(0, 2)) || ToInt(rest.substr(0, 2)) > max) return false;
    rest.remove_prefix(2);
    return true;
  };
  if (!two(23) || rest.empty() || rest[0] != ':') return false;
  rest.remove_prefix(1);
  if (!two(59)) return false;
  if (!rest.empty() && rest[0] == ':') {
    rest.remove_prefix(1);
    if (!two(60)) return false;
    if (!rest.empty() && rest[0] == '.') {
      rest.remove_prefix(1);
      const auto digits = rest.find_first_not_of("0123456789");
      if (digits == 0 || digits == std::string_view::npos) return false;
      rest.remove_prefix(digits);
    }
  }
  if (rest == "Z" || rest == "z") return true;
  if (rest.size() != 6 || (rest[0] != '+' && rest[0] != '-') || rest[3] != ':') return false;
  rest.remove_prefix(1);
  if (!two(23)) return false;
  rest.remove_prefix(1);
  return two(59) && rest.empty();
}

bool IsValidEmail(std::string_view s) {
  const auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || s.find('@', at + 1) != std::string_view::npos) return false;
  const auto domain = s.substr(at + 1);
  const auto dot = domain.find('.');
  if (dot == std::string_view::npos || dot == 0 || domain.back() == '.') return false;
  return std::none_of(s.begin(), s.end(), [](unsigned char c) { return c <= ' ' || c == '<' || c == '>' || c == ','; });
}

bool IsTimeZoneShape(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.back() == '/' ||
      name.find("//") != std::string_view::npos || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
           c == '-' || c == '+';
  });
}

namespace {

std::optional<std::string> CheckMapValue(const InputSpec& spec, const Value& v, const TimeZoneCheck& zones) {
  for (const auto& [key, value] : v.AsMap()) {
    const std::string& name = key;  // clang 14 cannot capture a structured binding
    const auto it = std::find_if(spec.keys.begin(), spec.keys.end(), [&name](const InputSpec& k) { return k.name == name; });
    if (it == spec.keys.end()) {
      std::vector<std::string_view> names;
      for (const InputSpec& k : spec.keys) names.push_back(k.name);
      std::string known;
      for (std::string_view n : names) known += (known.empty() ? "" : ", ") + std::string(n);
      return "unknown key '" + key + "'" + DidYouMean(key, names) + " (keys: " + known + ")";
    }
    if (value.IsNull() && !it->required) continue;
    if (auto why = CheckInputValue(*it, value, zones)) return "key '" + key + "': " + *why;
  }
  for (const InputSpec& k : spec.keys) {
    if (k.required && !v.AsMap().Contains(k.name)) {
      return "missing key '" + k.name + "' (" + InputTypeName(k.type) + ")";
    }
  }
  return std::nullopt;
}

}  // namespace

ExprType InputExprType(const InputSpec& spec) {
  ExprType t;
  switch (spec.type) {
    case InputType::kInt: t = ExprType::Of(1u << static_cast<unsigned>(Value::Kind::kInt)); break;
    case InputType::kBool: t = ExprType::Of(1u << static_cast<unsigned>(Value::Kind::kBool)); break;
    case InputType::kList:
      t = spec.items ? ExprType::ListOf(InputExprType(*spec.items))
                     : ExprType::Of(1u << static_cast<unsigned>(Value::Kind::kList));
      break;
    case InputType::kMap: {
      std::vector<std::pair<std::string, ExprType>> fields;
      for (const InputSpec& k : spec.keys) fields.emplace_back(k.name, InputExprType(k));
      t = ExprType::MapOf(std::move(fields), !spec.keys.empty());
      break;
    }
    default: t = ExprType::Of(1u << static_cast<unsigned>(Value::Kind::kString)); break;
  }
  if (!spec.required && !spec.default_value) t.kinds |= 1u << static_cast<unsigned>(Value::Kind::kNull);
  return t;
}

std::optional<std::string> CheckInputValue(const InputSpec& spec, const Value& v, const TimeZoneCheck& zones) {
  const std::string got = std::string(", got ") + (v.IsString() ? Quote(v) : std::string(v.KindName()) + " " + v.ToJson());
  switch (spec.type) {
    case InputType::kString:
    case InputType::kEmail:
    case InputType::kDate:
    case InputType::kDateTime:
    case InputType::kEnum:
    case InputType::kDuration:
    case InputType::kTimeZone:
      if (!v.IsString()) return "expected " + std::string(InputTypeName(spec.type)) + " text" + got;
      break;
    case InputType::kMap:
      if (!v.IsMap()) return "expected a map" + got;
      return CheckMapValue(spec, v, zones);
    case InputType::kInt:
      if (!v.IsInt()) return "expected a whole number" + got;
      return std::nullopt;
    case InputType::kBool:
      if (!v.IsBool()) return "expected true or false" + got;
      return std::nullopt;
    case InputType::kList:
      if (!v.IsList()) return "expected a list" + got;
      if (spec.items) {
        for (std::size_t i = 0; i < v.AsList().size(); ++i) {
          if (auto why = CheckInputValue(*spec.items, v.AsList()[i], zones)) return "item " + std::to_string(i) + ": " + *why;
        }
      }
      return std::nullopt;
  }
  const std::string& s = v.AsString();
  if (spec.type == InputType::kEmail && !IsValidEmail(s)) return "expected an email address" + got;
  if (spec.type == InputType::kDate && !IsValidDate(s)) return "expected a date as YYYY-MM-DD" + got;
  if (spec.type == InputType::kDateTime && !IsValidDateTime(s)) {
    return "expected a date-time as YYYY-MM-DDTHH:MM:SS with Z or an offset like +01:00" + got;
  }
  if (spec.type == InputType::kDuration && !ParseDuration(s)) return "expected a duration like 90d, 4w or 36h" + got;
  if (spec.type == InputType::kTimeZone) {
    if (!IsTimeZoneShape(s)) return "expected an IANA time zone name like Europe/Paris" + got;
    if (zones) {
      if (auto why = zones(s)) return *why;
    }
  }
  if (spec.type == InputType::kEnum && std::find(spec.values.begin(), spec.values.end(), s) == spec.values.end()) {
    std::string allowed;
    for (const auto& a : spec.values) allowed += (allowed.empty() ? "" : ", ") + a;
    return "expected one of " + allowed + got;
  }
  if (!spec.pattern.empty()) {
    try {
      if (!std::regex_match(s, std::regex(spec.pattern, std::regex::ECMAScript))) {
        return "does not match pattern '" + spec.pattern + "'" + got;
      }
    } catch (const std::regex_error&) {
      return "pattern '" + spec.pattern + "' is not a valid regular expression";
    }
  }
  return std::nullopt;
}

Value CoerceInput(const InputSpec& spec, const std::string& text) {
  switch (spec.type) {
    case InputType::kInt:
    case InputType::kBool: {
      YamlNode n;
      n.kind = YamlNode::Kind::kScalar;
      n.scalar = text;
      return ToValue(n);
    }
    case InputType::kMap: {  // a JSON or YAML flow map: {"email":"a@b.c"} or {email: a@b.c}
      Diagnostics ignored;
      bool complete = false;
      const YamlNode n = ParseYaml(text, "--set", ignored, &complete);
      return complete && !ignored.HasErrors() && n.IsMap() ? ToValue(n) : Value(text);
    }
    case InputType::kList: {
      // A JSON or YAML flow list (what `jq -c` prints: ["a","b, c"]) is read as YAML, so items
      // may be quoted and hold commas; a malformed one stays text and is refused as not a list.
      if (!text.empty() && text.front() == '[') {
        Diagnostics ignored;
        bool complete = false;
        const YamlNode n = ParseYaml(text, "--set", ignored, &complete);
        return complete && !ignored.HasErrors() && n.IsSequence() ? ToValue(n) : Value(text);
      }
      // Otherwise a plain comma-separated list: a, b, c.
      List items;
      std::string_view rest = text;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(std::string(item));
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
      return Value(std::move(items));
    }
    default: return Value(text);
  }
}

Map ResolveInputs(const std::vector<InputSpec>& specs, const std::vector<GivenInput>& given,
                  const SourceLocation& run_where, Diagnostics& diags, const TimeZoneCheck& zones) {
  std::vector<std::string_view> names;
  for (const InputSpec& s : specs) names.push_back(s.name);
  Map result;
  for (const GivenInput& g : given) {
    const auto it = std::find_if(specs.begin(), specs.end(), [&](const InputSpec& s) { return s.name == g.name; });
    if (it == specs.end()) {
      diags.Error(g.where, "inputs." + g.name, "unknown input '" + g.name + "'" + DidYouMean(g.name, names));
    } else if (auto why = CheckInputValue(*it, g.value, zones)) {
      diags.Error(g.where, "inputs." + g.name, "input '" + g.name + "': " + *why);
    } else {
      result.Set(g.name, g.value);
    }
  }
  Map ordered;  // declaration order, so plans and stored runs read the same way every time
  for (const InputSpec& s : specs) {
    const bool was_given =
        std::any_of(given.begin(), given.end(), [&](const GivenInput& g) { return g.name == s.name; });
    if (const Value* v = result.Find(s.name)) {
      ordered.Set(s.name, *v);
    } else if (s.default_value) {
      // Defaults were checked when loading, but time zones only for their shape.
      if (auto why = zones && !was_given ? CheckInputValue(s, *s.default_value, zones) : std::nullopt) {
        diags.Error(s.where, "inputs." + s.name, "default of input '" + s.name + "': " + *why);
      }
      if (!was_given) ordered.Set(s.name, *s.default_value);
    } else if (s.required && !was_given) {
      diags.Error(run_where, "inputs." + s.name,
                  "missing required input '" + s.name + "' (" + InputTypeName(s.type) + ")");
    } else {
      ordered.Set(s.name, Value());
    }
  }
  return ordered;
}

}  // namespace tenure::workflows
