#include "cli/prepare_run.h"

#include "connectors/secrets.h"
#include "engine/arg_checks.h"
#include "workflows/preview.h"

namespace tenure::cli {

using workflows::Diagnostics;
using workflows::SourceLocation;

PreparedRun PrepareRun(workflows::FileReader& files, const workflows::ConnectorCatalog& catalog,
                       const LoadedPlaybook& lp, const std::string& playbook_path,
                       const std::vector<std::string>& input_files, const std::vector<std::string>& sets,
                       Diagnostics& diags) {
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
  out.preview = workflows::Preview(lp.pb, *lp.graph, out.inputs, diags, options);
  return out;
}

}  // namespace tenure::cli
