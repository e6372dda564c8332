// ScimClient: one SCIM 2.0 service provider as seen through HttpTransport: authenticated JSON
// requests, the SCIM error schema mapped to Outcomes, the provider's features (read once from
// /ServiceProviderConfig), paged listing, and lookups by an attribute that never trust the filter
// blindly. Engine executor only (not thread-safe); one instance per connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <variant>

#include "connectors/connector.h"
#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "workflows/value.h"

namespace tenure::connectors::scim {

struct ScimConfig {
  std::string base_url;       // without a trailing '/'
  std::string authorization;  // the Authorization header value ("" = none); a secret
  std::string ca_file;
  int page_size = 0;  // 0 = the provider's default
};

// What /ServiceProviderConfig says. Defaults (when the document is missing or unreadable) are
// the conservative reading of RFC 7643 §5: PATCH and filter assumed supported, since nearly every
// provider supports them and the document is optional in practice.
struct Features {
  bool patch = true;
  bool filter = true;
  int max_results = 0;  // filter.maxResults, 0 = unknown
};

// An HTTP answer, whatever its status; `body` is null when empty or not JSON.
struct Reply {
  int status = 0;
  Value body;
  std::string raw_body;
  http::HttpResponse response;
};

template <class T>
using Either = std::variant<T, Outcome>;

class ScimClient {
 public:
  ScimClient(ScimConfig config, http::HttpTransport& transport, const Redactor& redactor)
      : config_(std::move(config)), transport_(transport), redactor_(redactor) {}

  // One request to base_url + `path` (path includes any query). A transport failure becomes an
  // Outcome (Unknown when an effectful request may have landed).
  boost::asio::awaitable<Either<Reply>> Call(std::string method, std::string path, const Value* body,
                                             const Context& ctx);

  // The Outcome for a non-2xx reply: status per http_support.h, with the SCIM error schema's
  // scimType as provider_code and detail in the message.
  Outcome ErrorOutcome(const Reply& reply, std::string_view what) const;

  // The provider's features; fetched on first use, then cached for the connection's life.
  boost::asio::awaitable<Either<Features>> GetFeatures(const Context& ctx);

  // Every resource of `collection` ("/Users") matching `filter` ("" = all), following
  // startIndex/count pagination to the end (at most 100000 resources). Pages hold `page_size`
  // resources when configured, else the provider's filter.maxResults when it states one.
  boost::asio::awaitable<Either<List>> ListAll(std::string_view collection, std::string_view filter,
                                               std::string_view attributes, const Context& ctx);

  // The one resource whose `attribute` equals `value` (case-insensitive), or nullopt.
  // Uses an `eq` filter, verifies the matches itself, and falls back to a full scan when the
  // provider has no filter support, rejects the filter (400 invalidFilter), or finds nothing
  // for a value with escaped characters (some servers mis-parse escapes). `force_scan` skips the
  // filter (used after a 409, when the filter evidently missed the resource).
  boost::asio::awaitable<Either<std::optional<Map>>> FindBy(std::string_view collection, std::string_view attribute,
                                                            std::string_view value, bool force_scan,
                                                            const Context& ctx);

  const Redactor& redactor() const { return redactor_; }

 private:
  boost::asio::awaitable<Either<std::optional<Map>>> FindByFilter(std::string_view collection,
                                                                  std::string_view attribute, std::string_view value,
                                                                  const Context& ctx, bool* rejected);

  ScimConfig config_;
  http::HttpTransport& transport_;
  const Redactor& redactor_;
  std::optional<Features> features_;
};

// The resource's "Resources" list of a ListResponse (any case), or an empty list.
const List* ListResources(const Value& body);

}  // namespace tenure::connectors::scim
