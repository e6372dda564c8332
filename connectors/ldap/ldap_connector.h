// Internal to connectors/ldap: the connector class; its actions are split over users.cc and
// groups.cc, the shared plumbing (config, dispatch, result codes) is in connector.cc. Each action
// returns the Outcome to hand back, not yet redacted (Invoke redacts).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "connectors/connector.h"
#include "connectors/ldap/connector.h"
#include "connectors/ldap/session.h"

namespace tenure::connectors::ldap {

template <class T>
using Either = std::variant<T, Outcome>;

// A user as found: its entry and the value of user_id_attribute.
struct User {
  Entry entry;
  std::string id;
};

class LdapConnector final : public Connector {
 public:
  LdapConnector(LdapConfig config, Redactor& redactor, SecretResolver& secrets)
      : config_(std::move(config)), redactor_(redactor), secrets_(secrets) {}
  boost::asio::awaitable<Outcome> Invoke(const Action& action, const Context& ctx) override;
  // proof.cc: pre-state and read-back of disable_user, remove_from_group, remove_from_all_groups,
  // delete_user and move_user (docs/proof.md).
  boost::asio::awaitable<Outcome> Observe(Probe probe, const Action& action, const Value& result,
                                          const Context& ctx) override;

 private:
  using Awaitable = boost::asio::awaitable<Outcome>;
  Awaitable Dispatch(const Action& action, const Context& ctx);

  // users.cc
  Awaitable EnsureUser(const Map& args, const Context& ctx);
  Awaitable GetUser(const Map& args, const Context& ctx);
  Awaitable UpdateUser(const Map& args, const Context& ctx);
  Awaitable SetDisabled(const Map& args, bool disable, const Context& ctx);
  Awaitable DeleteUser(const Map& args, const Context& ctx);
  Awaitable SetPassword(const Action& action, const Context& ctx);
  Awaitable MoveUser(const Map& args, const Context& ctx);
  Awaitable Search(const Action& action, const Context& ctx);
  // Every user under base_dn as a SCIM-like account (`tenure reconcile`).
  Awaitable ListUsers(const Context& ctx);
  // The user named by `dn` or `uid` (args), nullopt when absent. `attributes` to read ({} = all
  // user attributes plus what disable_method needs).
  boost::asio::awaitable<Either<std::optional<User>>> FindUser(const Map& args, const Context& ctx);
  // FindUser, absent -> Failed kNotFound.
  boost::asio::awaitable<Either<User>> RequireUser(const Map& args, const Context& ctx);
  // Replaces the attributes of `user` whose values differ from `desired`; the names replaced.
  boost::asio::awaitable<Either<List>> Reconcile(const User& user, const std::vector<Mod>& desired, const Context& ctx);
  // Every entry of a search, following pages (page_size) to the end.
  boost::asio::awaitable<Either<std::vector<Entry>>> SearchAll(std::string base, Scope scope, std::string filter,
                                                               std::vector<std::string> attributes, int page_size,
                                                               const Context& ctx);

  // proof.cc
  Awaitable PreState(const Action& action, const Context& ctx);
  Awaitable ReadBack(const Action& action, const Value& result, const Context& ctx);
  // Whether `u` is in `group` by any of its membership attributes.
  boost::asio::awaitable<Either<bool>> IsMemberOf(const Entry& group, const User& u, const Context& ctx);

  // groups.cc
  Awaitable EnsureGroup(const Map& args, const Context& ctx);
  // Every group under groups_dn holding `u` (member, uniqueMember = its DN, memberUid = its id),
  // with one paged search.
  boost::asio::awaitable<Either<std::vector<Entry>>> GroupsOf(const User& u, const Context& ctx);
  Awaitable ChangeGroup(const Map& args, bool add, const Context& ctx);
  Awaitable RemoveFromAllGroups(const Map& args, const Context& ctx);
  // The group named by `group_dn` or `group` (its cn under groups_dn); nullopt when absent.
  boost::asio::awaitable<Either<std::optional<Entry>>> FindGroup(const Map& args, const Context& ctx);
  // Whether the group at `group_dn` has `attribute`=`value` (a base search with an equality
  // filter, so the server's matching rule decides).
  boost::asio::awaitable<Either<bool>> HasValue(const std::string& group_dn, const std::string& attribute,
                                                const std::string& value, const Context& ctx);
  // Removes `value` from `attribute` of the group; false when it was not there. The
  // groupOfNames/groupOfUniqueNames last-member rule is handled here (see connector.h).
  boost::asio::awaitable<Either<bool>> RemoveValue(const std::string& group_dn, const std::string& attribute,
                                                   const std::string& value, const Context& ctx);

  // connector.cc
  Session& session(const boost::asio::any_io_executor& ex);
  Clock::time_point Deadline(const Context& ctx) const;
  // The Outcome for a reply that is not a success. `effectful`: the request changes something.
  Outcome FromReply(const Reply& r, bool effectful, const std::string& what) const;

  LdapConfig config_;
  Redactor& redactor_;
  SecretResolver& secrets_;
  std::unique_ptr<Session> session_;  // made on the first Invoke, with that coroutine's executor
};

// Shared helpers (connector.cc).
// The Outcome for a reply that is not a success (the table in connector.h). `effectful`: the
// request changes something, so an answer that never came makes it Unknown. `what` names it.
Outcome OutcomeOfReply(const Reply& r, bool effectful, const std::string& what);
std::string StringArg(const Map& args, std::string_view key);
// The attributes of `e` as a map: name -> string (one value) or list (several); secrets
// (userPassword, unicodePwd) left out.
Map AttributesOf(const Entry& e);
// The user's desired attributes from `attributes` (a map of name -> string, number or list of
// them): Replace mods. Errors name the bad attribute.
Result<std::vector<Mod>> DesiredAttributes(const Map& args);
// The membership attribute of a group entry, by its objectClass: member (groupOfNames, group),
// uniqueMember (groupOfUniqueNames), memberUid (posixGroup); "" when none is known.
std::vector<std::string> MembershipAttributes(const Entry& group);
std::string GroupObjectClass(GroupType t);
std::string GroupMemberAttribute(GroupType t);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// Whether the account in `e` is disabled, per the connection's disable_method.
bool Disabled(const LdapConfig& c, const Entry& e);
// What the membership attribute holds for `u`: its id for memberUid, else its DN.
std::string MemberValue(const std::string& attribute, const User& u);
// {dn, cn, attribute}: one membership of a group, as remove_from_all_groups lists it.
Value GroupMembership(const Entry& g, const std::string& attribute);
// Every kind of group entry the connector knows (groupOfNames, groupOfUniqueNames, posixGroup, AD group).
std::string AnyGroupFilter();
// Every membership `groups` hold, one {dn, cn, attribute} per membership attribute of each.
List Memberships(const std::vector<Entry>& groups);

}  // namespace tenure::connectors::ldap
