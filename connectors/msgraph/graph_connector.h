// Internal to connectors/msgraph: the connector class; auth and requests in client.cc, actions in
// actions.cc.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "connectors/msgraph/connector.h"
#include "connectors/oauth/jwt.h"
#include "connectors/oauth/rest.h"

namespace tenure::connectors::msgraph {

using oauth::Either;
using oauth::Reply;

class GraphConnector final : public Connector {
 public:
  GraphConnector(GraphConfig config, http::HttpTransport& transport, SecretResolver& secrets, Redactor& redactor)
      : config_(std::move(config)), transport_(transport), secrets_(secrets), redactor_(redactor) {}
  boost::asio::awaitable<Outcome> Invoke(const Action& action, const Context& ctx) override;
  // Pre-state and read-back of disable_user (docs/proof.md): the user's accountEnabled.
  boost::asio::awaitable<Outcome> Observe(Probe probe, const Action& action, const Value& result,
                                          const Context& ctx) override;

 private:
  using Awaitable = boost::asio::awaitable<Outcome>;
  Awaitable Dispatch(const Action& action, const Context& ctx);

  // client.cc
  boost::asio::awaitable<Either<std::string>> AccessToken(const Context& ctx);
  // `path` below graph_base ("/users/ID"), or an absolute URL under graph_base (a nextLink).
  boost::asio::awaitable<Either<Reply>> Call(std::string method, std::string path, std::optional<Value> body,
                                             const Context& ctx);
  // Graph's {"error":{"code","message"}} as an Outcome.
  Outcome ErrorOutcome(const Reply& reply, std::string_view what) const;
  // Every item of a collection, following @odata.nextLink.
  boost::asio::awaitable<Either<List>> ListAll(std::string path, const Context& ctx);

  Awaitable ObserveEnabled(Probe probe, const Action& action, const Value& result, const Context& ctx);
  // actions.cc: pre-state and read-back of remove_from_group, remove_from_all_groups and
  // remove_licenses (docs/proof.md).
  Awaitable ObserveRemoval(Probe probe, const Action& action, const Value& result, const Context& ctx);
  // The groups `user_id` is a member of ({id, displayName} each), those Graph can remove it from
  // (`removable`, not dynamic or synchronised), else every one.
  boost::asio::awaitable<Either<List>> GroupsOf(const std::string& user_id, bool removable, const Context& ctx);
  // {id, userPrincipalName, licenses: [{skuId, disabledPlans}]}: the user's directly assigned
  // licences (of `only` when not empty), those remove_licenses frees.
  boost::asio::awaitable<Either<Map>> DirectLicenses(const std::string& key, const List& only, const Context& ctx);

  // actions.cc
  Awaitable EnsureUser(const Action& action, const Context& ctx);
  Awaitable GetUser(const Map& args, const Context& ctx);
  Awaitable UpdateUser(const Map& args, const Context& ctx);
  Awaitable SetEnabled(const Map& args, bool enabled, const Context& ctx);
  Awaitable RevokeSessions(const Map& args, const Context& ctx);
  Awaitable ResetPassword(const Action& action, const Context& ctx);
  Awaitable DeleteUser(const Map& args, const Context& ctx);
  Awaitable RestoreUser(const Map& args, const Context& ctx);
  Awaitable AddToGroup(const Map& args, const Context& ctx);
  Awaitable RemoveFromGroup(const Map& args, const Context& ctx);
  Awaitable RemoveFromAllGroups(const Map& args, const Context& ctx);
  Awaitable AssignLicense(const Map& args, const Context& ctx);
  Awaitable RemoveLicenses(const Map& args, const Context& ctx);
  Awaitable SetForwarding(const Map& args, const Context& ctx);
  Awaitable SetAutomaticReplies(const Map& args, const Context& ctx);
  Awaitable GetManager(const Map& args, const Context& ctx);
  // Every user as a SCIM-like account (`tenure reconcile`).
  Awaitable ListUsers(const Context& ctx);
  // The user by id or userPrincipalName (nullopt when absent).
  boost::asio::awaitable<Either<std::optional<Map>>> FindUser(std::string key, const Context& ctx);
  boost::asio::awaitable<Either<Map>> ReadUser(std::string key, const Context& ctx);
  // The one user whose userPrincipalName is `upn`, by $filter (nullopt when none).
  boost::asio::awaitable<Either<std::optional<Map>>> FindByUpn(std::string upn, const Context& ctx);
  // The group id from `group_id`, or the group named `group` by $filter on displayName.
  boost::asio::awaitable<Either<std::string>> ResolveGroup(const Map& args, const Context& ctx);
  boost::asio::awaitable<Either<Map>> PatchUser(std::string id, Map body, const Context& ctx);
  Result<std::string> PasswordArg(const Action& action);

  GraphConfig config_;
  http::HttpTransport& transport_;
  SecretResolver& secrets_;
  Redactor& redactor_;
  oauth::TokenCache tokens_;
};

// The string at `key` of `m`, or "".
std::string Str(const Map& m, std::string_view key);
// {id, userPrincipalName, displayName, accountEnabled, mail, user}.
Value UserResult(const Map& user);
inline constexpr const char* kUserSelect =
    "$select=id,userPrincipalName,displayName,mailNickname,accountEnabled,mail,jobTitle,department,usageLocation,"
    "assignedLicenses";

}  // namespace tenure::connectors::msgraph
