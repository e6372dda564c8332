// The scim connector's proof of removal (docs/proof.md): what a destructive action is about to
// change (pre-state), and what the provider holds once it succeeded (read-back). Both are plain
// reads: a GET of the user or of the group's members, or the user's groups found as
// remove_from_all_groups finds them.
#include "connectors/http_support.h"
#include "connectors/scim/patch.h"
#include "connectors/scim/scim_connector.h"

namespace tenure::connectors::scim {
namespace {

using boost::asio::awaitable;

bool IsNotFound(const Outcome& o) {
  const auto* f = std::get_if<Failed>(&o);
  return f != nullptr && f->failure.cls == FailureClass::kNotFound;
}

Value UserState(const Map& user) {
  return MakeMap({{"id", AttrString(user, "id")},
                  {"userName", AttrString(user, "userName")},
                  {"active", AsBool(FindAttr(user, "active")).value_or(true)}});
}

Value Membership(const std::string& user_id, const std::string& group_id, const std::string& name, bool member) {
  return MakeMap({{"user_id", user_id}, {"group_id", group_id}, {"displayName", name}, {"member", member}});
}

Value HeldGroups(const std::string& user_id, List groups) {
  return MakeMap({{"user_id", user_id}, {"groups", std::move(groups)}});
}

// The id the action acted on: its result's `id` (the user), else the `id` argument.
std::string ResultString(const Value& result, std::string_view key) {
  const Value* v = result.IsMap() ? result.AsMap().Find(key) : nullptr;
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

}  // namespace

awaitable<Outcome> ScimConnector::Observe(Probe probe, const Action& action, const Value& result, const Context& ctx) {
  std::string what = std::string("scim ") + (probe == Probe::kPreState ? "pre-state of " : "read-back of ") + action.name;
  awaitable<Outcome> op = probe == Probe::kPreState ? PreState(action, ctx) : ReadBack(action, result, ctx);
  co_return co_await Guarded(std::move(op), std::move(what), client_.redactor());
}

awaitable<Outcome> ScimConnector::PreState(const Action& action, const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  if (n == "deactivate_user" || n == "delete_user") {
    auto user = co_await ReadUser(a, ctx);
    if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
    Value state = UserState(std::get<Map>(user));
    if (n == "delete_user") state.AsMap().Set("resource", std::get<Map>(user));
    co_return Succeeded{std::move(state)};
  }
  if (n == "remove_from_group") {
    const std::string user_id = StringArg(a, "user_id");
    auto resolved = co_await ResolveGroup(a, ctx);
    if (auto* o = std::get_if<Outcome>(&resolved)) co_return std::move(*o);
    auto& group = std::get<std::optional<Map>>(resolved);
    if (!group) co_return Succeeded{Membership(user_id, "", StringArg(a, "group"), false)};
    auto member = co_await HasMember(*group, user_id, ctx);
    if (auto* o = std::get_if<Outcome>(&member)) co_return std::move(*o);
    co_return Succeeded{Membership(user_id, AttrString(*group, "id"), AttrString(*group, "displayName"),
                                   std::get<bool>(member))};
  }
  if (n == "remove_from_all_groups") {
    const std::string user_id = StringArg(a, "user_id");
    auto groups = co_await DirectGroups(user_id, ctx);
    if (auto* o = std::get_if<Outcome>(&groups)) co_return std::move(*o);
    co_return Succeeded{HeldGroups(user_id, std::move(std::get<List>(groups)))};
  }
  const Value none;
  co_return co_await Connector::Observe(Probe::kPreState, action, none, ctx);
}

awaitable<Outcome> ScimConnector::ReadBack(const Action& action, const Value& result, const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  if (n == "deactivate_user" || n == "delete_user") {
    std::string id = ResultString(result, "id");
    if (id.empty()) id = StringArg(a, "id");
    if (id.empty() && n == "delete_user") co_return Succeeded{Observation("exists", Value(false), Value(false))};
    auto user = co_await ReadById("/Users", id, ctx);
    if (auto* o = std::get_if<Outcome>(&user)) {
      if (IsNotFound(*o) && n == "delete_user") co_return Succeeded{Observation("exists", Value(false), Value(false))};
      co_return std::move(*o);
    }
    if (n == "delete_user") co_return Succeeded{Observation("exists", Value(false), Value(true))};
    const bool active = AsBool(FindAttr(std::get<Map>(user), "active")).value_or(true);
    co_return Succeeded{Observation("active", Value(false), Value(active))};
  }
  if (n == "remove_from_group") {
    const std::string user_id = StringArg(a, "user_id");
    const std::string group_id = ResultString(result, "group_id");
    if (group_id.empty()) co_return Succeeded{Observation("member", Value(false), Value(false))};  // no such group
    auto group = co_await ReadMembers(group_id, ctx);
    if (auto* o = std::get_if<Outcome>(&group)) {
      if (IsNotFound(*o)) co_return Succeeded{Observation("member", Value(false), Value(false))};
      co_return std::move(*o);
    }
    co_return Succeeded{Observation("member", Value(false), Value(IsMember(std::get<Map>(group), user_id)))};
  }
  if (n == "remove_from_all_groups") {
    auto groups = co_await DirectGroups(StringArg(a, "user_id"), ctx);
    if (auto* o = std::get_if<Outcome>(&groups)) co_return std::move(*o);
    co_return Succeeded{Observation("groups", Value(List{}), Value(std::move(std::get<List>(groups))))};
  }
  co_return co_await Connector::Observe(Probe::kReadBack, action, result, ctx);
}

awaitable<Outcome> ScimConnector::ListPage(std::string_view collection, const Map& args, const Context& ctx) {
  const Value* start = args.Find("start_index");
  const Value* count = args.Find("count");
  const std::size_t from = start != nullptr && start->IsInt() && start->AsInt() > 0 ? static_cast<std::size_t>(start->AsInt()) : 1;
  const int n = count != nullptr && count->IsInt() && count->AsInt() > 0 ? static_cast<int>(count->AsInt()) : 0;
  std::string attributes;
  if (const Value* attrs = args.Find("attributes"); attrs != nullptr && attrs->IsList()) {
    for (const Value& v : attrs->AsList()) {
      if (!v.IsString()) continue;
      if (!attributes.empty()) attributes += ',';
      attributes += v.AsString();
    }
  }
  auto page = co_await client_.ListPage(collection, StringArg(args, "filter"), attributes, from, n, ctx);
  if (auto* o = std::get_if<Outcome>(&page)) co_return std::move(*o);
  co_return Succeeded{Value(std::move(std::get<Map>(page)))};
}

}  // namespace tenure::connectors::scim
