// GoogleService: the sandbox's Google Workspace personality, under /google: the OAuth 2.0 token
// endpoint of a service account (JWT bearer grant, RFC 7523), the Admin SDK Directory API (users,
// aliases, signOut, groups and members), the Data Transfer API and the Gmail settings the google
// connector uses, with Google's JSON error bodies.
//
//   POST /google/token                      grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer,
//                                           assertion=JWT: RS256 signature checked against the
//                                           service account's key, iss, aud (ends with
//                                           /google/token), exp/iat; -> {access_token, expires_in,
//                                           token_type}; a bad one -> 400 {"error":"invalid_grant"}
//   /google/admin/directory/v1/users[/KEY[/signOut|/aliases[/ALIAS]]]
//   /google/admin/directory/v1/groups?userKey=&maxResults=&pageToken=   (nextPageToken)
//   /google/admin/directory/v1/groups/GROUP/members[/MEMBER]
//   /google/admin/datatransfer/v1/transfers[/ID]   (complete `transfer_delay_ms` after creation:
//                                           overallTransferStatusCode inProgress, then completed,
//                                           when the old owner's Drive files become the new one's)
//   /google/gmail/v1/users/USER/settings/{forwardingAddresses[/EMAIL],autoForwarding,vacation}
//                                           (the token's subject must be USER: delegation)
// Every API call needs a live access token (401 UNAUTHENTICATED otherwise). Errors are
// {"error":{"code","message","errors":[{"message","domain","reason"}],"status"}}.
//
// State: State::google {"users","groups","transfers","gmail","next_id"}; users carry the
// sandbox-only counters "_drive_files", "_sessions" (signed-in browsers and devices; signOut
// ends them), "_sign_outs" and "_password_changes" (never served by the API). Access tokens are kept in memory only: after a restart clients fetch new ones.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <random>
#include <string>
#include <string_view>

#include "sandbox/message.h"
#include "sandbox/state.h"

namespace tenure::sandbox {

struct GoogleSandboxOptions {
  std::string private_key_pem;  // the service account's key; generated at start when empty
  std::string client_email = "tenure-sandbox@tenure-sandbox.iam.gserviceaccount.com";
  int token_lifetime_s = 3600;
  int transfer_delay_ms = 3000;
  int page_size = 100;  // the most groups (or users) one page lists, whatever maxResults asks
  bool demo = false;    // an empty directory starts with the demo people and groups (Demo())
};

class GoogleService {
 public:
  // `state` and `rng` must outlive the service. Generates the key when the options have none.
  GoogleService(State& state, std::mt19937_64& rng, GoogleSandboxOptions options);

  // `req` addressed to /google/...; `base_url` is "http://HOST:PORT" as the client reached us.
  Response Handle(const Request& req, const std::string& base_url);
  // The service-account JSON key for clients: client_email, private_key, token_uri =
  // base_url + "/google/token" (and the usual type, project_id, private_key_id, client_id).
  std::string ServiceAccountJson(const std::string& base_url) const;
  // Completes the transfers that are due (moving Drive files) and seeds the demo when asked and
  // the directory is empty. Called before every request and state read.
  void Tick();
  // The answer for an injected fault under /google: 403 userRateLimitExceeded / 429
  // rateLimitExceeded (RESOURCE_EXHAUSTED), or `status` with backendError.
  static Response FaultResponse(int status, bool throttled);
  // {users:[{primaryEmail, suspended, orgUnitPath, groups, aliases, drive_files, sign_outs,
  // forwarding, vacation}], groups:[{email, members}], transfers:[...]} for /_sandbox/state.
  boost::json::value Summary() const;
  // Google's error body.
  static Response Error(int code, std::string_view message, std::string_view reason, std::string_view status);

 private:
  Response Token(const Request& req, const std::string& base_url);
  Response Users(const Request& req, const std::vector<std::string>& seg);
  Response Groups(const Request& req, const std::vector<std::string>& seg);
  Response Transfers(const Request& req, const std::vector<std::string>& seg);
  Response Gmail(const Request& req, const std::vector<std::string>& seg, const std::string& subject);
  boost::json::array& Array(std::string_view key);
  boost::json::object* FindUser(std::string_view key);
  boost::json::object* FindGroup(std::string_view key);
  boost::json::object ApiUser(const boost::json::object& user) const;
  std::string NextId();

  struct TokenInfo {
    std::string subject;
    std::string scope;
    std::int64_t expires_ms = 0;
  };
  State& state_;
  std::mt19937_64& rng_;
  GoogleSandboxOptions options_;
  std::map<std::string, TokenInfo> tokens_;
};

}  // namespace tenure::sandbox
