// Validation: cross-checks of a loaded playbook against the connector catalog and itself.
//
// Checks: connections (connector type, config keys, required config, secrets only as references),
// every `uses` (connection and action exist), `with` arguments (required, unknown, literal types),
// every template (syntax, names, filters, and what it may read where: inputs and vars at the top
// level, params in included files, item/index only under for_each, result only in compensate,
// tasks.X only when X is upstream through needs), include parameters, and the graph (cycles).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "workflows/connector_schema.h"
#include "workflows/diagnostic.h"
#include "workflows/playbook.h"
#include "workflows/task_graph.h"

namespace tenure::workflows {

// Reports every problem to `diags` (with excerpts from pb.sources). Returns the task graph when
// the graph itself could be built (no cycles), even if other errors were found.
std::optional<TaskGraph> Validate(const Playbook& pb, const ConnectorCatalog& catalog, Diagnostics& diags);

// The lines of every source file of a playbook, indexed once (for positions inside scalars).
class SourceIndex {
 public:
  explicit SourceIndex(const Playbook& pb);
  // Line `line` (1-based) of `file`, without its newline; "" when unknown.
  std::string_view Line(const std::string& file, int line) const;

 private:
  struct File {
    std::string_view path;
    std::string_view text;
    std::vector<std::size_t> starts;  // byte offset of each line
  };
  std::vector<File> files_;
};

// Where byte `offset` of a scalar's text is in the source: exact for plain and quoted one-line
// scalars, the scalar's start otherwise.
SourceLocation LocateInScalar(const SourceIndex& sources, const YamlNode& scalar, std::size_t offset);

}  // namespace tenure::workflows
