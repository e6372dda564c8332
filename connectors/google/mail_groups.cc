// The google connector's groups, aliases, Gmail settings and data transfers.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <set>

#include "connectors/google/google_connector.h"
#include "connectors/http_support.h"
#include "connectors/restore.h"
#include "workflows/loader.h"

namespace tenure::connectors::google {
namespace {

using boost::asio::awaitable;
using oauth::PathSegment;
using oauth::StringArg;

constexpr int kMaxPages = 1000;
// Application ids of the Data Transfer API (GET /admin/datatransfer/v1/applications lists them).
constexpr const char* kDriveApp = "55656082996";
constexpr const char* kCalendarApp = "435070579839";

Outcome Missing(std::string_view action, std::string_view arg) {
  return Fail(FailureClass::kPermanent, "google " + std::string(action) + ": `" + std::string(arg) + "` is required");
}

Value Flag(std::string_view name, bool value, const std::string& group, const std::string& user) {
  Map out;
  out.Set("id", group);
  out.Set("group", group);
  out.Set("user", user);
  out.Set(std::string(name), value);
  return out;
}

Value AliasResult(const std::string& user, const std::string& alias, std::string_view name, bool value) {
  Map out;
  out.Set("id", user);
  out.Set("alias", alias);
  out.Set(std::string(name), value);
  return out;
}

Map MemberBody(const std::string& email, const std::string& role) {
  Map m;
  m.Set("email", email);
  m.Set("role", role.empty() ? std::string("MEMBER") : role);
  return m;
}

// The transfer request body: Drive with PRIVACY_LEVEL PRIVATE+SHARED, Calendar releasing resources.
Map TransferBody(const std::string& from, const std::string& to, const std::vector<std::string>& apps) {
  List transfers;
  for (const std::string& app : apps) {
    Map param;
    if (app == kDriveApp) {
      param.Set("key", "PRIVACY_LEVEL");
      param.Set("value", List{Value("PRIVATE"), Value("SHARED")});
    } else {
      param.Set("key", "RELEASE_RESOURCES");
      param.Set("value", List{Value("TRUE")});
    }
    Map t;
    t.Set("applicationId", app);
    t.Set("applicationTransferParams", List{Value(std::move(param))});
    transfers.push_back(Value(std::move(t)));
  }
  Map body;
  body.Set("oldOwnerUserId", from);
  body.Set("newOwnerUserId", to);
  body.Set("applicationDataTransfers", std::move(transfers));
  return body;
}

// The application ids named by `apps` (drive, calendar, or numeric ids); error text when unknown.
std::vector<std::string> AppIds(const Map& args, std::string* error) {
  std::vector<std::string> out;
  const Value* apps = args.Find("apps");
  if (apps == nullptr || !apps->IsList() || apps->AsList().empty()) return {kDriveApp};
  for (const Value& a : apps->AsList()) {
    const std::string name = a.IsString() ? a.AsString() : a.ToText();
    if (name == "drive") {
      out.push_back(kDriveApp);
    } else if (name == "calendar") {
      out.push_back(kCalendarApp);
    } else if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      out.push_back(name);
    } else {
      *error = "google transfer_data: unknown application '" + name + "' (drive, calendar, or a numeric id)";
    }
  }
  return out;
}

std::set<std::string> TransferApps(const Map& transfer) {
  std::set<std::string> apps;
  const Value* list = transfer.Find("applicationDataTransfers");
  if (list == nullptr || !list->IsList()) return apps;
  for (const Value& a : list->AsList()) {
    if (!a.IsMap()) continue;
    const Value* id = a.AsMap().Find("applicationId");
    if (id != nullptr) apps.insert(id->IsString() ? id->AsString() : id->ToText());
  }
  return apps;
}

Value TransferResult(const Map& transfer, const std::string& from, const std::string& to, bool created) {
  Map out;
  out.Set("id", Str(transfer, "id"));
  out.Set("transfer_id", Str(transfer, "id"));
  out.Set("status", Str(transfer, "overallTransferStatusCode"));
  out.Set("from", from);
  out.Set("to", to);
  out.Set("created", created);
  out.Set("transfer", transfer);
  return out;
}

std::chrono::milliseconds WaitArg(const Map& args, std::chrono::milliseconds fallback, std::string* error) {
  const Value* w = args.Find("wait");
  if (w == nullptr || w->IsNull()) return fallback;
  if (w->IsInt() && w->AsInt() >= 0) return std::chrono::seconds(w->AsInt());
  if (w->IsString()) {
    if (auto d = workflows::ParseDuration(w->AsString()); d && d->count() >= 0) return *d;
  }
  *error = "google transfer_data: `wait` must be a duration such as 60s";
  return fallback;
}

}  // namespace

awaitable<Outcome> GoogleConnector::AddToGroup(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  const std::string group = StringArg(args, "group");
  if (user.empty()) co_return Missing("add_to_group", "user");
  if (group.empty()) co_return Missing("add_to_group", "group");
  std::string path = std::string(kGroupsPath) + "/" + PathSegment(group) + "/members";
  auto r = co_await Admin("POST", path, Value(MemberBody(user, StringArg(args, "role"))), ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 409) co_return Succeeded{Flag("added", false, group, user)};  // "Member already exists."
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google POST groups/" + group + "/members");
  co_return Succeeded{Flag("added", true, group, user)};
}

awaitable<Outcome> GoogleConnector::RemoveFromGroup(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  const std::string group = StringArg(args, "group");
  if (user.empty()) co_return Missing("remove_from_group", "user");
  if (group.empty()) co_return Missing("remove_from_group", "group");
  std::string path = std::string(kGroupsPath) + "/" + PathSegment(group) + "/members/" + PathSegment(user);
  auto r = co_await Admin("DELETE", path, std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 404) co_return Succeeded{Flag("removed", false, group, user)};  // not a member (or no group)
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google DELETE groups/" + group + "/members/" + user);
  co_return Succeeded{Flag("removed", true, group, user)};
}

awaitable<Either<List>> GoogleConnector::GroupsOf(std::string user, const Context& ctx) {
  List all;
  std::string page_token;
  for (int page = 0;; ++page) {
    if (page == kMaxPages) {
      co_return Fail(FailureClass::kPermanent, "google: the group listing of " + user + " did not end after " +
                                                   std::to_string(kMaxPages) + " pages");
    }
    std::string path = std::string(kGroupsPath) + "?userKey=" + UrlEncode(user) + "&maxResults=200";
    if (!page_token.empty()) path += "&pageToken=" + UrlEncode(page_token);
    auto r = co_await Admin("GET", path, std::nullopt, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google GET groups?userKey=" + user);
    if (!reply.body.IsMap()) co_return Fail(FailureClass::kPermanent, "google GET groups: malformed answer", reply.status);
    if (const Value* groups = reply.body.AsMap().Find("groups"); groups != nullptr && groups->IsList()) {
      for (const Value& g : groups->AsList()) {
        if (!g.IsMap()) continue;
        Map entry;
        entry.Set("id", Str(g.AsMap(), "id"));
        entry.Set("email", Str(g.AsMap(), "email"));
        entry.Set("name", Str(g.AsMap(), "name"));
        all.push_back(Value(std::move(entry)));
      }
    }
    std::string next = Str(reply.body.AsMap(), "nextPageToken");
    if (next.empty()) break;
    if (next == page_token) co_return Fail(FailureClass::kPermanent, "google GET groups: the same nextPageToken twice");
    page_token = std::move(next);
  }
  co_return all;
}

awaitable<Outcome> GoogleConnector::RemoveFromAllGroups(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  if (user.empty()) co_return Missing("remove_from_all_groups", "user");
  auto listed = co_await GroupsOf(user, ctx);
  if (auto* o = std::get_if<Outcome>(&listed)) co_return std::move(*o);
  const List groups = std::move(std::get<List>(listed));
  for (const Value& g : groups) {
    const std::string key = Str(g.AsMap(), "id").empty() ? Str(g.AsMap(), "email") : Str(g.AsMap(), "id");
    std::string path = std::string(kGroupsPath) + "/" + PathSegment(key) + "/members/" + PathSegment(user);
    auto r = co_await Admin("DELETE", path, std::nullopt, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (reply.status != 404 && !IsSuccess(reply.status)) {
      co_return ErrorOutcome(reply, "google DELETE groups/" + Str(g.AsMap(), "email") + "/members/" + user);
    }
  }
  // An earlier attempt may have removed some (its result lost to a crash): they count too, or a
  // restore or rehire reading this result would bring back nothing.
  List removed = RemovedAcrossAttempts(ctx.pre_state, "id", user, "id", groups, groups);
  Map out;
  out.Set("id", user);
  out.Set("removed", static_cast<std::int64_t>(removed.size()));
  out.Set("groups", std::move(removed));
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GoogleConnector::AddAlias(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  const std::string alias = StringArg(args, "alias");
  if (user.empty()) co_return Missing("add_alias", "user");
  if (alias.empty()) co_return Missing("add_alias", "alias");
  Map body;
  body.Set("alias", alias);
  std::string path = std::string(kUsersPath) + PathSegment(user) + "/aliases";
  auto r = co_await Admin("POST", path, Value(std::move(body)), ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 409) co_return Succeeded{AliasResult(user, alias, "added", false)};
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google POST users/" + user + "/aliases");
  co_return Succeeded{AliasResult(user, alias, "added", true)};
}

awaitable<Outcome> GoogleConnector::RemoveAlias(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  const std::string alias = StringArg(args, "alias");
  if (user.empty()) co_return Missing("remove_alias", "user");
  if (alias.empty()) co_return Missing("remove_alias", "alias");
  std::string path = std::string(kUsersPath) + PathSegment(user) + "/aliases/" + PathSegment(alias);
  auto r = co_await Admin("DELETE", path, std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 404) co_return Succeeded{AliasResult(user, alias, "removed", false)};
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google DELETE users/" + user + "/aliases/" + alias);
  co_return Succeeded{AliasResult(user, alias, "removed", true)};
}

awaitable<Outcome> GoogleConnector::SetForwarding(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  const std::string to = StringArg(args, "to");
  if (user.empty()) co_return Missing("set_forwarding", "user");
  const Value* enabled_arg = args.Find("enabled");
  const bool enabled = enabled_arg == nullptr || !enabled_arg->IsBool() || enabled_arg->AsBool();
  if (enabled && to.empty()) co_return Missing("set_forwarding", "to");
  std::string disposition = StringArg(args, "disposition");
  if (disposition.empty()) disposition = "leaveInInbox";
  std::string verification;
  if (enabled) {
    Map address;
    address.Set("forwardingEmail", to);
    auto r = co_await Gmail(user, "POST", "/forwardingAddresses", Value(std::move(address)), ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (reply.status == 409) {  // already a forwarding address: read its verification status
      auto got = co_await Gmail(user, "GET", "/forwardingAddresses/" + PathSegment(to), std::nullopt, ctx);
      if (auto* o = std::get_if<Outcome>(&got)) co_return std::move(*o);
      const Reply& g = std::get<Reply>(got);
      if (!IsSuccess(g.status)) co_return ErrorOutcome(g, "google GET forwardingAddresses/" + to);
      verification = oauth::StringAt(g.body, "verificationStatus");
    } else if (!IsSuccess(reply.status)) {
      co_return ErrorOutcome(reply, "google POST users/" + user + "/settings/forwardingAddresses");
    } else {
      verification = oauth::StringAt(reply.body, "verificationStatus");
    }
    if (verification == "pending") {
      co_return Fail(FailureClass::kPermanent,
                     "google set_forwarding: " + to + " awaits verification by its owner (verificationStatus pending); "
                     "Gmail forwards only to verified addresses");
    }
  }
  Map settings;
  settings.Set("enabled", enabled);
  if (enabled) {
    settings.Set("emailAddress", to);
    settings.Set("disposition", disposition);
  }
  auto put = co_await Gmail(user, "PUT", "/autoForwarding", Value(std::move(settings)), ctx);
  if (auto* o = std::get_if<Outcome>(&put)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(put);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google PUT users/" + user + "/settings/autoForwarding");
  Map out;
  out.Set("id", user);
  out.Set("enabled", enabled);
  out.Set("forward_to", to);
  out.Set("disposition", enabled ? disposition : std::string());
  out.Set("verification_status", verification);
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GoogleConnector::SetOutOfOffice(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  if (user.empty()) co_return Missing("set_out_of_office", "user");
  const Value* enabled_arg = args.Find("enabled");
  const bool enabled = enabled_arg == nullptr || !enabled_arg->IsBool() || enabled_arg->AsBool();
  Map vacation;
  vacation.Set("enableAutoReply", enabled);
  if (enabled) {
    vacation.Set("responseSubject", StringArg(args, "subject"));
    vacation.Set("responseBodyPlainText", StringArg(args, "message"));
    for (auto [arg, field] : {std::pair{"restrict_to_domain", "restrictToDomain"},
                              std::pair{"restrict_to_contacts", "restrictToContacts"}}) {
      const Value* v = args.Find(arg);
      vacation.Set(field, v != nullptr && v->IsBool() && v->AsBool());
    }
    for (auto [arg, field] : {std::pair{"start_time", "startTime"}, std::pair{"end_time", "endTime"}}) {
      const Value* v = args.Find(arg);
      if (v != nullptr && v->IsInt()) vacation.Set(field, std::to_string(v->AsInt()));  // int64 as text
    }
  }
  auto put = co_await Gmail(user, "PUT", "/vacation", Value(std::move(vacation)), ctx);
  if (auto* o = std::get_if<Outcome>(&put)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(put);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google PUT users/" + user + "/settings/vacation");
  Map out;
  out.Set("id", user);
  out.Set("enabled", enabled);
  out.Set("vacation", reply.body.IsMap() ? reply.body : Value(Map{}));
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Either<std::optional<Map>>> GoogleConnector::FindTransfer(std::string from_id, std::string to_id,
                                                                    std::vector<std::string> app_ids,
                                                                    const Context& ctx) {
  std::optional<Map> found;
  std::string page_token;
  for (int page = 0; page < kMaxPages; ++page) {
    std::string path = std::string(kTransfersPath) + "?oldOwnerUserId=" + UrlEncode(from_id) +
                       "&newOwnerUserId=" + UrlEncode(to_id) + "&customerId=" + UrlEncode(config_.customer);
    if (!page_token.empty()) path += "&pageToken=" + UrlEncode(page_token);
    auto r = co_await Admin("GET", path, std::nullopt, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google GET transfers");
    if (!reply.body.IsMap()) co_return Fail(FailureClass::kPermanent, "google GET transfers: malformed answer", reply.status);
    if (const Value* list = reply.body.AsMap().Find("dataTransfers"); list != nullptr && list->IsList()) {
      for (const Value& t : list->AsList()) {
        if (!t.IsMap() || Str(t.AsMap(), "overallTransferStatusCode") == "failed") continue;
        if (Str(t.AsMap(), "oldOwnerUserId") != from_id || Str(t.AsMap(), "newOwnerUserId") != to_id) continue;
        const std::set<std::string> apps = TransferApps(t.AsMap());
        bool covers = true;
        for (const std::string& a : app_ids) covers = covers && apps.contains(a);
        if (covers) found = t.AsMap();  // the latest listed wins
      }
    }
    std::string next = Str(reply.body.AsMap(), "nextPageToken");
    if (next.empty() || next == page_token) break;
    page_token = std::move(next);
  }
  co_return found;
}

awaitable<Outcome> GoogleConnector::TransferData(const Map& args, const Context& ctx) {
  const std::string user = StringArg(args, "user");
  const std::string to = StringArg(args, "to");
  if (user.empty()) co_return Missing("transfer_data", "user");
  if (to.empty()) co_return Missing("transfer_data", "to");
  std::string error;
  const std::vector<std::string> apps = AppIds(args, &error);
  const std::chrono::milliseconds wait = WaitArg(args, config_.transfer_wait, &error);
  if (!error.empty()) co_return Fail(FailureClass::kPermanent, error);
  const auto started = std::chrono::steady_clock::now();
  auto from_user = co_await ReadUser(user, ctx);
  if (auto* o = std::get_if<Outcome>(&from_user)) co_return std::move(*o);
  auto to_user = co_await ReadUser(to, ctx);
  if (auto* o = std::get_if<Outcome>(&to_user)) co_return std::move(*o);
  const std::string from_id = Str(std::get<Map>(from_user), "id");
  const std::string to_id = Str(std::get<Map>(to_user), "id");
  // An earlier attempt (or run) may have started it: never a second transfer for the same data.
  auto existing = co_await FindTransfer(from_id, to_id, apps, ctx);
  if (auto* o = std::get_if<Outcome>(&existing)) co_return std::move(*o);
  Map transfer;
  bool created = false;
  if (auto& t = std::get<std::optional<Map>>(existing)) {
    transfer = std::move(*t);
  } else {
    std::string path(kTransfersPath);
    auto r = co_await Admin("POST", path, Value(TransferBody(from_id, to_id, apps)), ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (!IsSuccess(reply.status) || !reply.body.IsMap()) co_return ErrorOutcome(reply, "google POST transfers");
    transfer = reply.body.AsMap();
    created = true;
  }
  // Poll with backoff (1s, 2s, 4s, 8s, 8s...) within `wait` and the attempt's deadline.
  const std::string id = Str(transfer, "id");
  const auto budget = std::min<std::chrono::milliseconds>(wait, TimeLeft(ctx) - std::chrono::milliseconds(2000));
  std::chrono::milliseconds delay(1000);
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    const std::string status = Str(transfer, "overallTransferStatusCode");
    if (status == "completed") co_return Succeeded{TransferResult(transfer, user, to, created)};
    if (status == "failed") {
      co_return Fail(FailureClass::kPermanent, "google transfer_data: transfer " + id + " from " + user + " to " + to +
                                                   " failed (overallTransferStatusCode failed)");
    }
    const auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    if (spent + delay > budget) {
      // Still running: the engine re-invokes (with its backoff) and the lookup finds this transfer.
      co_return RetryLater{std::chrono::milliseconds(0),
                           Failure{FailureClass::kTransient,
                                   "google transfer_data: transfer " + id + " still " +
                                       (status.empty() ? std::string("pending") : status) + " after " +
                                       std::to_string(spent.count() / 1000) + "s; will look again",
                                   0, "inProgress"}};
    }
    timer.expires_after(delay);
    co_await timer.async_wait(boost::asio::use_awaitable);
    delay = std::min<std::chrono::milliseconds>(delay * 2, std::chrono::milliseconds(8000));
    std::string path = std::string(kTransfersPath) + "/" + PathSegment(id);
    auto r = co_await Admin("GET", path, std::nullopt, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (!IsSuccess(reply.status) || !reply.body.IsMap()) co_return ErrorOutcome(reply, "google GET transfers/" + id);
    transfer = reply.body.AsMap();
  }
}

}  // namespace tenure::connectors::google
