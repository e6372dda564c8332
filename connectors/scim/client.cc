#include "connectors/scim/client.h"

#include <set>

#include "connectors/http_support.h"
#include "connectors/scim/filter.h"
#include "connectors/scim/patch.h"

namespace tenure::connectors::scim {
namespace {

constexpr std::size_t kMaxListed = 100'000;

Features ParseFeatures(const Value& body) {
  Features f;
  if (!body.IsMap()) return f;
  const Map& m = body.AsMap();
  auto supported = [&](std::string_view key, bool fallback) {
    const Value* section = FindAttr(m, key);
    if (section == nullptr || !section->IsMap()) return fallback;
    return AsBool(FindAttr(section->AsMap(), "supported")).value_or(fallback);
  };
  f.patch = supported("patch", true);
  f.filter = supported("filter", true);
  if (const Value* filter = FindAttr(m, "filter"); filter != nullptr && filter->IsMap()) {
    const Value* max = FindAttr(filter->AsMap(), "maxResults");
    if (max != nullptr && max->IsInt()) f.max_results = static_cast<int>(max->AsInt());
  }
  return f;
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

}  // namespace

const List* ListResources(const Value& body) {
  if (!body.IsMap()) return nullptr;
  const Value* r = FindAttr(body.AsMap(), "Resources");
  return r != nullptr && r->IsList() ? &r->AsList() : nullptr;
}

boost::asio::awaitable<Either<Reply>> ScimClient::Call(std::string method, std::string path, const Value* body,
                                                       const Context& ctx) {
  http::HttpRequest req;
  req.method = method;
  req.url = config_.base_url + path;
  req.timeout = TimeLeft(ctx);
  req.ca_file = config_.ca_file;
  req.headers.emplace_back("Accept", "application/scim+json, application/json");
  if (!config_.authorization.empty()) req.headers.emplace_back("Authorization", config_.authorization);
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

boost::asio::awaitable<Either<List>> ScimClient::ListAll(std::string_view collection, std::string_view filter,
                                                         std::string_view attributes, const Context& ctx) {
  auto features = co_await GetFeatures(ctx);
  if (auto* o = std::get_if<Outcome>(&features)) co_return std::move(*o);
  // The configured page size, else the most the provider says it returns (fewer round trips).
  const int count = config_.page_size > 0 ? config_.page_size : std::get<Features>(features).max_results;
  List all;
  std::set<std::string> seen;  // ids
  std::size_t start = 1;
  while (all.size() < kMaxListed) {
    std::string path = WithQuery(collection, filter, attributes, start, count);
    auto r = co_await Call("GET", path, nullptr, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Reply& reply = std::get<Reply>(r);
    if (!IsSuccess(reply.status)) co_return ErrorOutcome(reply, "SCIM GET " + path);
    const List* page = ListResources(reply.body);
    if (!reply.body.IsMap()) {
      co_return Fail(
          FailureClass::kPermanent,
          redactor_.Redact("SCIM GET " + path + ": malformed list response: " + Excerpt(reply.raw_body, 120)),
          reply.status);
    }
    if (page == nullptr || page->empty()) break;
    // A provider that ignores startIndex serves the first page again: stop instead of looping.
    bool repeated = false;
    for (const Value& resource : *page) {
      std::string id = resource.IsMap() ? AttrString(resource.AsMap(), "id") : "";
      if (!id.empty() && !seen.insert(id).second) repeated = true;
    }
    if (repeated) break;
    all.insert(all.end(), page->begin(), page->end());
    const Value* total = FindAttr(reply.body.AsMap(), "totalResults");
    if (total == nullptr || !total->IsInt() || all.size() >= static_cast<std::size_t>(total->AsInt())) break;
    start += page->size();
  }
  co_return all;
}

boost::asio::awaitable<Either<std::optional<Map>>> ScimClient::FindByFilter(std::string_view collection,
                                                                            std::string_view attribute,
                                                                            std::string_view value, const Context& ctx,
                                                                            bool* rejected) {
  std::string path = std::string(collection) + "?filter=" + UrlEncode(EqFilter(attribute, value));
  auto r = co_await Call("GET", path, nullptr, ctx);
  if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
  const Reply& reply = std::get<Reply>(r);
  if (reply.status == 400 || reply.status == 501) {
    *rejected = true;  // invalidFilter, or filtering not implemented
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
  if (std::get<Features>(features).filter && !force_scan) {
    bool rejected = false;
    auto found = co_await FindByFilter(collection, attribute, value, ctx, &rejected);
    if (auto* o = std::get_if<Outcome>(&found)) co_return std::move(*o);
    auto& match = std::get<std::optional<Map>>(found);
    if (match || (!rejected && !NeedsEscaping(value))) co_return std::move(match);
  }
  // The filter is unavailable or unreliable for this value: scan the whole collection.
  auto all = co_await ListAll(collection, "", "", ctx);
  if (auto* o = std::get_if<Outcome>(&all)) co_return std::move(*o);
  co_return ExactMatch(std::get<List>(all), attribute, value);
}

}  // namespace tenure::connectors::scim
