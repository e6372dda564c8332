#include "workflows/value.h"

#include <boost/json.hpp>
#include <charconv>
#include <cmath>

namespace tenure {

const Value* Map::Find(std::string_view key) const {
  for (const auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

Value* Map::Find(std::string_view key) {
  for (auto& [k, v] : entries_) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Map::Set(std::string key, Value value) {
  if (Value* existing = Find(key)) {
    *existing = std::move(value);
    return;
  }
  entries_.emplace_back(std::move(key), std::move(value));
}

bool Map::operator==(const Map& other) const {
  if (size() != other.size()) return false;
  for (const auto& [k, v] : entries_) {
    const Value* o = other.Find(k);
    if (o == nullptr || !(*o == v)) return false;
  }
  return true;
}

bool Value::Truthy() const {
  switch (kind()) {
    case Kind::kNull: return false;
    case Kind::kBool: return AsBool();
    case Kind::kInt: return AsInt() != 0;
    case Kind::kDouble: return AsDouble() != 0.0;
    case Kind::kString: return !AsString().empty();
    case Kind::kList: return !AsList().empty();
    case Kind::kMap: return !AsMap().empty();
  }
  return false;
}

std::string Value::ToText() const {
  switch (kind()) {
    case Kind::kNull: return "";
    case Kind::kString: return AsString();
    default: return ToJson();
  }
}

namespace {

// Shortest round-trip spelling ("0.5", "1.5", "1e+21"); JSON has no NaN or Infinity: null.
void AppendDouble(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, d);
  const std::string_view text(buf, ec == std::errc() ? static_cast<std::size_t>(ptr - buf) : 0);
  out += text;
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void AppendJson(std::string& out, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kDouble: AppendDouble(out, v.AsDouble()); return;
    case Value::Kind::kList: {
      out += '[';
      for (std::size_t i = 0; i < v.AsList().size(); ++i) {
        if (i > 0) out += ',';
        AppendJson(out, v.AsList()[i]);
      }
      out += ']';
      return;
    }
    case Value::Kind::kMap: {
      out += '{';
      bool first = true;
      for (const auto& [k, item] : v.AsMap()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string(k));
        out += ':';
        AppendJson(out, item);
      }
      out += '}';
      return;
    }
    default: out += boost::json::serialize(ToJsonValue(v)); return;
  }
}

}  // namespace

std::string Value::ToJson() const {
  std::string out;
  AppendJson(out, *this);
  return out;
}

const char* Value::KindName(Kind k) {
  switch (k) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kDouble: return "number";
    case Kind::kString: return "string";
    case Kind::kList: return "list";
    case Kind::kMap: return "map";
  }
  return "?";
}

bool Value::operator==(const Value& other) const {
  if (IsNumber() && other.IsNumber()) {
    if (IsInt() && other.IsInt()) return AsInt() == other.AsInt();
    return AsDouble() == other.AsDouble();
  }
  return data_ == other.data_;
}

boost::json::value ToJsonValue(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: return nullptr;
    case Value::Kind::kBool: return v.AsBool();
    case Value::Kind::kInt: return v.AsInt();
    case Value::Kind::kDouble: return v.AsDouble();
    case Value::Kind::kString: return boost::json::string(v.AsString());
    case Value::Kind::kList: {
      boost::json::array a;
      a.reserve(v.AsList().size());
      for (const Value& item : v.AsList()) a.push_back(ToJsonValue(item));
      return a;
    }
    case Value::Kind::kMap: {
      boost::json::object o;
      for (const auto& [k, item] : v.AsMap()) o[k] = ToJsonValue(item);
      return o;
    }
  }
  return nullptr;
}

Value FromJsonValue(const boost::json::value& j) {
  switch (j.kind()) {
    case boost::json::kind::null: return Value();
    case boost::json::kind::bool_: return Value(j.get_bool());
    case boost::json::kind::int64: return Value(j.get_int64());
    case boost::json::kind::uint64: return Value(static_cast<double>(j.get_uint64()));
    case boost::json::kind::double_: return Value(j.get_double());
    case boost::json::kind::string: return Value(std::string(j.get_string()));
    case boost::json::kind::array: {
      List l;
      for (const auto& item : j.get_array()) l.push_back(FromJsonValue(item));
      return Value(std::move(l));
    }
    case boost::json::kind::object: {
      Map m;
      for (const auto& [k, item] : j.get_object()) m.Set(std::string(k), FromJsonValue(item));
      return Value(std::move(m));
    }
  }
  return Value();
}

}  // namespace tenure
