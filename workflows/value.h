// Value: the dynamic data of playbooks and expressions (null, bool, int, double, string, list, map).
//
// Maps keep insertion order (playbook authors read arguments in the order they wrote them).
// Values are plain data: copyable, comparable, no references to anything else.
#pragma once

#include <boost/json/fwd.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace tenure {

class Value;
using List = std::vector<Value>;

// An insertion-ordered string-keyed map with unique keys.
class Map {
 public:
  using Entry = std::pair<std::string, Value>;

  const Value* Find(std::string_view key) const;
  Value* Find(std::string_view key);
  // Inserts or replaces `key`; insertion order of existing keys is kept.
  void Set(std::string key, Value value);
  bool Contains(std::string_view key) const { return Find(key) != nullptr; }
  std::size_t size() const;
  bool empty() const;
  std::vector<Entry>::const_iterator begin() const;
  std::vector<Entry>::const_iterator end() const;
  bool operator==(const Map& other) const;

 private:
  std::vector<Entry> entries_;
};

class Value {
 public:
  enum class Kind { kNull, kBool, kInt, kDouble, kString, kList, kMap };

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : data_(b) {}
  Value(int i) : data_(static_cast<std::int64_t>(i)) {}
  Value(std::int64_t i) : data_(i) {}
  Value(double d) : data_(d) {}
  Value(const char* s) : data_(std::string(s)) {}
  Value(std::string s) : data_(std::move(s)) {}
  Value(std::string_view s) : data_(std::string(s)) {}
  Value(List l) : data_(std::move(l)) {}
  Value(Map m) : data_(std::move(m)) {}

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool IsNull() const { return kind() == Kind::kNull; }
  bool IsBool() const { return kind() == Kind::kBool; }
  bool IsInt() const { return kind() == Kind::kInt; }
  bool IsDouble() const { return kind() == Kind::kDouble; }
  bool IsNumber() const { return IsInt() || IsDouble(); }
  bool IsString() const { return kind() == Kind::kString; }
  bool IsList() const { return kind() == Kind::kList; }
  bool IsMap() const { return kind() == Kind::kMap; }

  // REQUIRES: the matching Is*() holds.
  bool AsBool() const { return std::get<bool>(data_); }
  std::int64_t AsInt() const { return std::get<std::int64_t>(data_); }
  double AsDouble() const { return IsInt() ? static_cast<double>(AsInt()) : std::get<double>(data_); }
  const std::string& AsString() const { return std::get<std::string>(data_); }
  const List& AsList() const { return std::get<List>(data_); }
  List& AsList() { return std::get<List>(data_); }
  const Map& AsMap() const { return std::get<Map>(data_); }
  Map& AsMap() { return std::get<Map>(data_); }

  // Truthiness for `when` and `and/or/not`: null, false, 0, "", [] and {} are false.
  bool Truthy() const;
  // Text for string interpolation: strings as is, null as "", numbers and bools in JSON
  // spelling, lists and maps as compact JSON.
  std::string ToText() const;
  // Compact JSON.
  std::string ToJson() const;
  // Name of the kind for error messages: "null", "bool", "int", "number", "string", "list", "map".
  static const char* KindName(Kind k);
  const char* KindName() const { return KindName(kind()); }

  // Structural equality; an int and a double compare by numeric value.
  bool operator==(const Value& other) const;

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, List, Map> data_;
};

// Defined here, after Value is complete (clang requires it for std::pair<std::string, Value>).
inline std::size_t Map::size() const { return entries_.size(); }
inline bool Map::empty() const { return entries_.empty(); }
inline std::vector<Map::Entry>::const_iterator Map::begin() const { return entries_.begin(); }
inline std::vector<Map::Entry>::const_iterator Map::end() const { return entries_.end(); }

boost::json::value ToJsonValue(const Value& v);
Value FromJsonValue(const boost::json::value& j);

}  // namespace tenure
