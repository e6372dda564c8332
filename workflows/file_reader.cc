#include "workflows/file_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tenure::workflows {
namespace {
constexpr std::uintmax_t kMaxFileBytes = 4 * 1024 * 1024;
}

Result<std::string> RealFileReader::Read(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) return Error::NotFound(path + ": no such file");
  if (std::filesystem::is_directory(status)) return Error::Io(path + ": is a directory");
  const auto size = std::filesystem::file_size(path, ec);
  if (!ec && size > kMaxFileBytes) return Error::Io(path + ": file too large (over 4 MiB; split it into several playbooks)");
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::Io(path + ": cannot open: " + std::strerror(errno));
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return Error::Io(path + ": read failed");
  return out.str();
}

}  // namespace tenure::workflows
