// GraphService: the sandbox's Microsoft 365 / Entra ID personality: the Microsoft identity
// platform's token endpoint (client credentials with a client secret or a certificate's client
// assertion) under /microsoft, and the Microsoft Graph v1.0 resources the msgraph connector uses
// under /graph/v1.0, with Graph's error bodies {"error":{"code","message","innerError"}}.
//
//   POST /microsoft/TENANT/oauth2/v2.0/token   client_id, scope (…/.default), grant_type
//        client_credentials, client_secret or client_assertion (RS256, x5t = the registered
//        certificate's SHA-1 thumbprint, aud the token URL, iss = sub = client_id, exp)
//   /graph/v1.0/users                   GET ($filter=PROP eq 'VALUE' only, '' an escaped quote),
//                                        POST
//   /graph/v1.0/users/KEY               GET PATCH DELETE (KEY: id or userPrincipalName)
//   /graph/v1.0/users/KEY/{revokeSignInSessions,assignLicense,memberOf,manager,mailboxSettings,
//                                        mailFolders/inbox/messageRules[/ID]}
//   /graph/v1.0/groups?$filter=displayName eq '…'; /groups/ID/members/$ref;
//   /groups/ID/members/USER/$ref; /directory/deletedItems/ID/restore; /subscribedSkus
// memberOf pages hold `page_size` entries and link the next with an absolute @odata.nextLink
// ($skiptoken). Adding an existing member is 400 "One or more added object references already
// exist for the following modified properties: 'members'."; removing a non-member is 404.
//
// State: State::msgraph {"users","groups","deleted","next_id"}. Users carry sandbox-only
// "_sessions" (revokeSignInSessions ends them), "_revocations", "_roles", "_rules" and
// "_mailboxSettings"; tokens are in memory only.
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <random>
#include <string>

#include "sandbox/message.h"
#include "sandbox/state.h"

namespace tenure::sandbox {

struct GraphSandboxOptions {
  std::string tenant_id = "sandbox-tenant";
  std::string client_id = "tenure-sandbox-app";
  std::string client_secret = "sandbox-client-secret";
  std::string client_certificate_pem;  // "" = certificate credentials refused
  int token_lifetime_s = 3599;
  int page_size = 100;
  bool demo = false;  // an empty directory starts with the demo people, groups and licences
};

class GraphService {
 public:
  GraphService(State& state, std::mt19937_64& rng, GraphSandboxOptions options)
      : state_(state), rng_(rng), options_(std::move(options)) {}

  Response HandleToken(const Request& req);
  Response HandleGraph(const Request& req, const std::string& base_url);
  void Tick();  // seeds the demo when asked and the directory is empty
  static Response FaultResponse(int status, bool throttled);
  static Response Error(int status, std::string_view code, std::string_view message);
  // {users:[{userPrincipalName, accountEnabled, groups, licenses, revocations, forwarding,
  // automatic_replies, deleted}], groups:[...]} for /_sandbox/state.
  boost::json::value Summary() const;

 private:
  Response Users(const Request& req, const std::vector<std::string>& seg, const std::string& base);
  Response UserSub(const Request& req, boost::json::object& user, const std::vector<std::string>& seg,
                   const std::string& base);
  Response Groups(const Request& req, const std::vector<std::string>& seg);
  boost::json::array& Array(std::string_view key);
  boost::json::object* FindUser(std::string_view key);
  boost::json::object* FindGroup(std::string_view id);
  boost::json::object ApiUser(const boost::json::object& user, const Request& req) const;
  std::string NewId();

  State& state_;
  std::mt19937_64& rng_;
  GraphSandboxOptions options_;
  std::map<std::string, std::int64_t> tokens_;  // access token -> expiry (ms)
};

}  // namespace tenure::sandbox
