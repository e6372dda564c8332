// The scim connector's group actions (see connector.h for the behaviour).
#include "connectors/http_support.h"
#include "connectors/scim/filter.h"
#include "connectors/scim/patch.h"
#include "connectors/scim/scim_connector.h"

namespace tenure::connectors::scim {
namespace {

using boost::asio::awaitable;
constexpr std::string_view kGroups = "/Groups";

bool IsNotFound(const Outcome& o) {
  const auto* f = std::get_if<Failed>(&o);
  return f != nullptr && f->failure.cls == FailureClass::kNotFound;
}

Value MembershipPatch(std::string_view user_id, bool add) {
  Map op;
  op.Set("op", add ? "add" : "remove");
  if (add) {
    op.Set("path", "members");
    op.Set("value", List{Value(MakeMap({{"value", std::string(user_id)}}))});
  } else {
    op.Set("path", "members[value eq " + QuoteFilterValue(user_id) + "]");
  }
  return PatchRequest(List{Value(std::move(op))});
}

Map WithMembership(const Map& group, std::string_view user_id, bool add) {
  List members;
  if (const Value* m = FindAttr(group, "members"); m != nullptr && m->IsList()) {
    for (const Value& v : m->AsList()) {
      if (v.IsMap() && AttrString(v.AsMap(), "value") == user_id) continue;
      members.push_back(v);
    }
  }
  if (add) members.push_back(Value(MakeMap({{"value", std::string(user_id)}})));
  Map desired;
  desired.Set("members", std::move(members));
  Map rep = PutRepresentation(group, {});
  rep.Set("members", std::move(desired.Find("members")->AsList()));
  return rep;
}

// Built outside the coroutines: GCC 12 miscompiles braced lists of string literals inside them.
Value MembershipResult(const std::string& group_id, const char* key, bool changed) {
  return MakeMap({{"id", group_id}, {"group_id", group_id}, {key, changed}});
}

Map NewGroup(const std::string& name) {
  return MakeMap({{"schemas", List{Value(std::string(kGroupSchema))}}, {"displayName", name}, {"members", List{}}});
}

Value RemovedGroups(const std::string& user_id, List removed) {
  return MakeMap({{"id", user_id}, {"groups", std::move(removed)}});
}

Map IdOnly(const std::string& id) { return MakeMap({{"id", id}}); }

Value GroupRef(std::string_view id, std::string_view display_name) {
  return MakeMap({{"id", std::string(id)}, {"displayName", std::string(display_name)}});
}

}  // namespace

Value GroupResult(const Map& resource) {
  return MakeMap({{"id", AttrString(resource, "id")},
                  {"displayName", AttrString(resource, "displayName")},
                  {"resource", resource}});
}

bool IsMember(const Map& group, std::string_view user_id) {
  const Value* m = FindAttr(group, "members");
  if (m == nullptr || !m->IsList()) return false;
  for (const Value& v : m->AsList()) {
    if (v.IsMap() && AttrString(v.AsMap(), "value") == user_id) return true;
  }
  return false;
}

awaitable<Outcome> ScimConnector::EnsureGroup(const Map& args, const Context& ctx) {
  std::string name = StringArg(args, "displayName");
  if (name.empty()) co_return Fail(FailureClass::kPermanent, "scim ensure_group: `displayName` is required");
  auto found = co_await client_.FindBy(kGroups, "displayName", name, false, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  if (auto& g = std::get<std::optional<Map>>(found)) {
    Map desired;
    if (std::string ext = StringArg(args, "externalId"); !ext.empty()) desired.Set("externalId", ext);
    auto updated = co_await Reconcile(kGroups, *g, desired, ctx);
    if (auto* o = std::get_if<Outcome>(&updated)) co_return std::move(*o);
    co_return Succeeded{GroupResult(std::get<Map>(updated))};
  }
  Map create;
  create.Set("schemas", List{Value(std::string(kGroupSchema))});
  create.Set("displayName", name);
  if (std::string ext = StringArg(args, "externalId"); !ext.empty()) create.Set("externalId", ext);
  create.Set("members", tenure::List{});
  auto created = co_await Create(kGroups, "displayName", create, ctx);
  if (auto* o = std::get_if<Outcome>(&created)) co_return std::move(*o);
  co_return Succeeded{GroupResult(std::get<Map>(created))};
}

awaitable<Either<std::optional<Map>>> ScimConnector::ResolveGroup(const Map& args, const Context& ctx) {
  if (std::string id = StringArg(args, "group_id"); !id.empty()) {
    auto g = co_await ReadById(kGroups, id, ctx);
    if (auto* o = std::get_if<Outcome>(&g)) {
      if (IsNotFound(*o)) co_return std::optional<Map>();
      co_return std::move(*o);
    }
    co_return std::optional<Map>(std::move(std::get<Map>(g)));
  }
  std::string name = StringArg(args, "group");
  if (name.empty()) co_return Fail(FailureClass::kPermanent, "scim: give `group` or `group_id`");
  co_return co_await client_.FindBy(kGroups, "displayName", name, false, ctx);
}

awaitable<Either<bool>> ScimConnector::ChangeMembership(const Map& group, std::string_view user_id, bool add,
                                                        const Context& ctx) {
  auto features = co_await client_.GetFeatures(ctx);
  if (auto* o = std::get_if<Outcome>(&features)) co_return std::move(*o);
  std::string path = ResourcePath(kGroups, AttrString(group, "id"));
  if (std::get<Features>(features).patch) {
    Value body = MembershipPatch(user_id, add);
    auto r = co_await client_.Call("PATCH", path, &body, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (IsSuccess(reply.status)) co_return true;
    std::string scim_type = reply.body.IsMap() ? AttrString(reply.body.AsMap(), "scimType") : "";
    if (!add && (EqualsIgnoreCase(scim_type, "noTarget") || reply.status == 404)) co_return false;
    if (add && reply.status == 409) co_return false;  // already a member
    if (reply.status != 405 && reply.status != 501) co_return client_.ErrorOutcome(reply, "SCIM PATCH " + path);
  }
  // No PATCH: PUT the group with its member list changed. Needs the full representation.
  Map full = group;
  if (!FindAttr(group, "members") || AttrString(group, "displayName").empty()) {
    auto g = co_await ReadById(kGroups, AttrString(group, "id"), ctx);
    if (auto* o = std::get_if<Outcome>(&g)) co_return std::move(*o);
    full = std::move(std::get<Map>(g));
  }
  if (IsMember(full, user_id) == add) co_return false;
  Value body(WithMembership(full, user_id, add));
  auto r = co_await client_.Call("PUT", path, &body, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return client_.ErrorOutcome(reply, "SCIM PUT " + path);
  co_return true;
}

awaitable<Either<bool>> ScimConnector::HasMember(const Map& group, std::string_view user_id, const Context& ctx) {
  if (FindAttr(group, "members") != nullptr) co_return IsMember(group, user_id);
  std::string path = ResourcePath(kGroups, AttrString(group, "id")) + "?attributes=members";
  auto r = co_await client_.Call("GET", path, nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return client_.ErrorOutcome(reply, "SCIM GET " + path);
  co_return reply.body.IsMap() && IsMember(reply.body.AsMap(), user_id);
}

awaitable<Outcome> ScimConnector::AddToGroup(const Map& args, const Context& ctx) {
  std::string user_id = StringArg(args, "user_id");
  if (user_id.empty()) co_return Fail(FailureClass::kPermanent, "scim add_to_group: `user_id` is required");
  auto resolved = co_await ResolveGroup(args, ctx);
  if (auto* o = std::get_if<Outcome>(&resolved)) co_return std::move(*o);
  std::optional<Map> group = std::move(std::get<std::optional<Map>>(resolved));
  const Value* create_missing = args.Find("create_missing");
  if (!group && create_missing != nullptr && AsBool(create_missing).value_or(false) &&
      !StringArg(args, "group").empty()) {
    Map create = NewGroup(StringArg(args, "group"));
    auto created = co_await Create(kGroups, "displayName", create, ctx);
    if (auto* o = std::get_if<Outcome>(&created)) co_return std::move(*o);
    group = std::move(std::get<Map>(created));
  }
  if (!group) {
    std::string which = StringArg(args, "group_id").empty() ? "named " + QuoteFilterValue(StringArg(args, "group"))
                                                            : "with id " + StringArg(args, "group_id");
    co_return Fail(FailureClass::kNotFound, "scim add_to_group: no group " + which, 404);
  }
  std::string group_id = AttrString(*group, "id");
  auto member = co_await HasMember(*group, user_id, ctx);
  if (auto* o = std::get_if<Outcome>(&member)) co_return std::move(*o);
  if (std::get<bool>(member)) co_return Succeeded{MembershipResult(group_id, "added", false)};
  auto changed = co_await ChangeMembership(*group, user_id, true, ctx);
  if (auto* o = std::get_if<Outcome>(&changed)) co_return std::move(*o);
  co_return Succeeded{MembershipResult(group_id, "added", std::get<bool>(changed))};
}

awaitable<Outcome> ScimConnector::RemoveFromGroup(const Map& args, const Context& ctx) {
  std::string user_id = StringArg(args, "user_id");
  if (user_id.empty()) co_return Fail(FailureClass::kPermanent, "scim remove_from_group: `user_id` is required");
  auto resolved = co_await ResolveGroup(args, ctx);
  if (auto* o = std::get_if<Outcome>(&resolved)) co_return std::move(*o);
  auto& group = std::get<std::optional<Map>>(resolved);
  // No such group: the user is certainly not in it.
  if (!group) co_return Succeeded{MembershipResult("", "removed", false)};
  std::string group_id = AttrString(*group, "id");
  auto member = co_await HasMember(*group, user_id, ctx);
  if (auto* o = std::get_if<Outcome>(&member)) co_return std::move(*o);
  if (!std::get<bool>(member)) co_return Succeeded{MembershipResult(group_id, "removed", false)};
  auto changed = co_await ChangeMembership(*group, user_id, false, ctx);
  if (auto* o = std::get_if<Outcome>(&changed)) co_return std::move(*o);
  co_return Succeeded{MembershipResult(group_id, "removed", std::get<bool>(changed))};
}

awaitable<Outcome> ScimConnector::RemoveFromAllGroups(const Map& args, const Context& ctx) {
  std::string user_id = StringArg(args, "user_id");
  if (user_id.empty()) co_return Fail(FailureClass::kPermanent, "scim remove_from_all_groups: `user_id` is required");
  auto user = co_await ReadById("/Users", user_id, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  tenure::List groups;  // {id, displayName} of each group the user is directly in
  const Value* attr = FindAttr(std::get<Map>(user), "groups");
  if (attr != nullptr && attr->IsList()) {
    for (const Value& g : attr->AsList()) {
      if (!g.IsMap() || EqualsIgnoreCase(AttrString(g.AsMap(), "type"), "indirect")) continue;
      groups.push_back(GroupRef(AttrString(g.AsMap(), "value"), AttrString(g.AsMap(), "display")));
    }
  } else {
    std::string filter = "members[value eq " + QuoteFilterValue(user_id) + "]";
    auto listed = co_await client_.ListAll(kGroups, filter, "id,displayName", ctx);
    if (auto* o = std::get_if<Outcome>(&listed)) co_return std::move(*o);
    for (const Value& g : std::get<tenure::List>(listed)) {
      if (g.IsMap()) groups.push_back(GroupRef(AttrString(g.AsMap(), "id"), AttrString(g.AsMap(), "displayName")));
    }
  }
  tenure::List removed;
  for (const Value& g : groups) {
    auto changed = co_await ChangeMembership(IdOnly(AttrString(g.AsMap(), "id")), user_id, false, ctx);
    if (auto* o = std::get_if<Outcome>(&changed)) co_return std::move(*o);
    if (std::get<bool>(changed)) removed.push_back(g);
  }
  co_return Succeeded{RemovedGroups(user_id, std::move(removed))};
}

}  // namespace tenure::connectors::scim
