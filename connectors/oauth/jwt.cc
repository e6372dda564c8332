#include "connectors/oauth/jwt.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <memory>

#include "connectors/http_support.h"

namespace tenure::connectors::oauth {
namespace {

template <auto F>
struct Deleter {
  template <class T>
  void operator()(T* p) const {
    F(p);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using KeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

BioPtr ReadBio(std::string_view text) { return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size()))); }

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

KeyPtr PrivateKey(std::string_view pem) {
  if (pem.empty() || pem.size() > 64 * 1024) return nullptr;
  BioPtr bio = ReadBio(pem);
  return KeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

X509Ptr Certificate(std::string_view pem) {
  if (pem.empty() || pem.size() > 64 * 1024) return nullptr;
  BioPtr bio = ReadBio(pem);
  return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

// The public key in `pem`: a certificate's, a public key, or a private key's public half.
KeyPtr AnyPublicKey(std::string_view pem) {
  if (pem.find("CERTIFICATE-----") != std::string_view::npos) {
    X509Ptr cert = Certificate(pem);
    return KeyPtr(cert ? X509_get_pubkey(cert.get()) : nullptr);
  }
  if (pem.find("PUBLIC KEY-----") != std::string_view::npos) {
    BioPtr bio = ReadBio(pem);
    return KeyPtr(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  }
  return PrivateKey(pem);
}

Result<Map> DecodeJsonPart(std::string_view part, std::string_view what) {
  auto bytes = Base64UrlDecode(part);
  if (!bytes) return Error::Parse("JWT " + std::string(what) + " is not base64url");
  auto value = ParseJsonBody(*bytes);
  if (!value || !value->IsMap()) return Error::Parse("JWT " + std::string(what) + " is not a JSON object");
  return value->AsMap();
}

}  // namespace

std::string Base64Url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) | (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    for (int s : {18, 12, 6, 0}) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (const char c : text) {
    const auto pos = kAlphabet.find(c);
    if (pos == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

Result<std::string> SignRs256(std::string_view private_key_pem, std::string_view data) {
  KeyPtr key = PrivateKey(private_key_pem);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) {
    return Error::InvalidArgument("the private key is not a PEM RSA private key");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1) {
    return Error::InvalidArgument("RS256 signing failed (OpenSSL refused the key)");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return Error::InvalidArgument("RS256 signing failed");
  }
  signature.resize(length);
  return signature;
}

bool VerifyRs256(std::string_view pem, std::string_view data, std::string_view signature) {
  KeyPtr key = AnyPublicKey(pem);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

Result<std::string> MakeJwt(Map header, const Map& claims, std::string_view private_key_pem) {
  header.Set("alg", "RS256");
  header.Set("typ", "JWT");
  const std::string input = Base64Url(Value(std::move(header)).ToJson()) + "." + Base64Url(Value(claims).ToJson());
  auto signature = SignRs256(private_key_pem, input);
  if (!signature) return signature.error();
  return input + "." + Base64Url(*signature);
}

Result<ParsedJwt> ParseJwt(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Error::Parse("a JWT has three dot-separated parts");
  }
  ParsedJwt out;
  auto header = DecodeJsonPart(token.substr(0, first), "header");
  if (!header) return header.error();
  auto claims = DecodeJsonPart(token.substr(first + 1, second - first - 1), "claims");
  if (!claims) return claims.error();
  auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!signature) return Error::Parse("JWT signature is not base64url");
  out.header = std::move(*header);
  out.claims = std::move(*claims);
  out.signing_input = std::string(token.substr(0, second));
  out.signature = std::move(*signature);
  return out;
}

Result<std::string> GenerateRsaKeyPem(int bits) {
  KeyPtr key(EVP_RSA_gen(static_cast<unsigned>(bits)));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!key || !bio || PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Error::Io("RSA key generation failed");
  }
  return BioText(bio.get());
}

Result<std::string> SelfSignedCertificatePem(std::string_view key_pem, std::string_view common_name) {
  KeyPtr key = PrivateKey(key_pem);
  X509Ptr cert(X509_new());
  if (!key || !cert) return Error::InvalidArgument("the private key is not a PEM private key");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 365L * 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn(common_name);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0 || !bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1) {
    return Error::Io("certificate generation failed");
  }
  return BioText(bio.get());
}

Result<std::string> CertificateThumbprint(std::string_view cert_pem, bool sha256) {
  X509Ptr cert = Certificate(cert_pem);
  if (!cert) return Error::InvalidArgument("the certificate is not a PEM X.509 certificate");
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned length = 0;
  if (X509_digest(cert.get(), sha256 ? EVP_sha256() : EVP_sha1(), md.data(), &length) != 1) {
    return Error::InvalidArgument("cannot digest the certificate");
  }
  return std::string(reinterpret_cast<const char*>(md.data()), length);
}

std::optional<std::string> TokenCache::Get(const std::string& key, Clock::time_point now) const {
  auto it = tokens_.find(key);
  if (it == tokens_.end() || now >= it->second.renew_at) return std::nullopt;
  return it->second.token;
}

void TokenCache::Put(const std::string& key, std::string token, std::chrono::seconds lifetime, Clock::time_point now) {
  const auto margin = std::min<std::chrono::seconds>(std::chrono::seconds(60), lifetime / 2);
  tokens_[key] = Entry{std::move(token), now + lifetime - margin};
}

}  // namespace tenure::connectors::oauth
