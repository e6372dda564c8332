// Internal to connectors/google: the connector class; auth and requests in client.cc, directory
// actions in users.cc, groups/aliases/Gmail/transfers in mail_groups.cc.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "connectors/google/connector.h"
#include "connectors/oauth/jwt.h"
#include "connectors/oauth/rest.h"

namespace tenure::connectors::google {

using oauth::Either;
using oauth::Reply;

class GoogleConnector final : public Connector {
 public:
  GoogleConnector(GoogleConfig config, http::HttpTransport& transport, SecretResolver& secrets, Redactor& redactor)
      : config_(std::move(config)), transport_(transport), secrets_(secrets), redactor_(redactor) {}
  boost::asio::awaitable<Outcome> Invoke(const Action& action, const Context& ctx) override;
  // proof.cc: pre-state and read-back of suspend_user, remove_from_group and
  // remove_from_all_groups (docs/proof.md).
  boost::asio::awaitable<Outcome> Observe(Probe probe, const Action& action, const Value& result,
                                          const Context& ctx) override;

 private:
  using Awaitable = boost::asio::awaitable<Outcome>;
  Awaitable Dispatch(const Action& action, const Context& ctx);
  Awaitable ObserveRemoval(Probe probe, const Action& action, const Value& result, const Context& ctx);

  // client.cc
  // An access token for `sub` with `scopes`, from the cache or the token endpoint.
  boost::asio::awaitable<Either<std::string>> AccessToken(std::string sub, std::string scopes, const Context& ctx);
  // One request with a token for (sub, scopes); a 401 is retried once with a fresh token.
  boost::asio::awaitable<Either<Reply>> Call(std::string method, std::string url, std::optional<Value> body,
                                             std::string sub, std::string scopes, const Context& ctx);
  // Directory / Data Transfer API (`path` from /admin/...), as `subject`.
  boost::asio::awaitable<Either<Reply>> Admin(std::string method, std::string path, std::optional<Value> body,
                                              const Context& ctx);
  // Gmail settings of `user` (`path` after /settings), as that user.
  boost::asio::awaitable<Either<Reply>> Gmail(std::string user, std::string method, std::string path,
                                              std::optional<Value> body, const Context& ctx);
  // The Outcome of an error answer: Google's {"error":{"code","message","errors":[{"reason"}]}}.
  Outcome ErrorOutcome(const Reply& reply, std::string_view what) const;

  // users.cc
  Awaitable EnsureUser(const Action& action, const Context& ctx);
  Awaitable GetUser(const Map& args, const Context& ctx);
  Awaitable UpdateUser(const Map& args, const Context& ctx);
  Awaitable SetSuspended(const Map& args, bool suspended, const Context& ctx);
  Awaitable SignOut(const Map& args, const Context& ctx);
  Awaitable ResetPassword(const Action& action, const Context& ctx);
  Awaitable MoveToOrgUnit(const Map& args, const Context& ctx);
  Awaitable DeleteUser(const Map& args, const Context& ctx);
  Awaitable ListUsers(const Context& ctx);  // every user, as accounts (what `tenure reconcile` reads)
  // The user by email, alias or id; nullopt on 404.
  boost::asio::awaitable<Either<std::optional<Map>>> FindUser(std::string key, const Context& ctx);
  // The same; absent -> Failed kNotFound.
  boost::asio::awaitable<Either<Map>> ReadUser(std::string key, const Context& ctx);
  // PATCH users/{id} with `body`; the user as answered.
  boost::asio::awaitable<Either<Map>> PatchUser(std::string id, Map body, const Context& ctx);
  // A password argument (a secret reference resolved where the author wrote it as text).
  Result<std::string> PasswordArg(const Action& action);

  // mail_groups.cc
  Awaitable AddToGroup(const Map& args, const Context& ctx);
  Awaitable RemoveFromGroup(const Map& args, const Context& ctx);
  Awaitable RemoveFromAllGroups(const Map& args, const Context& ctx);
  Awaitable AddAlias(const Map& args, const Context& ctx);
  Awaitable RemoveAlias(const Map& args, const Context& ctx);
  Awaitable SetForwarding(const Map& args, const Context& ctx);
  Awaitable SetOutOfOffice(const Map& args, const Context& ctx);
  Awaitable TransferData(const Map& args, const Context& ctx);
  // Every group `user` is a member of, following nextPageToken: [{id, email, name}].
  boost::asio::awaitable<Either<List>> GroupsOf(std::string user, const Context& ctx);
  // A transfer from `from_id` to `to_id` covering `app_ids` that has not failed, or nullopt.
  boost::asio::awaitable<Either<std::optional<Map>>> FindTransfer(std::string from_id, std::string to_id,
                                                                  std::vector<std::string> app_ids,
                                                                  const Context& ctx);

  GoogleConfig config_;
  http::HttpTransport& transport_;
  SecretResolver& secrets_;
  Redactor& redactor_;
  oauth::TokenCache tokens_;
};

inline constexpr std::string_view kUsersPath = "/admin/directory/v1/users/";
inline constexpr std::string_view kGroupsPath = "/admin/directory/v1/groups";
inline constexpr std::string_view kTransfersPath = "/admin/datatransfer/v1/transfers";

// {id, primaryEmail, suspended, orgUnitPath, user}.
Value UserResult(const Map& user);
// The string at `key` of `m`, or "".
std::string Str(const Map& m, std::string_view key);
bool BoolAt(const Map& m, std::string_view key);

}  // namespace tenure::connectors::google
