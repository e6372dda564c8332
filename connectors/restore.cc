#include "connectors/restore.h"

#include <algorithm>

namespace tenure::connectors {
namespace {

std::string Text(const Map& m, std::string_view key) {
  const Value* v = m.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

Result<std::string> Required(const Map& m, std::string_view key, std::string_view action) {
  std::string v = Text(m, key);
  if (v.empty()) return Error::InvalidArgument("the pre-state of " + std::string(action) + " holds no " + std::string(key));
  return v;
}

// A yes/no the pre-state must hold (was the user active, a member, suspended...).
Result<bool> RequiredFlag(const Map& m, std::string_view key, std::string_view action) {
  const Value* v = m.Find(key);
  if (v == nullptr || !v->IsBool()) {
    return Error::InvalidArgument("the pre-state of " + std::string(action) + " holds no " + std::string(key));
  }
  return v->AsBool();
}

InverseCall AddToGroup(const std::string& user_id, const std::string& group_id, const std::string& name) {
  Map args;
  args.Set("user_id", user_id);
  args.Set("group_id", group_id);
  return {"add_to_group", std::move(args),
          "add user " + user_id + " to group " + (name.empty() ? group_id : name + " (" + group_id + ")")};
}

bool HasKey(const List& groups, std::string_view key, const std::string& value) {
  for (const Value& g : groups) {
    if (g.IsMap() && Text(g.AsMap(), key) == value) return true;
  }
  return false;
}

// The user as an ldap action names it: by its id (which a move does not change), else its DN.
Result<Map> LdapUser(const Map& p, std::string_view action, std::string& shown) {
  Map args;
  const std::string uid = Text(p, "uid");
  const std::string dn = Text(p, "dn");
  if (uid.empty() && dn.empty()) {
    return Error::InvalidArgument("the pre-state of " + std::string(action) + " holds no uid or dn");
  }
  if (!uid.empty()) args.Set("uid", uid);
  else args.Set("dn", dn);
  shown = uid.empty() ? dn : uid;
  return args;
}

Result<std::vector<InverseCall>> LdapInverse(std::string_view action, const Map& p) {
  std::vector<InverseCall> out;
  std::string user;
  auto who = LdapUser(p, action, user);
  if (!who) return who.error();
  if (action == "disable_user") {
    auto disabled = RequiredFlag(p, "disabled", action);
    if (!disabled) return disabled.error();
    if (*disabled) return out;  // it was disabled already
    out.push_back({"enable_user", *who, "enable user " + user});
    return out;
  }
  if (action == "move_user") {
    auto parent = Required(p, "parent", action);
    if (!parent) return parent.error();
    Map args = *who;
    args.Set("new_parent", *parent);
    out.push_back({"move_user", std::move(args), "move user " + user + " back under " + *parent});
    return out;
  }
  auto add = [&](const std::string& group_dn, const std::string& cn) {
    Map args = *who;
    args.Set("group_dn", group_dn);
    out.push_back({"add_to_group", std::move(args),
                   "add user " + user + " to group " + (cn.empty() ? group_dn : cn + " (" + group_dn + ")")});
  };
  if (action == "remove_from_group") {
    auto member = RequiredFlag(p, "member", action);
    if (!member) return member.error();
    if (!*member) return out;
    auto group = Required(p, "group_dn", action);
    if (!group) return group.error();
    add(*group, Text(p, "cn"));
    return out;
  }
  if (action == "remove_from_all_groups") {
    const Value* groups = p.Find("groups");
    if (groups == nullptr || !groups->IsList()) return Error::InvalidArgument("the pre-state of remove_from_all_groups holds no groups");
    std::vector<std::string> seen;  // one call per group: add_to_group sets every membership attribute
    for (const Value& g : groups->AsList()) {
      const std::string dn = g.IsMap() ? Text(g.AsMap(), "dn") : "";
      if (dn.empty()) return Error::InvalidArgument("the pre-state of remove_from_all_groups holds a group without a dn");
      if (std::find(seen.begin(), seen.end(), dn) != seen.end()) continue;
      seen.push_back(dn);
      add(dn, Text(g.AsMap(), "cn"));
    }
    return out;
  }
  return Error::FailedPrecondition("ldap." + std::string(action) + " cannot be restored by tenure restore");
}

InverseCall GraphAddToGroup(const std::string& user, const std::string& shown, const std::string& group_id,
                            const std::string& name) {
  Map args;
  args.Set("user", user);
  args.Set("group_id", group_id);
  return {"add_to_group", std::move(args),
          "add user " + shown + " to group " + (name.empty() ? group_id : name + " (" + group_id + ")")};
}

Result<std::vector<InverseCall>> GraphInverse(std::string_view action, const Map& p) {
  std::vector<InverseCall> out;
  if (action == "remove_from_group") {
    auto member = RequiredFlag(p, "member", action);
    if (!member) return member.error();
    if (!*member) return out;
    auto user = Required(p, "user_id", action);
    if (!user) return user.error();
    auto group = Required(p, "group_id", action);
    if (!group) return group.error();
    const std::string upn = Text(p, "userPrincipalName");
    out.push_back(GraphAddToGroup(*user, upn.empty() ? *user : upn, *group, ""));
    return out;
  }
  if (action != "remove_from_all_groups" && action != "remove_licenses") {
    return Error::FailedPrecondition("msgraph." + std::string(action) + " cannot be restored by tenure restore");
  }
  auto user = Required(p, "id", action);
  if (!user) return user.error();
  const std::string upn = Text(p, "userPrincipalName");
  const std::string shown = upn.empty() ? *user : upn;
  const char* list = action == "remove_licenses" ? "licenses" : "groups";
  const Value* items = p.Find(list);
  if (items == nullptr || !items->IsList()) {
    return Error::InvalidArgument("the pre-state of " + std::string(action) + " holds no " + list);
  }
  for (const Value& item : items->AsList()) {
    const std::string id = item.IsMap() ? Text(item.AsMap(), action == "remove_licenses" ? "skuId" : "id") : "";
    if (id.empty()) {
      return Error::InvalidArgument("the pre-state of " + std::string(action) + " holds an entry without an id");
    }
    if (action == "remove_from_all_groups") {
      out.push_back(GraphAddToGroup(*user, shown, id, Text(item.AsMap(), "displayName")));
      continue;
    }
    Map args;
    args.Set("user", *user);
    args.Set("sku_id", id);
    const Value* plans = item.AsMap().Find("disabledPlans");
    if (plans != nullptr && plans->IsList() && !plans->AsList().empty()) args.Set("disabled_plans", *plans);
    out.push_back({"assign_license", std::move(args), "assign licence " + id + " to user " + shown});
  }
  return out;
}

InverseCall GoogleAddToGroup(const std::string& user, const std::string& group, const std::string& name) {
  Map args;
  args.Set("user", user);
  args.Set("group", group);
  return {"add_to_group", std::move(args),
          "add user " + user + " to group " + (name.empty() || name == group ? group : name + " (" + group + ")")};
}

Result<std::vector<InverseCall>> GoogleInverse(std::string_view action, const Map& p) {
  std::vector<InverseCall> out;
  if (action == "suspend_user") {
    auto id = Required(p, "id", action);
    if (!id) return id.error();
    auto suspended = RequiredFlag(p, "suspended", action);
    if (!suspended) return suspended.error();
    if (*suspended) return out;  // it was suspended already
    Map args;
    args.Set("user", *id);
    const std::string email = Text(p, "primaryEmail");
    out.push_back({"unsuspend_user", std::move(args), "lift the suspension of user " + (email.empty() ? *id : email)});
    return out;
  }
  if (action == "remove_from_group") {
    auto member = RequiredFlag(p, "member", action);
    if (!member) return member.error();
    if (!*member) return out;
    auto user = Required(p, "user", action);
    if (!user) return user.error();
    auto group = Required(p, "group", action);
    if (!group) return group.error();
    out.push_back(GoogleAddToGroup(*user, *group, ""));
    return out;
  }
  if (action == "remove_from_all_groups") {
    auto user = Required(p, "id", action);
    if (!user) return user.error();
    const Value* groups = p.Find("groups");
    if (groups == nullptr || !groups->IsList()) return Error::InvalidArgument("the pre-state of remove_from_all_groups holds no groups");
    for (const Value& g : groups->AsList()) {
      const std::string email = g.IsMap() ? Text(g.AsMap(), "email") : "";
      const std::string key = email.empty() && g.IsMap() ? Text(g.AsMap(), "id") : email;
      if (key.empty()) return Error::InvalidArgument("the pre-state of remove_from_all_groups holds a group without an email or id");
      out.push_back(GoogleAddToGroup(*user, key, Text(g.AsMap(), "name")));
    }
    return out;
  }
  return Error::FailedPrecondition("google." + std::string(action) + " cannot be restored by tenure restore");
}

}  // namespace

List RemovedAcrossAttempts(const Value& pre_state, std::string_view user_key, std::string_view user,
                           std::string_view key, const List& held, List removed) {
  if (!pre_state.IsMap() || Text(pre_state.AsMap(), user_key) != user) return removed;
  const Value* before = pre_state.AsMap().Find("groups");
  if (before == nullptr || !before->IsList()) return removed;
  for (const Value& g : before->AsList()) {
    if (!g.IsMap()) continue;
    const std::string id = Text(g.AsMap(), key);
    if (id.empty() || HasKey(held, key, id) || HasKey(removed, key, id)) continue;
    removed.push_back(g);
  }
  return removed;
}

Result<std::vector<InverseCall>> InverseCalls(std::string_view connector, std::string_view action,
                                              const Value& pre_state) {
  const std::string name = std::string(connector) + "." + std::string(action);
  if (connector != "scim" && connector != "msgraph" && connector != "ldap" && connector != "google") {
    return Error::FailedPrecondition(name + " cannot be restored by tenure restore");
  }
  if (!pre_state.IsMap()) return Error::InvalidArgument("no pre-state was recorded for " + name);
  const Map& p = pre_state.AsMap();
  std::vector<InverseCall> out;
  if (connector == "ldap") return LdapInverse(action, p);
  if (connector == "google") return GoogleInverse(action, p);
  if (connector == "msgraph" && action != "disable_user") return GraphInverse(action, p);
  if (connector == "msgraph") {
    auto id = Required(p, "id", action);
    if (!id) return id.error();
    auto enabled = RequiredFlag(p, "accountEnabled", action);
    if (!enabled) return enabled.error();
    if (!*enabled) return out;
    Map args;
    args.Set("user", *id);
    const std::string upn = Text(p, "userPrincipalName");
    out.push_back({"enable_user", std::move(args), "allow sign-in of user " + *id + (upn.empty() ? "" : " (" + upn + ")")});
    return out;
  }
  if (action == "deactivate_user") {
    auto id = Required(p, "id", action);
    if (!id) return id.error();
    auto active = RequiredFlag(p, "active", action);
    if (!active) return active.error();
    if (!*active) return out;  // it was inactive already: nothing to bring back
    Map args;
    args.Set("id", *id);
    const std::string user = Text(p, "userName");
    out.push_back({"reactivate_user", std::move(args), "reactivate user " + *id + (user.empty() ? "" : " (" + user + ")")});
    return out;
  }
  if (action == "remove_from_group") {
    auto member = RequiredFlag(p, "member", action);
    if (!member) return member.error();
    if (!*member) return out;
    auto user = Required(p, "user_id", action);
    if (!user) return user.error();
    auto group = Required(p, "group_id", action);
    if (!group) return group.error();
    out.push_back(AddToGroup(*user, *group, Text(p, "displayName")));
    return out;
  }
  if (action == "remove_from_all_groups") {
    auto user = Required(p, "user_id", action);
    if (!user) return user.error();
    const Value* groups = p.Find("groups");
    if (groups == nullptr || !groups->IsList()) return Error::InvalidArgument("the pre-state of remove_from_all_groups holds no groups");
    for (const Value& g : groups->AsList()) {
      if (!g.IsMap() || Text(g.AsMap(), "id").empty()) {
        return Error::InvalidArgument("the pre-state of remove_from_all_groups holds a group without an id");
      }
      out.push_back(AddToGroup(*user, Text(g.AsMap(), "id"), Text(g.AsMap(), "displayName")));
    }
    return out;
  }
  return Error::FailedPrecondition(name + " cannot be restored by tenure restore");
}

}  // namespace tenure::connectors
