// libFuzzer target: parses the input as a Template and, when it parses, inspects it and renders it
// against a scope with sample roots. Must never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "workflows/expr.h"

namespace {

using tenure::List;
using tenure::Map;
using tenure::Value;

tenure::workflows::MapScope MakeScope() {
  Map inputs;
  inputs.Set("first_name", "Jos\xC3\xA9");
  inputs.Set("last_name", "M\xC3\xBCller");
  inputs.Set("start_date", "2026-01-05");
  inputs.Set("tags", List{Value("admin"), Value("dev"), Value(3), Value(1.5), Value(nullptr)});
  inputs.Set("count", 3);
  inputs.Set("optional", nullptr);
  Map manager;
  manager.Set("email", "boss@example.com");
  inputs.Set("manager", manager);
  Map run;
  run.Set("id", "run-0001");
  Map roots;
  roots.Set("inputs", inputs);
  roots.Set("vars", Map(inputs));
  roots.Set("item", "item-value");
  roots.Set("index", 2);
  roots.Set("run", run);
  roots.Set("now", "2026-01-05T09:00:00+02:00");
  // "tasks" and "result" are left out: they render as kUnresolved.
  return tenure::workflows::MapScope(std::move(roots));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const tenure::workflows::MapScope scope = MakeScope();
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = tenure::workflows::Template::Parse(text);
  if (!parsed) {
    // A parse error must point inside the text (or at its end).
    if (parsed.error().offset > size) __builtin_trap();
    return 0;
  }
  const tenure::workflows::Template copy = *parsed;  // exercises the copy constructor
  for (const auto& ref : copy.References()) {
    if (ref.path.empty() || ref.offset >= size) __builtin_trap();
  }
  (void)copy.Filters();
  (void)copy.IsSingleExpression();
  auto rendered = copy.Render(scope);
  if (rendered && !copy.IsSingleExpression() && !rendered->IsString()) __builtin_trap();
  return 0;
}
