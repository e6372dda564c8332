#include "sandbox/sandbox.h"

#include <boost/json/parse.hpp>
#include <cstdio>

#include "sandbox/scim_filter.h"

namespace tenure::sandbox {
namespace {

namespace json = boost::json;

std::string BaseUrl(const Request& req) {
  const std::string host = req.Header("Host");
  return "http://" + (host.empty() ? std::string("127.0.0.1") : host);
}

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = FindAttr(o, key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

json::array UsersSummary(const State& state) {
  json::array users;
  for (const auto& u : state.users) {
    json::array groups;
    const std::string id = Str(u, "id");
    for (const auto& g : state.groups) {
      const auto* members = FindAttr(g, "members");
      if (members == nullptr || !members->is_array()) continue;
      for (const auto& m : members->get_array()) {
        if (m.is_object() && Str(m.get_object(), "value") == id) groups.emplace_back(Str(g, "displayName"));
      }
    }
    const auto* active = FindAttr(u, "active");
    json::object entry{{"id", id}, {"userName", Str(u, "userName")}, {"slack_id", SlackService::SlackUserId(id)},
                       {"active", active == nullptr || !active->is_bool() || active->get_bool()}, {"groups", std::move(groups)}};
    if (const auto* emails = FindAttr(u, "emails")) entry["emails"] = *emails;
    if (const auto* name = FindAttr(u, "name")) entry["name"] = *name;
    if (const auto* display = FindAttr(u, "displayName")) entry["displayName"] = *display;
    users.push_back(std::move(entry));
  }
  return users;
}

json::array GroupsSummary(const State& state) {
  json::array groups;
  for (const auto& g : state.groups) {
    json::array members;
    if (const auto* list = FindAttr(g, "members"); list != nullptr && list->is_array()) {
      for (const auto& m : list->get_array()) {
        if (m.is_object()) members.push_back({{"value", Str(m.get_object(), "value")}, {"display", Str(m.get_object(), "display")}});
      }
    }
    groups.push_back({{"id", Str(g, "id")}, {"displayName", Str(g, "displayName")}, {"members", std::move(members)}});
  }
  return groups;
}

}  // namespace

Result<std::unique_ptr<Sandbox>> Sandbox::Create(SandboxOptions options) {
  State state;
  if (!options.state_file.empty()) {
    auto loaded = LoadState(options.state_file);
    if (!loaded) return loaded.error();
    state = std::move(*loaded);
  }
  return std::make_unique<Sandbox>(std::move(options), std::move(state));
}

Sandbox::Sandbox(SandboxOptions options, State state)
    : options_(std::move(options)),
      state_(std::move(state)),
      rng_(std::random_device{}()),  // ids must not repeat across restarts with --state
      faults_(options_.faults, options_.seed),
      scim_(state_, rng_, options_.scim),
      slack_(state_, options_.token),
      google_(state_, rng_, options_.google),
      msgraph_(state_, rng_, options_.msgraph) {
  google_.Tick();
  msgraph_.Tick();
}

FaultDecision Sandbox::DecideFault(const Request& req) { return faults_.Decide(req.path, std::chrono::steady_clock::now()); }

Response Sandbox::FaultResponse(const Request& req, const FaultDecision& d) const {
  const bool throttled = d.kind == FaultDecision::Kind::kRateLimited;
  Response res;
  if (req.path.starts_with("/google/")) {
    res = GoogleService::FaultResponse(d.status, throttled);
  } else if (req.path.starts_with("/graph/") || req.path.starts_with("/microsoft/")) {
    res = GraphService::FaultResponse(d.status, throttled);
  } else if (req.path.starts_with("/scim/")) {
    res = ScimService::Error(d.status, "", throttled ? "Too many requests (sandbox rate limit)" : "Injected server error (sandbox fault)");
  } else if (req.path.starts_with("/api/") && throttled) {
    res = JsonResponse(429, json::object{{"ok", false}, {"error", "ratelimited"}});
  } else {
    res = JsonResponse(d.status, json::object{{"error", throttled ? "rate limited" : "injected fault"}});
  }
  if (throttled) res.SetHeader("Retry-After", std::to_string(d.retry_after_seconds));
  if (d.status == 503) res.SetHeader("Retry-After", "1");
  return res;
}

Response Sandbox::Handle(const Request& req) {
  ++requests_;
  google_.Tick();  // transfers that are due complete; an empty directory gets its demo people
  msgraph_.Tick();
  Response res = Route(req);
  const bool reads = req.method == "GET" || req.method == "HEAD";
  if (!reads && !options_.state_file.empty() && !req.path.starts_with("/_sandbox/faults")) Persist();
  return res;
}

void Sandbox::OnEmail(Email email) {
  state_.emails.push_back(std::move(email));
  if (!options_.state_file.empty()) Persist();
}

void Sandbox::Persist() {
  if (auto saved = SaveState(state_, options_.state_file); !saved) {
    std::fprintf(stderr, "tenure sandbox: %s\n", saved.error().message.c_str());
  }
}

bool Sandbox::Authorized(const Request& req) const {
  return options_.token.empty() || req.Header("Authorization") == "Bearer " + options_.token;
}

Response Sandbox::Route(const Request& req) {
  if (req.path.starts_with("/scim/v2")) {
    if (!Authorized(req)) return ScimService::Error(401, "", "Authorization: Bearer token required (missing or wrong)");
    return scim_.Handle(req, std::string_view(req.path).substr(8), BaseUrl(req));
  }
  if (req.path.starts_with("/api/")) return slack_.Handle(req, std::string_view(req.path).substr(5));
  if (req.path.starts_with("/google/")) return google_.Handle(req, BaseUrl(req));
  if (req.path.starts_with("/microsoft/")) return msgraph_.HandleToken(req);
  if (req.path.starts_with("/graph/v1.0/")) return msgraph_.HandleGraph(req, BaseUrl(req));
  if (req.path == "/echo" || req.path.starts_with("/echo/")) return Echo(req);
  if (req.path.starts_with("/_sandbox/")) return Admin(req);
  return JsonResponse(404, json::object{{"error", "no such endpoint: " + req.path}});
}

Response Sandbox::Echo(const Request& req) {
  if (const int hops = std::atoi(req.Query("redirects", "0").c_str()); hops > 0) {
    Response res;
    res.status = 302;
    res.SetHeader("Location", req.path + "?redirects=" + std::to_string(hops - 1));
    return res;
  }
  if (const std::string location = req.Query("location"); !location.empty()) {
    Response res;
    res.status = 302;
    res.SetHeader("Location", location);
    return res;
  }
  if (const std::string kind = req.Query("malformed"); !kind.empty()) {
    Response res;
    res.raw = kind == "truncated" ? "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partial\":"
                                  : "NOT HTTP AT ALL\r\n\r\n";
    return res;
  }
  json::object headers;
  for (const auto& [name, value] : req.headers) {
    bool secret = IEquals(name, "Authorization") || IEquals(name, "Proxy-Authorization");
    for (const auto& s : options_.secret_headers) secret = secret || IEquals(name, s);
    headers[name] = secret ? "***" : value;
  }
  json::object query;
  for (const auto& [k, v] : req.query) query[k] = v;
  const std::string key = req.Header("Idempotency-Key");
  const std::int64_t count = key.empty() ? 0 : ++state_.echo_counts[key];
  boost::system::error_code ec;
  json::value body_json = req.body.empty() ? json::value() : json::parse(req.body, ec);
  if (ec) body_json = nullptr;
  json::object out{{"method", req.method}, {"path", req.path},  {"query", std::move(query)},  {"headers", std::move(headers)},
                   {"json", body_json},     {"body", ec ? req.body : ""}, {"idempotency_key", key}, {"count", count}};
  if (req.absolute_form) out["absolute_form"] = true;
  if (const int pad = std::atoi(req.Query("pad", "0").c_str()); pad > 0) out["pad"] = std::string(static_cast<std::size_t>(pad), 'x');
  const int status = std::atoi(req.Query("status", "200").c_str());
  Response res = JsonResponse(status >= 200 && status <= 599 ? status : 200, out);
  res.chunked = req.Query("chunked") == "1";
  return res;
}

Response Sandbox::Admin(const Request& req) {
  if (req.path == "/_sandbox/state" && req.method == "GET") return JsonResponse(200, StateJson());
  if (req.path == "/_sandbox/reset" && req.method == "POST") {
    state_ = State{};
    faults_.Reset();
    requests_ = 0;
    return JsonResponse(200, json::object{{"ok", true}});
  }
  if (req.path == "/_sandbox/faults" && req.method == "GET") return JsonResponse(200, faults_.ToJson());
  if (req.path == "/_sandbox/faults" && req.method == "POST") {
    boost::system::error_code ec;
    const auto body = json::parse(req.body.empty() ? std::string("[]") : req.body, ec);
    if (ec) return JsonResponse(400, json::object{{"error", "faults: body is not JSON"}});
    auto rules = Faults::Parse(body);
    if (!rules) return JsonResponse(400, json::object{{"error", rules.error().message}});
    faults_.Set(std::move(*rules));
    return JsonResponse(200, faults_.ToJson());
  }
  return JsonResponse(404, json::object{{"error", "no such admin endpoint: " + req.method + " " + req.path}});
}

namespace {
json::array EmailsJson(const State& state) {
  json::array out;
  for (const auto& e : state.emails) {
    json::array to;
    for (const auto& t : e.to) to.emplace_back(t);
    out.push_back({{"from", e.from}, {"to", std::move(to)}, {"data", e.data}});
  }
  return out;
}
}  // namespace

json::value Sandbox::StateJson() const {
  json::array channels, messages;
  for (const auto& c : state_.channels) {
    json::array members;
    for (const auto& m : c.members) members.emplace_back(m);
    channels.push_back({{"id", c.id}, {"name", c.name}, {"members", std::move(members)}});
  }
  for (const auto& m : state_.messages) {
    std::string name = m.channel;
    if (const auto colleague = SlackService::ColleagueEmail(m.channel); !colleague.empty()) name = colleague;
    for (const auto& c : state_.channels) {
      if (c.id == m.channel) name = "#" + c.name;
    }
    messages.push_back({{"channel", m.channel}, {"channel_name", name}, {"text", m.text}, {"ts", m.ts}});
  }
  json::object echo;
  for (const auto& [k, v] : state_.echo_counts) echo[k] = v;
  return json::object{{"users", UsersSummary(state_)}, {"groups", GroupsSummary(state_)},   {"channels", std::move(channels)},
                      {"messages", std::move(messages)}, {"emails", EmailsJson(state_)},
                      {"echo_counts", std::move(echo)}, {"requests", requests_},
                      {"connections", connections_},   {"tunnels", tunnels_},
                      {"faults", faults_.ToJson()}, {"google", google_.Summary()}, {"msgraph", msgraph_.Summary()}};
}

}  // namespace tenure::sandbox
