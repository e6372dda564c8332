// Helpers to load and validate inline playbook YAML, and to read diagnostics as plain lines.
#pragma once

#include <string>
#include <vector>

#include "connectors/catalog.h"
#include "tests/support/in_memory_files.h"
#include "workflows/loader.h"
#include "workflows/validate.h"

namespace tenure::testing {

struct Checked : workflows::CheckedPlaybook {

  // "file:line:col: error: message" for each diagnostic, in order, without excerpts.
  std::vector<std::string> Lines() const {
    std::vector<std::string> out;
    for (const auto& d : diags.items()) {
      out.push_back(d.where.ToString() + (d.severity == workflows::Severity::kError ? ": error: " : ": warning: ") +
                    d.message);
    }
    return out;
  }
};

// Loads and validates `yaml` as "pb.yaml" (plus any `extra` files), as `tenure validate` does.
inline Checked Check(const std::string& yaml, InMemoryFiles extra = {}) {
  extra.Add("pb.yaml", yaml);
  return Checked{workflows::LoadAndValidate(extra, connectors::BuiltinCatalog(), "pb.yaml")};
}

// A valid header for inline playbooks: one scim connection named idp.
inline const char* kHeader = R"(playbook: test
inputs:
  email: { type: email }
  first_name: { type: string }
  groups: { type: list, default: [a, b] }
  manager: { type: email, required: false }
connections:
  idp: { connector: scim, base_url: "${env:SCIM_URL}", token: "${env:SCIM_TOKEN}" }
)";

}  // namespace tenure::testing
