#include "workflows/connector_schema.h"

namespace tenure::workflows {

const char* ArgTypeName(ArgType t) {
  switch (t) {
    case ArgType::kString: return "string";
    case ArgType::kInt: return "int";
    case ArgType::kBool: return "bool";
    case ArgType::kList: return "list";
    case ArgType::kMap: return "map";
    case ArgType::kDuration: return "duration";
    case ArgType::kAny: return "any";
  }
  return "?";
}

const ArgSpec* ActionSpec::FindArg(std::string_view n) const {
  for (const ArgSpec& a : args) {
    if (a.name == n) return &a;
  }
  return nullptr;
}

const ActionSpec* ConnectorSpec::FindAction(std::string_view n) const {
  for (const ActionSpec& a : actions) {
    if (a.name == n) return &a;
  }
  return nullptr;
}

const ArgSpec* ConnectorSpec::FindConfig(std::string_view n) const {
  for (const ArgSpec& a : config) {
    if (a.name == n) return &a;
  }
  return nullptr;
}

bool ConnectorSpec::IsCredential(std::string_view key, std::string_view inner, bool written_as_reference) const {
  const ArgSpec* arg = FindConfig(key);
  if (arg == nullptr || arg->secret) return true;
  return !inner.empty() && arg->references_are_credentials && written_as_reference;
}

const ConnectorSpec* ConnectorCatalog::Find(std::string_view n) const {
  for (const ConnectorSpec& c : specs_) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

std::vector<std::string_view> ConnectorCatalog::Names() const {
  std::vector<std::string_view> names;
  for (const ConnectorSpec& c : specs_) names.push_back(c.name);
  return names;
}

}  // namespace tenure::workflows
