#include "cli/prepare_run.h"

#include <sys/stat.h>

#include <chrono>

#include "connectors/secrets.h"
#include "engine/arg_checks.h"
#include "engine/clock.h"
#include "engine/history.h"
#include "engine/state_store.h"
#include "workflows/history.h"
#include "workflows/preview.h"

namespace tenure::cli {

using workflows::Diagnostics;
using workflows::SourceLocation;

PreparedRun PrepareRun(workflows::FileReader& files, const workflows::ConnectorCatalog& catalog,
                       const LoadedPlaybook& lp, const std::string& playbook_path,
                       const std::vector<std::string>& input_files, const std::vector<std::string>& sets,
                       Diagnostics& diags, const HistoryReader& read_history) {
  PreparedRun out;
  if (!lp.graph) return out;
  const auto given = ReadGivenInputs(files, lp.pb, input_files, sets, diags);
  out.inputs = workflows::ResolveInputs(lp.pb.inputs, given, SourceLocation{playbook_path, 0, 0}, diags,
                                        engine::CheckTimeZoneName);
  if (diags.HasErrors()) return out;
  workflows::PreviewOptions options;
  options.check = engine::CheckBuiltinArgs;
  options.catalog = &catalog;
  // Settings that are not credentials are shown resolved (a base_url from ${env:..}).
  workflows::RealFileReader secret_files;
  connectors::EnvFileSecretResolver resolver(secret_files);
  options.resolve = [&resolver](std::string_view text) -> std::optional<std::string> {
    connectors::Redactor unused;
    auto v = connectors::ResolveSecretsIn(text, "", resolver, unused);
    return v ? std::optional<std::string>(*v) : std::nullopt;
  };
  if (read_history && workflows::UsesHistory(lp.pb)) {
    // A lookup whose arguments do not evaluate is reported by Preview (its "history" entry).
    if (auto lookups = workflows::HistoryLookups(lp.pb, out.inputs)) {
      auto root = read_history(*lookups);
      if (!root) {
        diags.Error(SourceLocation{playbook_path, 0, 0}, "history", "reading history.last: " + root.error().message);
        return out;
      }
      options.history = std::move(*root);
    }
  }
  out.preview = workflows::Preview(lp.pb, *lp.graph, out.inputs, diags, options);
  return out;
}

HistoryReader DatabaseHistoryReader(std::string db_path) {
  return [db_path = std::move(db_path)](const std::vector<workflows::HistoryKey>& lookups) -> Result<Value> {
    struct stat st {};
    if (::stat(db_path.c_str(), &st) != 0) {  // no database yet: no earlier run (and none created)
      Map root;
      for (const workflows::HistoryKey& k : lookups) workflows::SetHistory(root, k, Value());
      return Value(std::move(root));
    }
    auto store = engine::OpenSqliteStore(db_path);
    if (!store) return store.error();
    const std::int64_t now = engine::ToUnixMillis(std::chrono::system_clock::now());
    return engine::ReadHistory(**store, lookups, "", now);
  };
}

}  // namespace tenure::cli
