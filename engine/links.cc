#include "engine/links.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <stdexcept>
#include <cstring>
#include <vector>

namespace tenure::engine {
namespace {

std::string Hex(std::string_view bytes) {
  static const char* const kDigits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

std::string Claims(const LinkClaims& c) {
  return "v1\n" + c.id + "\n" + c.run + "\n" + c.task + "\n" + std::to_string(c.item) + "\n" + c.person + "\n" +
         std::to_string(c.expires_ms);
}

Error Invalid() { return Error::Denied("this link is not valid (it was changed, or it is not one of ours)"); }

}  // namespace

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return Hex(raw);
}

std::string NewLinkId() { return RandomHex(16); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string Base64Url(std::string_view bytes) {
  static const char* const kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

std::string FromBase64Url(std::string_view text, bool* ok) {
  *ok = false;
  const auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return "";
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = val(c);
    if (v < 0) return "";
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  // Non-canonical trailing bits would let two texts carry one signature: refuse them.
  if ((acc & ((1u << bits) - 1)) != 0) return "";
  *ok = true;
  return out;
}

Result<LinkKey> LinkKey::LoadOrCreate(const std::string& db_path) {
  const std::string path = db_path + ".links.key";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT) {
    const std::string hex = RandomHex(32);
    fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd >= 0) {
      const std::string line = hex + "\n";
      const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
      ::close(fd);
      if (!written) return Error::Io("cannot write link key " + path + ": " + std::strerror(errno));
    }
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  }
  if (fd < 0) return Error::Io("cannot open link key " + path + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::InvalidArgument("link key " + path + " is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    return Error::InvalidArgument("link key " + path + " is accessible by other users; run: chmod 600 " + path);
  }
  char buf[256] = {};
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  std::string hex(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) hex.pop_back();
  if (hex.size() < 64 || hex.size() % 2 != 0) {
    return Error::InvalidArgument("link key " + path + " is malformed (expected 64 hex digits); remove it to make a new one");
  }
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const std::string pair = hex.substr(i, 2);
    char* end = nullptr;
    const long v = std::strtol(pair.c_str(), &end, 16);
    if (end != pair.c_str() + 2) return Error::InvalidArgument("link key " + path + " is malformed (not hex)");
    bytes += static_cast<char>(v);
  }
  return LinkKey(std::move(bytes));
}

std::string LinkKey::Sign(const LinkClaims& claims) const {
  const std::string body = Claims(claims);
  return Base64Url(body) + "." + Base64Url(HmacSha256(key_, body));
}

Result<LinkClaims> LinkKey::Verify(std::string_view token) const {
  const auto dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 4096) return Invalid();
  bool ok1 = false, ok2 = false;
  const std::string body = FromBase64Url(token.substr(0, dot), &ok1);
  const std::string mac = FromBase64Url(token.substr(dot + 1), &ok2);
  if (!ok1 || !ok2 || !SameBytes(mac, HmacSha256(key_, body))) return Invalid();
  std::vector<std::string> f;
  std::size_t start = 0;
  for (;;) {
    const auto nl = body.find('\n', start);
    f.push_back(body.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  if (f.size() != 7 || f[0] != "v1") return Invalid();
  LinkClaims c;
  c.id = f[1];
  c.run = f[2];
  c.task = f[3];
  c.item = std::atoi(f[4].c_str());
  c.person = f[5];
  c.expires_ms = std::strtoll(f[6].c_str(), nullptr, 10);
  return c;
}

}  // namespace tenure::engine
