// The `http` connector: action `request`, one HTTP request to any JSON API.
//
// Arguments (catalog.cc): method, url (absolute, or relative to the connection's base_url),
// query (map, URL-encoded; list values repeat the key), headers (map), json (any: the body),
// auth ({bearer: S} | {basic: {username, password}} | {header: NAME, value: S}; S, like a header
// value, may be a ${env:..}/${file:..} reference, resolved on use and registered with the
// Redactor, but only where the playbook's author wrote it as text: a value rendered from a
// template, e.g. an input, is data and sent as is, `${` included; see Action::literal), expect
// (accepted statuses; default any 2xx), capture ({field: "/json/pointer"}).
//
// Every request that is not GET or HEAD carries the context's idempotency key in the
// connection's `idempotency_header` (default "Idempotency-Key"; "" switches it off), so a
// retried or resumed call is recognisable by the receiver.
//
// Result: {status, body (parsed JSON; text when not JSON), <each captured field>}. A capture
// pointer that finds nothing is a permanent failure naming the pointer. A status outside
// `expect` is classified per http/classify.h. Header names or values with CR/LF are refused
// before anything is sent (no header injection).
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "connectors/secrets.h"
#include "workflows/value.h"

namespace tenure::connectors::http_connector {

struct HttpConnectorConfig {
  std::string base_url;  // "" = every url must be absolute
  std::string token;     // bearer for every request ("" = none); a secret
  Map headers;           // sent with every request (resolved)
  std::string ca_file;
  std::string idempotency_header = "Idempotency-Key";
};

Result<HttpConnectorConfig> ParseHttpConnectorConfig(const Map& config);

// `transport`, `redactor` and `secrets` must outlive the connector. Engine executor only.
std::unique_ptr<Connector> MakeHttpConnector(HttpConnectorConfig config, http::HttpTransport& transport,
                                             Redactor& redactor, SecretResolver& secrets);

// RFC 6901 JSON pointer into `v`; nullptr when it finds nothing. "" is `v` itself.
const Value* JsonPointer(const Value& v, std::string_view pointer);

}  // namespace tenure::connectors::http_connector
