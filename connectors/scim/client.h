// ScimClient: one SCIM 2.0 service provider as seen through HttpTransport: authenticated JSON
// requests, the SCIM error schema mapped to Outcomes, the provider's features (read once per
// connection from /ServiceProviderConfig, /ResourceTypes and /Schemas), paged listing, and lookups
// by an attribute that never trust the filter blindly. What it learns about the provider on the
// way (a filter refused) is remembered for the connection, and said once as a note (TakeNotes).
// Engine executor only (not thread-safe); one instance per connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

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
// provider supports them and the document is optional in practice; every other feature (bulk,
// etag, sort) assumed absent. Whatever is assumed, a refusal at use (405/501 for PATCH, 400
// invalidFilter/501 for a filter) makes the connector take its slower path.
struct Features {
  bool documented = false;  // /ServiceProviderConfig answered with a document
  bool patch = true;
  bool filter = true;
  int max_results = 0;  // filter.maxResults, 0 = unknown
  bool bulk = false;    // not used: every change is one request, so a partial bulk cannot happen
  int bulk_max_operations = 0;
  bool etag = false;  // PUTs of a group's members carry If-Match: the version read
  bool sort = false;
};

// What /ResourceTypes and /Schemas say; nullopt where the provider does not say (404, no such
// entry, malformed).
struct SchemaInfo {
  std::optional<bool> group_type;   // a resource type with the core Group schema exists
  std::optional<bool> user_groups;  // the core User schema has a `groups` attribute
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
  // The same with an If-Match header ("" = none).
  boost::asio::awaitable<Either<Reply>> CallIfMatch(std::string method, std::string path, const Value* body,
                                                    std::string if_match, const Context& ctx);

  // The Outcome for a non-2xx reply: status per http_support.h, with the SCIM error schema's
  // scimType as provider_code and detail in the message.
  Outcome ErrorOutcome(const Reply& reply, std::string_view what) const;

  // The provider's features; fetched on first use, then cached for the connection's life.
  boost::asio::awaitable<Either<Features>> GetFeatures(const Context& ctx);
  // /ResourceTypes and /Schemas; fetched on first use (only by actions that need them), then cached.
  boost::asio::awaitable<Either<SchemaInfo>> GetSchemaInfo(const Context& ctx);

  // Every resource of `collection` ("/Users") matching `filter` ("" = all), following the
  // pagination the provider answers with: the next page starts at the startIndex it returned plus
  // the number of resources it returned (a provider may cap `count` below what was asked), and
  // the listing ends on an empty page or when startIndex passes totalResults (when stated).
  // Asks for `page_size` resources when configured, else the provider's filter.maxResults. A
  // provider that serves the same page again while totalResults says more, or a listing beyond
  // 100000 resources or 10000 pages, is a permanent failure that says so (never a silently
  // truncated list).
  boost::asio::awaitable<Either<List>> ListAll(std::string_view collection, std::string_view filter,
                                               std::string_view attributes, const Context& ctx);
  // One page from `start` (1-based, RFC 7644 3.4.2.4), `count` resources asked (0: page_size, else
  // the provider's maxResults): {resources, total, start_index, next}; `next` is the startIndex of
  // the following page, 0 when this page was the last (empty, or totalResults reached).
  boost::asio::awaitable<Either<Map>> ListPage(std::string_view collection, std::string_view filter,
                                               std::string_view attributes, std::size_t start, int count,
                                               const Context& ctx);

  // The one resource whose `attribute` equals `value` (case-insensitive), or nullopt.
  // Uses an `eq` filter, verifies the matches itself, and falls back to a full scan when the
  // provider has no filter support, rejects the filter (400 invalidFilter), or finds nothing
  // for a value with escaped characters (some servers mis-parse escapes). `force_scan` skips the
  // filter (used after a 409, when the filter evidently missed the resource).
  boost::asio::awaitable<Either<std::optional<Map>>> FindBy(std::string_view collection, std::string_view attribute,
                                                            std::string_view value, bool force_scan,
                                                            const Context& ctx);

  const Redactor& redactor() const { return redactor_; }

  // Records `note` (what the connector adapted to, e.g. a refused filter) unless this connection
  // already said the same; TakeNotes hands the new ones over (to the current action's result).
  void Note(std::string note);
  List TakeNotes();

  // Whether the provider refused a `members[value eq ...]` filter on /Groups (remembered for
  // the connection: later offboardings go straight to the slower path).
  bool member_filter_refused() const { return member_filter_refused_; }
  void set_member_filter_refused() { member_filter_refused_ = true; }

 private:
  // GET of a discovery endpoint: its body, null when the provider has none (404 and the like).
  boost::asio::awaitable<Either<Value>> ReadDiscovery(std::string path, const Context& ctx);
  boost::asio::awaitable<Either<std::optional<Map>>> FindByFilter(std::string_view collection,
                                                                  std::string_view attribute, std::string_view value,
                                                                  const Context& ctx, std::string* refusal);

  ScimConfig config_;
  http::HttpTransport& transport_;
  const Redactor& redactor_;
  std::optional<Features> features_;
  std::optional<SchemaInfo> schema_info_;
  bool eq_filter_refused_ = false;  // an `eq` filter without escapes was refused: scan from now on
  bool member_filter_refused_ = false;
  std::vector<std::string> noted_;  // every note said on this connection
  List pending_notes_;
};

// A filter refusal: 400 (invalidFilter or any other 400 to a filter query) or 501.
bool IsFilterRefusal(const Outcome& o);

// The resource's "Resources" list of a ListResponse (any case), or an empty list.
const List* ListResources(const Value& body);

}  // namespace tenure::connectors::scim
