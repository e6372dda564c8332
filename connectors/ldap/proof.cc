// The ldap connector's proof of removal (docs/proof.md): what a destructive action is about to
// change (pre-state), and what the directory holds once it succeeded (read-back). Both are plain
// searches: the user's entry, a base search of a group for the user's membership value, or the
// user's groups found as remove_from_all_groups finds them.
#include "connectors/http_support.h"
#include "connectors/ldap/ldap_connector.h"

namespace tenure::connectors::ldap {
namespace {

using boost::asio::awaitable;

Value UserState(const User& u, bool disabled) {
  return MakeMap({{"dn", u.entry.dn}, {"uid", u.id}, {"disabled", disabled}});
}

Value MembershipState(const User& u, const std::string& group_dn, const std::string& cn, bool member) {
  return MakeMap({{"dn", u.entry.dn}, {"uid", u.id}, {"group_dn", group_dn}, {"cn", cn}, {"member", member}});
}

Value HeldGroups(const User& u, List groups) {
  return MakeMap({{"dn", u.entry.dn}, {"uid", u.id}, {"groups", std::move(groups)}});
}

Value Placement(const User& u, const std::string& parent) {
  return MakeMap({{"dn", u.entry.dn}, {"uid", u.id}, {"parent", parent}});
}

std::string ResultString(const Value& result, std::string_view key) {
  const Value* v = result.IsMap() ? result.AsMap().Find(key) : nullptr;
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

// The user the action acted on, for its read-back: by the id in its result (which a move does not
// change), else as the action's arguments named it.
Map UserAfter(const Value& result, const Map& args) {
  Map m;
  if (std::string uid = ResultString(result, "uid"); !uid.empty()) {
    m.Set("uid", uid);
    return m;
  }
  if (const Value* v = args.Find("uid")) m.Set("uid", *v);
  if (const Value* v = args.Find("dn")) m.Set("dn", *v);
  return m;
}

Map GroupByDn(const std::string& dn) {
  Map m;
  m.Set("group_dn", dn);
  return m;
}

Map UserByDn(const std::string& dn) {
  Map m;
  m.Set("dn", dn);
  return m;
}

std::string FirstCn(const Entry& g) {
  const Attribute* cn = g.Find("cn");
  return cn != nullptr && !cn->values.empty() ? cn->values.front() : "";
}

}  // namespace

awaitable<Outcome> LdapConnector::Observe(Probe probe, const Action& action, const Value& result, const Context& ctx) {
  session(co_await boost::asio::this_coro::executor);
  std::string what = std::string("ldap ") + (probe == Probe::kPreState ? "pre-state of " : "read-back of ") + action.name;
  awaitable<Outcome> op = probe == Probe::kPreState ? PreState(action, ctx) : ReadBack(action, result, ctx);
  co_return co_await Guarded(std::move(op), std::move(what), redactor_);
}

awaitable<Either<bool>> LdapConnector::IsMemberOf(const Entry& group, const User& u, const Context& ctx) {
  for (const std::string& attribute : MembershipAttributes(group)) {
    auto has = co_await HasValue(group.dn, attribute, MemberValue(attribute, u), ctx);
    if (auto* o = std::get_if<Outcome>(&has)) co_return std::move(*o);
    if (std::get<bool>(has)) co_return true;
  }
  co_return false;
}

awaitable<Outcome> LdapConnector::PreState(const Action& action, const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  if (n != "disable_user" && n != "delete_user" && n != "remove_from_group" && n != "remove_from_all_groups" &&
      n != "move_user") {
    const Value none;
    co_return co_await Connector::Observe(Probe::kPreState, action, none, ctx);
  }
  auto user = co_await RequireUser(a, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const User& u = std::get<User>(user);
  if (n == "disable_user") co_return Succeeded{UserState(u, Disabled(config_, u.entry))};
  if (n == "delete_user") {
    Value state = UserState(u, Disabled(config_, u.entry));
    state.AsMap().Set("attributes", AttributesOf(u.entry));  // secrets (userPassword) left out
    co_return Succeeded{std::move(state)};
  }
  if (n == "move_user") {
    auto split = SplitDn(u.entry.dn);
    co_return Succeeded{Placement(u, split ? split->second : "")};
  }
  if (n == "remove_from_group") {
    auto found = co_await FindGroup(a, ctx);
    if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
    auto& group = std::get<std::optional<Entry>>(found);
    if (!group) co_return Succeeded{MembershipState(u, "", StringArg(a, "group"), false)};
    auto member = co_await IsMemberOf(*group, u, ctx);
    if (auto* o = std::get_if<Outcome>(&member)) co_return std::move(*o);
    co_return Succeeded{MembershipState(u, group->dn, FirstCn(*group), std::get<bool>(member))};
  }
  auto groups = co_await GroupsOf(u, ctx);  // remove_from_all_groups
  if (auto* o = std::get_if<Outcome>(&groups)) co_return std::move(*o);
  co_return Succeeded{HeldGroups(u, Memberships(std::get<std::vector<Entry>>(groups)))};
}

awaitable<Outcome> LdapConnector::ReadBack(const Action& action, const Value& result, const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  if (n == "delete_user") {
    const std::string dn = ResultString(result, "dn");
    if (dn.empty()) co_return Succeeded{Observation("exists", Value(false), Value(false))};
    const Map lookup = UserByDn(dn);
    auto found = co_await FindUser(lookup, ctx);
    if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
    const bool exists = std::get<std::optional<User>>(found).has_value();
    co_return Succeeded{Observation("exists", Value(false), Value(exists))};
  }
  if (n != "disable_user" && n != "remove_from_group" && n != "remove_from_all_groups" && n != "move_user") {
    co_return co_await Connector::Observe(Probe::kReadBack, action, result, ctx);
  }
  const Map lookup = UserAfter(result, a);
  auto found = co_await FindUser(lookup, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  auto& user = std::get<std::optional<User>>(found);
  if (n == "remove_from_group") {
    const std::string group_dn = ResultString(result, "group_dn");
    // No such group, or no such user any more: certainly not a member.
    if (group_dn.empty() || !user) co_return Succeeded{Observation("member", Value(false), Value(false))};
    const Map group_lookup = GroupByDn(group_dn);
    auto group = co_await FindGroup(group_lookup, ctx);
    if (auto* o = std::get_if<Outcome>(&group)) co_return std::move(*o);
    auto& g = std::get<std::optional<Entry>>(group);
    if (!g) co_return Succeeded{Observation("member", Value(false), Value(false))};
    auto member = co_await IsMemberOf(*g, *user, ctx);
    if (auto* o = std::get_if<Outcome>(&member)) co_return std::move(*o);
    co_return Succeeded{Observation("member", Value(false), Value(std::get<bool>(member)))};
  }
  if (!user) {
    co_return Fail(FailureClass::kNotFound, "ldap: the user " + ResultString(result, "dn") + " is gone");
  }
  if (n == "disable_user") {
    co_return Succeeded{Observation("disabled", Value(true), Value(Disabled(config_, user->entry)))};
  }
  if (n == "move_user") {
    const std::string wanted = StringArg(a, "new_parent");
    auto split = SplitDn(user->entry.dn);
    const std::string parent = split ? split->second : "";
    co_return Succeeded{Observation("parent", Value(wanted), Value(SameDn(parent, wanted) ? wanted : parent))};
  }
  auto groups = co_await GroupsOf(*user, ctx);  // remove_from_all_groups
  if (auto* o = std::get_if<Outcome>(&groups)) co_return std::move(*o);
  co_return Succeeded{Observation("groups", Value(List{}), Value(Memberships(std::get<std::vector<Entry>>(groups))))};
}

}  // namespace tenure::connectors::ldap
