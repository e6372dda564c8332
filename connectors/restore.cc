#include "connectors/restore.h"

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

InverseCall AddToGroup(const std::string& user_id, const std::string& group_id, const std::string& name) {
  Map args;
  args.Set("user_id", user_id);
  args.Set("group_id", group_id);
  return {"add_to_group", std::move(args),
          "add user " + user_id + " to group " + (name.empty() ? group_id : name + " (" + group_id + ")")};
}

}  // namespace

Result<std::vector<InverseCall>> InverseCalls(std::string_view connector, std::string_view action,
                                              const Value& pre_state) {
  const std::string name = std::string(connector) + "." + std::string(action);
  if (connector != "scim" && connector != "msgraph") {
    return Error::FailedPrecondition(name + " cannot be restored by tenure restore");
  }
  if (!pre_state.IsMap()) return Error::InvalidArgument("no pre-state was recorded for " + name);
  const Map& p = pre_state.AsMap();
  std::vector<InverseCall> out;
  if (connector == "msgraph") {
    if (action != "disable_user") return Error::FailedPrecondition(name + " cannot be restored by tenure restore");
    auto id = Required(p, "id", action);
    if (!id) return id.error();
    const Value* enabled = p.Find("accountEnabled");
    if (enabled == nullptr || !enabled->IsBool()) {
      return Error::InvalidArgument("the pre-state of disable_user holds no accountEnabled");
    }
    if (!enabled->AsBool()) return out;
    Map args;
    args.Set("user", *id);
    const std::string upn = Text(p, "userPrincipalName");
    out.push_back({"enable_user", std::move(args), "allow sign-in of user " + *id + (upn.empty() ? "" : " (" + upn + ")")});
    return out;
  }
  if (action == "deactivate_user") {
    auto id = Required(p, "id", action);
    if (!id) return id.error();
    const Value* active = p.Find("active");
    if (active == nullptr || !active->IsBool()) return Error::InvalidArgument("the pre-state of deactivate_user holds no active");
    if (!active->AsBool()) return out;  // it was inactive already: nothing to bring back
    Map args;
    args.Set("id", *id);
    const std::string user = Text(p, "userName");
    out.push_back({"reactivate_user", std::move(args), "reactivate user " + *id + (user.empty() ? "" : " (" + user + ")")});
    return out;
  }
  if (action == "remove_from_group") {
    const Value* member = p.Find("member");
    if (member == nullptr || !member->IsBool()) return Error::InvalidArgument("the pre-state of remove_from_group holds no member");
    if (!member->AsBool()) return out;
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
