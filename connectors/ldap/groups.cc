// The ldap connector's group actions (see connector.h for the behaviour and the groupOfNames
// last-member rule).
#include <ldap.h>

#include "connectors/http_support.h"
#include "connectors/restore.h"
#include "connectors/ldap/escape.h"
#include "connectors/ldap/ldap_connector.h"

namespace tenure::connectors::ldap {
namespace {

using boost::asio::awaitable;

// Outside the coroutines: GCC 12 miscompiles braced lists of string literals inside them.
std::vector<std::string> GroupReadAttributes() { return {"objectClass", "cn"}; }


Value GroupResult(const std::string& dn, const std::string& cn, bool created) {
  return MakeMap({{"dn", dn}, {"cn", cn}, {"created", created}});
}

Value MembershipResult(const std::string& group_dn, const User& u, std::string_view key, bool changed) {
  Map m = MakeMap({{"group_dn", group_dn}, {"dn", u.entry.dn}, {"uid", u.id}});
  m.Set(std::string(key), changed);
  return m;
}

Value AllGroupsResult(const User& u, List groups) {
  const auto count = static_cast<std::int64_t>(groups.size());
  return MakeMap({{"dn", u.entry.dn}, {"uid", u.id}, {"groups", std::move(groups)}, {"count", count}});
}

bool IsDnMembership(const std::string& attribute) {
  return EqualsIgnoreCase(attribute, "member") || EqualsIgnoreCase(attribute, "uniqueMember");
}

struct NewGroup {
  std::string dn;
  std::vector<Mod> attributes;
};

Result<NewGroup> NewGroupEntry(const LdapConfig& c, const std::string& name, const Map& args) {
  NewGroup g;
  g.dn = Rdn("cn", name) + "," + c.groups_dn;
  g.attributes.push_back(Mod{Mod::Op::kAdd, "objectClass", {GroupObjectClass(c.group_type)}});
  g.attributes.push_back(Mod{Mod::Op::kAdd, "cn", {name}});
  if (std::string d = StringArg(args, "description"); !d.empty()) {
    g.attributes.push_back(Mod{Mod::Op::kAdd, "description", {d}});
  }
  if (c.group_type == GroupType::kPosixGroup) {
    const std::string gid = StringArg(args, "gid_number");
    if (gid.empty()) return Error::InvalidArgument("ldap ensure_group: a posixGroup needs gid_number");
    g.attributes.push_back(Mod{Mod::Op::kAdd, "gidNumber", {gid}});
    return g;
  }
  if (c.group_placeholder_member.empty()) {
    return Error::InvalidArgument("ldap ensure_group: a " + GroupObjectClass(c.group_type) +
                                  " must have a member; set the connection's group_placeholder_member (a DN such as "
                                  "cn=nobody," + c.base_dn + ") to create groups");
  }
  g.attributes.push_back(Mod{Mod::Op::kAdd, GroupMemberAttribute(c.group_type), {c.group_placeholder_member}});
  return g;
}

std::vector<Mod> AddMods(const std::string& attribute, const std::string& value, const std::string& placeholder) {
  std::vector<Mod> mods{Mod{Mod::Op::kAdd, attribute, {value}}};
  if (!placeholder.empty()) mods.push_back(Mod{Mod::Op::kDelete, attribute, {placeholder}});
  return mods;
}

std::vector<Mod> RemoveMods(const std::string& attribute, const std::string& value, const std::string& placeholder) {
  std::vector<Mod> mods;
  if (!placeholder.empty()) mods.push_back(Mod{Mod::Op::kAdd, attribute, {placeholder}});
  mods.push_back(Mod{Mod::Op::kDelete, attribute, {value}});
  return mods;
}

Map GroupLookup(const Map& args) {
  Map m;
  if (const Value* v = args.Find("group_dn")) m.Set("group_dn", *v);
  if (const Value* v = args.Find("group")) m.Set("group", *v);
  if (const Value* v = args.Find("name")) m.Set("group", *v);
  return m;
}

}  // namespace

std::string AnyGroupFilter() {
  return "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))";
}

std::string MemberValue(const std::string& attribute, const User& u) {
  return EqualsIgnoreCase(attribute, "memberUid") ? u.id : u.entry.dn;
}

Value GroupMembership(const Entry& g, const std::string& attribute) {
  const Attribute* cn = g.Find("cn");
  return MakeMap({{"dn", g.dn}, {"cn", cn != nullptr && !cn->values.empty() ? cn->values.front() : ""},
                  {"attribute", attribute}});
}

List Memberships(const std::vector<Entry>& groups) {
  List out;
  for (const Entry& g : groups) {
    for (const std::string& attribute : MembershipAttributes(g)) out.push_back(GroupMembership(g, attribute));
  }
  return out;
}

awaitable<Either<std::vector<Entry>>> LdapConnector::GroupsOf(const User& u, const Context& ctx) {
  const std::string filter = "(|" + EqualityFilter("member", u.entry.dn) + EqualityFilter("uniqueMember", u.entry.dn) +
                             EqualityFilter("memberUid", u.id) + ")";
  co_return co_await SearchAll(config_.groups_dn, Scope::kSub, filter, GroupReadAttributes(), config_.page_size, ctx);
}

awaitable<Either<std::optional<Entry>>> LdapConnector::FindGroup(const Map& args, const Context& ctx) {
  const std::string dn = StringArg(args, "group_dn");
  const std::string name = StringArg(args, "group");
  std::string base = config_.groups_dn;
  Scope scope = Scope::kSub;
  std::string filter;
  if (!dn.empty()) {
    if (!SplitDn(dn)) co_return Fail(FailureClass::kPermanent, "ldap: group_dn is not a valid DN: '" + dn + "'");
    base = dn;
    scope = Scope::kBase;
    filter = AnyGroupFilter();
  } else if (!name.empty() && IsUtf8(name)) {
    filter = "(&" + AnyGroupFilter() + EqualityFilter("cn", name) + ")";
  } else {
    co_return Fail(FailureClass::kPermanent, "ldap: give `group` (its cn, UTF-8) or `group_dn`");
  }
  awaitable<Reply> op = session_->Search(base, scope, filter, GroupReadAttributes(), 0, "", Deadline(ctx));
  Reply r = co_await std::move(op);
  if (scope == Scope::kBase && r.delivery == Delivery::kAnswered && r.code == LDAP_NO_SUCH_OBJECT) {
    co_return std::optional<Entry>();
  }
  if (!r.Ok()) co_return FromReply(r, false, "search for group " + filter + " under " + base);
  if (r.entries.empty()) co_return std::optional<Entry>();
  if (r.entries.size() > 1) {
    co_return Fail(FailureClass::kPermanent, "ldap: " + std::to_string(r.entries.size()) + " groups match " + filter +
                                                 " under " + base + "; name the group by group_dn");
  }
  co_return std::optional<Entry>(std::move(r.entries.front()));
}

awaitable<Either<bool>> LdapConnector::HasValue(const std::string& group_dn, const std::string& attribute,
                                                const std::string& value, const Context& ctx) {
  const std::string filter = EqualityFilter(attribute, value);
  awaitable<Reply> op = session_->Search(group_dn, Scope::kBase, filter, GroupReadAttributes(), 0, "", Deadline(ctx));
  Reply r = co_await std::move(op);
  if (!r.Ok()) co_return FromReply(r, false, "search " + filter + " in " + group_dn);
  co_return !r.entries.empty();
}

awaitable<Either<bool>> LdapConnector::RemoveValue(const std::string& group_dn, const std::string& attribute,
                                                   const std::string& value, const Context& ctx) {
  awaitable<Reply> op = session_->Modify(group_dn, RemoveMods(attribute, value, ""), Deadline(ctx));
  Reply r = co_await std::move(op);
  if (r.Ok()) co_return true;
  if (r.delivery == Delivery::kAnswered && r.code == LDAP_NO_SUCH_ATTRIBUTE) co_return false;  // not a member
  const bool last_member =
      r.delivery == Delivery::kAnswered && r.code == LDAP_OBJECT_CLASS_VIOLATION && IsDnMembership(attribute);
  if (!last_member) co_return FromReply(r, true, "remove " + attribute + " " + value + " from " + group_dn);
  if (config_.group_placeholder_member.empty()) {
    co_return Fail(FailureClass::kPermanent,
                   "ldap: " + value + " is the last " + attribute + " of " + group_dn +
                       ", and its object class requires one; nothing was changed. Set the connection's "
                       "group_placeholder_member (a DN such as cn=nobody," +
                       config_.base_dn + ") to put in its place, or delete the group",
                   0, std::to_string(r.code));
  }
  awaitable<Reply> swap =
      session_->Modify(group_dn, RemoveMods(attribute, value, config_.group_placeholder_member), Deadline(ctx));
  Reply s = co_await std::move(swap);
  if (!s.Ok()) co_return FromReply(s, true, "replace the last " + attribute + " of " + group_dn + " by the placeholder");
  co_return true;
}

awaitable<Outcome> LdapConnector::EnsureGroup(const Map& args, const Context& ctx) {
  const std::string name = StringArg(args, "name");
  if (name.empty() || !IsUtf8(name)) co_return Fail(FailureClass::kPermanent, "ldap ensure_group: name must be a UTF-8 string");
  const Map lookup = GroupLookup(args);
  auto found = co_await FindGroup(lookup, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  if (auto& g = std::get<std::optional<Entry>>(found)) co_return Succeeded{GroupResult(g->dn, name, false)};
  auto entry = NewGroupEntry(config_, name, args);
  if (!entry) co_return Fail(FailureClass::kPermanent, entry.error().message);
  const std::string dn = entry->dn;
  awaitable<Reply> op = session_->Add(dn, std::move(entry->attributes), Deadline(ctx));
  Reply r = co_await std::move(op);
  if (r.Ok()) co_return Succeeded{GroupResult(dn, name, true)};
  if (r.delivery == Delivery::kAnswered && r.code == LDAP_ALREADY_EXISTS) co_return Succeeded{GroupResult(dn, name, false)};
  co_return FromReply(r, true, "add " + dn);
}

awaitable<Outcome> LdapConnector::ChangeGroup(const Map& args, bool add, const Context& ctx) {
  auto user = co_await RequireUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const User& u = std::get<User>(user);
  const Map lookup = GroupLookup(args);
  auto found = co_await FindGroup(lookup, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  auto& group = std::get<std::optional<Entry>>(found);
  const std::string key = add ? "added" : "removed";
  if (!group) {
    if (!add) co_return Succeeded{MembershipResult("", u, key, false)};
    co_return Fail(FailureClass::kNotFound, "ldap add_to_group: no group " +
                                                (StringArg(args, "group_dn").empty()
                                                     ? "cn=" + StringArg(args, "group") + " under " + config_.groups_dn
                                                     : StringArg(args, "group_dn")));
  }
  const std::vector<std::string> attributes = MembershipAttributes(*group);
  if (attributes.empty()) {
    co_return Fail(FailureClass::kPermanent, "ldap: " + group->dn +
                                                 " is no groupOfNames, groupOfUniqueNames, posixGroup or group");
  }
  bool changed = false;
  for (const std::string& attribute : attributes) {
    const std::string value = MemberValue(attribute, u);
    if (!add) {
      auto removed = co_await RemoveValue(group->dn, attribute, value, ctx);
      if (auto* o = std::get_if<Outcome>(&removed)) co_return std::move(*o);
      changed = changed || std::get<bool>(removed);
      continue;
    }
    std::string placeholder;
    if (IsDnMembership(attribute) && !config_.group_placeholder_member.empty()) {
      auto has = co_await HasValue(group->dn, attribute, config_.group_placeholder_member, ctx);
      if (auto* o = std::get_if<Outcome>(&has)) co_return std::move(*o);
      if (std::get<bool>(has)) placeholder = config_.group_placeholder_member;
    }
    awaitable<Reply> op = session_->Modify(group->dn, AddMods(attribute, value, placeholder), Deadline(ctx));
    Reply r = co_await std::move(op);
    const bool already = r.delivery == Delivery::kAnswered && r.code == LDAP_TYPE_OR_VALUE_EXISTS;
    if (!r.Ok() && !already) co_return FromReply(r, true, "add " + attribute + " " + value + " to " + group->dn);
    changed = changed || !already;
  }
  co_return Succeeded{MembershipResult(group->dn, u, key, changed)};
}

awaitable<Outcome> LdapConnector::RemoveFromAllGroups(const Map& args, const Context& ctx) {
  auto user = co_await RequireUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const User& u = std::get<User>(user);
  auto groups = co_await GroupsOf(u, ctx);
  if (auto* o = std::get_if<Outcome>(&groups)) co_return std::move(*o);
  List left;
  for (const Entry& g : std::get<std::vector<Entry>>(groups)) {
    for (const std::string& attribute : MembershipAttributes(g)) {
      const std::string value = MemberValue(attribute, u);
      auto removed = co_await RemoveValue(g.dn, attribute, value, ctx);
      if (auto* o = std::get_if<Outcome>(&removed)) co_return std::move(*o);
      if (std::get<bool>(removed)) left.push_back(GroupMembership(g, attribute));
    }
  }
  // An earlier attempt may have removed some (its result lost to a crash): they count too, or a
  // restore or rehire reading this result would bring back nothing.
  left = RemovedAcrossAttempts(ctx.pre_state, "uid", u.id, "dn", Memberships(std::get<std::vector<Entry>>(groups)),
                               std::move(left));
  co_return Succeeded{AllGroupsResult(u, std::move(left))};
}

}  // namespace tenure::connectors::ldap
