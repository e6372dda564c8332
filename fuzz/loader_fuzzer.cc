// libFuzzer target: arbitrary bytes as a playbook (which may include a fixed library file).
// Loading, validation, graph export and plan preview must never crash, hang or leak, whatever the
// input; they may only report diagnostics.
#include <cstddef>
#include <cstdint>
#include <string>

#include "connectors/catalog.h"
#include "workflows/graph_export.h"
#include "workflows/inputs.h"
#include "workflows/loader.h"
#include "workflows/preview.h"
#include "workflows/validate.h"

namespace {

class Files final : public tenure::workflows::FileReader {
 public:
  explicit Files(std::string main) : main_(std::move(main)) {}
  tenure::Result<std::string> Read(const std::string& path) override {
    if (path == "pb.yaml") return main_;
    if (path == "lib.yaml") {
      return std::string(
          "params:\n  p: { type: string, default: x }\ntasks:\n  t:\n    uses: manual.task\n"
          "    with: { prompt: \"{{ params.p | upper }}\" }\n");
    }
    return tenure::Error::NotFound(path + ": no such file");
  }

 private:
  std::string main_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tenure::workflows;
  static const ConnectorCatalog catalog = tenure::connectors::BuiltinCatalog();  // immutable
  Files files(std::string(reinterpret_cast<const char*>(data), size));
  Diagnostics diags;
  Playbook pb = LoadPlaybook(files, "pb.yaml", diags);
  if (diags.HasErrors()) return 0;
  auto graph = Validate(pb, catalog, diags);
  if (!graph) return 0;
  (void)GraphToDot(pb, *graph);
  (void)GraphToMermaid(pb, *graph);
  if (diags.HasErrors()) return 0;
  std::vector<GivenInput> given;
  for (const InputSpec& in : pb.inputs) {
    if (in.type == InputType::kString) given.push_back({in.name, tenure::Value("Zoë O'Brien \"{{x}}\""), {}});
  }
  tenure::Map inputs = ResolveInputs(pb.inputs, given, SourceLocation{"pb.yaml", 0, 0}, diags);
  (void)Preview(pb, *graph, inputs, diags);
  return 0;
}
