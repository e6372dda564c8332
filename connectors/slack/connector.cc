#include "connectors/slack/connector.h"

#include <exception>
#include <map>

#include "connectors/http/classify.h"
#include "connectors/http_support.h"
#include "workflows/filters.h"

namespace tenure::connectors::slack {
namespace {

using boost::asio::awaitable;
template <class T>
using Either = std::variant<T, Outcome>;

std::string Str(const Map& m, std::string_view key) {
  const Value* v = m.Find(key);
  return v != nullptr && v->IsString() ? v->AsString() : std::string();
}

FailureClass ClassOf(std::string_view code) {
  if (code == "ratelimited" || code == "rate_limited") return FailureClass::kThrottled;
  if (code == "internal_error" || code == "fatal_error" || code == "service_unavailable" || code == "request_timeout") {
    return FailureClass::kTransient;
  }
  if (code == "channel_not_found" || code == "users_not_found" || code == "user_not_found") {
    return FailureClass::kNotFound;
  }
  return FailureClass::kPermanent;
}

// Outside the coroutines: GCC 12 miscompiles braced lists of string literals inside them.
Value MessageResult(const Map& body) {
  return MakeMap({{"id", Str(body, "ts")}, {"ts", Str(body, "ts")}, {"channel", Str(body, "channel")}});
}
Value InviteResult(const std::string& user, List channels) {
  return MakeMap({{"id", user}, {"channels", std::move(channels)}});
}
Value UserResult(const Map& body) {
  const Value* user = body.Find("user");
  Map u = user != nullptr && user->IsMap() ? user->AsMap() : Map{};
  return MakeMap({{"id", Str(u, "id")}, {"name", Str(u, "name")}, {"user", u}});
}
// The channel id from a conversations.invite answer, else `fallback`.
std::string InvitedChannel(const Map& body, const std::string& fallback) {
  const Value* c = body.Find("channel");
  std::string id = c != nullptr && c->IsMap() ? Str(c->AsMap(), "id") : "";
  return id.empty() ? fallback : id;
}
Value InviteBody(const std::string& channel, const std::string& user) {
  return MakeMap({{"channel", channel}, {"users", user}});
}
// Built outside coroutines: GCC 12 miscompiles brace lists of string literals inside them.
Value AlreadyPosted(const std::string& ts, const std::string& channel) {
  return MakeMap({{"id", ts}, {"ts", ts}, {"channel", channel}, {"posted", false}});
}
Value PostMetadata(const std::string& key) {
  return MakeMap({{"event_type", "tenure_post"}, {"event_payload", MakeMap({{"key", key}})}});
}
// The message text to send: escaped (Slack's &, <, >) unless the task says it is mrkdwn the
// author vouches for (`mrkdwn_raw: true`): an input's "<!channel>" must not ping a whole channel.
std::string MessageText(const Map& args) {
  const Value* raw = args.Find("mrkdwn_raw");
  if (raw != nullptr && raw->IsBool() && raw->AsBool()) return Str(args, "text");
  return workflows::SlackEscape(Str(args, "text"));
}
Value MessageBody(const std::string& channel, const std::string& text) {
  return MakeMap({{"channel", channel}, {"text", text}});
}

class SlackConnector final : public Connector {
 public:
  SlackConnector(SlackConfig config, http::HttpTransport& transport, const Redactor& redactor)
      : config_(std::move(config)), transport_(transport), redactor_(redactor) {}

  awaitable<Outcome> Invoke(const Action& action, const Context& ctx) override {
    std::string what = "slack " + action.name;
    awaitable<Outcome> op = Dispatch(action, ctx);
    co_return co_await Guarded(std::move(op), std::move(what), redactor_);
  }

 private:
  awaitable<Outcome> Dispatch(const Action& action, const Context& ctx) {
    const Map& a = action.args;
    if (action.name == "post_message") co_return co_await PostMessage(a, ctx);
    if (action.name == "invite_to_channels") co_return co_await Invite(a, ctx);
    if (action.name == "lookup_user_by_email") co_return co_await LookupByEmail(a, ctx);
    co_return Fail(FailureClass::kPermanent, "slack: unknown action '" + action.name + "'");
  }

  // One Web API call; the parsed body when ok, else the mapped Outcome. `tolerated` error codes
  // count as ok (the body is returned as is).
  awaitable<Either<Map>> Call(std::string method, std::string query, const Value* body, const Context& ctx,
                              std::string_view tolerated = "") {
    http::HttpRequest req;
    req.method = body != nullptr ? "POST" : "GET";
    req.url = config_.base_url + "/" + method + query;
    req.timeout = TimeLeft(ctx);
    req.ca_file = config_.ca_file;
    req.headers.emplace_back("Authorization", "Bearer " + config_.token);
    if (body != nullptr) {
      req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
      req.body = body->ToJson();
    }
    const bool effectful = body != nullptr;
    auto result = co_await transport_.Send(std::move(req));
    std::string what = "slack " + method;
    if (!result) co_return FromTransportError(result.error(), effectful, what, redactor_);
    if (!IsSuccess(result->status)) co_return FromHttpStatus(*result, what, "", "", redactor_);
    std::optional<Value> parsed = ParseJsonBody(result->body);
    if (!parsed || !parsed->IsMap()) {
      co_return Fail(FailureClass::kPermanent,
                     redactor_.Redact(what + ": malformed response: " + Excerpt(result->body, 120)), result->status);
    }
    Map& m = parsed->AsMap();
    const Value* ok = m.Find("ok");
    if (ok != nullptr && ok->IsBool() && ok->AsBool()) co_return std::move(m);
    std::string code = Str(m, "error");
    if (!code.empty() && (" " + std::string(tolerated) + " ").find(" " + code + " ") != std::string::npos) {
      co_return std::move(m);
    }
    if (code.empty()) code = "unknown_error";
    FailureClass cls = ClassOf(code);
    Failure f{cls, redactor_.Redact(what + ": " + code), result->status, code};
    if (cls == FailureClass::kThrottled || cls == FailureClass::kTransient) {
      co_return RetryLater{http::ParseRetryAfter(result->Header("Retry-After"), std::chrono::system_clock::now()), std::move(f)};
    }
    co_return Failed{std::move(f)};
  }

  // Posts once per key: the message carries the key in its metadata, and a message already in
  // the channel's recent history with the same key is reported instead of posting again. The key
  // is `once_key` (the same across runs: "welcome-jane@example.com"), else the attempt's
  // idempotency key (so retries and resumed runs do not post twice).
  awaitable<Outcome> PostMessage(const Map& args, const Context& ctx) {
    const std::string channel = Str(args, "channel");
    std::string key = Str(args, "once_key");
    if (key.empty()) key = ctx.idempotency_key;
    auto id = co_await ChannelId(channel, ctx);
    if (auto* o = std::get_if<Outcome>(&id)) co_return std::move(*o);
    auto earlier = co_await FindPosted(std::get<std::string>(id), key, ctx);
    if (auto* o = std::get_if<Outcome>(&earlier)) co_return std::move(*o);
    if (const std::string& ts = std::get<std::string>(earlier); !ts.empty()) {
      co_return Succeeded{AlreadyPosted(ts, std::get<std::string>(id))};
    }
    Value body = MessageBody(channel, MessageText(args));
    body.AsMap().Set("metadata", PostMetadata(key));
    auto r = co_await Call("chat.postMessage", "", &body, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    Value result = MessageResult(std::get<Map>(r));
    result.AsMap().Set("posted", true);
    co_return Succeeded{std::move(result)};
  }

  // The ts of a recent message in `channel` whose metadata carries `key`, or "" when there is
  // none, or when the history cannot be read (no channels:history scope, bot not in the channel,
  // a channel that does not exist yet): then the message is posted.
  awaitable<Either<std::string>> FindPosted(const std::string& channel, const std::string& key, const Context& ctx) {
    if (key.empty() || channel.empty()) co_return std::string();
    const std::string query = "?channel=" + UrlEncode(channel) + "&limit=200&include_all_metadata=true";
    auto r = co_await Call("conversations.history", query, nullptr, ctx,
                           "missing_scope not_in_channel channel_not_found not_authed");
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    const Value* messages = std::get<Map>(r).Find("messages");
    if (messages == nullptr || !messages->IsList()) co_return std::string();
    for (const Value& m : messages->AsList()) {
      if (!m.IsMap()) continue;
      const Value* meta = m.AsMap().Find("metadata");
      const Value* payload = meta != nullptr && meta->IsMap() ? meta->AsMap().Find("event_payload") : nullptr;
      if (payload != nullptr && payload->IsMap() && Str(payload->AsMap(), "key") == key) {
        co_return Str(m.AsMap(), "ts");
      }
    }
    co_return std::string();
  }

  // The id of `channel`: ids are used as given; "#name" is looked up (and cached).
  awaitable<Either<std::string>> ChannelId(const std::string& channel, const Context& ctx) {
    if (channel.empty() || channel[0] != '#') co_return channel;
    std::string name = channel.substr(1);
    if (auto it = channel_ids_.find(name); it != channel_ids_.end()) co_return it->second;
    std::string cursor;
    for (int page = 0; page < 1000; ++page) {
      std::string query = "?limit=1000&exclude_archived=true&types=public_channel%2Cprivate_channel";
      if (!cursor.empty()) query += "&cursor=" + UrlEncode(cursor);
      auto r = co_await Call("conversations.list", query, nullptr, ctx);
      if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
      const Map& body = std::get<Map>(r);
      if (const Value* list = body.Find("channels"); list != nullptr && list->IsList()) {
        for (const Value& c : list->AsList()) {
          if (c.IsMap()) channel_ids_[Str(c.AsMap(), "name")] = Str(c.AsMap(), "id");
        }
      }
      if (auto it = channel_ids_.find(name); it != channel_ids_.end()) co_return it->second;
      const Value* meta = body.Find("response_metadata");
      cursor = meta != nullptr && meta->IsMap() ? Str(meta->AsMap(), "next_cursor") : "";
      if (cursor.empty()) break;
    }
    // Not listed (e.g. a private channel the bot cannot see): let the method decide; Slack answers
    // channel_not_found (kNotFound), a sandbox may create it.
    co_return channel;
  }

  awaitable<Outcome> Invite(const Map& args, const Context& ctx) {
    std::string user = Str(args, "user");
    const Value* channels = args.Find("channels");
    if (user.empty() || channels == nullptr || !channels->IsList()) {
      co_return Fail(FailureClass::kPermanent,
                     "slack invite_to_channels: `user` and a list of `channels` are required");
    }
    List joined;
    for (const Value& c : channels->AsList()) {
      auto id = co_await ChannelId(c.ToText(), ctx);
      if (auto* o = std::get_if<Outcome>(&id)) co_return std::move(*o);
      Value body = InviteBody(std::get<std::string>(id), user);
      auto r = co_await Call("conversations.invite", "", &body, ctx, "already_in_channel cant_invite_self");
      if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
      joined.push_back(Value(InvitedChannel(std::get<Map>(r), std::get<std::string>(id))));
    }
    co_return Succeeded{InviteResult(user, std::move(joined))};
  }

  awaitable<Outcome> LookupByEmail(const Map& args, const Context& ctx) {
    auto r = co_await Call("users.lookupByEmail", "?email=" + UrlEncode(Str(args, "email")), nullptr, ctx);
    if (auto* o = std::get_if<Outcome>(&r)) co_return std::move(*o);
    co_return Succeeded{UserResult(std::get<Map>(r))};
  }

  SlackConfig config_;
  http::HttpTransport& transport_;
  const Redactor& redactor_;
  std::map<std::string, std::string> channel_ids_;  // channel name -> id, for "#name" arguments
};

}  // namespace

Result<SlackConfig> ParseSlackConfig(const Map& config) {
  SlackConfig c;
  c.token = Str(config, "token");
  if (c.token.empty()) return Error::InvalidArgument("slack: `token` is required");
  if (std::string base = Str(config, "base_url"); !base.empty()) c.base_url = base;
  if (c.base_url.rfind("http://", 0) != 0 && c.base_url.rfind("https://", 0) != 0) {
    return Error::InvalidArgument("slack: base_url must be an http:// or https:// URL");
  }
  while (!c.base_url.empty() && c.base_url.back() == '/') c.base_url.pop_back();
  c.ca_file = Str(config, "ca_file");
  return c;
}

std::unique_ptr<Connector> MakeSlackConnector(SlackConfig config, http::HttpTransport& transport,
                                              const Redactor& redactor) {
  return std::make_unique<SlackConnector>(std::move(config), transport, redactor);
}

}  // namespace tenure::connectors::slack
