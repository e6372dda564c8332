// The google connector's user actions (Admin SDK Directory API users resource).
#include "connectors/google/google_connector.h"
#include "connectors/http_support.h"

namespace tenure::connectors::google {
namespace {

using boost::asio::awaitable;
using oauth::PathSegment;
using oauth::GeneratePassword;
using oauth::SecretFile;
using oauth::StringArg;

// The user the action is about: `user` (email, alias or id).
std::string UserKey(const Map& args) { return StringArg(args, "user"); }

Outcome Missing(std::string_view action, std::string_view arg) {
  return Fail(FailureClass::kPermanent, "google " + std::string(action) + ": `" + std::string(arg) + "` is required");
}

// The fields of `args` to set on a user: name, orgUnitPath, suspended, and `attributes` as given.
Map DesiredFields(const Map& args) {
  Map out;
  if (const Value* name = args.Find("name"); name != nullptr && name->IsMap()) out.Set("name", *name);
  if (const std::string ou = StringArg(args, "orgUnitPath"); !ou.empty()) out.Set("orgUnitPath", ou);
  if (const Value* s = args.Find("suspended"); s != nullptr && s->IsBool()) out.Set("suspended", *s);
  if (const Value* attrs = args.Find("attributes"); attrs != nullptr && attrs->IsMap()) {
    for (const auto& [k, v] : attrs->AsMap()) out.Set(k, v);
  }
  return out;
}

// What of `desired` differs from `current`: a map field (name) compares only the keys given and
// is sent whole (current merged with desired), as PATCH replaces a nested object.
Map Differences(const Map& current, const Map& desired) {
  Map patch;
  for (const auto& [k, v] : desired) {
    const Value* now = current.Find(k);
    if (v.IsMap() && now != nullptr && now->IsMap()) {
      Map merged = now->AsMap();
      bool differs = false;
      for (const auto& [sk, sv] : v.AsMap()) {
        const Value* had = merged.Find(sk);
        if (had == nullptr || !(*had == sv)) differs = true;
        merged.Set(sk, sv);
      }
      if (differs) patch.Set(k, Value(std::move(merged)));
      continue;
    }
    if (now == nullptr || !(*now == v)) patch.Set(k, v);
  }
  return patch;
}

Value Changed(Value user_result, bool changed) {
  user_result.AsMap().Set("changed", changed);
  return user_result;
}

Value DeletedResult(const std::string& user, bool deleted) {
  Map out;
  out.Set("id", user);
  out.Set("deleted", deleted);
  return out;
}

}  // namespace

Result<std::string> GoogleConnector::PasswordArg(const Action& action) {
  const Value* v = action.args.Find("password");
  if (v == nullptr || !v->IsString()) return Error::InvalidArgument("`password` must be a string");
  auto s = ResolveLiteralSecrets(*v, LiteralAt(action.literal, {"password"}), "password", secrets_, redactor_);
  if (s) redactor_.Add(*s);
  return s;
}

awaitable<Either<std::optional<Map>>> GoogleConnector::FindUser(std::string key, const Context& ctx) {
  if (key.empty()) co_return Fail(FailureClass::kPermanent, "google: `user` is required");
  std::string path = std::string(kUsersPath) + PathSegment(key);
  auto r = co_await Admin("GET", path, std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 404) co_return std::optional<Map>();
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google GET users/" + key);
  if (!reply.body.IsMap() || Str(reply.body.AsMap(), "id").empty()) {
    co_return Fail(FailureClass::kPermanent, "google GET users/" + key + ": malformed user resource", reply.status);
  }
  co_return std::optional<Map>(reply.body.AsMap());
}

awaitable<Either<Map>> GoogleConnector::ReadUser(std::string key, const Context& ctx) {
  auto found = co_await FindUser(key, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  auto& user = std::get<std::optional<Map>>(found);
  if (!user) co_return Fail(FailureClass::kNotFound, "google: no user " + key, 404);
  co_return std::move(*user);
}

awaitable<Either<Map>> GoogleConnector::PatchUser(std::string id, Map body, const Context& ctx) {
  std::string path = std::string(kUsersPath) + PathSegment(id);
  auto r = co_await Admin("PATCH", path, Value(std::move(body)), ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google PATCH users/" + id);
  if (!reply.body.IsMap()) co_return co_await ReadUser(id, ctx);
  co_return reply.body.AsMap();
}

awaitable<Outcome> GoogleConnector::EnsureUser(const Action& action, const Context& ctx) {
  const Map& args = action.args;
  const std::string email = StringArg(args, "primaryEmail");
  if (email.empty()) co_return Missing("ensure_user", "primaryEmail");
  auto found = co_await FindUser(email, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  Map desired = DesiredFields(args);
  bool created = false;
  Map current;
  if (auto& existing = std::get<std::optional<Map>>(found)) {
    current = std::move(*existing);
  } else {
    Map create = desired;
    create.Set("primaryEmail", email);
    if (args.Find("password") != nullptr) {
      auto password = PasswordArg(action);
      if (!password) co_return Fail(FailureClass::kPermanent, "google ensure_user: " + password.error().message);
      create.Set("password", *password);
    } else {
      // Google requires a password: an unknown random one, to be reset by the person or an admin.
      const std::string generated = GeneratePassword();
      redactor_.Add(generated);
      create.Set("password", generated);
      create.Set("changePasswordAtNextLogin", true);
    }
    if (!create.Contains("name")) {
      Map name;
      name.Set("givenName", email.substr(0, email.find('@')));
      name.Set("familyName", email.substr(0, email.find('@')));
      create.Set("name", Value(std::move(name)));
    }
    std::string path = std::string(kUsersPath);
    path.pop_back();  // POST .../users
    auto r = co_await Admin("POST", path, Value(std::move(create)), ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (reply.status == 409) {  // created meanwhile (an earlier attempt whose answer was lost): adopt it
      auto again = co_await ReadUser(email, ctx);
      if (auto* o = std::get_if<Outcome>(&again)) co_return std::move(*o);
      current = std::move(std::get<Map>(again));
    } else if (!IsSuccess(reply.status)) {
      co_return ErrorOutcome(reply, "google POST users");
    } else {
      created = true;
      current = reply.body.IsMap() ? reply.body.AsMap() : Map{};
      if (Str(current, "id").empty()) {
        auto again = co_await ReadUser(email, ctx);
        if (auto* o = std::get_if<Outcome>(&again)) co_return std::move(*o);
        current = std::move(std::get<Map>(again));
      }
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

awaitable<Outcome> GoogleConnector::GetUser(const Map& args, const Context& ctx) {
  auto user = co_await ReadUser(UserKey(args), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  co_return Succeeded{UserResult(std::get<Map>(user))};
}

awaitable<Outcome> GoogleConnector::UpdateUser(const Map& args, const Context& ctx) {
  auto user = co_await ReadUser(UserKey(args), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  Map current = std::move(std::get<Map>(user));
  Map patch = Differences(current, DesiredFields(args));
  const bool changed = !patch.empty();
  if (changed) {
    auto after = co_await PatchUser(Str(current, "id"), std::move(patch), ctx);
    if (auto* o = std::get_if<Outcome>(&after)) co_return std::move(*o);
    current = std::move(std::get<Map>(after));
  }
  co_return Succeeded{Changed(UserResult(current), changed)};
}

awaitable<Outcome> GoogleConnector::SetSuspended(const Map& args, bool suspended, const Context& ctx) {
  auto user = co_await ReadUser(UserKey(args), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  Map current = std::move(std::get<Map>(user));
  if (BoolAt(current, "suspended") == suspended) co_return Succeeded{Changed(UserResult(current), false)};
  Map body;
  body.Set("suspended", suspended);
  auto after = co_await PatchUser(Str(current, "id"), std::move(body), ctx);
  if (auto* o = std::get_if<Outcome>(&after)) co_return std::move(*o);
  co_return Succeeded{Changed(UserResult(std::get<Map>(after)), true)};
}

awaitable<Outcome> GoogleConnector::MoveToOrgUnit(const Map& args, const Context& ctx) {
  const std::string ou = StringArg(args, "org_unit_path");
  if (ou.empty() || ou.front() != '/') {
    co_return Fail(FailureClass::kPermanent, "google move_to_org_unit: `org_unit_path` must be a path such as /Former employees");
  }
  auto user = co_await ReadUser(UserKey(args), ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  Map current = std::move(std::get<Map>(user));
  Value result;
  const std::string previous = Str(current, "orgUnitPath");
  if (previous == ou) {
    result = Changed(UserResult(current), false);
  } else {
    Map body;
    body.Set("orgUnitPath", ou);
    auto after = co_await PatchUser(Str(current, "id"), std::move(body), ctx);
    if (auto* o = std::get_if<Outcome>(&after)) co_return std::move(*o);
    result = Changed(UserResult(std::get<Map>(after)), true);
  }
  result.AsMap().Set("previous_org_unit_path", previous);
  co_return Succeeded{std::move(result)};
}

awaitable<Outcome> GoogleConnector::SignOut(const Map& args, const Context& ctx) {
  const std::string user = UserKey(args);
  if (user.empty()) co_return Missing("sign_out", "user");
  std::string path = std::string(kUsersPath) + PathSegment(user) + "/signOut";
  auto r = co_await Admin("POST", path, std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google POST users/" + user + "/signOut");
  Map out;
  out.Set("id", user);
  out.Set("signed_out", true);
  co_return Succeeded{Value(std::move(out))};
}

awaitable<Outcome> GoogleConnector::ResetPassword(const Action& action, const Context& ctx) {
  const Map& args = action.args;
  const std::string user = UserKey(args);
  if (user.empty()) co_return Missing("reset_password", "user");
  const std::string deliver_to = StringArg(args, "deliver_to");
  const bool generate = args.Find("password") == nullptr;
  if (generate && deliver_to.empty()) {
    co_return Fail(FailureClass::kPermanent,
                   "google reset_password: give `password` (a secret reference) or `deliver_to` (a file the generated "
                   "password is written to, mode 0600, for the next step to read and delete)");
  }
  std::string password;
  if (generate) {
    password = GeneratePassword();
    if (password.empty()) co_return Fail(FailureClass::kPermanent, "google reset_password: no randomness available");
  } else {
    auto p = PasswordArg(action);
    if (!p) co_return Fail(FailureClass::kPermanent, "google reset_password: " + p.error().message);
    password = std::move(*p);
  }
  redactor_.Add(password);
  std::optional<SecretFile> file;
  if (generate) {
    file.emplace(deliver_to);
    if (auto w = file->Write(password); !w) co_return Fail(FailureClass::kPermanent, "google reset_password: " + w.error().message);
  }
  Map body;
  body.Set("password", password);
  const Value* change = args.Find("change_at_next_login");
  body.Set("changePasswordAtNextLogin", change != nullptr && change->IsBool() ? change->AsBool() : generate);
  auto after = co_await PatchUser(user, std::move(body), ctx);
  bool may_have_landed = std::holds_alternative<Map>(after);
  if (auto* o = std::get_if<Outcome>(&after); o != nullptr && std::holds_alternative<Unknown>(*o)) may_have_landed = true;
  if (file && may_have_landed) {
    if (auto c = file->Commit(); !c) co_return Fail(FailureClass::kPermanent, "google reset_password: " + c.error().message);
  }
  if (auto* o = std::get_if<Outcome>(&after)) co_return std::move(*o);
  Value result = UserResult(std::get<Map>(after));
  result.AsMap().Set("password_set", true);
  if (generate) result.AsMap().Set("delivered_to", deliver_to);
  co_return Succeeded{std::move(result)};
}

awaitable<Outcome> GoogleConnector::DeleteUser(const Map& args, const Context& ctx) {
  const std::string user = UserKey(args);
  if (user.empty()) co_return Missing("delete_user", "user");
  std::string path = std::string(kUsersPath) + PathSegment(user);
  auto r = co_await Admin("DELETE", path, std::nullopt, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 404) co_return Succeeded{DeletedResult(user, false)};
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google DELETE users/" + user);
  co_return Succeeded{DeletedResult(user, true)};
}

namespace {

// One user as an account, in the shape of a SCIM user (what reconcile matches): the primary e-mail
// is the user name; the first external id is the HR key; suspended or archived is not active.
Value AccountOf(const Map& u) {
  Map out;
  out.Set("id", Str(u, "id"));
  const std::string email = Str(u, "primaryEmail");
  out.Set("userName", email);
  List emails;
  if (!email.empty()) emails.push_back(Value(MakeMap({{"value", Value(email)}})));
  out.Set("emails", std::move(emails));
  std::string external;
  if (const Value* ids = u.Find("externalIds"); ids != nullptr && ids->IsList()) {
    for (const Value& e : ids->AsList()) {
      if (e.IsMap() && !Str(e.AsMap(), "value").empty()) {
        external = Str(e.AsMap(), "value");
        break;
      }
    }
  }
  out.Set("externalId", external);
  out.Set("active", !BoolAt(u, "suspended") && !BoolAt(u, "archived"));
  return Value(std::move(out));
}

constexpr int kMaxUserPages = 10000;  // 5,000,000 users at 500 a page

}  // namespace

awaitable<Outcome> GoogleConnector::ListUsers(const Context& ctx) {
  List users;
  std::string page_token;
  for (int page = 0;; ++page) {
    if (page == kMaxUserPages) {
      co_return Fail(FailureClass::kPermanent,
                     "google: the user listing did not end after " + std::to_string(kMaxUserPages) + " pages");
    }
    std::string path = std::string(kUsersPath.substr(0, kUsersPath.size() - 1)) +
                       "?customer=" + UrlEncode(config_.customer) + "&maxResults=500&projection=basic";
    if (!page_token.empty()) path += "&pageToken=" + UrlEncode(page_token);
    auto r = co_await Admin("GET", path, std::nullopt, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "google GET users");
    if (!reply.body.IsMap()) co_return Fail(FailureClass::kPermanent, "google GET users: malformed answer", reply.status);
    if (const Value* list = reply.body.AsMap().Find("users"); list != nullptr && list->IsList()) {
      for (const Value& u : list->AsList()) {
        if (u.IsMap()) users.push_back(AccountOf(u.AsMap()));
      }
    }
    std::string next = Str(reply.body.AsMap(), "nextPageToken");
    if (next.empty()) break;
    if (next == page_token) co_return Fail(FailureClass::kPermanent, "google GET users: the same nextPageToken twice");
    page_token = std::move(next);
  }
  const auto total = static_cast<std::int64_t>(users.size());
  Map out;
  out.Set("resources", std::move(users));
  out.Set("total", total);
  co_return Succeeded{Value(std::move(out))};
}

}  // namespace tenure::connectors::google
