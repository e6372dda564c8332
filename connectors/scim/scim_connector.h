// Internal to connectors/scim: the connector class, its actions split over users.cc and
// groups.cc. Each action returns the Outcome to hand back (not yet redacted: Invoke redacts).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "connectors/connector.h"
#include "connectors/scim/client.h"

namespace tenure::connectors::scim {

class ScimConnector final : public Connector {
 public:
  ScimConnector(ScimConfig config, http::HttpTransport& transport, const Redactor& redactor)
      : client_(std::move(config), transport, redactor) {}
  boost::asio::awaitable<Outcome> Invoke(const Action& action, const Context& ctx) override;
  // proof.cc: pre-state and read-back of deactivate_user, remove_from_group,
  // remove_from_all_groups and delete_user (the catalog's read_back / pre_state).
  boost::asio::awaitable<Outcome> Observe(Probe probe, const Action& action, const Value& result,
                                          const Context& ctx) override;

 private:
  using Awaitable = boost::asio::awaitable<Outcome>;
  Awaitable Dispatch(const Action& action, const Context& ctx);

  // users.cc
  Awaitable EnsureUser(const Map& args, const Context& ctx);
  Awaitable GetUser(const Map& args, const Context& ctx);
  Awaitable UpdateUser(const Map& args, const Context& ctx);
  Awaitable SetActive(const Map& args, bool active, const Context& ctx);
  Awaitable DeleteUser(const Map& args, const Context& ctx);
  Awaitable ListAction(std::string_view collection, const Map& args, const Context& ctx);
  // The user named by `id` or `userName`; absent -> Failed kNotFound.
  boost::asio::awaitable<Either<Map>> ReadUser(const Map& args, const Context& ctx);
  // Brings `current` to `desired` (PATCH, or PUT when unsupported); the resulting resource.
  boost::asio::awaitable<Either<Map>> Reconcile(std::string_view collection, const Map& current, const Map& desired,
                                                const Context& ctx);
  // GET collection/id; 404 -> Failed kNotFound.
  boost::asio::awaitable<Either<Map>> ReadById(std::string_view collection, std::string_view id, const Context& ctx);
  // POST; a resource without body/Location is looked up by `key`; a 409 is adopted.
  boost::asio::awaitable<Either<Map>> Create(std::string_view collection, std::string_view key, const Map& resource,
                                             const Context& ctx);

  // proof.cc
  Awaitable PreState(const Action& action, const Context& ctx);
  Awaitable ReadBack(const Action& action, const Value& result, const Context& ctx);
  // One page of users (list_users with `start_index`): {resources, total, start_index, next}.
  Awaitable ListPage(std::string_view collection, const Map& args, const Context& ctx);

  // groups.cc
  Awaitable EnsureGroup(const Map& args, const Context& ctx);
  Awaitable AddToGroup(const Map& args, const Context& ctx);
  Awaitable RemoveFromGroup(const Map& args, const Context& ctx);
  Awaitable RemoveFromAllGroups(const Map& args, const Context& ctx);
  // The group by group_id or `group` (displayName); nullopt when a named group does not exist.
  boost::asio::awaitable<Either<std::optional<Map>>> ResolveGroup(const Map& args, const Context& ctx);
  // Whether `user_id` is a member of `group`. Providers omit `members` when it is empty, and
  // some omit it unless asked: when absent, the group is read again with attributes=members.
  boost::asio::awaitable<Either<bool>> HasMember(const Map& group, std::string_view user_id, const Context& ctx);
  // PATCH (or PUT) membership of `user_id` in `group`; false when nothing changed.
  boost::asio::awaitable<Either<bool>> ChangeMembership(const Map& group, std::string_view user_id, bool add,
                                                        const Context& ctx);
  // The group read with its members (asked for explicitly when the plain read leaves them out).
  boost::asio::awaitable<Either<Map>> ReadMembers(const std::string& group_id, const Context& ctx);
  // {id, displayName} of every group `user_id` is a direct member of, for a user without a
  // `groups` attribute: a `members[value eq ...]` filter, or (refused or unsupported) every group
  // read with its members and matched here.
  boost::asio::awaitable<Either<List>> GroupsWithMember(const std::string& user_id, const Context& ctx);
  // {id, displayName} of every group `user_id` is directly in: from the user's `groups`, else
  // GroupsWithMember. kNotFound when the user does not exist.
  boost::asio::awaitable<Either<List>> DirectGroups(const std::string& user_id, const Context& ctx);

  ScimClient client_;
};

// {id, userName, active, resource} for a user; {id, displayName, resource} for a group.
Value UserResult(const Map& resource);
Value GroupResult(const Map& resource);
// The string argument `key`, or "" when absent.
std::string StringArg(const Map& args, std::string_view key);
bool IsMember(const Map& group, std::string_view user_id);

}  // namespace tenure::connectors::scim
