// TLS: a self-signed certificate made at test time with OpenSSL (no network, no files in the
// tree), served by the sandbox on loopback. Verification is on by default; ca_file trusts it;
// a certificate for another name fails host-name verification.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <memory>

#include "connectors/http/classify.h"
#include "tests/http/http_test_support.h"

namespace tenure::testing {
namespace {

struct PkeyFree { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct X509Free { void operator()(X509* x) const { X509_free(x); } };
struct FileClose { void operator()(FILE* f) const { std::fclose(f); } };

// A temporary directory holding cert.pem and key.pem for `san` ("DNS:localhost,IP:127.0.0.1").
class SelfSignedCert {
 public:
  explicit SelfSignedCert(const std::string& san) {
    dir_ = std::filesystem::temp_directory_path() / ("tenure-tls-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    REQUIRE(key);
    std::unique_ptr<X509, X509Free> cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
    X509_NAME* name = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("tenure test"), -1, -1, 0);
    X509_set_issuer_name(cert.get(), name);
    X509_set_pubkey(cert.get(), key.get());
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (const auto& [nid, value] : {std::pair{NID_subject_alt_name, san}, std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")}}) {
      X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
      REQUIRE(ext != nullptr);
      X509_add_ext(cert.get(), ext, -1);
      X509_EXTENSION_free(ext);
    }
    REQUIRE(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0);
    std::unique_ptr<FILE, FileClose> cert_file(std::fopen(cert_path().c_str(), "w"));
    std::unique_ptr<FILE, FileClose> key_file(std::fopen(key_path().c_str(), "w"));
    REQUIRE((cert_file && key_file));
    REQUIRE(PEM_write_X509(cert_file.get(), cert.get()) == 1);
    REQUIRE(PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1);
  }
  ~SelfSignedCert() {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string cert_path() const { return (dir_ / "cert.pem").string(); }
  std::string key_path() const { return (dir_ / "key.pem").string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path dir_;
};

std::unique_ptr<sandbox::BackgroundSandbox> TlsSandbox(const SelfSignedCert& cert) {
  sandbox::ServerOptions server;
  server.tls_cert_file = cert.cert_path();
  server.tls_key_file = cert.key_path();
  return StartSandbox({}, server);
}

TEST_CASE("TLS: a self-signed certificate is rejected by default", "[http]") {
  SelfSignedCert cert("DNS:localhost,IP:127.0.0.1");
  auto sb = TlsSandbox(cert);
  REQUIRE(sb->url().starts_with("https://127.0.0.1:"));
  Client client;
  const auto r = client.Get(sb->url() + "/echo/x");
  REQUIRE_FALSE(r.has_value());
  CHECK_FALSE(r.error().sent);
  CHECK(r.error().message == "GET " + sb->url() +
                                 "/echo/x: certificate verification failed: self-signed certificate (set ca_file to trust a private CA)");
  // The same certificate fails the same way next time: a permanent failure, never retried.
  CHECK(r.error().permanent);
  for (const bool effectful : {false, true}) {
    const auto outcome = connectors::http::ClassifyTransportError(r.error(), effectful);
    REQUIRE(std::holds_alternative<connectors::Failed>(outcome));
    CHECK(std::get<connectors::Failed>(outcome).failure.cls == connectors::FailureClass::kPermanent);
  }
}

TEST_CASE("TLS: ca_file trusts the certificate, and connections are reused", "[http]") {
  SelfSignedCert cert("DNS:localhost,IP:127.0.0.1");
  auto sb = TlsSandbox(cert);
  Client client;
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    INFO(host);
    HttpRequest req;
    req.url = "https://" + host + ":" + std::to_string(sb->port()) + "/echo/secure";
    req.ca_file = cert.cert_path();
    const auto res = Ok(client.Send(req));
    CHECK(res.status == 200);
    CHECK(Json(res.body).at("path") == "/echo/secure");
  }
  HttpRequest again;
  again.url = sb->url() + "/_sandbox/state";
  again.ca_file = cert.cert_path();
  const auto state = Json(Ok(client.Send(again)).body);
  CHECK(state.at("connections") == 2);  // one per origin (127.0.0.1, localhost), reused after
}

TEST_CASE("TLS: a certificate for another host name is rejected", "[http]") {
  SelfSignedCert cert("DNS:other.example");
  auto sb = TlsSandbox(cert);
  Client client;
  HttpRequest req;
  req.url = sb->url() + "/echo/x";
  req.ca_file = cert.cert_path();
  const auto r = client.Send(req);
  REQUIRE_FALSE(r.has_value());
  CHECK_FALSE(r.error().sent);
  CHECK(r.error().message == "GET " + sb->url() +
                                 "/echo/x: certificate verification failed: hostname mismatch (the certificate is not valid for 127.0.0.1)");
  CHECK(r.error().permanent);
}

TEST_CASE("TLS: an unreadable ca_file is a clear error", "[http]") {
  SelfSignedCert cert("IP:127.0.0.1");
  auto sb = TlsSandbox(cert);
  Client client;
  HttpRequest req;
  req.url = sb->url() + "/echo/x";
  req.ca_file = "/nonexistent/ca.pem";
  const auto r = client.Send(req);
  REQUIRE_FALSE(r.has_value());
  CHECK_FALSE(r.error().sent);
  CHECK_THAT(r.error().message, Catch::Contains("cannot load CA file /nonexistent/ca.pem"));
  CHECK(r.error().permanent);
}

TEST_CASE("TLS through HTTPS_PROXY: CONNECT tunnel, then end-to-end verification", "[http]") {
  SelfSignedCert cert("IP:127.0.0.1");
  auto target = TlsSandbox(cert);
  auto proxy = StartSandbox();  // the sandbox tunnels CONNECT to loopback targets
  ::setenv("HTTPS_PROXY", proxy->url().c_str(), 1);
  connectors::http::TransportOptions options;
  options.proxy_loopback = true;
  Client client(options);
  ::unsetenv("HTTPS_PROXY");
  HttpRequest req;
  req.url = target->url() + "/echo/tunnelled";
  req.ca_file = cert.cert_path();
  for (int i = 0; i < 2; ++i) CHECK(Ok(client.Send(req)).status == 200);
  Client direct;
  const auto state = State(direct, proxy->url());
  CHECK(state.at("tunnels") == 1);  // both requests went through one tunnel
  req.ca_file.clear();
  ::setenv("HTTPS_PROXY", proxy->url().c_str(), 1);
  Client fresh(options);
  ::unsetenv("HTTPS_PROXY");
  const auto rejected = fresh.Send(req);
  REQUIRE_FALSE(rejected.has_value());
  CHECK_THAT(rejected.error().message, Catch::Contains("self-signed certificate"));
}

}  // namespace
}  // namespace tenure::testing
