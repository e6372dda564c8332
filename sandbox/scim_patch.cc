#include "sandbox/scim_patch.h"

#include <algorithm>
#include <optional>
#include <variant>

#include "sandbox/message.h"
#include "sandbox/scim_filter.h"

namespace tenure::sandbox {
namespace {

namespace json = boost::json;

struct PatchPath {
  std::string attr;
  std::optional<ScimFilter> filter;
  std::string sub;  // "" when the path names the whole attribute (or element)
};

ScimError Invalid(std::string scim_type, std::string detail) { return {400, std::move(scim_type), std::move(detail)}; }

std::variant<PatchPath, ScimError> ParsePath(std::string text) {
  if (text.starts_with("urn:")) {
    // "urn:...:User:name.givenName" -> "name.givenName"; the colon search stops at the filter.
    const auto bracket = text.find('[');
    const auto colon = text.rfind(':', bracket == std::string::npos ? std::string::npos : bracket);
    text = text.substr(colon + 1);
  }
  PatchPath path;
  const auto open = text.find('[');
  if (open != std::string::npos) {
    const auto close = text.rfind(']');
    if (close == std::string::npos || close < open) return Invalid("invalidPath", "unterminated filter in path \"" + text + "\"");
    auto filter = ScimFilter::Parse(std::string_view(text).substr(open + 1, close - open - 1));
    if (!filter) return Invalid("invalidPath", "bad filter in path \"" + text + "\": " + filter.error().message);
    path.attr = text.substr(0, open);
    path.filter = std::move(*filter);
    if (close + 1 < text.size()) {
      if (text[close + 1] != '.') return Invalid("invalidPath", "bad path \"" + text + "\"");
      path.sub = text.substr(close + 2);
    }
  } else {
    const auto dot = text.find('.');
    path.attr = text.substr(0, dot);
    if (dot != std::string::npos) path.sub = text.substr(dot + 1);
  }
  if (path.attr.empty()) return Invalid("invalidPath", "empty path");
  if (IEquals(path.attr, "id") || IEquals(path.attr, "meta") || IEquals(path.attr, "groups")) {
    return ScimError{400, "mutability", "attribute \"" + path.attr + "\" is read-only"};
  }
  return path;
}

// Sets o[name] (reusing the existing key's spelling) to `v`.
void SetAttr(json::object& o, std::string_view name, json::value v) {
  if (auto* existing = FindAttr(o, name)) {
    *existing = std::move(v);
  } else {
    o[name] = std::move(v);
  }
}

void EraseAttr(json::object& o, std::string_view name) {
  for (auto it = o.begin(); it != o.end(); ++it) {
    if (IEquals(it->key(), name)) {
      o.erase(it);
      return;
    }
  }
}

bool SameElement(const json::value& a, const json::value& b) {
  if (a.is_object() && b.is_object()) {
    const auto* va = a.get_object().if_contains("value");
    const auto* vb = b.get_object().if_contains("value");
    if (va != nullptr && vb != nullptr) return *va == *vb;
  }
  return a == b;
}

// add semantics for one attribute: multi-valued attributes gain new elements, complex ones merge.
void AddAttr(json::object& o, std::string_view name, const json::value& v) {
  auto* existing = FindAttr(o, name);
  if (existing != nullptr && existing->is_array()) {
    auto& arr = existing->get_array();
    const json::array incoming = v.is_array() ? v.get_array() : json::array{v};
    for (const auto& e : incoming) {
      if (std::none_of(arr.begin(), arr.end(), [&](const json::value& have) { return SameElement(have, e); })) arr.push_back(e);
    }
  } else if (existing != nullptr && existing->is_object() && v.is_object()) {
    for (const auto& kv : v.get_object()) SetAttr(existing->get_object(), kv.key(), kv.value());
  } else {
    SetAttr(o, name, v);
  }
}

void ReplaceAttr(json::object& o, std::string_view name, const json::value& v) {
  auto* existing = FindAttr(o, name);
  if (existing != nullptr && existing->is_object() && v.is_object()) {
    for (const auto& kv : v.get_object()) SetAttr(existing->get_object(), kv.key(), kv.value());
  } else {
    SetAttr(o, name, v);
  }
}

std::optional<ScimError> WithoutPath(std::string_view op, json::object& res, const json::value* value) {
  if (op == "remove") return Invalid("noTarget", "remove requires a path");
  if (value == nullptr || !value->is_object()) return Invalid("invalidValue", std::string(op) + " without a path needs an object value");
  for (const auto& kv : value->get_object()) {
    if (IEquals(kv.key(), "id") || IEquals(kv.key(), "meta") || IEquals(kv.key(), "schemas")) continue;
    if (op == "add") {
      AddAttr(res, kv.key(), kv.value());
    } else {
      ReplaceAttr(res, kv.key(), kv.value());
    }
  }
  return std::nullopt;
}

// The elements of res[path.attr] that match path.filter.
std::vector<json::value*> Matching(json::object& res, const PatchPath& path) {
  std::vector<json::value*> out;
  auto* attr = FindAttr(res, path.attr);
  if (attr == nullptr || !attr->is_array()) return out;
  for (auto& e : attr->get_array()) {
    if (e.is_object() && path.filter->Matches(e.get_object())) out.push_back(&e);
  }
  return out;
}

std::optional<ScimError> WithFilter(std::string_view op, json::object& res, const PatchPath& path, const json::value* value) {
  auto matches = Matching(res, path);
  if (matches.empty()) return Invalid("noTarget", "no value of \"" + path.attr + "\" matches the filter");
  if (op == "remove") {
    auto& arr = FindAttr(res, path.attr)->get_array();
    if (path.sub.empty()) {
      json::array kept;
      for (auto& e : arr) {
        if (std::find(matches.begin(), matches.end(), &e) == matches.end()) kept.push_back(std::move(e));
      }
      arr = std::move(kept);
    } else {
      for (auto* e : matches) EraseAttr(e->get_object(), path.sub);
    }
    return std::nullopt;
  }
  if (value == nullptr) return Invalid("invalidValue", std::string(op) + " needs a value");
  for (auto* e : matches) {
    if (!path.sub.empty()) {
      SetAttr(e->get_object(), path.sub, *value);
    } else if (value->is_object()) {
      for (const auto& kv : value->get_object()) SetAttr(e->get_object(), kv.key(), kv.value());
    } else {
      *e = *value;
    }
  }
  return std::nullopt;
}

std::optional<ScimError> RemovePlain(json::object& res, const PatchPath& path, const json::value* value) {
  auto* attr = FindAttr(res, path.attr);
  if (attr == nullptr) return std::nullopt;  // removing what is not there changes nothing
  if (!path.sub.empty()) {
    if (attr->is_object()) EraseAttr(attr->get_object(), path.sub);
    if (attr->is_array()) {
      for (auto& e : attr->get_array()) {
        if (e.is_object()) EraseAttr(e.get_object(), path.sub);
      }
    }
    return std::nullopt;
  }
  if (value != nullptr && attr->is_array() && value->is_array()) {  // Azure AD: remove listed members
    const auto& drop = value->get_array();
    auto& arr = attr->get_array();
    arr.erase(std::remove_if(arr.begin(), arr.end(),
                             [&](const json::value& e) {
                               return std::any_of(drop.begin(), drop.end(), [&](const json::value& d) { return SameElement(e, d); });
                             }),
              arr.end());
    return std::nullopt;
  }
  EraseAttr(res, path.attr);
  return std::nullopt;
}

std::optional<ScimError> WithPath(std::string_view op, json::object& res, const PatchPath& path, const json::value* value) {
  if (path.filter) return WithFilter(op, res, path, value);
  if (op == "remove") return RemovePlain(res, path, value);
  if (value == nullptr) return Invalid("invalidValue", std::string(op) + " needs a value");
  if (path.sub.empty()) {
    if (op == "add") {
      AddAttr(res, path.attr, *value);
    } else {
      ReplaceAttr(res, path.attr, *value);
    }
    return std::nullopt;
  }
  auto* parent = FindAttr(res, path.attr);
  if (parent == nullptr || !parent->is_object()) {
    SetAttr(res, path.attr, json::object());
    parent = FindAttr(res, path.attr);
  }
  SetAttr(parent->get_object(), path.sub, *value);
  return std::nullopt;
}

std::optional<ScimError> ApplyOne(json::object& res, const json::value& operation) {
  if (!operation.is_object()) return Invalid("invalidSyntax", "each operation must be an object");
  const auto& o = operation.get_object();
  const auto* op_value = FindAttr(o, "op");
  if (op_value == nullptr || !op_value->is_string()) return Invalid("invalidSyntax", "operation without \"op\"");
  std::string op(op_value->get_string());
  for (auto& c : op) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (op != "add" && op != "replace" && op != "remove") return Invalid("invalidSyntax", "unknown op \"" + op + "\"");
  const auto* value = FindAttr(o, "value");
  const auto* path_value = FindAttr(o, "path");
  if (path_value == nullptr || (path_value->is_string() && path_value->get_string().empty())) return WithoutPath(op, res, value);
  if (!path_value->is_string()) return Invalid("invalidPath", "\"path\" must be a string");
  auto path = ParsePath(std::string(path_value->get_string()));
  if (auto* err = std::get_if<ScimError>(&path)) return *err;
  return WithPath(op, res, std::get<PatchPath>(path), value);
}

}  // namespace

void NormalizeBooleans(json::object& resource) {
  if (auto* active = FindAttr(resource, "active"); active != nullptr && active->is_string()) {
    if (IEquals(active->get_string(), "true")) *active = true;
    else if (IEquals(active->get_string(), "false")) *active = false;
  }
}

std::optional<ScimError> ApplyPatch(json::object& resource, const json::array& operations) {
  for (const auto& operation : operations) {
    if (auto err = ApplyOne(resource, operation)) return err;
  }
  NormalizeBooleans(resource);
  return std::nullopt;
}

}  // namespace tenure::sandbox
