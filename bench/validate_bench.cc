// Benchmark: `tenure validate` on a generated 2,000-task playbook (target: under 100 ms).
//
//   build/bench/validate_bench [TASKS] [RUNS]      (defaults: 2000 tasks, 11 runs)
//
// Prints the medians of: the whole `tenure validate FILE` process (what a user waits for), the
// in-process load + validate, and, as the baseline measured in the same run, yaml-cpp parsing the
// same file into a YAML::Node (the floor for any YAML-based tool). The playbook mixes what real
// ones hold: chains and fan-in through needs, for_each, when, templates with filters, results of
// upstream tasks, compensation.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "connectors/catalog.h"
#include "workflows/loader.h"
#include "workflows/validate.h"

namespace {

std::string Generate(int tasks) {
  std::string y =
      "playbook: bench\ninputs:\n  email: { type: email }\n  first_name: { type: string }\n"
      "  groups: { type: list, default: [a, b, c] }\n  manager: { type: email, required: false }\n"
      "vars:\n  user: \"{{ inputs.first_name | slug }}\"\nconnections:\n"
      "  idp: { connector: scim, base_url: \"${env:U}\", token: \"${env:T}\", rate: 20/s, max_in_flight: 8 }\n"
      "tasks:\n";
  for (int i = 0; i < tasks; ++i) {
    const std::string id = "t" + std::to_string(i);
    y += "  " + id + ":\n";
    if (i % 50 == 0) {
      y += "    uses: idp.ensure_user\n    with:\n      userName: \"{{ inputs.email | lower }}\"\n"
           "      displayName: \"{{ vars.user }} {{ inputs.first_name | upper }}\"\n"
           "    compensate: { uses: idp.delete_user, with: { id: \"{{ result.id }}\" } }\n";
      continue;
    }
    const int root = i - i % 50;
    y += "    needs: [t" + std::to_string(i - 1) + (i % 7 == 0 ? ", t" + std::to_string(root) : "") + "]\n";
    if (i % 5 == 0) y += "    when: \"{{ inputs.manager != null and tasks.t" + std::to_string(root) + ".status == 'succeeded' }}\"\n";
    if (i % 3 == 0) {
      y += "    for_each: \"{{ inputs.groups }}\"\n    uses: idp.add_to_group\n"
           "    with: { user_id: \"{{ tasks.t" + std::to_string(root) + ".result.id }}\", group: \"{{ item | lower }}-{{ index }}\" }\n";
    } else {
      y += "    uses: idp.update_user\n    with: { id: \"{{ tasks.t" + std::to_string(root) +
           ".result.id }}\", displayName: \"{{ vars.user | replace('.', ' ') | title }}\" }\n";
    }
  }
  return y;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

template <class F>
double TimeMs(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int tasks = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 11;
  const auto path = std::filesystem::temp_directory_path() / "tenure_bench_playbook.yaml";
  const std::string text = Generate(tasks);
  std::ofstream(path) << text;
  const auto catalog = tenure::connectors::BuiltinCatalog();

  std::vector<double> yaml_ms, inproc_ms, process_ms;
  for (int r = 0; r < runs; ++r) {
    yaml_ms.push_back(TimeMs([&] { (void)YAML::Load(text); }));
    inproc_ms.push_back(TimeMs([&] {
      tenure::workflows::RealFileReader files;
      tenure::workflows::Diagnostics diags;
      auto pb = tenure::workflows::LoadPlaybook(files, path.string(), diags);
      auto graph = tenure::workflows::Validate(pb, catalog, diags);
      if (diags.HasErrors() || !graph) {
        std::fprintf(stderr, "bench playbook is invalid: %s\n", diags.items()[0].message.c_str());
        std::exit(1);
      }
    }));
    const std::string cmd = std::string("'") + TENURE_BINARY + "' validate '" + path.string() + "' > /dev/null";
    process_ms.push_back(TimeMs([&] {
      if (std::system(cmd.c_str()) != 0) std::exit(1);
    }));
  }
  std::printf("validate_bench: %d tasks, %zu bytes, %d runs (medians)\n", tasks, text.size(), runs);
  std::printf("  baseline: yaml-cpp YAML::Load          %8.2f ms\n", Median(yaml_ms));
  std::printf("  load + validate (in process)          %8.2f ms  (%.2fx baseline)\n", Median(inproc_ms),
              Median(inproc_ms) / Median(yaml_ms));
  std::printf("  `tenure validate FILE` (whole process) %8.2f ms  (target < 100 ms)\n", Median(process_ms));
  std::filesystem::remove(path);
  return 0;
}
