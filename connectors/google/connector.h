// The `google` connector: Google Workspace users, groups, aliases, Gmail settings and data
// transfers through the Admin SDK Directory API, the Gmail API and the Data Transfer API.
//
// Auth: a service-account JSON key (the `credentials` setting, a ${file:..} reference; its
// private key is registered with the Redactor) signs an RS256 JWT (RFC 7523) with `iss` the
// service account, `sub` the admin to act as (`subject`, domain-wide delegation) or, for Gmail
// settings, the user whose mailbox is changed, `aud` the key's token_uri (or the `token_uri`
// setting). Access tokens are cached per (sub, scopes) until shortly before they expire; a 401
// drops the cached token and the request is sent once more with a fresh one.
//
// Throttling: 429, and 403 with reason userRateLimitExceeded, rateLimitExceeded or quotaExceeded,
// are RetryLater kThrottled with Retry-After honoured; 5xx RetryLater kTransient.
//
// Idempotency per action (see connectors/catalog.cc for the arguments):
//   ensure_user       read first; create when absent (a 409 means someone else did: read again);
//                     PATCH only what differs
//   suspend/unsuspend, move_to_org_unit   read first; nothing sent when already so
//   sign_out          signOut is idempotent by nature
//   add_to_group / add_alias      409 (already there) -> success {added:false}
//   remove_from_group / remove_alias / delete_user   404 -> success {removed|deleted:false}
//   remove_from_all_groups  lists every group (pageToken pagination) first, then removes; the
//                     result lists them for a restore
//   set_forwarding    forwarding address created (409 = exists), then autoForwarding PUT
//   transfer_data     looks for an existing transfer between the two users first (so a retry
//                     never starts a second one), creates one otherwise, then polls it with
//                     backoff for at most `wait` (and never past the attempt's deadline); still
//                     running -> RetryLater (the engine re-invokes; the lookup finds the same
//                     transfer)
//   reset_password    a password from a secret reference, or generated: the generated one is
//                     never in a result; it is written to `deliver_to` (a file created mode 0600)
//                     for the next step (e.g. exec: a vault client) to read and delete
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "connectors/secrets.h"
#include "workflows/value.h"

namespace tenure::connectors::google {

struct GoogleConfig {
  // From the service-account key (`credentials`).
  std::string client_email;
  std::string private_key;  // PEM; a secret
  std::string token_uri;    // the key's token_uri unless the `token_uri` setting overrides it
  std::string subject;      // the admin the service account acts as
  std::string customer = "my_customer";
  std::string directory_url = "https://admin.googleapis.com";  // Directory and Data Transfer APIs
  std::string gmail_url = "https://gmail.googleapis.com";
  std::string ca_file;
  std::chrono::milliseconds transfer_wait{60'000};  // the longest one attempt polls a transfer
};

// The settings from a resolved connection config. InvalidArgument naming the key (never a value
// of the key file) on a bad one.
Result<GoogleConfig> ParseGoogleConfig(const Map& config);

// `transport`, `secrets` and `redactor` must outlive the connector. Engine executor only.
std::unique_ptr<Connector> MakeGoogleConnector(GoogleConfig config, http::HttpTransport& transport,
                                               SecretResolver& secrets, Redactor& redactor);

}  // namespace tenure::connectors::google
