// Signed, single-use, expiring decision links.
//
// A link is "<base64url(claims)>.<base64url(HMAC-SHA256(key, claims))>" where the claims are
// "v1\n<link id>\n<run>\n<task>\n<item>\n<person>\n<expires unix ms>". The key (32 random bytes)
// is kept by the daemon in a file of mode 0600 next to the database ("<db>.links.key"); the
// database stores only the link ids with their run, task, person, expiry and when they were used
// (table `links`, schema 5), never the key nor a token. A decision through a link consumes it in
// the same transaction that records the decision, so a link decides at most once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/clock.h"
#include "workflows/error.h"

namespace tenure::engine {

struct LinkClaims {
  std::string id;  // 32 hex digits, random
  std::string run;
  std::string task;
  int item = -1;
  std::string person;  // e-mail (or OS user)
  std::int64_t expires_ms = 0;
};

class LinkKey {
 public:
  // Reads "<db_path>.links.key", creating it (mode 0600, 32 random bytes as hex) when missing.
  // Errors: kInvalidArgument when the file is readable by others or malformed; kIo.
  static Result<LinkKey> LoadOrCreate(const std::string& db_path);
  // A key from raw bytes (tests).
  static LinkKey FromBytes(std::string bytes) { return LinkKey(std::move(bytes)); }

  std::string Sign(const LinkClaims& claims) const;
  // Checks the signature (constant time) and the shape; not the expiry nor single use (the caller
  // compares with the store and its clock). Errors: kDenied "this link is not valid (it was
  // changed or is not one of ours)".
  Result<LinkClaims> Verify(std::string_view token) const;

 private:
  explicit LinkKey(std::string bytes) : key_(std::move(bytes)) {}
  std::string key_;
};

// What the executor needs to put links in its messages: the daemon's key and the console's
// public base URL ("https://tenure.example.com", no trailing slash). Absent (Services::people
// null): messages tell people to use `tenure decide`.
struct PeopleConfig {
  const LinkKey* key = nullptr;
  std::string base_url;
  std::int64_t link_ttl_ms = 7LL * 24 * 3600 * 1000;  // a link expires after this, or at the deadline if later
};

// A fresh random id (32 hex digits).
std::string NewLinkId();

// Random bytes as hex (CSRF tokens, bearer tokens).
std::string RandomHex(std::size_t bytes);

// HMAC-SHA256 of `data` under `key`, as raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

// Base64url without padding, and back ("" on malformed input sets ok=false).
std::string Base64Url(std::string_view bytes);
std::string FromBase64Url(std::string_view text, bool* ok);

// Constant-time equality.
bool SameBytes(std::string_view a, std::string_view b);

}  // namespace tenure::engine
