// The scim connector's group actions (see connector.h for the behaviour).
#include "connectors/http_support.h"
#include "connectors/restore.h"
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
  const std::string group_id = AttrString(group, "id");
  const std::string path = ResourcePath(kGroups, group_id);
  if (std::get<Features>(features).patch) {
    Value body = MembershipPatch(user_id, add);
    auto r = co_await client_.Call("PATCH", path, &body, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (IsSuccess(reply.status)) co_return true;
    std::string scim_type = reply.body.IsMap() ? AttrString(reply.body.AsMap(), "scimType") : "";
    if (!add && (EqualsIgnoreCase(scim_type, "noTarget") || reply.status == 404)) co_return false;
    if (add && reply.status == 409) co_return false;  // already a member
    if (reply.status == 405 || reply.status == 501) {
      client_.Note("the provider does not implement PATCH on " + std::string(kGroups) + " (" +
                   std::to_string(reply.status) + "): memberships are changed with PUT of the whole group");
    } else if (!add && reply.status == 400) {
      // Some providers accept no value path (`members[value eq "..."]`) in a PATCH.
      client_.Note("the provider refused the PATCH path members[value eq \"...\"] (400 " + scim_type +
                   "): memberships are removed with PUT of the whole group");
    } else {
      co_return client_.ErrorOutcome(reply, "SCIM PATCH " + path);
    }
  }
  // PUT the group with its member list changed: read, change, write. With etag support the write
  // carries the version read, and a 412 (someone changed the group meanwhile) reads it again.
  for (int attempt = 0;; ++attempt) {
    auto read = co_await ReadMembers(group_id, ctx);
    if (auto* o = std::get_if<Outcome>(&read)) co_return std::move(*o);
    const Map& full = std::get<Map>(read);
    if (IsMember(full, user_id) == add) co_return false;
    Value body(WithMembership(full, user_id, add));
    std::string version;
    if (std::get<Features>(features).etag) {
      if (const Value* meta = FindAttr(full, "meta"); meta != nullptr && meta->IsMap()) {
        version = AttrString(meta->AsMap(), "version");
      }
    }
    auto r = co_await client_.CallIfMatch("PUT", path, &body, version, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (reply.status == 412 && attempt < 2) continue;
    if (!IsSuccess(reply.status)) co_return client_.ErrorOutcome(reply, "SCIM PUT " + path);
    co_return true;
  }
}

awaitable<Either<Map>> ScimConnector::ReadMembers(const std::string& group_id, const Context& ctx) {
  auto g = co_await ReadById(kGroups, group_id, ctx);
  if (auto* o = std::get_if<Outcome>(&g)) co_return std::move(*o);
  Map full = std::move(std::get<Map>(g));
  if (FindAttr(full, "members") != nullptr) co_return full;
  // Absent: empty, or left out unless asked for. Ask, so a PUT never drops members it did not see.
  std::string path = ResourcePath(kGroups, group_id) + "?attributes=members";
  auto r = co_await client_.Call("GET", path, nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return client_.ErrorOutcome(reply, "SCIM GET " + path);
  const Value* members = reply.body.IsMap() ? FindAttr(reply.body.AsMap(), "members") : nullptr;
  full.Set("members", members != nullptr && members->IsList() ? *members : Value(tenure::List{}));
  co_return full;
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
  auto direct = co_await DirectGroups(user_id, ctx);
  if (auto* o = std::get_if<Outcome>(&direct)) co_return std::move(*o);
  const tenure::List groups = std::move(std::get<tenure::List>(direct));
  tenure::List removed;
  for (const Value& g : groups) {
    auto changed = co_await ChangeMembership(IdOnly(AttrString(g.AsMap(), "id")), user_id, false, ctx);
    if (auto* o = std::get_if<Outcome>(&changed)) co_return std::move(*o);
    if (std::get<bool>(changed)) removed.push_back(g);
  }
  // An earlier attempt may have removed some (its result lost to a crash): they count too, or a
  // restore or rehire reading this result would bring back nothing.
  removed = RemovedAcrossAttempts(ctx.pre_state, "user_id", user_id, "id", groups, std::move(removed));
  co_return Succeeded{RemovedGroups(user_id, std::move(removed))};
}

awaitable<Either<tenure::List>> ScimConnector::DirectGroups(const std::string& user_id, const Context& ctx) {
  auto user = co_await ReadById("/Users", user_id, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  tenure::List groups;  // {id, displayName} of each group the user is directly in
  const Value* attr = FindAttr(std::get<Map>(user), "groups");
  if (attr == nullptr || !attr->IsList()) co_return co_await GroupsWithMember(user_id, ctx);
  for (const Value& g : attr->AsList()) {
    if (!g.IsMap() || EqualsIgnoreCase(AttrString(g.AsMap(), "type"), "indirect")) continue;
    groups.push_back(GroupRef(AttrString(g.AsMap(), "value"), AttrString(g.AsMap(), "display")));
  }
  co_return groups;
}

awaitable<Either<tenure::List>> ScimConnector::GroupsWithMember(const std::string& user_id, const Context& ctx) {
  auto features = co_await client_.GetFeatures(ctx);
  if (auto* o = std::get_if<Outcome>(&features)) co_return std::move(*o);
  auto schema = co_await client_.GetSchemaInfo(ctx);
  if (auto* o = std::get_if<Outcome>(&schema)) co_return std::move(*o);
  if (std::get<SchemaInfo>(schema).group_type == false) {
    client_.Note("the provider's /ResourceTypes lists no Group type: no group memberships to remove");
    co_return tenure::List{};
  }
  const std::string why = std::get<SchemaInfo>(schema).user_groups == false
                              ? "its User schema has no `groups` attribute"
                              : "the user carries no `groups` attribute";
  tenure::List out;
  if (std::get<Features>(features).filter && !client_.member_filter_refused()) {
    std::string filter = "members[value eq " + QuoteFilterValue(user_id) + "]";
    auto listed = co_await client_.ListAll(kGroups, filter, "id,displayName", ctx);
    if (auto* o = std::get_if<Outcome>(&listed)) {
      if (!IsFilterRefusal(*o)) co_return std::move(*o);
      client_.set_member_filter_refused();
      // "SCIM GET /Groups?...: HTTP 400 invalidFilter: detail" -> "HTTP 400 invalidFilter: detail"
      std::string reason = std::get<Failed>(*o).failure.message;
      if (std::size_t at = reason.find(": HTTP "); at != std::string::npos) reason.erase(0, at + 2);
      client_.Note("the provider refused the filter members[value eq \"...\"] on " + std::string(kGroups) + " (" +
                   reason + "), and " + why + ": group memberships are found by reading every group's members");
    } else {
      for (const Value& g : std::get<tenure::List>(listed)) {
        if (g.IsMap()) out.push_back(GroupRef(AttrString(g.AsMap(), "id"), AttrString(g.AsMap(), "displayName")));
      }
      co_return out;
    }
  } else if (!std::get<Features>(features).filter) {
    client_.Note("the provider's /ServiceProviderConfig says filter.supported=false, and " + why +
                 ": group memberships are found by reading every group's members");
  }
  // The slower path: every group, with its members, matched here.
  auto all = co_await client_.ListAll(kGroups, "", "id,displayName,members", ctx);
  if (auto* o = std::get_if<Outcome>(&all)) co_return std::move(*o);
  for (const Value& g : std::get<tenure::List>(all)) {
    if (!g.IsMap() || AttrString(g.AsMap(), "id").empty()) continue;
    auto member = co_await HasMember(g.AsMap(), user_id, ctx);
    if (auto* o = std::get_if<Outcome>(&member)) co_return std::move(*o);
    if (std::get<bool>(member)) {
      out.push_back(GroupRef(AttrString(g.AsMap(), "id"), AttrString(g.AsMap(), "displayName")));
    }
  }
  co_return out;
}

}  // namespace tenure::connectors::scim
