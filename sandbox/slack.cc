#include "sandbox/slack.h"

#include <boost/json/parse.hpp>
#include <cctype>
#include <cstdio>

#include "sandbox/scim_filter.h"

namespace tenure::sandbox {
namespace {

struct Colleague {
  std::string_view id, email, real_name;
};
constexpr Colleague kColleagues[] = {
    {"UMGR0001", "mgr@example.com", "Morgan Manager"},
    {"UITLEAD1", "it-lead@example.com", "Iris Lead (IT)"},
    {"UACCT001", "accounting@example.com", "Accounting"},
};

namespace json = boost::json;

Response Ok(json::object o) {
  o["ok"] = true;
  return JsonResponse(200, o, "application/json; charset=utf-8");
}

Response SlackError(std::string_view error) {
  return JsonResponse(200, json::object{{"ok", false}, {"error", error}}, "application/json; charset=utf-8");
}

std::string Param(const json::object& params, std::string_view name) {
  const auto* v = params.if_contains(name);
  if (v == nullptr) return "";
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_array() && name == "users") {  // tolerate ["U1","U2"]
    std::string joined;
    for (const auto& e : v->get_array()) {
      if (!e.is_string()) continue;
      // Two appends, not `joined += "," + std::string(...)`: GCC 12 at -O3 reports that prepend to
      // a temporary as an overlapping memcpy (-Wrestrict), a false positive (GCC PR 105329).
      if (!joined.empty()) joined += ',';
      joined += std::string_view(e.get_string());
    }
    return joined;
  }
  return "";
}

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string ScimStr(const json::object& o, std::string_view key) {
  const auto* v = FindAttr(o, key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

// The user's email: the primary (or first) of `emails`, else an email-shaped userName.
std::string EmailOf(const json::object& user) {
  if (const auto* emails = FindAttr(user, "emails"); emails != nullptr && emails->is_array()) {
    std::string first;
    for (const auto& e : emails->get_array()) {
      if (!e.is_object()) continue;
      const std::string value = ScimStr(e.get_object(), "value");
      const auto* primary = e.get_object().if_contains("primary");
      if (primary != nullptr && primary->is_bool() && primary->get_bool()) return value;
      if (first.empty()) first = value;
    }
    if (!first.empty()) return first;
  }
  const std::string name = ScimStr(user, "userName");
  return name.find('@') != std::string::npos ? name : "";
}

json::object SlackUser(const json::object& user) {
  const std::string email = EmailOf(user);
  const auto* active = FindAttr(user, "active");
  const bool deleted = active != nullptr && active->is_bool() && !active->get_bool();
  std::string real_name = ScimStr(user, "displayName");
  if (real_name.empty()) real_name = ScimStr(user, "userName");
  return {{"id", SlackService::SlackUserId(ScimStr(user, "id"))},
          {"name", email.substr(0, email.find('@'))},
          {"real_name", real_name},
          {"deleted", deleted},
          {"profile", {{"email", email}, {"real_name", real_name}}}};
}

json::object Params(const Request& req) {
  json::object params;
  for (const auto& [k, v] : req.query) params[k] = v;
  if (req.body.empty()) return params;
  boost::system::error_code ec;
  const auto body = json::parse(req.body, ec);
  if (!ec && body.is_object()) {
    for (const auto& kv : body.get_object()) params[kv.key()] = kv.value();
  } else {
    for (const auto& [k, v] : ParseQuery(req.body)) params[k] = v;  // application/x-www-form-urlencoded
  }
  return params;
}

}  // namespace

std::string SlackService::SlackUserId(std::string_view scim_id) {
  std::string id = "U";
  for (const char c : scim_id) {
    if (id.size() == 9) break;
    if (std::isxdigit(static_cast<unsigned char>(c))) id.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return id;
}

Response SlackService::Handle(const Request& req, std::string_view method) {
  json::object params = Params(req);
  if (!token_.empty()) {
    std::string auth = req.Header("Authorization");
    std::string token = auth.starts_with("Bearer ") ? auth.substr(7) : Param(params, "token");
    if (token.empty()) return SlackError("not_authed");
    if (token != token_) return SlackError("invalid_auth");
  }
  if (method == "chat.postMessage") return PostMessage(params);
  if (method == "conversations.invite") return Invite(params);
  if (method == "users.lookupByEmail") return LookupByEmail(params);
  if (method == "conversations.list") return ListChannels();
  if (method == "conversations.history") return History(params);
  return SlackError("unknown_method");
}

std::string_view SlackService::ColleagueEmail(std::string_view slack_id) {
  for (const auto& c : kColleagues) {
    if (c.id == slack_id) return c.email;
  }
  return {};
}

bool SlackService::IsSlackUser(std::string_view id) const {
  return FindUserBySlackId(id) != nullptr || !ColleagueEmail(id).empty();
}

const json::object* SlackService::FindUserBySlackId(std::string_view id) const {
  for (const auto& u : state_.users) {
    if (SlackUserId(ScimStr(u, "id")) == id) return &u;
  }
  return nullptr;
}

SlackChannel* SlackService::ResolveChannel(std::string_view ref, bool create) {
  if (ref.starts_with("#")) ref.remove_prefix(1);
  if (ref.empty()) return nullptr;
  for (auto& c : state_.channels) {
    if (c.id == ref || c.name == Lower(std::string(ref))) return &c;
  }
  const bool looks_like_id = ref.size() == 8 && ref.front() == 'C' &&
                             std::all_of(ref.begin() + 1, ref.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (looks_like_id || !create) return nullptr;
  char id[16];
  std::snprintf(id, sizeof id, "C%07lld", static_cast<long long>(state_.next_channel++));
  state_.channels.push_back({id, Lower(std::string(ref)), {}});
  return &state_.channels.back();
}

Response SlackService::PostMessage(const json::object& params) {
  const std::string ref = Param(params, "channel");
  const std::string text = Param(params, "text");
  const auto* blocks = params.if_contains("blocks");
  if (text.empty() && blocks == nullptr) return SlackError("no_text");
  std::string channel_id;
  if (ref.starts_with("U") && IsSlackUser(ref)) {
    channel_id = ref;  // a direct message
  } else if (auto* channel = ResolveChannel(ref, true)) {
    channel_id = channel->id;
  } else {
    return SlackError("channel_not_found");
  }
  char ts[32];
  std::snprintf(ts, sizeof ts, "1700000000.%06lld", static_cast<long long>(state_.next_ts++));
  const auto* metadata = params.if_contains("metadata");
  json::value meta = metadata != nullptr ? *metadata : json::value();
  if (meta.is_string()) {  // form posts carry it as JSON text
    boost::system::error_code ec;
    auto parsed = json::parse(meta.get_string(), ec);
    if (!ec) meta = std::move(parsed);
  }
  state_.messages.push_back({channel_id, text, ts, blocks != nullptr ? *blocks : json::value(), meta});
  return Ok({{"channel", channel_id}, {"ts", ts}, {"message", {{"type", "message"}, {"text", text}, {"ts", ts}}}});
}

Response SlackService::Invite(const json::object& params) {
  SlackChannel* channel = ResolveChannel(Param(params, "channel"), true);
  if (channel == nullptr) return SlackError("channel_not_found");
  const std::string users = Param(params, "users");
  if (users.empty()) return SlackError("no_user");
  std::vector<std::string> ids;
  for (std::size_t start = 0; start <= users.size();) {
    const auto comma = std::min(users.find(',', start), users.size());
    if (comma > start) ids.push_back(users.substr(start, comma - start));
    start = comma + 1;
  }
  for (const auto& id : ids) {
    if (!IsSlackUser(id)) return SlackError("user_not_found");
  }
  bool added = false;
  for (const auto& id : ids) {
    if (std::find(channel->members.begin(), channel->members.end(), id) != channel->members.end()) continue;
    channel->members.push_back(id);
    added = true;
  }
  if (!added) return SlackError("already_in_channel");
  return Ok({{"channel", {{"id", channel->id}, {"name", channel->name}, {"is_channel", true}}}});
}

Response SlackService::LookupByEmail(const json::object& params) const {
  const std::string email = Lower(Param(params, "email"));
  if (email.empty()) return SlackError("invalid_arguments");
  for (const auto& u : state_.users) {
    if (Lower(EmailOf(u)) == email) return Ok({{"user", SlackUser(u)}});
  }
  for (const auto& c : kColleagues) {
    if (c.email != email) continue;
    const std::string name(c.email.substr(0, c.email.find('@')));
    return Ok({{"user", {{"id", c.id}, {"name", name}, {"real_name", c.real_name}, {"deleted", false},
                         {"profile", {{"email", c.email}, {"real_name", c.real_name}}}}}});
  }
  return SlackError("users_not_found");
}

Response SlackService::ListChannels() const {
  json::array channels;
  for (const auto& c : state_.channels) {
    channels.push_back({{"id", c.id}, {"name", c.name}, {"is_channel", true}, {"is_member", true},
                        {"num_members", c.members.size()}});
  }
  return Ok({{"channels", std::move(channels)}, {"response_metadata", {{"next_cursor", ""}}}});
}

Response SlackService::History(const json::object& params) {
  const std::string ref = Param(params, "channel");
  std::string channel_id = ref;
  if (!(ref.starts_with("U") && IsSlackUser(ref))) {
    const SlackChannel* channel = ResolveChannel(ref, false);
    if (channel == nullptr) return SlackError("channel_not_found");
    channel_id = channel->id;
  }
  const std::string limit_text = Param(params, "limit");
  const std::size_t limit = limit_text.empty() ? 100 : static_cast<std::size_t>(std::max(1, std::atoi(limit_text.c_str())));
  json::array messages;
  std::size_t matching = 0;
  for (auto it = state_.messages.rbegin(); it != state_.messages.rend(); ++it) {
    if (it->channel != channel_id) continue;
    if (++matching > limit) continue;
    json::object m{{"type", "message"}, {"text", it->text}, {"ts", it->ts}};
    if (!it->metadata.is_null()) m["metadata"] = it->metadata;
    messages.push_back(std::move(m));
  }
  return Ok({{"messages", std::move(messages)}, {"has_more", matching > limit}});
}

}  // namespace tenure::sandbox
