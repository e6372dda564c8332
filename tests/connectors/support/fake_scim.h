// FakeScimProvider: an in-memory SCIM 2.0 service provider behind a ScriptedTransport handler,
// with switchable quirks of real providers, for the scim connector's unit tests. It parses the
// `eq` filters the connector sends (JSON string literals, escapes included) so a test can check
// that data arrived intact.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/connectors/support/scripted_transport.h"
#include "workflows/value.h"

namespace tenure::connectors::testing {

struct ScimQuirks {
  bool patch_supported = true;  // advertised in /ServiceProviderConfig
  bool filter_supported = true;
  bool patch_returns_204 = false;     // PATCH answers 204 with no body
  bool post_returns_no_body = false;  // POST answers 201 with no body and no Location
  bool string_booleans = false;       // "active": "True"
  bool omit_user_groups = false;      // users carry no `groups` attribute
  int page_size = 2;                  // list responses hold at most this many, whatever `count` asks
  bool eq_only = false;               // `members[...]` filters answered 400 invalidFilter
  bool omit_total_results = false;    // list responses without totalResults
  bool ignore_start_index = false;    // every list response is the first page
  bool refuse_patch_value_path = false;  // PATCH path members[value eq ...] answered 400 invalidPath
  bool etag = false;  // etag.supported; resources carry meta.version; a PUT with a stale If-Match is 412
  int concurrent_writes = 0;  // with etag: this many PUTs find the resource changed meanwhile (412)
};

class FakeScimProvider {
 public:
  explicit FakeScimProvider(ScimQuirks quirks = {}) : quirks_(quirks) {}
  SendResult Handle(const http::HttpRequest& req);

  std::map<std::string, Map> users;   // id -> resource
  std::map<std::string, Map> groups;  // id -> resource
  std::vector<std::string> filters;   // every filter received, decoded
  int creates = 0;
  int writes = 0;  // POST, PUT, PATCH, DELETE
  ScimQuirks quirks_;

 private:
  SendResult Collection(const std::string& method, std::map<std::string, Map>& store, const std::string& kind,
                        const std::string& query, const std::string& body);
  SendResult Item(const std::string& method, std::map<std::string, Map>& store, const std::string& kind,
                  const std::string& id, const std::string& body);
  Map Decorate(const std::string& kind, const Map& r) const;
  int next_id_ = 1;
  std::string if_match_;  // of the request being handled
};

}  // namespace tenure::connectors::testing
