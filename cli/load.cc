#include "cli/load.h"

#include <ostream>
#include <set>

#include "workflows/loader.h"
#include "workflows/validate.h"
#include "workflows/yaml_tree.h"

namespace tenure::cli {

using workflows::Diagnostics;
using workflows::GivenInput;
using workflows::SourceLocation;

namespace {

void ReadInputFile(workflows::FileReader& files, const std::string& path, std::vector<GivenInput>& given,
                   Diagnostics& diags) {
  auto text = files.Read(path);
  if (!text) {
    diags.Error(SourceLocation{path, 0, 0}, "", "cannot read inputs: " + text.error().message);
    return;
  }
  Diagnostics parse;
  workflows::YamlNode root = workflows::ParseYaml(*text, path, parse);
  if (!parse.HasErrors() && !root.IsMap()) {
    parse.Error(root.where.Known() ? root.where : SourceLocation{path, 1, 1}, "",
                std::string("an inputs file must be a mapping of input name to value, got ") + root.Describe());
  }
  for (workflows::Diagnostic d : parse.items()) {
    workflows::AttachExcerpt(d, *text);
    diags.Add(std::move(d));
  }
  if (parse.HasErrors()) return;
  for (const workflows::YamlEntry& e : root.entries) {
    given.push_back({e.key.scalar, workflows::ToValue(e.value), e.value.where.Known() ? e.value.where : e.key.where});
  }
}

}  // namespace

std::vector<GivenInput> ReadGivenInputs(workflows::FileReader& files, const workflows::Playbook& pb,
                                        const std::vector<std::string>& input_files,
                                        const std::vector<std::string>& sets, Diagnostics& diags) {
  std::vector<GivenInput> given;
  for (const std::string& f : input_files) ReadInputFile(files, f, given, diags);
  for (const std::string& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      diags.Error(SourceLocation{"--set " + s, 0, 0}, "", "expected --set name=value");
      continue;
    }
    const std::string name = s.substr(0, eq);
    const workflows::InputSpec* spec = pb.FindInput(name);
    Value v = spec != nullptr ? workflows::CoerceInput(*spec, s.substr(eq + 1)) : Value(s.substr(eq + 1));
    given.push_back({name, std::move(v), SourceLocation{"--set " + name, 0, 0}});
  }
  // A later value for the same input replaces an earlier one (files first, then --set).
  std::vector<GivenInput> last;
  for (auto it = given.rbegin(); it != given.rend(); ++it) {
    bool seen = false;
    for (const GivenInput& g : last) seen = seen || g.name == it->name;
    if (!seen) last.insert(last.begin(), *it);
  }
  return last;
}

std::string SummaryLine(const Diagnostics& diags) {
  const std::size_t errors = diags.ErrorCount();
  const std::size_t warnings = diags.items().size() - errors;
  if (errors + warnings == 0) return "";
  // The files that have errors (an included library counts); a `--set` value is not a file.
  std::set<std::string> files;
  for (const workflows::Diagnostic& d : diags.items()) {
    if (d.severity != workflows::Severity::kError || d.where.file.empty() || d.where.file.starts_with("--set ")) {
      continue;
    }
    files.insert(d.where.file);
  }
  std::string out = std::to_string(errors) + (errors == 1 ? " error" : " errors");
  if (files.size() > 1) out += " in " + std::to_string(files.size()) + " files";
  if (warnings > 0) out += ", " + std::to_string(warnings) + (warnings == 1 ? " warning" : " warnings");
  return out;
}

void PrintDiagnostics(const Diagnostics& diags, std::ostream& out) {
  for (const workflows::Diagnostic& d : diags.items()) out << workflows::Render(d);
  if (const std::string summary = SummaryLine(diags); !summary.empty()) out << summary << "\n";
}

}  // namespace tenure::cli
