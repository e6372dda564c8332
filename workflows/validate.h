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
#include "workflows/file_reader.h"
#include "workflows/playbook.h"
#include "workflows/task_graph.h"

namespace tenure::workflows {

// Reports every problem to `diags` (with excerpts from pb.sources). Returns the task graph when
// the graph itself could be built (no cycles), even if other errors were found.
std::optional<TaskGraph> Validate(const Playbook& pb, const ConnectorCatalog& catalog, Diagnostics& diags);

// A playbook as loaded and validated.
struct CheckedPlaybook {
  Playbook pb;
  std::optional<TaskGraph> graph;  // set when it loaded without error and the graph could be built
  Diagnostics diags;               // every load and validation diagnostic, sorted, with excerpts

  // True when it may run: no error at all, and a graph.
  bool ok() const { return graph.has_value() && !diags.HasErrors(); }
};

// The one load-and-validate step (the CLI, the engine's playbook cache and the tests use it):
// loads `path` and its includes, then validates against `catalog`. Validation runs even after
// load errors, so that every mistake is reported at once; the graph is kept only when loading
// found no error, since a partly loaded playbook must never be acted on.
CheckedPlaybook LoadAndValidate(FileReader& files, const ConnectorCatalog& catalog, const std::string& path);

// Why `name` (an entry of manual.approve's `approvers`) cannot be an OS user name, or nullopt.
// `tenure approve` checks the OS user who runs it, so an e-mail address could never approve.
std::optional<std::string> WhyNotApprover(std::string_view name);

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
