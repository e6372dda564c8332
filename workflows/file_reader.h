// FileReader: the seam through which the playbook language reads files (playbooks, includes,
// input files). Tests use an in-memory implementation; the CLI uses RealFileReader.
#pragma once

#include <string>

#include "workflows/error.h"

namespace tenure::workflows {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // The whole content of `path`. Errors: kNotFound (no such file), kIo (unreadable, a directory,
  // larger than the limit, not UTF-8 text).
  virtual Result<std::string> Read(const std::string& path) = 0;
};

// Reads from the local file system. Files over 4 MiB are refused (a 10,000-task playbook is
// about 2 MB; parsing a larger one would cost seconds and hundreds of MB before any other limit).
class RealFileReader final : public FileReader {
 public:
  Result<std::string> Read(const std::string& path) override;
};

}  // namespace tenure::workflows
