// The scim connector's entry point and its user actions (see connector.h for the behaviour).
#include <exception>

#include "connectors/http_support.h"
#include "connectors/scim/connector.h"
#include "connectors/scim/filter.h"
#include "connectors/scim/patch.h"
#include "connectors/scim/scim_connector.h"

namespace tenure::connectors::scim {
namespace {

using boost::asio::awaitable;
constexpr std::string_view kUsers = "/Users";

std::string JoinAttributes(const Map& args) {
  const Value* a = args.Find("attributes");
  if (a == nullptr || !a->IsList()) return "";
  std::string out;
  for (const Value& v : a->AsList()) {
    if (!v.IsString()) continue;
    if (!out.empty()) out += ',';
    out += v.AsString();
  }
  return out;
}

// Outside the coroutines: GCC 12 miscompiles braced lists of string literals inside them.
Value Deleted(const std::string& id, bool deleted) { return MakeMap({{"id", id}, {"deleted", deleted}}); }

}  // namespace

std::string StringArg(const Map& args, std::string_view key) {
  const Value* v = args.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

Value UserResult(const Map& resource) {
  Map out;
  out.Set("id", AttrString(resource, "id"));
  out.Set("userName", AttrString(resource, "userName"));
  out.Set("active", AsBool(FindAttr(resource, "active")).value_or(true));
  out.Set("resource", resource);
  return out;
}

Result<ScimConfig> ParseScimConfig(const Map& config) {
  ScimConfig c;
  c.base_url = StringArg(config, "base_url");
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0) {
    return Error::InvalidArgument("scim: base_url must be an http:// or https:// URL");
  }
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  std::string token = StringArg(config, "token");
  std::string user = StringArg(config, "username");
  if (!token.empty()) {
    c.authorization = "Bearer " + token;
  } else if (!user.empty()) {
    c.authorization = "Basic " + Base64(user + ":" + StringArg(config, "password"));
  }
  c.ca_file = StringArg(config, "ca_file");
  if (const Value* p = config.Find("page_size")) {
    if (!p->IsInt() || p->AsInt() < 1 || p->AsInt() > 10'000) {
      return Error::InvalidArgument("scim: page_size must be an integer between 1 and 10000");
    }
    c.page_size = static_cast<int>(p->AsInt());
  }
  return c;
}

std::unique_ptr<Connector> MakeScimConnector(ScimConfig config, http::HttpTransport& transport,
                                             const Redactor& redactor) {
  return std::make_unique<ScimConnector>(std::move(config), transport, redactor);
}

awaitable<Outcome> ScimConnector::Invoke(const Action& action, const Context& ctx) {
  std::string what = "scim " + action.name;
  awaitable<Outcome> op = Dispatch(action, ctx);
  Outcome out = co_await Guarded(std::move(op), std::move(what), client_.redactor());
  // What the connector adapted to on this connection, said once: with the first action that
  // succeeds after learning it (a failed action leaves the notes for the next).
  auto* ok = std::get_if<Succeeded>(&out);
  if (ok != nullptr && ok->result.IsMap()) {
    tenure::List notes = client_.TakeNotes();
    if (!notes.empty()) ok->result.AsMap().Set("notes", std::move(notes));
  }
  co_return out;
}

awaitable<Outcome> ScimConnector::Dispatch(const Action& action, const Context& ctx) {
  const std::string& n = action.name;
  const Map& a = action.args;
  if (n == "ensure_user") co_return co_await EnsureUser(a, ctx);
  if (n == "get_user") co_return co_await GetUser(a, ctx);
  if (n == "update_user") co_return co_await UpdateUser(a, ctx);
  if (n == "deactivate_user") co_return co_await SetActive(a, false, ctx);
  if (n == "reactivate_user") co_return co_await SetActive(a, true, ctx);
  if (n == "delete_user") co_return co_await DeleteUser(a, ctx);
  if (n == "ensure_group") co_return co_await EnsureGroup(a, ctx);
  if (n == "add_to_group") co_return co_await AddToGroup(a, ctx);
  if (n == "remove_from_group") co_return co_await RemoveFromGroup(a, ctx);
  if (n == "remove_from_all_groups") co_return co_await RemoveFromAllGroups(a, ctx);
  if (n == "list_users") co_return co_await ListAction(kUsers, a, ctx);
  if (n == "list_groups") co_return co_await ListAction("/Groups", a, ctx);
  co_return Fail(FailureClass::kPermanent, "scim: unknown action '" + n + "'");
}

awaitable<Either<Map>> ScimConnector::ReadById(std::string_view collection, std::string_view id, const Context& ctx) {
  std::string path = ResourcePath(collection, id);
  auto r = co_await client_.Call("GET", path, nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return client_.ErrorOutcome(reply, "SCIM GET " + path);
  if (!reply.body.IsMap() || AttrString(reply.body.AsMap(), "id").empty()) {
    co_return Fail(FailureClass::kPermanent,
                   "SCIM GET " + path + ": malformed resource: " + Excerpt(reply.raw_body, 120), reply.status);
  }
  co_return reply.body.AsMap();
}

awaitable<Either<Map>> ScimConnector::ReadUser(const Map& args, const Context& ctx) {
  std::string id = StringArg(args, "id");
  if (!id.empty()) co_return co_await ReadById(kUsers, id, ctx);
  std::string user_name = StringArg(args, "userName");
  if (user_name.empty()) co_return Fail(FailureClass::kPermanent, "scim: give `id` or `userName`");
  auto found = co_await client_.FindBy(kUsers, "userName", user_name, false, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  auto& user = std::get<std::optional<Map>>(found);
  if (!user) co_return Fail(FailureClass::kNotFound, "scim: no user with userName " + QuoteFilterValue(user_name), 404);
  co_return std::move(*user);
}

awaitable<Either<Map>> ScimConnector::Create(std::string_view collection, std::string_view key, const Map& resource,
                                             const Context& ctx) {
  Value body(resource);
  auto r = co_await client_.Call("POST", std::string(collection), &body, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (IsSuccess(reply.status) && reply.body.IsMap() && !AttrString(reply.body.AsMap(), "id").empty()) {
    co_return reply.body.AsMap();
  }
  if (!IsSuccess(reply.status) && reply.status != 409) {
    co_return client_.ErrorOutcome(reply, "SCIM POST " + std::string(collection));
  }
  // 409 (someone created it first: adopt it) or a success without a usable body: look it up,
  // with a scan if the filter misses it.
  std::string value = AttrString(resource, key);
  for (bool scan : {false, true}) {
    auto found = co_await client_.FindBy(collection, key, value, scan, ctx);
    if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
    if (auto& m = std::get<std::optional<Map>>(found)) co_return std::move(*m);
  }
  if (reply.status == 409) co_return client_.ErrorOutcome(reply, "SCIM POST " + std::string(collection));
  co_return Fail(FailureClass::kPermanent,
                 "SCIM POST " + std::string(collection) +
                     ": created, but the provider returned no resource and a "
                     "lookup by " +
                     std::string(key) + " finds none",
                 reply.status);
}

awaitable<Either<Map>> ScimConnector::Reconcile(std::string_view collection, const Map& current, const Map& desired,
                                                const Context& ctx) {
  List ops = DiffOperations(current, desired);
  if (ops.empty()) co_return current;
  auto features = co_await client_.GetFeatures(ctx);
  if (auto* o = std::get_if<Outcome>(&features)) co_return std::move(*o);
  std::string path = ResourcePath(collection, AttrString(current, "id"));
  bool use_patch = std::get<Features>(features).patch;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Value body = use_patch ? PatchRequest(std::move(ops)) : Value(PutRepresentation(current, desired));
    std::string method = use_patch ? "PATCH" : "PUT";
    auto r = co_await client_.Call(method, path, &body, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (use_patch && (reply.status == 405 || reply.status == 501)) {
      use_patch = false;  // advertised but not implemented: fall back to PUT
      continue;
    }
    if (!IsSuccess(reply.status)) co_return client_.ErrorOutcome(reply, "SCIM " + method + " " + path);
    if (reply.body.IsMap() && !AttrString(reply.body.AsMap(), "id").empty()) co_return reply.body.AsMap();
    break;  // 204 or an empty 200: read the resource back
  }
  co_return co_await ReadById(collection, AttrString(current, "id"), ctx);
}

awaitable<Outcome> ScimConnector::EnsureUser(const Map& args, const Context& ctx) {
  Map desired = DesiredUserAttributes(args);
  std::string user_name = StringArg(args, "userName");
  if (user_name.empty()) co_return Fail(FailureClass::kPermanent, "scim ensure_user: `userName` is required");
  auto found = co_await client_.FindBy(kUsers, "userName", user_name, false, ctx);
  if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
  Map current;
  if (auto& existing = std::get<std::optional<Map>>(found)) {
    current = std::move(*existing);
  } else {
    Map create;
    create.Set("schemas", List{Value(std::string(kUserSchema))});
    for (const auto& [k, v] : desired) create.Set(k, v);
    if (!create.Contains("active")) create.Set("active", true);
    auto created = co_await Create(kUsers, "userName", create, ctx);
    if (auto* o = std::get_if<Outcome>(&created)) co_return std::move(*o);
    current = std::move(std::get<Map>(created));
  }
  desired.Set("userName", AttrString(current, "userName"));  // never rename by case only
  auto updated = co_await Reconcile(kUsers, current, desired, ctx);
  if (auto* o = std::get_if<Outcome>(&updated)) co_return std::move(*o);
  co_return Succeeded{UserResult(std::get<Map>(updated))};
}

awaitable<Outcome> ScimConnector::GetUser(const Map& args, const Context& ctx) {
  auto user = co_await ReadUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  co_return Succeeded{UserResult(std::get<Map>(user))};
}

awaitable<Outcome> ScimConnector::UpdateUser(const Map& args, const Context& ctx) {
  auto user = co_await ReadUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  Map desired = DesiredUserAttributes(args);
  if (StringArg(args, "id").empty()) desired.Set("userName", AttrString(std::get<Map>(user), "userName"));
  auto updated = co_await Reconcile(kUsers, std::get<Map>(user), desired, ctx);
  if (auto* o = std::get_if<Outcome>(&updated)) co_return std::move(*o);
  co_return Succeeded{UserResult(std::get<Map>(updated))};
}

awaitable<Outcome> ScimConnector::SetActive(const Map& args, bool active, const Context& ctx) {
  auto user = co_await ReadUser(args, ctx);
  if (auto* o = std::get_if<Outcome>(&user)) co_return std::move(*o);
  Map desired;
  desired.Set("active", active);
  auto updated = co_await Reconcile(kUsers, std::get<Map>(user), desired, ctx);
  if (auto* o = std::get_if<Outcome>(&updated)) co_return std::move(*o);
  co_return Succeeded{UserResult(std::get<Map>(updated))};
}

awaitable<Outcome> ScimConnector::DeleteUser(const Map& args, const Context& ctx) {
  std::string id = StringArg(args, "id");
  if (id.empty()) {
    auto found = co_await client_.FindBy(kUsers, "userName", StringArg(args, "userName"), false, ctx);
    if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
    auto& user = std::get<std::optional<Map>>(found);
    if (!user) co_return Succeeded{Deleted("", false)};
    id = AttrString(*user, "id");
  }
  std::string path = ResourcePath(kUsers, id);
  auto r = co_await client_.Call("DELETE", path, nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 404) co_return Succeeded{Deleted(id, false)};
  if (!IsSuccess(reply.status)) co_return client_.ErrorOutcome(reply, "SCIM DELETE " + path);
  co_return Succeeded{Deleted(id, true)};
}

awaitable<Outcome> ScimConnector::ListAction(std::string_view collection, const Map& args, const Context& ctx) {
  if (args.Find("start_index") != nullptr) co_return co_await ListPage(collection, args, ctx);  // one page
  auto all = co_await client_.ListAll(collection, StringArg(args, "filter"), JoinAttributes(args), ctx);
  if (auto* o = std::get_if<Outcome>(&all)) co_return std::move(*o);
  Map out;
  auto total = static_cast<std::int64_t>(std::get<tenure::List>(all).size());
  out.Set("resources", std::move(std::get<tenure::List>(all)));
  out.Set("total", total);
  co_return Succeeded{std::move(out)};
}

}  // namespace tenure::connectors::scim
