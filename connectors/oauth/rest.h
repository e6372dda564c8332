// What the google and msgraph connectors share below their actions: one JSON request with a
// bearer token, the token request of an OAuth 2.0 token endpoint (RFC 6749 section 5: JSON
// answer with access_token and expires_in, or error / error_description), and the escaping of
// URL path segments and OData string literals. Engine executor only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "connectors/connector.h"
#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "workflows/value.h"

namespace tenure::connectors::oauth {

template <class T>
using Either = std::variant<T, Outcome>;

// An HTTP answer, whatever its status; `body` is null when empty or not JSON.
struct Reply {
  int status = 0;
  Value body;
  http::HttpResponse response;
};

struct JsonRequest {
  std::string method = "GET";
  std::string url;
  std::string bearer;        // the access token ("" = no Authorization header)
  const Value* body = nullptr;
  std::string ca_file;
  std::vector<std::pair<std::string, std::string>> headers;  // extra ones
};

// Sends `req` (Accept and Content-Type JSON). A transport failure is an Outcome (Unknown when an
// effectful request may have landed); `what` names the request in it ("google PATCH users/x").
boost::asio::awaitable<Either<Reply>> SendJson(http::HttpTransport& transport, const Redactor& redactor,
                                               JsonRequest req, std::string what, const Context& ctx);

struct Token {
  std::string access_token;
  std::chrono::seconds lifetime{3600};  // expires_in (3600 when absent)
};

// POSTs the form `fields` to a token endpoint. The access token is added to `redactor` before it
// is returned. 400/401 answers ("invalid_grant", "invalid_client") are Failed kPermanent naming
// the provider's error and description (never the assertion or secret sent); 429/5xx RetryLater.
boost::asio::awaitable<Either<Token>> RequestToken(http::HttpTransport& transport, Redactor& redactor,
                                                   std::string url, std::vector<std::pair<std::string, std::string>> fields,
                                                   std::string ca_file, std::string what, const Context& ctx);

// application/x-www-form-urlencoded.
std::string FormEncode(const std::vector<std::pair<std::string, std::string>>& fields);

// One URL path segment: every byte but ALPHA DIGIT - _ ~ percent-encoded, and dots too when the
// segment is only dots ("." and ".." would climb the path), so a value can never leave its segment
// or add a query. Empty values are refused by the callers (an empty segment changes the path).
std::string PathSegment(std::string_view value);

// An OData string literal: 'value' with every single quote doubled (OData ABNF, SQUOTE-in-string).
// The filter that holds it is then percent-encoded as a whole as a query value.
std::string ODataString(std::string_view value);

// The string argument `key` of `args`, or "".
std::string StringArg(const Map& args, std::string_view key);
// The string at `key` of a JSON object value, or "".
std::string StringAt(const Value& object, std::string_view key);

// ASCII case-insensitive equality (user principal names, SKU ids).
bool EqualsIgnoreCaseAscii(std::string_view a, std::string_view b);

// 24 characters from 18 random bytes (base64url); "" when the system has no randomness.
std::string GeneratePassword();

// Hands a generated secret to the next step of a playbook without any result or journal holding
// it: Write puts it in a new file of mode 0600 beside `path` (`path` + ".tenure-tmp"); Commit
// renames that over `path` (once the secret was sent); otherwise the destructor removes it.
class SecretFile {
 public:
  explicit SecretFile(std::string path) : path_(std::move(path)), temp_(path_ + ".tenure-tmp") {}
  ~SecretFile();
  SecretFile(const SecretFile&) = delete;
  SecretFile& operator=(const SecretFile&) = delete;
  Result<void> Write(std::string_view secret);
  Result<void> Commit();

 private:
  std::string path_;
  std::string temp_;
  bool committed_ = false;
};

}  // namespace tenure::connectors::oauth
