// The `slack` connector: the Slack Web API methods tenure needs.
//
//   post_message          chat.postMessage {channel, text}          -> {id, ts, channel}
//   invite_to_channels    conversations.invite per channel ("#name" resolved with
//                         conversations.list, cached per connection; a name not listed is passed
//                         as is, and Slack's channel_not_found is kNotFound); already_in_channel
//                         and cant_invite_self are success            -> {id, channels: [ids]}
//   lookup_user_by_email  users.lookupByEmail                        -> {id, name, user}
//
// Slack answers HTTP 200 with {"ok": false, "error": CODE} for most failures. Mapping:
//   ratelimited / rate_limited, HTTP 429            -> RetryLater kThrottled (Retry-After)
//   internal_error fatal_error service_unavailable request_timeout -> RetryLater kTransient
//   channel_not_found users_not_found user_not_found -> Failed kNotFound
//   anything else (invalid_auth, not_authed, missing_scope, ...) -> Failed kPermanent
// provider_code is Slack's error code. The token is sent as a bearer header, never in a URL.
#pragma once

#include <memory>
#include <string>

#include "connectors/connector.h"
#include "connectors/http/transport.h"
#include "connectors/redactor.h"
#include "workflows/value.h"

namespace tenure::connectors::slack {

struct SlackConfig {
  std::string base_url = "https://slack.com/api";  // without trailing '/'
  std::string token;                               // a secret
  std::string ca_file;
};

// From a resolved connection config (token, base_url). InvalidArgument on a bad value.
Result<SlackConfig> ParseSlackConfig(const Map& config);

// `transport` and `redactor` must outlive the connector. Engine executor only.
std::unique_ptr<Connector> MakeSlackConnector(SlackConfig config, http::HttpTransport& transport,
                                              const Redactor& redactor);

}  // namespace tenure::connectors::slack
