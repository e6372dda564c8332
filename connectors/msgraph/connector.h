// The `msgraph` connector: Microsoft 365 / Entra ID users, groups, licences and mailbox settings
// through Microsoft Graph v1.0.
//
// Auth: OAuth 2.0 client credentials at `authority`/TENANT/oauth2/v2.0/token, with a client
// secret, or with a certificate: a client assertion JWT (RS256, header x5t = the certificate's
// SHA-1 thumbprint, aud = the token URL, iss = sub = client_id, a random jti, 10 minutes of
// life). Scope `graph_base`'s origin + "/.default". The token is cached until shortly before it
// expires; a 401 drops it and the request is sent once more. National clouds: set `authority`
// (https://login.microsoftonline.us, https://login.chinacloudapi.cn) and `graph_base`
// (https://graph.microsoft.us/v1.0, https://microsoftgraph.chinacloudapi.cn/v1.0).
//
// Throttling: 429 and 503 are RetryLater with Retry-After honoured (per app and tenant, as Graph
// throttles: the engine pauses the whole connection).
//
// Escaping: every value placed in a URL path goes through oauth::PathSegment, every OData string
// literal in a $filter through oauth::ODataString, and @odata.nextLink is followed only when it
// points under `graph_base` (a link elsewhere would carry the token away).
//
// Idempotency: ensure_user looks up by userPrincipalName first (a create refused because the
// name exists adopts the existing user); disable/enable send nothing when already so;
// add_to_group treats "One or more added object references already exist" (400) as done;
// remove_from_group and delete_user treat 404 as done; remove_from_all_groups and remove_licenses
// list first and their results say what was removed, for a restore; set_forwarding keeps one
// inbox rule named `rule_name` (created, changed, or left alone).
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "connectors/secrets.h"
#include "workflows/value.h"

namespace tenure::connectors::msgraph {

struct GraphConfig {
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;    // a secret; or:
  std::string certificate;      // PEM certificate registered with the app
  std::string private_key;      // its PEM private key (a secret)
  std::string authority = "https://login.microsoftonline.com";
  std::string graph_base = "https://graph.microsoft.com/v1.0";
  std::string token_url;        // derived: authority/tenant/oauth2/v2.0/token
  std::string scope;            // derived: graph_base's origin + "/.default"
  std::string ca_file;
};

Result<GraphConfig> ParseGraphConfig(const Map& config);

// `transport`, `secrets` and `redactor` must outlive the connector. Engine executor only.
std::unique_ptr<Connector> MakeGraphConnector(GraphConfig config, http::HttpTransport& transport,
                                              SecretResolver& secrets, Redactor& redactor);

}  // namespace tenure::connectors::msgraph
