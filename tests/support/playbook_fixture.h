// Helpers to load and validate inline playbook YAML, and to read diagnostics as plain lines.
#pragma once

#include <string>
#include <vector>

#include "connectors/catalog.h"
#include "tests/support/in_memory_files.h"
#include "workflows/loader.h"
#include "workflows/validate.h"

namespace tenure::testing {

struct Checked {
  workflows::Playbook pb;
  std::optional<workflows::TaskGraph> graph;
  workflows::Diagnostics diags;

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

// Loads `yaml` as "pb.yaml" (plus any `extra` files) and validates it when it loaded cleanly.
inline Checked Check(const std::string& yaml, InMemoryFiles extra = {}) {
  extra.Add("pb.yaml", yaml);
  Checked c;
  c.pb = workflows::LoadPlaybook(extra, "pb.yaml", c.diags);
  if (!c.diags.HasErrors()) c.graph = workflows::Validate(c.pb, connectors::BuiltinCatalog(), c.diags);
  c.diags.Sort();
  return c;
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
