// The msgraph connector's actions (see connector.h for their idempotency rules).
#include <set>

#include "connectors/http_support.h"
#include "connectors/msgraph/graph_connector.h"
#include "connectors/restore.h"

namespace tenure::connectors::msgraph {
namespace {

using boost::asio::awaitable;
using oauth::ODataString;
using oauth::PathSegment;
using oauth::EqualsIgnoreCaseAscii;
using oauth::StringArg;

constexpr const char* kRuleName = "tenure: forward mail";

Outcome Missing(std::string_view action, std::string_view arg) {
  return Fail(FailureClass::kPermanent, "msgraph " + std::string(action) + ": `" + std::string(arg) + "` is required");
}

std::string UserPath(const std::string& key) { return "/users/" + PathSegment(key); }

// The fields of `args` to set: displayName, accountEnabled, usageLocation, and `attributes`.
Map DesiredFields(const Map& args) {
  Map out;
  for (const char* key : {"displayName", "usageLocation", "jobTitle", "department", "mailNickname"}) {
    if (std::string v = StringArg(args, key); !v.empty()) out.Set(key, v);
  }
  if (const Value* e = args.Find("accountEnabled"); e != nullptr && e->IsBool()) out.Set("accountEnabled", *e);
  if (const Value* attrs = args.Find("attributes"); attrs != nullptr && attrs->IsMap()) {
    for (const auto& [k, v] : attrs->AsMap()) out.Set(k, v);
  }
  return out;
}

Map Differences(const Map& current, const Map& desired) {
  Map patch;
  for (const auto& [k, v] : desired) {
    const Value* now = current.Find(k);
    if (now == nullptr || !(*now == v)) patch.Set(k, v);
  }
  return patch;
}

Value WithFlag(Value v, std::string_view key, bool flag) {
  v.AsMap().Set(std::string(key), flag);
  return v;
}

Value Flag(std::string_view key, bool value, const std::string& group, const std::string& user) {
  Map out;
  out.Set("id", group);
  out.Set("group_id", group);
  out.Set("user_id", user);
  out.Set(std::string(key), value);
  return out;
}

bool AlreadyExists(const Reply& reply) {
  if (reply.status != 400 || !reply.body.IsMap()) return false;
  const Value* e = reply.body.AsMap().Find("error");
  return e != nullptr && e->IsMap() && Str(e->AsMap(), "message").find("already exist") != std::string::npos;
}

Map PasswordProfile(const std::string& password, bool force_change) {
  Map profile;
  profile.Set("password", password);
  profile.Set("forceChangePasswordNextSignIn", force_change);
  Map body;
  body.Set("passwordProfile", Value(std::move(profile)));
  return body;
}

Map RefBody(const std::string& graph_base, const std::string& id) {
  Map body;
  body.Set("@odata.id", graph_base + "/directoryObjects/" + id);
  return body;
}

bool IsGroup(const Map& item) {
  const std::string type = Str(item, "@odata.type");
  return type.empty() || type == "#microsoft.graph.group";
}

// Why a membership cannot be removed through Graph, or "" when it can.
std::string Unremovable(const Map& group) {
  if (const Value* types = group.Find("groupTypes"); types != nullptr && types->IsList()) {
    for (const Value& t : types->AsList()) {
      if (t.IsString() && t.AsString() == "DynamicMembership") return "dynamic membership (change the rule instead)";
    }
  }
  if (const Value* synced = group.Find("onPremisesSyncEnabled"); synced != nullptr && synced->IsBool() && synced->AsBool()) {
    return "synchronised from on-premises Active Directory (remove it there)";
  }
  return "";
}

Map GroupEntry(const Map& g, const std::string& reason) {
  Map e;
  e.Set("id", Str(g, "id"));
  e.Set("displayName", Str(g, "displayName"));
  if (!reason.empty()) e.Set("reason", reason);
  return e;
}

Map LicenseBody(List add, List remove) {
  Map body;
  body.Set("addLicenses", std::move(add));
  body.Set("removeLicenses", std::move(remove));
  return body;
}

Value AddLicenseBody(const std::string& sku, const Value* disabled) {
  Map license;
  license.Set("skuId", sku);
  license.Set("disabledPlans", disabled != nullptr && disabled->IsList() ? *disabled : Value(List{}));
  return Value(LicenseBody(List{Value(std::move(license))}, List{}));
}

Value RemoveLicenseBody(List skus) { return Value(LicenseBody(List{}, std::move(skus))); }

Value MembershipState(const Map& user, const std::string& group_id, bool member) {
  return MakeMap({{"user_id", Str(user, "id")}, {"userPrincipalName", Str(user, "userPrincipalName")},
                  {"group_id", group_id}, {"member", member}});
}

Value HeldGroups(const Map& user, List groups) {
  return MakeMap({{"id", Str(user, "id")}, {"userPrincipalName", Str(user, "userPrincipalName")},
                  {"groups", std::move(groups)}});
}

bool HasId(const List& items, const std::string& id) {
  for (const Value& v : items) {
    if (v.IsMap() && Str(v.AsMap(), "id") == id) return true;
  }
  return false;
}

std::string ResultString(const Value& result, std::string_view key) {
  return result.IsMap() ? Str(result.AsMap(), key) : std::string();
}

// One user as an account, in the shape of a SCIM user (what reconcile reads).
Value AccountOf(const Map& u) {
  Map out;
  out.Set("id", Str(u, "id"));
  out.Set("userName", Str(u, "userPrincipalName"));
  List emails;
  if (std::string mail = Str(u, "mail"); !mail.empty()) emails.push_back(MakeMap({{"value", mail}}));
  out.Set("emails", std::move(emails));
  out.Set("externalId", Str(u, "employeeId"));
  const Value* enabled = u.Find("accountEnabled");
  out.Set("active", enabled == nullptr || !enabled->IsBool() || enabled->AsBool());
  return out;
}

List ListArg(const Map& args, std::string_view key) {
  const Value* v = args.Find(key);
  return v != nullptr && v->IsList() ? v->AsList() : List{};
}

Map ForwardRule(const std::string& name, const std::string& to) {
  Map address;
  address.Set("address", to);
  Map recipient;
  recipient.Set("emailAddress", Value(std::move(address)));
  Map actions;
  actions.Set("forwardTo", List{Value(std::move(recipient))});
  actions.Set("stopProcessingRules", false);
  Map rule;
  rule.Set("displayName", name);
  rule.Set("sequence", 1);
  rule.Set("isEnabled", true);
  rule.Set("actions", Value(std::move(actions)));
  return rule;
}

// The forwardTo address of a message rule, or "".
std::string RuleTarget(const Map& rule) {
  const Value* actions = rule.Find("actions");
  if (actions == nullptr || !actions->IsMap()) return "";
  const Value* to = actions->AsMap().Find("forwardTo");
  if (to == nullptr || !to->IsList() || to->AsList().size() != 1 || !to->AsList()[0].IsMap()) return "";
  const Value* email = to->AsList()[0].AsMap().Find("emailAddress");
  return email != nullptr && email->IsMap() ? Str(email->AsMap(), "address") : "";
}

Map DateTimeTz(const std::string& when) {
  Map m;
  m.Set("dateTime", when);
  m.Set("timeZone", "UTC");
  return m;
}

}  // namespace

Result<std::string> GraphConnector::PasswordArg(const Action& action) {
  const Value* v = action.args.Find("password");
  if (v == nullptr || !v->IsString()) return Error::InvalidArgument("`password` must be a string");
  auto s = ResolveLiteralSecrets(*v, LiteralAt(action.literal, {"password"}), "password", secrets_, redactor_);
  if (s) redactor_.Add(*s);
  return s;
}

awaitable<Either<std::optional<Map>>> GraphConnector::FindUser(std::string key, const Context& ctx) {
  if (key.empty()) co_return Fail(FailureClass::kPermanent, "msgraph: `user` is required");
  std::string path = UserPath(key) + "?" + kUserSelect;
  auto r = co_await Call("GET", path, std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 404) co_return std::optional<Map>();
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph GET /users/" + key);
  if (!reply.body.IsMap() || Str(reply.body.AsMap(), "id").empty()) {
    co_return Fail(FailureClass::kPermanent, "msgraph GET /users/" + key + ": malformed user", reply.status);
  }
  co_return std::optional<Map>(reply.body.AsMap());
}

awaitable<Either<Map>> GraphConnector::ReadUser(std::string key, const Context& ctx) {
  auto found = co_await FindUser(key, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  auto& user = std::get<std::optional<Map>>(found);
  if (!user) co_return Fail(FailureClass::kNotFound, "msgraph: no user " + key, 404);
  co_return std::move(*user);
}

awaitable<Either<std::optional<Map>>> GraphConnector::FindByUpn(std::string upn, const Context& ctx) {
  const std::string filter = "userPrincipalName eq " + ODataString(upn);
  std::string path = "/users?$filter=" + UrlEncode(filter) + "&" + kUserSelect;
  auto r = co_await Call("GET", path, std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph GET /users?$filter=" + filter);
  const Value* items = reply.body.IsMap() ? reply.body.AsMap().Find("value") : nullptr;
  if (items == nullptr || !items->IsList()) co_return Fail(FailureClass::kPermanent, "msgraph: malformed user list");
  for (const Value& u : items->AsList()) {
    // Verify: a filter mis-parsed by anyone must never select somebody else.
    if (u.IsMap() && EqualsIgnoreCaseAscii(Str(u.AsMap(), "userPrincipalName"), upn)) co_return std::optional<Map>(u.AsMap());
  }
  co_return std::optional<Map>();
}

awaitable<Either<Map>> GraphConnector::PatchUser(std::string id, Map body, const Context& ctx) {
  std::string path = UserPath(id);
  auto r = co_await Call("PATCH", path, Value(std::move(body)), ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph PATCH /users/" + id);
  co_return co_await ReadUser(id, ctx);  // Graph answers 204
}

awaitable<Either<std::string>> GraphConnector::ResolveGroup(const Map& args, const Context& ctx) {
  if (std::string id = StringArg(args, "group_id"); !id.empty()) co_return id;
  const std::string name = StringArg(args, "group");
  if (name.empty()) co_return Fail(FailureClass::kPermanent, "msgraph: give `group_id` or `group` (the display name)");
  const std::string filter = "displayName eq " + ODataString(name);
  auto all = co_await ListAll("/groups?$filter=" + UrlEncode(filter) + "&$select=id,displayName", ctx);
  if (auto* o = std::get_if<Outcome>(&all)) co_return std::move(*o);
  std::vector<std::string> ids;
  for (const Value& g : std::get<List>(all)) {
    if (g.IsMap() && Str(g.AsMap(), "displayName") == name) ids.push_back(Str(g.AsMap(), "id"));
  }
  if (ids.empty()) co_return Fail(FailureClass::kNotFound, "msgraph: no group named " + ODataString(name), 404);
  if (ids.size() > 1) {
    co_return Fail(FailureClass::kConflict, "msgraph: " + std::to_string(ids.size()) + " groups are named " +
                                                ODataString(name) + "; give `group_id`");
  }
  co_return ids.front();
}

awaitable<Outcome> GraphConnector::EnsureUser(const Action& action, const Context& ctx) {
  const Map& args = action.args;
  const std::string upn = StringArg(args, "userPrincipalName");
  if (upn.empty()) co_return Missing("ensure_user", "userPrincipalName");
  auto found = co_await FindByUpn(upn, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  Map desired = DesiredFields(args);
  Map current;
  bool created = false;
  if (auto& existing = std::get<std::optional<Map>>(found)) {
    current = std::move(*existing);
  } else {
    Map create = desired;
    create.Set("userPrincipalName", upn);
    if (!create.Contains("accountEnabled")) create.Set("accountEnabled", true);
    if (!create.Contains("displayName")) create.Set("displayName", upn.substr(0, upn.find('@')));
    if (!create.Contains("mailNickname")) create.Set("mailNickname", upn.substr(0, upn.find('@')));
    std::string password;
    if (args.Find("password") != nullptr) {
      auto p = PasswordArg(action);
      if (!p) co_return Fail(FailureClass::kPermanent, "msgraph ensure_user: " + p.error().message);
      password = std::move(*p);
    } else {
      password = oauth::GeneratePassword() + "!a1";  // unknown to anyone; Graph's complexity rules
      redactor_.Add(password);
    }
    create.Set("passwordProfile", *PasswordProfile(password, true).Find("passwordProfile"));
    auto r = co_await Call("POST", "/users", Value(std::move(create)), ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (reply.status == 400 || reply.status == 409) {
      // "Another object with the same value for property userPrincipalName already exists."
      auto again = co_await FindByUpn(upn, ctx);
      if (auto* o = std::get_if<Outcome>(&again)) co_return std::move(*o);
      auto& adopted = std::get<std::optional<Map>>(again);
      if (!adopted) co_return ErrorOutcome(reply, "msgraph POST /users");
      current = std::move(*adopted);
    } else if (!IsSuccess(reply.status) || !reply.body.IsMap()) {
      co_return ErrorOutcome(reply, "msgraph POST /users");
    } else {
      created = true;
      current = reply.body.AsMap();
    }
  }
  Map patch = Differences(current, desired);
  const bool updated = !patch.empty();
  if (updated) {
    auto after = co_await PatchUser(Str(current, "id"), std::move(patch), ctx);
    if (auto* o = std::get_if<Outcome>(&after)) co_return std::move(*o);
    current = std::move(std::get<Map>(after));
  }
  Value result = UserResult(current);
  result.AsMap().Set("created", created);
  result.AsMap().Set("updated", updated && !created);
  co_return Succeeded{std::move(result)};
}

awaitable<Outcome> GraphConnector::GetUser(const Map& args, const Context& ctx) {
  auto user = co_await ReadUser(StringArg(args, "user"), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  co_return Succeeded{UserResult(std::get<Map>(user))};
}

awaitable<Outcome> GraphConnector::UpdateUser(const Map& args, const Context& ctx) {
  auto user = co_await ReadUser(StringArg(args, "user"), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  Map current = std::move(std::get<Map>(user));
  Map patch = Differences(current, DesiredFields(args));
  const bool changed = !patch.empty();
  if (changed) {
    auto after = co_await PatchUser(Str(current, "id"), std::move(patch), ctx);
    if (auto* o = std::get_if<Outcome>(&after)) co_return std::move(*o);
    current = std::move(std::get<Map>(after));
  }
  co_return Succeeded{WithFlag(UserResult(current), "changed", changed)};
}

awaitable<Outcome> GraphConnector::SetEnabled(const Map& args, bool enabled, const Context& ctx) {
  auto user = co_await ReadUser(StringArg(args, "user"), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  Map current = std::move(std::get<Map>(user));
  const Value* now = current.Find("accountEnabled");
  if (now != nullptr && now->IsBool() && now->AsBool() == enabled) {
    co_return Succeeded{WithFlag(UserResult(current), "changed", false)};
  }
  Map body;
  body.Set("accountEnabled", enabled);
  auto after = co_await PatchUser(Str(current, "id"), std::move(body), ctx);
  if (auto* o = std::get_if<Outcome>(&after)) co_return std::move(*o);
  co_return Succeeded{WithFlag(UserResult(std::get<Map>(after)), "changed", true)};
}

awaitable<Outcome> GraphConnector::RevokeSessions(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  if (user.empty()) co_return Missing("revoke_sessions", "user");
  auto r = co_await Call("POST", UserPath(user) + "/revokeSignInSessions", std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph POST /users/" + user + "/revokeSignInSessions");
  Map out;
  out.Set("id", user);
  out.Set("revoked", true);
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GraphConnector::ResetPassword(const Action& action, const Context& ctx) {
  const Map& args = action.args;
  const std::string user = StringArg(args, "user");
  if (user.empty()) co_return Missing("reset_password", "user");
  const std::string deliver_to = StringArg(args, "deliver_to");
  const bool generate = args.Find("password") == nullptr;
  if (generate && deliver_to.empty()) {
    co_return Fail(FailureClass::kPermanent,
                   "msgraph reset_password: give `password` (a secret reference) or `deliver_to` (a file the "
                   "generated password is written to, mode 0600, for the next step to read and delete)");
  }
  std::string password;
  if (generate) {
    password = oauth::GeneratePassword();
    if (password.empty()) co_return Fail(FailureClass::kPermanent, "msgraph reset_password: no randomness available");
    password += "!a1";
  } else {
    auto p = PasswordArg(action);
    if (!p) co_return Fail(FailureClass::kPermanent, "msgraph reset_password: " + p.error().message);
    password = std::move(*p);
  }
  redactor_.Add(password);
  std::optional<oauth::SecretFile> file;
  if (generate) {
    file.emplace(deliver_to);
    if (auto w = file->Write(password); !w) co_return Fail(FailureClass::kPermanent, "msgraph reset_password: " + w.error().message);
  }
  const Value* force = args.Find("force_change");
  auto after = co_await PatchUser(user, PasswordProfile(password, force != nullptr && force->IsBool() ? force->AsBool() : generate), ctx);
  bool may_have_landed = std::holds_alternative<Map>(after);
  if (auto* o = std::get_if<Outcome>(&after); o != nullptr && std::holds_alternative<Unknown>(*o)) may_have_landed = true;
  if (file && may_have_landed) {
    if (auto c = file->Commit(); !c) co_return Fail(FailureClass::kPermanent, "msgraph reset_password: " + c.error().message);
  }
  if (auto* o = std::get_if<Outcome>(&after)) co_return std::move(*o);
  Value result = UserResult(std::get<Map>(after));
  result.AsMap().Set("password_set", true);
  if (generate) result.AsMap().Set("delivered_to", deliver_to);
  co_return Succeeded{std::move(result)};
}

awaitable<Outcome> GraphConnector::DeleteUser(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  if (user.empty()) co_return Missing("delete_user", "user");
  auto r = co_await Call("DELETE", UserPath(user), std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  Map out;
  out.Set("id", user);
  if (reply.status == 404) {
    out.Set("deleted", false);
    co_return Succeeded{Value(std::move(out))};
  }
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph DELETE /users/" + user);
  out.Set("deleted", true);
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GraphConnector::RestoreUser(const Map& args, const Context& ctx) {
  const std::string id = StringArg(args, "id");
  if (id.empty()) co_return Missing("restore_user", "id");
  auto r = co_await Call("POST", "/directory/deletedItems/" + PathSegment(id) + "/restore", std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 404) {  // not in the deleted items: restored already, or gone for good
    auto user = co_await ReadUser(id, ctx);
    if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
    co_return Succeeded{WithFlag(UserResult(std::get<Map>(user)), "restored", false)};
  }
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph POST /directory/deletedItems/" + id + "/restore");
  auto user = co_await ReadUser(id, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  co_return Succeeded{WithFlag(UserResult(std::get<Map>(user)), "restored", true)};
}

awaitable<Outcome> GraphConnector::AddToGroup(const Map& args, const Context& ctx) {
  auto group = co_await ResolveGroup(args, ctx);
  if (auto* o = std::get_if<Outcome>(&group)) co_return std::move(*o);
  const std::string group_id = std::get<std::string>(group);
  auto user = co_await ReadUser(StringArg(args, "user"), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const std::string user_id = Str(std::get<Map>(user), "id");
  std::string path = "/groups/" + PathSegment(group_id) + "/members/$ref";
  auto r = co_await Call("POST", path, Value(RefBody(config_.graph_base, user_id)), ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (AlreadyExists(reply)) co_return Succeeded{Flag("added", false, group_id, user_id)};
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph POST /groups/" + group_id + "/members/$ref");
  co_return Succeeded{Flag("added", true, group_id, user_id)};
}

awaitable<Outcome> GraphConnector::RemoveFromGroup(const Map& args, const Context& ctx) {
  auto group = co_await ResolveGroup(args, ctx);
  if (auto* o = std::get_if<Outcome>(&group)) co_return std::move(*o);
  const std::string group_id = std::get<std::string>(group);
  auto user = co_await ReadUser(StringArg(args, "user"), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const std::string user_id = Str(std::get<Map>(user), "id");
  std::string path = "/groups/" + PathSegment(group_id) + "/members/" + PathSegment(user_id) + "/$ref";
  auto r = co_await Call("DELETE", path, std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 404) co_return Succeeded{Flag("removed", false, group_id, user_id)};
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph DELETE " + path);
  co_return Succeeded{Flag("removed", true, group_id, user_id)};
}

awaitable<Outcome> GraphConnector::RemoveFromAllGroups(const Map& args, const Context& ctx) {
  auto user = co_await ReadUser(StringArg(args, "user"), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const std::string user_id = Str(std::get<Map>(user), "id");
  auto listed = co_await ListAll(UserPath(user_id) +
                                     "/memberOf?$select=id,displayName,groupTypes,onPremisesSyncEnabled,mailEnabled,"
                                     "securityEnabled",
                                 ctx);
  if (auto* o = std::get_if<Outcome>(&listed)) co_return std::move(*o);
  List removed;
  List skipped;
  List held;
  for (const Value& item : std::get<List>(listed)) {
    if (!item.IsMap() || !IsGroup(item.AsMap())) continue;  // directory roles, administrative units
    const Map& g = item.AsMap();
    if (std::string why = Unremovable(g); !why.empty()) {
      skipped.push_back(Value(GroupEntry(g, why)));
      continue;
    }
    held.push_back(Value(GroupEntry(g, "")));
    std::string path = "/groups/" + PathSegment(Str(g, "id")) + "/members/" + PathSegment(user_id) + "/$ref";
    auto r = co_await Call("DELETE", path, std::nullopt, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (reply.status != 404 && !IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph DELETE " + path);
    removed.push_back(Value(GroupEntry(g, "")));
  }
  // An earlier attempt may have removed some (its result lost to a crash): they count too, or a
  // restore or rehire reading this result would bring back nothing.
  removed = RemovedAcrossAttempts(ctx.pre_state, "id", user_id, "id", held, std::move(removed));
  Map out;
  out.Set("id", user_id);
  out.Set("groups", std::move(removed));
  out.Set("skipped", std::move(skipped));
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GraphConnector::AssignLicense(const Map& args, const Context& ctx) {
  const std::string sku = StringArg(args, "sku_id");
  if (sku.empty()) co_return Missing("assign_license", "sku_id");
  auto user = co_await ReadUser(StringArg(args, "user"), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const Map& u = std::get<Map>(user);
  const std::string user_id = Str(u, "id");
  Map out;
  out.Set("id", user_id);
  out.Set("sku_id", sku);
  if (const Value* licenses = u.Find("assignedLicenses"); licenses != nullptr && licenses->IsList()) {
    for (const Value& l : licenses->AsList()) {
      if (l.IsMap() && EqualsIgnoreCaseAscii(Str(l.AsMap(), "skuId"), sku)) {
        out.Set("added", false);
        co_return Succeeded{Value(std::move(out))};
      }
    }
  }
  Value body = AddLicenseBody(sku, args.Find("disabled_plans"));
  std::string path = UserPath(user_id) + "/assignLicense";
  auto r = co_await Call("POST", path, std::move(body), ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph POST /users/" + user_id + "/assignLicense");
  out.Set("added", true);
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GraphConnector::RemoveLicenses(const Map& args, const Context& ctx) {
  const std::string key = StringArg(args, "user");
  if (key.empty()) co_return Missing("remove_licenses", "user");
  auto r = co_await Call("GET", UserPath(key) + "?$select=id,assignedLicenses,licenseAssignmentStates", std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& got = std::get<Reply>(r);
  if (got.status == 404) co_return Fail(FailureClass::kNotFound, "msgraph: no user " + key, 404);
  if (!IsSuccess(got.status) || !got.body.IsMap()) co_return ErrorOutcome(got, "msgraph GET /users/" + key);
  const Map& u = got.body.AsMap();
  const std::string user_id = Str(u, "id");
  std::set<std::string> only;  // sku_ids to remove; empty = all direct ones
  if (const Value* skus = args.Find("sku_ids"); skus != nullptr && skus->IsList()) {
    for (const Value& s : skus->AsList()) {
      if (s.IsString()) only.insert(s.AsString());
    }
  }
  std::set<std::string> inherited;  // assigned through a group: removed by leaving the group
  if (const Value* states = u.Find("licenseAssignmentStates"); states != nullptr && states->IsList()) {
    for (const Value& s : states->AsList()) {
      if (s.IsMap() && !Str(s.AsMap(), "assignedByGroup").empty()) inherited.insert(Str(s.AsMap(), "skuId"));
    }
  }
  List freed;
  List skus_to_remove;
  List left;
  if (const Value* licenses = u.Find("assignedLicenses"); licenses != nullptr && licenses->IsList()) {
    for (const Value& l : licenses->AsList()) {
      if (!l.IsMap()) continue;
      const std::string sku = Str(l.AsMap(), "skuId");
      if (!only.empty() && !only.contains(sku)) continue;
      if (inherited.contains(sku)) {
        left.push_back(l);
        continue;
      }
      freed.push_back(l);
      skus_to_remove.push_back(Value(sku));
    }
  }
  if (!skus_to_remove.empty()) {
    Value body = RemoveLicenseBody(std::move(skus_to_remove));
    std::string path = UserPath(user_id) + "/assignLicense";
    auto post = co_await Call("POST", path, std::move(body), ctx);
    if (auto* o = std::get_if<Outcome>(&post)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(post);
    if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph POST /users/" + user_id + "/assignLicense");
  }
  Map out;
  out.Set("id", user_id);
  out.Set("freed", std::move(freed));
  out.Set("inherited", std::move(left));
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GraphConnector::SetForwarding(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  const std::string to = StringArg(args, "to");
  if (user.empty()) co_return Missing("set_forwarding", "user");
  const Value* enabled_arg = args.Find("enabled");
  const bool enabled = enabled_arg == nullptr || !enabled_arg->IsBool() || enabled_arg->AsBool();
  if (enabled && to.empty()) co_return Missing("set_forwarding", "to");
  std::string name = StringArg(args, "rule_name");
  if (name.empty()) name = kRuleName;
  const std::string rules_path = UserPath(user) + "/mailFolders/inbox/messageRules";
  auto listed = co_await ListAll(rules_path, ctx);
  if (auto* o = std::get_if<Outcome>(&listed)) co_return std::move(*o);
  std::optional<Map> rule;
  for (const Value& r : std::get<List>(listed)) {
    if (r.IsMap() && Str(r.AsMap(), "displayName") == name) rule = r.AsMap();
  }
  std::string change = "none";
  if (!enabled) {
    if (rule) {
      auto del = co_await Call("DELETE", rules_path + "/" + PathSegment(Str(*rule, "id")), std::nullopt, ctx);
      if (auto* o = std::get_if<Outcome>(&del)) co_return std::move(*o);
      const Reply& reply = std::get<Reply>(del);
      if (reply.status != 404 && !IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph DELETE messageRules");
      change = "deleted";
    }
  } else if (!rule) {
    auto post = co_await Call("POST", rules_path, Value(ForwardRule(name, to)), ctx);
    if (auto* o = std::get_if<Outcome>(&post)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(post);
    if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph POST messageRules");
    change = "created";
  } else {
    const Value* is_enabled = rule->Find("isEnabled");
    const bool on = is_enabled == nullptr || !is_enabled->IsBool() || is_enabled->AsBool();
    if (!EqualsIgnoreCaseAscii(RuleTarget(*rule), to) || !on) {
      auto patch = co_await Call("PATCH", rules_path + "/" + PathSegment(Str(*rule, "id")), Value(ForwardRule(name, to)), ctx);
      if (auto* o = std::get_if<Outcome>(&patch)) co_return std::move(*o);
      const Reply& reply = std::get<Reply>(patch);
      if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph PATCH messageRules");
      change = "updated";
    }
  }
  Map out;
  out.Set("id", user);
  out.Set("enabled", enabled);
  out.Set("forward_to", enabled ? to : std::string());
  out.Set("rule", name);
  out.Set("change", change);
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GraphConnector::SetAutomaticReplies(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  if (user.empty()) co_return Missing("set_automatic_replies", "user");
  const Value* enabled_arg = args.Find("enabled");
  const bool enabled = enabled_arg == nullptr || !enabled_arg->IsBool() || enabled_arg->AsBool();
  const std::string start = StringArg(args, "start");
  const std::string end = StringArg(args, "end");
  Map setting;
  setting.Set("status", !enabled ? "disabled" : (!start.empty() && !end.empty()) ? "scheduled" : "alwaysEnabled");
  if (enabled) {
    std::string audience = StringArg(args, "external_audience");
    setting.Set("externalAudience", audience.empty() ? std::string("all") : audience);
    const std::string internal = StringArg(args, "internal_message");
    const std::string external = StringArg(args, "external_message");
    setting.Set("internalReplyMessage", internal);
    setting.Set("externalReplyMessage", external.empty() ? internal : external);
    if (!start.empty() && !end.empty()) {
      setting.Set("scheduledStartDateTime", Value(DateTimeTz(start)));
      setting.Set("scheduledEndDateTime", Value(DateTimeTz(end)));
    }
  }
  Map body;
  body.Set("automaticRepliesSetting", Value(std::move(setting)));
  auto r = co_await Call("PATCH", UserPath(user) + "/mailboxSettings", Value(std::move(body)), ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "msgraph PATCH /users/" + user + "/mailboxSettings");
  Map out;
  out.Set("id", user);
  out.Set("enabled", enabled);
  out.Set("mailboxSettings", reply.body.IsMap() ? reply.body : Value(Map{}));
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GraphConnector::GetManager(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  if (user.empty()) co_return Missing("get_manager", "user");
  auto r = co_await Call("GET", UserPath(user) + "/manager?$select=id,userPrincipalName,displayName,mail", std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  Map out;
  if (reply.status == 404) {  // no manager (or no such user: then the message says so)
    const std::string code = reply.body.IsMap() && reply.body.AsMap().Find("error") != nullptr &&
                                     reply.body.AsMap().Find("error")->IsMap()
                                 ? Str(reply.body.AsMap().Find("error")->AsMap(), "message")
                                 : std::string();
    if (code.find("manager") == std::string::npos) co_return ErrorOutcome(reply, "msgraph GET /users/" + user + "/manager");
    out.Set("id", "");
    out.Set("found", false);
    co_return Succeeded{Value(std::move(out))};
  }
  if (!IsSuccess(reply.status) || !reply.body.IsMap()) co_return ErrorOutcome(reply, "msgraph GET /users/" + user + "/manager");
  const Map& m = reply.body.AsMap();
  out.Set("id", Str(m, "id"));
  out.Set("userPrincipalName", Str(m, "userPrincipalName"));
  out.Set("displayName", Str(m, "displayName"));
  out.Set("mail", Str(m, "mail"));
  out.Set("found", true);
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Either<List>> GraphConnector::GroupsOf(const std::string& user_id, bool removable, const Context& ctx) {
  auto listed = co_await ListAll(UserPath(user_id) +
                                     "/memberOf?$select=id,displayName,groupTypes,onPremisesSyncEnabled,mailEnabled,"
                                     "securityEnabled",
                                 ctx);
  if (auto* o = std::get_if<Outcome>(&listed)) co_return std::move(*o);
  List out;
  for (const Value& item : std::get<List>(listed)) {
    if (!item.IsMap() || !IsGroup(item.AsMap())) continue;
    if (removable && !Unremovable(item.AsMap()).empty()) continue;
    out.push_back(Value(GroupEntry(item.AsMap(), "")));
  }
  co_return out;
}

awaitable<Either<Map>> GraphConnector::DirectLicenses(const std::string& key, const List& only, const Context& ctx) {
  auto r = co_await Call("GET", UserPath(key) + "?$select=id,userPrincipalName,assignedLicenses,licenseAssignmentStates",
                         std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& got = std::get<Reply>(r);
  if (got.status == 404) co_return Fail(FailureClass::kNotFound, "msgraph: no user " + key, 404);
  if (!IsSuccess(got.status) || !got.body.IsMap()) co_return ErrorOutcome(got, "msgraph GET /users/" + key);
  const Map& u = got.body.AsMap();
  std::set<std::string> inherited;
  if (const Value* states = u.Find("licenseAssignmentStates"); states != nullptr && states->IsList()) {
    for (const Value& s : states->AsList()) {
      if (s.IsMap() && !Str(s.AsMap(), "assignedByGroup").empty()) inherited.insert(Str(s.AsMap(), "skuId"));
    }
  }
  std::set<std::string> wanted;
  for (const Value& v : only) {
    if (v.IsString()) wanted.insert(v.AsString());
  }
  List direct;
  if (const Value* licenses = u.Find("assignedLicenses"); licenses != nullptr && licenses->IsList()) {
    for (const Value& l : licenses->AsList()) {
      if (!l.IsMap()) continue;
      const std::string sku = Str(l.AsMap(), "skuId");
      if ((!wanted.empty() && !wanted.contains(sku)) || inherited.contains(sku)) continue;
      Map entry;
      entry.Set("skuId", sku);
      const Value* plans = l.AsMap().Find("disabledPlans");
      entry.Set("disabledPlans", plans != nullptr && plans->IsList() ? *plans : Value(List{}));
      direct.push_back(Value(std::move(entry)));
    }
  }
  Map out;
  out.Set("id", Str(u, "id"));
  out.Set("userPrincipalName", Str(u, "userPrincipalName"));
  out.Set("licenses", std::move(direct));
  co_return out;
}

awaitable<Outcome> GraphConnector::ObserveRemoval(Probe probe, const Action& action, const Value& result,
                                                  const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  const bool pre = probe == Probe::kPreState;
  if (n == "remove_licenses") {
    std::string key = pre ? StringArg(a, "user") : ResultString(result, "id");
    if (key.empty()) key = StringArg(a, "user");
    auto held = co_await DirectLicenses(std::move(key), ListArg(a, "sku_ids"), ctx);
    if (auto* o = std::get_if<Outcome>(&held)) co_return std::move(*o);
    Map& state = std::get<Map>(held);
    if (pre) co_return Succeeded{Value(std::move(state))};
    co_return Succeeded{Observation("licenses", Value(List{}), *state.Find("licenses"))};
  }
  if (n != "remove_from_group" && n != "remove_from_all_groups") {
    co_return co_await Connector::Observe(probe, action, result, ctx);
  }
  // The user: its id in the result (remove_from_group: user_id), else the argument.
  std::string key = ResultString(result, n == "remove_from_group" ? "user_id" : "id");
  if (key.empty()) key = StringArg(a, "user");
  auto user = co_await ReadUser(std::move(key), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  const Map& u = std::get<Map>(user);
  if (n == "remove_from_all_groups") {
    auto groups = co_await GroupsOf(Str(u, "id"), true, ctx);
    if (auto* o = std::get_if<Outcome>(&groups)) co_return std::move(*o);
    if (pre) co_return Succeeded{HeldGroups(u, std::move(std::get<List>(groups)))};
    co_return Succeeded{Observation("groups", Value(List{}), Value(std::move(std::get<List>(groups))))};
  }
  std::string group_id = ResultString(result, "group_id");
  if (pre) {
    auto group = co_await ResolveGroup(a, ctx);
    if (auto* o = std::get_if<Outcome>(&group)) co_return std::move(*o);
    group_id = std::get<std::string>(group);
  }
  auto groups = co_await GroupsOf(Str(u, "id"), false, ctx);
  if (auto* o = std::get_if<Outcome>(&groups)) co_return std::move(*o);
  const bool member = HasId(std::get<List>(groups), group_id);
  if (pre) co_return Succeeded{MembershipState(u, group_id, member)};
  co_return Succeeded{Observation("member", Value(false), Value(member))};
}

awaitable<Outcome> GraphConnector::ListUsers(const Context& ctx) {
  auto listed = co_await ListAll("/users?$select=id,userPrincipalName,mail,accountEnabled,employeeId&$top=999", ctx);
  if (auto* o = std::get_if<Outcome>(&listed)) co_return std::move(*o);
  List users;
  for (const Value& u : std::get<List>(listed)) {
    if (u.IsMap()) users.push_back(AccountOf(u.AsMap()));
  }
  const auto total = static_cast<std::int64_t>(users.size());
  Map out;
  out.Set("resources", std::move(users));
  out.Set("total", total);
  co_return Succeeded{Value(std::move(out))};
}

}  // namespace tenure::connectors::msgraph
