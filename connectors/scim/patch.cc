#include "connectors/scim/patch.h"

#include <algorithm>

#include "connectors/scim/filter.h"

namespace tenure::connectors::scim {
namespace {

bool CoversList(const List& current, const List& desired) {
  if (current.size() != desired.size()) return false;
  return std::all_of(desired.begin(), desired.end(), [&](const Value& d) {
    return std::any_of(current.begin(), current.end(), [&](const Value& c) { return Covers(c, d); });
  });
}

bool CoversMap(const Map& current, const Map& desired) {
  for (const auto& [key, want] : desired) {
    const Value* have = FindAttr(current, key);
    if (have == nullptr) {
      if (!want.IsNull()) return false;
      continue;
    }
    if (!Covers(*have, want)) return false;
  }
  return true;
}

void MergeInto(Map& target, const Map& changes) {
  for (const auto& [key, value] : changes) {
    Value* existing = nullptr;
    std::string name = key;
    for (const auto& [k, v] : target) {
      if (EqualsIgnoreCase(k, key)) name = k;
    }
    existing = target.Find(name);
    if (existing != nullptr && existing->IsMap() && value.IsMap()) {
      MergeInto(existing->AsMap(), value.AsMap());
    } else {
      target.Set(name, value);
    }
  }
}

}  // namespace

const Value* FindAttr(const Map& m, std::string_view key) {
  if (const Value* v = m.Find(key)) return v;
  for (const auto& [k, v] : m) {
    if (EqualsIgnoreCase(k, key)) return &v;
  }
  return nullptr;
}

std::optional<bool> AsBool(const Value* v) {
  if (v == nullptr) return std::nullopt;
  if (v->IsBool()) return v->AsBool();
  if (v->IsString()) {
    if (EqualsIgnoreCase(v->AsString(), "true")) return true;
    if (EqualsIgnoreCase(v->AsString(), "false")) return false;
  }
  return std::nullopt;
}

std::string AttrString(const Map& m, std::string_view key) {
  const Value* v = FindAttr(m, key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

Map DesiredUserAttributes(const Map& args) {
  Map out;
  for (std::string_view key : {"userName", "name", "emails", "externalId", "active", "displayName"}) {
    if (const Value* v = args.Find(key); v != nullptr && !v->IsNull()) out.Set(std::string(key), *v);
  }
  if (const Value* extra = args.Find("attributes"); extra != nullptr && extra->IsMap()) {
    for (const auto& [k, v] : extra->AsMap()) out.Set(k, v);
  }
  return out;
}

bool Covers(const Value& current, const Value& desired) {
  if (desired.IsBool()) {
    auto b = AsBool(&current);
    return b.has_value() && *b == desired.AsBool();
  }
  if (desired.IsMap()) return current.IsMap() && CoversMap(current.AsMap(), desired.AsMap());
  if (desired.IsList()) return current.IsList() && CoversList(current.AsList(), desired.AsList());
  return current == desired;
}

List DiffOperations(const Map& current, const Map& desired) {
  List ops;
  for (const auto& [key, want] : desired) {
    const Value* have = FindAttr(current, key);
    if (have != nullptr ? Covers(*have, want) : want.IsNull()) continue;
    Map op;
    op.Set("op", "replace");
    op.Set("path", key);
    op.Set("value", want);
    ops.push_back(Value(std::move(op)));
  }
  return ops;
}

Value PatchRequest(List ops) {
  Map body;
  body.Set("schemas", List{Value(std::string(kPatchSchema))});
  body.Set("Operations", std::move(ops));
  return body;
}

Map PutRepresentation(const Map& current, const Map& desired) {
  Map out;
  for (const auto& [k, v] : current) {
    if (EqualsIgnoreCase(k, "meta") || EqualsIgnoreCase(k, "groups")) continue;
    out.Set(k, v);
  }
  MergeInto(out, desired);
  return out;
}

}  // namespace tenure::connectors::scim
