// Test FileReaders: InMemoryFiles (a map of path -> text; missing paths are kNotFound) and
// BaseDirFiles (reads below a directory, so diagnostics show short relative paths).
#pragma once

#include <map>
#include <string>

#include "workflows/file_reader.h"

namespace tenure::testing {

class InMemoryFiles final : public workflows::FileReader {
 public:
  InMemoryFiles() = default;
  InMemoryFiles(std::initializer_list<std::pair<const std::string, std::string>> files) : files_(files) {}
  void Add(std::string path, std::string text) { files_[std::move(path)] = std::move(text); }
  Result<std::string> Read(const std::string& path) override {
    auto it = files_.find(path);
    if (it == files_.end()) return Error::NotFound(path + ": no such file");
    return it->second;
  }

 private:
  std::map<std::string, std::string> files_;
};

class BaseDirFiles final : public workflows::FileReader {
 public:
  explicit BaseDirFiles(std::string base) : base_(std::move(base)) {}
  Result<std::string> Read(const std::string& path) override {
    auto r = real_.Read(base_ + "/" + path);
    if (!r) return Error{r.error().code, path + ": no such file"};
    return r;
  }

 private:
  std::string base_;
  workflows::RealFileReader real_;
};

}  // namespace tenure::testing
