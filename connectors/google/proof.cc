// The google connector's proof of removal (docs/proof.md): what suspend_user, remove_from_group
// and remove_from_all_groups are about to change (pre-state), and what the directory holds once
// they succeeded (read-back). Both are plain reads: the user, or the user's groups (every page).
#include <cctype>

#include "connectors/google/google_connector.h"
#include "connectors/http_support.h"

namespace tenure::connectors::google {
namespace {

using boost::asio::awaitable;

Value SuspendState(const Map& user) {
  return MakeMap({{"id", Str(user, "id")}, {"primaryEmail", Str(user, "primaryEmail")},
                  {"suspended", BoolAt(user, "suspended")}});
}

Value MembershipState(const std::string& user, const std::string& group, bool member) {
  return MakeMap({{"user", user}, {"group", group}, {"member", member}});
}

Value HeldGroups(const std::string& user, List groups) { return MakeMap({{"id", user}, {"groups", std::move(groups)}}); }

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Whether `group` (an email or an id) is among `groups` ({id, email, name} each).
bool Holds(const List& groups, const std::string& group) {
  for (const Value& g : groups) {
    if (!g.IsMap()) continue;
    if (Str(g.AsMap(), "id") == group || Lower(Str(g.AsMap(), "email")) == Lower(group)) return true;
  }
  return false;
}

std::string ResultString(const Value& result, std::string_view key) {
  return result.IsMap() ? Str(result.AsMap(), key) : std::string();
}

std::string Arg(const Map& args, std::string_view key) {
  const Value* v = args.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

}  // namespace

awaitable<Outcome> GoogleConnector::Observe(Probe probe, const Action& action, const Value& result,
                                            const Context& ctx) {
  std::string what = std::string("google ") + (probe == Probe::kPreState ? "pre-state of " : "read-back of ") + action.name;
  awaitable<Outcome> op = ObserveRemoval(probe, action, result, ctx);
  co_return co_await Guarded(std::move(op), std::move(what), redactor_);
}

awaitable<Outcome> GoogleConnector::ObserveRemoval(Probe probe, const Action& action, const Value& result,
                                                   const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  const bool pre = probe == Probe::kPreState;
  const std::string user = Arg(a, "user");
  if (n == "suspend_user") {
    std::string key = pre ? user : ResultString(result, "id");
    if (key.empty()) key = user;
    auto found = co_await ReadUser(std::move(key), ctx);
    if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
    const Map& u = std::get<Map>(found);
    if (pre) co_return Succeeded{SuspendState(u)};
    co_return Succeeded{Observation("suspended", Value(true), Value(BoolAt(u, "suspended")))};
  }
  if (n != "remove_from_group" && n != "remove_from_all_groups") {
    co_return co_await Connector::Observe(probe, action, result, ctx);
  }
  auto listed = co_await GroupsOf(user, ctx);
  if (auto* o = std::get_if<Outcome>(&listed)) {
    // A user that is gone is in no group.
    const auto* f = std::get_if<Failed>(o);
    if (pre || f == nullptr || f->failure.http_status != 404) co_return std::move(*o);
    listed = List{};
  }
  List& groups = std::get<List>(listed);
  if (n == "remove_from_all_groups") {
    if (pre) co_return Succeeded{HeldGroups(user, std::move(groups))};
    co_return Succeeded{Observation("groups", Value(List{}), Value(std::move(groups)))};
  }
  const std::string group = Arg(a, "group");
  const bool member = Holds(groups, group);
  if (pre) co_return Succeeded{MembershipState(user, group, member)};
  co_return Succeeded{Observation("member", Value(false), Value(member))};
}

}  // namespace tenure::connectors::google
