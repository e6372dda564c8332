#include "connectors/scim/client.h"

#include <algorithm>
#include <set>

#include "connectors/http_support.h"
#include "connectors/scim/filter.h"
#include "connectors/scim/patch.h"

namespace tenure::connectors::scim {
namespace {

constexpr std::size_t kMaxListed = 100'000;
constexpr int kMaxPages = 10'000;
constexpr std::string_view kUserSchemaId = "urn:ietf:params:scim:schemas:core:2.0:User";
constexpr std::string_view kGroupSchemaId = "urn:ietf:params:scim:schemas:core:2.0:Group";

std::optional<int> IntAttr(const Map& m, std::string_view key) {
  const Value* v = FindAttr(m, key);
  if (v == nullptr) return std::nullopt;
  if (v->IsInt()) return static_cast<int>(std::clamp<std::int64_t>(v->AsInt(), -1, 1'000'000'000));
  if (v->IsString()) {  // some providers send numbers as strings
    try {
      return std::stoi(v->AsString());
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

Features ParseFeatures(const Value& body) {
  Features f;
  if (!body.IsMap()) return f;
  const Map& m = body.AsMap();
  f.documented = true;
  auto section = [&](std::string_view key) -> const Map* {
    const Value* s = FindAttr(m, key);
    return s != nullptr && s->IsMap() ? &s->AsMap() : nullptr;
  };
  auto supported = [&](std::string_view key, bool fallback) {
    const Map* s = section(key);
    return s == nullptr ? fallback : AsBool(FindAttr(*s, "supported")).value_or(fallback);
  };
  f.patch = supported("patch", true);
  f.filter = supported("filter", true);
  f.bulk = supported("bulk", false);
  f.etag = supported("etag", false);
  f.sort = supported("sort", false);
  if (const Map* filter = section("filter")) f.max_results = std::max(0, IntAttr(*filter, "maxResults").value_or(0));
  if (const Map* bulk = section("bulk")) f.bulk_max_operations = std::max(0, IntAttr(*bulk, "maxOperations").value_or(0));
  return f;
}

// The resources of a ListResponse or of a bare JSON array (some providers answer discovery
// endpoints with one).
const List* DiscoveryItems(const Value& body) {
  if (body.IsList()) return &body.AsList();
  return ListResources(body);
}

// From /ResourceTypes: whether a resource type with the core Group schema exists.
std::optional<bool> GroupTypeFrom(const Value& body) {
  const List* items = DiscoveryItems(body);
  if (items == nullptr) return std::nullopt;
  for (const Value& t : *items) {
    if (t.IsMap() && (AttrString(t.AsMap(), "schema") == kGroupSchemaId ||
                      EqualsIgnoreCase(AttrString(t.AsMap(), "name"), "Group"))) {
      return true;
    }
  }
  return false;
}

// From /Schemas: whether the core User schema lists a `groups` attribute.
std::optional<bool> UserGroupsFrom(const Value& body) {
  const List* items = DiscoveryItems(body);
  if (items == nullptr) return std::nullopt;
  for (const Value& s : *items) {
    if (!s.IsMap() || AttrString(s.AsMap(), "id") != kUserSchemaId) continue;
    const Value* attrs = FindAttr(s.AsMap(), "attributes");
    if (attrs == nullptr || !attrs->IsList()) return std::nullopt;
    for (const Value& a : attrs->AsList()) {
      if (a.IsMap() && EqualsIgnoreCase(AttrString(a.AsMap(), "name"), "groups")) return true;
    }
    return false;
  }
  return std::nullopt;
}

std::string WithQuery(std::string_view collection, std::string_view filter, std::string_view attributes,
                      std::size_t start, int count) {
  std::string path = std::string(collection) + "?startIndex=" + std::to_string(start);
  if (count > 0) path += "&count=" + std::to_string(count);
  if (!filter.empty()) path += "&filter=" + UrlEncode(filter);
  if (!attributes.empty()) path += "&attributes=" + UrlEncode(attributes);
  return path;
}

std::optional<Map> ExactMatch(const List& resources, std::string_view attribute, std::string_view value) {
  for (const Value& r : resources) {
    if (r.IsMap() && EqualsIgnoreCase(AttrString(r.AsMap(), attribute), value) &&
        !AttrString(r.AsMap(), "id").empty()) {
      return r.AsMap();
    }
  }
  return std::nullopt;
}

// "400 invalidFilter: detail" for a refused filter, "" otherwise.
std::string Refusal(const Reply& reply) {
  if (reply.status != 400 && reply.status != 501) return "";
  std::string out = std::to_string(reply.status);
  if (reply.body.IsMap()) {
    if (std::string type = AttrString(reply.body.AsMap(), "scimType"); !type.empty()) out += " " + type;
    if (std::string detail = AttrString(reply.body.AsMap(), "detail"); !detail.empty()) {
      out += ": " + Excerpt(detail, 120);
    }
  }
  return out;
}

}  // namespace

const List* ListResources(const Value& body) {
  if (!body.IsMap()) return nullptr;
  const Value* r = FindAttr(body.AsMap(), "Resources");
  return r != nullptr && r->IsList() ? &r->AsList() : nullptr;
}

bool IsFilterRefusal(const Outcome& o) {
  const auto* f = std::get_if<Failed>(&o);
  return f != nullptr && (f->failure.http_status == 400 || f->failure.http_status == 501);
}

void ScimClient::Note(std::string note) {
  if (std::find(noted_.begin(), noted_.end(), note) != noted_.end()) return;
  noted_.push_back(note);
  pending_notes_.push_back(Value(redactor_.Redact(note)));
}

List ScimClient::TakeNotes() { return std::exchange(pending_notes_, List{}); }

boost::asio::awaitable<Either<Reply>> ScimClient::Call(std::string method, std::string path, const Value* body,
                                                       const Context& ctx) {
  co_return co_await CallIfMatch(std::move(method), std::move(path), body, "", ctx);
}

boost::asio::awaitable<Either<Reply>> ScimClient::CallIfMatch(std::string method, std::string path, const Value* body,
                                                              std::string if_match, const Context& ctx) {
  http::HttpRequest req;
  req.method = method;
  req.url = config_.base_url + path;
  req.timeout = TimeLeft(ctx);
  req.ca_file = config_.ca_file;
  req.headers.emplace_back("Accept", "application/scim+json, application/json");
  if (!config_.authorization.empty()) req.headers.emplace_back("Authorization", config_.authorization);
  if (!if_match.empty()) req.headers.emplace_back("If-Match", if_match);
  if (body != nullptr) {
    req.headers.emplace_back("Content-Type", "application/scim+json");
    req.body = body->ToJson();
  }
  auto result = co_await transport_.Send(std::move(req));
  std::string what = "SCIM " + method + " " + path;
  if (!result) co_return FromTransportError(result.error(), method != "GET", what, redactor_);
  Reply reply;
  reply.status = result->status;
  reply.raw_body = result->body;
  reply.body = ParseJsonBody(result->body).value_or(Value());
  reply.response = std::move(*result);
  co_return reply;
}

Outcome ScimClient::ErrorOutcome(const Reply& reply, std::string_view what) const {
  std::string detail;
  std::string scim_type;
  if (reply.body.IsMap()) {
    detail = AttrString(reply.body.AsMap(), "detail");
    scim_type = AttrString(reply.body.AsMap(), "scimType");
  } else if (!reply.raw_body.empty()) {
    detail = "non-JSON response: " + Excerpt(reply.raw_body, 120);
  }
  return FromHttpStatus(reply.response, what, detail, scim_type, redactor_);
}

boost::asio::awaitable<Either<Features>> ScimClient::GetFeatures(const Context& ctx) {
  if (features_) co_return *features_;
  auto r = co_await Call("GET", "/ServiceProviderConfig", nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 401 || reply.status == 403 || reply.status == 429 || reply.status >= 500) {
    co_return ErrorOutcome(reply, "SCIM GET /ServiceProviderConfig");
  }
  // A 404 or a malformed document: the provider does not describe itself; assume the defaults.
  features_ = IsSuccess(reply.status) ? ParseFeatures(reply.body) : Features{};
  co_return *features_;
}

boost::asio::awaitable<Either<Value>> ScimClient::ReadDiscovery(std::string path, const Context& ctx) {
  auto r = co_await Call("GET", path, nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 401 || reply.status == 403 || reply.status == 429 || reply.status >= 500) {
    co_return ErrorOutcome(reply, "SCIM GET " + path);
  }
  co_return IsSuccess(reply.status) ? reply.body : Value();  // not described: unknown
}

boost::asio::awaitable<Either<SchemaInfo>> ScimClient::GetSchemaInfo(const Context& ctx) {
  if (schema_info_) co_return *schema_info_;
  auto types = co_await ReadDiscovery("/ResourceTypes", ctx);
  if (auto* o = std::get_if<Outcome>(&types)) co_return std::move(*o);
  auto schemas = co_await ReadDiscovery("/Schemas", ctx);
  if (auto* o = std::get_if<Outcome>(&schemas)) co_return std::move(*o);
  SchemaInfo info;
  info.group_type = GroupTypeFrom(std::get<Value>(types));
  info.user_groups = UserGroupsFrom(std::get<Value>(schemas));
  schema_info_ = info;
  co_return info;
}

boost::asio::awaitable<Either<List>> ScimClient::ListAll(std::string_view collection, std::string_view filter,
                                                         std::string_view attributes, const Context& ctx) {
  auto features = co_await GetFeatures(ctx);
  if (auto* o = std::get_if<Outcome>(&features)) co_return std::move(*o);
  // The configured page size, else the most the provider says it returns (fewer round trips).
  const int count = config_.page_size > 0 ? config_.page_size : std::get<Features>(features).max_results;
  const std::string where = "SCIM GET " + std::string(collection);
  List all;
  std::set<std::string> seen;  // ids
  std::size_t start = 1;
  for (int pages = 0;; ++pages) {
    if (pages == kMaxPages) {
      co_return Fail(FailureClass::kPermanent,
                     redactor_.Redact(where + ": the listing did not end after " + std::to_string(kMaxPages) +
                                      " pages (next startIndex " + std::to_string(start) + ", " +
                                      std::to_string(all.size()) + " resources so far)"));
    }
    std::string path = WithQuery(collection, filter, attributes, start, count);
    auto r = co_await Call("GET", path, nullptr, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "SCIM GET " + path);
    if (!reply.body.IsMap()) {
      co_return Fail(
          FailureClass::kPermanent,
          redactor_.Redact("SCIM GET " + path + ": malformed list response: " + Excerpt(reply.raw_body, 120)),
          reply.status);
    }
    const Map& body = reply.body.AsMap();
    const List* page = ListResources(reply.body);
    if (page == nullptr || page->empty()) break;
    const std::optional<int> total = IntAttr(body, "totalResults");
    std::size_t fresh = 0;
    for (const Value& resource : *page) {
      std::string id = resource.IsMap() ? AttrString(resource.AsMap(), "id") : "";
      if (!id.empty() && !seen.insert(id).second) continue;  // served twice (the list moved under us)
      all.push_back(resource);
      ++fresh;
    }
    if (fresh == 0) {
      // Nothing new: the provider ignores startIndex (or loops). Complete only if it says so.
      if (total && all.size() < static_cast<std::size_t>(*total)) {
        co_return Fail(FailureClass::kPermanent,
                       redactor_.Redact(where + ": the provider served the same resources again at startIndex " +
                                        std::to_string(start) + " after " + std::to_string(all.size()) + " of " +
                                        std::to_string(*total) + " (does it ignore startIndex?)"));
      }
      break;
    }
    if (all.size() > kMaxListed) {
      co_return Fail(FailureClass::kPermanent, redactor_.Redact(where + ": more than " + std::to_string(kMaxListed) +
                                                                " resources; narrow the listing with a filter"));
    }
    // Follow the provider: its startIndex (when it states a sane one) plus what it returned.
    const int served = IntAttr(body, "startIndex").value_or(0);
    const std::size_t from = served >= 1 ? static_cast<std::size_t>(served) : start;
    const std::size_t next = from + page->size();
    if (total && next > static_cast<std::size_t>(std::max(*total, 0))) break;
    start = next;
  }
  co_return all;
}

boost::asio::awaitable<Either<Map>> ScimClient::ListPage(std::string_view collection, std::string_view filter,
                                                        std::string_view attributes, std::size_t start, int count,
                                                        const Context& ctx) {
  if (count <= 0) {
    auto features = co_await GetFeatures(ctx);
    if (auto* o = std::get_if<Outcome>(&features)) co_return std::move(*o);
    count = config_.page_size > 0 ? config_.page_size : std::get<Features>(features).max_results;
  }
  const std::string path = WithQuery(collection, filter, attributes, std::max<std::size_t>(start, 1), count);
  auto r = co_await Call("GET", path, nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "SCIM GET " + path);
  const List* page = reply.body.IsMap() ? ListResources(reply.body) : nullptr;
  if (!reply.body.IsMap()) {
    co_return Fail(FailureClass::kPermanent,
                   redactor_.Redact("SCIM GET " + path + ": malformed list response: " + Excerpt(reply.raw_body, 120)),
                   reply.status);
  }
  const Map& body = reply.body.AsMap();
  const std::optional<int> total = IntAttr(body, "totalResults");
  const int served = IntAttr(body, "startIndex").value_or(0);
  const std::size_t from = served >= 1 ? static_cast<std::size_t>(served) : std::max<std::size_t>(start, 1);
  const std::size_t size = page != nullptr ? page->size() : 0;
  std::size_t next = from + size;
  if (size == 0 || (total && next > static_cast<std::size_t>(std::max(*total, 0)))) next = 0;
  Map out;
  out.Set("resources", page != nullptr ? *page : List{});
  out.Set("total", static_cast<std::int64_t>(total.value_or(static_cast<int>(from - 1 + size))));
  out.Set("start_index", static_cast<std::int64_t>(from));
  out.Set("next", static_cast<std::int64_t>(next));
  co_return out;
}

boost::asio::awaitable<Either<std::optional<Map>>> ScimClient::FindByFilter(std::string_view collection,
                                                                            std::string_view attribute,
                                                                            std::string_view value, const Context& ctx,
                                                                            std::string* refusal) {
  std::string path = std::string(collection) + "?filter=" + UrlEncode(EqFilter(attribute, value));
  auto r = co_await Call("GET", path, nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (std::string refused = Refusal(reply); !refused.empty()) {
    *refusal = std::move(refused);  // invalidFilter, or filtering not implemented
    co_return std::optional<Map>();
  }
  if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "SCIM GET " + std::string(collection) + " (lookup)");
  const List* page = ListResources(reply.body);
  if (page == nullptr) {
    if (reply.body.IsMap()) co_return std::optional<Map>();  // a ListResponse with no Resources: none
    co_return Fail(FailureClass::kPermanent,
                   redactor_.Redact("SCIM lookup: malformed list response: " + Excerpt(reply.raw_body, 120)),
                   reply.status);
  }
  co_return ExactMatch(*page, attribute, value);
}

boost::asio::awaitable<Either<std::optional<Map>>> ScimClient::FindBy(std::string_view collection,
                                                                      std::string_view attribute,
                                                                      std::string_view value, bool force_scan,
                                                                      const Context& ctx) {
  auto features = co_await GetFeatures(ctx);
  if (auto* o = std::get_if<Outcome>(&features)) co_return std::move(*o);
  const bool filter = std::get<Features>(features).filter;
  if (!filter) {
    Note("the provider's /ServiceProviderConfig says filter.supported=false: lookups by " + std::string(attribute) +
         " read every resource of " + std::string(collection));
  }
  if (filter && !eq_filter_refused_ && !force_scan) {
    std::string refusal;
    auto found = co_await FindByFilter(collection, attribute, value, ctx, &refusal);
    if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
    auto& match = std::get<std::optional<Map>>(found);
    if (match) co_return std::move(match);
    if (refusal.empty() && !NeedsEscaping(value)) co_return std::optional<Map>();
    if (!refusal.empty() && !NeedsEscaping(value)) {
      // A plain `eq` refused: this provider cannot filter; stop asking for this connection.
      eq_filter_refused_ = true;
      Note("the provider refused the filter `" + std::string(attribute) + " eq \"...\"` on " +
           std::string(collection) + " (" + refusal + "): lookups read every resource instead");
    }
  }
  // The filter is unavailable or unreliable for this value: scan the whole collection.
  auto all = co_await ListAll(collection, "", "", ctx);
  if (auto* o = std::get_if<Outcome>(&all)) co_return std::move(*o);
  co_return ExactMatch(std::get<List>(all), attribute, value);
}

}  // namespace tenure::connectors::scim
