#include "engine/playbook_cache.h"

#include "workflows/validate.h"

namespace tenure::engine {
namespace {

// The stored snapshot as a file system: a resumed run never reads the files on disk.
class SnapshotFiles final : public workflows::FileReader {
 public:
  explicit SnapshotFiles(const std::vector<SourceSnapshot>& sources) {
    for (const SourceSnapshot& s : sources) files_[s.path] = s.text;
  }
  Result<std::string> Read(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Error::NotFound(path + " is not in the run's playbook snapshot");
    return it->second;
  }

 private:
  std::map<std::string, std::string> files_;
};

std::string FirstDiagnostics(const workflows::Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.items()) {
    if (d.severity != workflows::Severity::kError) continue;
    out += (out.empty() ? "" : "; ") + d.where.ToString() + ": " + d.message;
  }
  return out;
}

std::string KeyOf(const std::vector<SourceSnapshot>& sources) {
  std::string key;
  for (const SourceSnapshot& s : sources) key += s.path + '\0' + s.sha256 + '\0';
  return key;
}

}  // namespace

Result<std::shared_ptr<const LoadedPlaybook>> PlaybookCache::Get(const std::vector<SourceSnapshot>& sources,
                                                                 const workflows::ConnectorCatalog& catalog) {
  if (sources.empty()) return Error::InvalidArgument("the run has no playbook snapshot");
  const std::string key = KeyOf(sources);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (auto held = it->second.lock()) return held;
  }
  ++loads_;
  SnapshotFiles files(sources);
  workflows::CheckedPlaybook checked = workflows::LoadAndValidate(files, catalog, sources.front().path);
  if (!checked.ok()) {
    return Error::InvalidArgument("the playbook snapshot is not valid for this tenure: " +
                                  FirstDiagnostics(checked.diags));
  }
  workflows::Playbook pb = std::move(checked.pb);
  std::optional<workflows::TaskGraph> graph = std::move(checked.graph);
  std::vector<bool> cont;
  for (const auto& t : pb.tasks) cont.push_back(t.on_failure == workflows::TaskFailurePolicy::kContinue);
  auto loaded = std::make_shared<const LoadedPlaybook>(LoadedPlaybook{std::move(pb), std::move(*graph), std::move(cont)});
  // Forget entries no run holds any more, so the map does not grow with every playbook ever run.
  std::erase_if(entries_, [](const auto& entry) { return entry.second.expired(); });
  entries_[key] = loaded;
  if (recent_.size() == kRecent) recent_.erase(recent_.begin());
  recent_.push_back(loaded);
  return loaded;
}

}  // namespace tenure::engine
