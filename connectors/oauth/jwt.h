// JSON Web Tokens signed with RS256 (RFC 7515/7518/7519) through OpenSSL's EVP_DigestSign, for the
// OAuth 2.0 JWT bearer grant (RFC 7523: Google service accounts) and client assertions (Microsoft
// identity platform certificates); plus the verifying half, key and certificate generation that
// the sandbox and the tests use. Pure functions, no I/O.
//
// Secrets: errors never quote a key, a token or a signature; they say what was wrong ("the
// private key is not a PEM RSA key").
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "workflows/error.h"
#include "workflows/value.h"

namespace tenure::connectors::oauth {

// base64url without padding (RFC 4648 section 5, as JWTs use it), and its inverse (nullopt on a
// character outside the alphabet).
std::string Base64Url(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// RSASSA-PKCS1-v1_5 with SHA-256 of `data` under the PEM private key (PKCS#8 "BEGIN PRIVATE KEY"
// or PKCS#1 "BEGIN RSA PRIVATE KEY"). InvalidArgument when the key is unusable.
Result<std::string> SignRs256(std::string_view private_key_pem, std::string_view data);
// Whether `signature` is a valid RS256 signature of `data` under `pem`: a public key, a private
// key (its public half) or an X.509 certificate.
bool VerifyRs256(std::string_view pem, std::string_view data, std::string_view signature);

// "BASE64URL(header).BASE64URL(claims).BASE64URL(signature)"; `header` gets alg RS256 and typ JWT
// added. `header` and `claims` must be maps.
Result<std::string> MakeJwt(Map header, const Map& claims, std::string_view private_key_pem);

struct ParsedJwt {
  Map header;
  Map claims;
  std::string signing_input;  // the first two parts with the dot, as signed
  std::string signature;      // raw bytes
};
// Splits and decodes a compact JWT (no signature check: see VerifyRs256). Parse error on a
// malformed one.
Result<ParsedJwt> ParseJwt(std::string_view token);

// A fresh RSA private key as PKCS#8 PEM (for the sandbox and tests; never for production keys).
Result<std::string> GenerateRsaKeyPem(int bits = 2048);
// A self-signed X.509 certificate for `key_pem` with subject CN=`common_name`, valid for a year.
Result<std::string> SelfSignedCertificatePem(std::string_view key_pem, std::string_view common_name);
// The SHA-1 / SHA-256 digest of the certificate's DER encoding (raw bytes): base64url'd, the
// `x5t` / `x5t#S256` JWT header of a client assertion.
Result<std::string> CertificateThumbprint(std::string_view cert_pem, bool sha256 = false);

// Seconds since the Unix epoch, for iat/exp claims.
inline std::int64_t UnixSeconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// Access tokens of one connection, by a key the connector chooses (subject and scopes). A token
// is handed out until shortly before it expires: its last minute, or the last half of its life
// when that is shorter (so a 2-second test token is renewed after 1 second). Not thread-safe
// (engine executor only).
class TokenCache {
 public:
  using Clock = std::chrono::steady_clock;
  std::optional<std::string> Get(const std::string& key, Clock::time_point now) const;
  void Put(const std::string& key, std::string token, std::chrono::seconds lifetime, Clock::time_point now);
  void Drop(const std::string& key) { tokens_.erase(key); }

 private:
  struct Entry {
    std::string token;
    Clock::time_point renew_at;
  };
  std::map<std::string, Entry> tokens_;
};

}  // namespace tenure::connectors::oauth
