#include "sandbox/state.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tenure::sandbox {
namespace {

namespace json = boost::json;

json::array Strings(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t Int(const json::object& o, std::string_view key, std::int64_t fallback) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_int64() ? v->get_int64() : fallback;
}

Result<std::vector<json::object>> Objects(const json::object& o, std::string_view key) {
  std::vector<json::object> out;
  const auto* v = o.if_contains(key);
  if (v == nullptr) return out;
  if (!v->is_array()) return Error::Parse("state: \"" + std::string(key) + "\" must be a list");
  for (const auto& e : v->get_array()) {
    if (!e.is_object()) return Error::Parse("state: \"" + std::string(key) + "\" must hold objects");
    out.push_back(e.get_object());
  }
  return out;
}

}  // namespace

json::value StateToJson(const State& state) {
  json::object out;
  json::array users, groups, channels, messages;
  for (const auto& u : state.users) users.push_back(u);
  for (const auto& g : state.groups) groups.push_back(g);
  for (const auto& c : state.channels) channels.push_back({{"id", c.id}, {"name", c.name}, {"members", Strings(c.members)}});
  for (const auto& m : state.messages) {
    messages.push_back({{"channel", m.channel}, {"text", m.text}, {"ts", m.ts}, {"blocks", m.blocks}, {"metadata", m.metadata}});
  }
  json::object echo;
  for (const auto& [key, count] : state.echo_counts) echo[key] = count;
  out["users"] = std::move(users);
  out["groups"] = std::move(groups);
  out["channels"] = std::move(channels);
  out["messages"] = std::move(messages);
  json::array emails;
  for (const auto& e : state.emails) emails.push_back({{"from", e.from}, {"to", Strings(e.to)}, {"data", e.data}});
  out["emails"] = std::move(emails);
  out["echo_counts"] = std::move(echo);
  out["google"] = state.google;
  out["msgraph"] = state.msgraph;
  out["next_channel"] = state.next_channel;
  out["next_ts"] = state.next_ts;
  return out;
}

Result<State> StateFromJson(const json::value& j) {
  if (!j.is_object()) return Error::Parse("state: expected a JSON object");
  const auto& o = j.get_object();
  State state;
  auto users = Objects(o, "users");
  auto groups = Objects(o, "groups");
  auto channels = Objects(o, "channels");
  auto messages = Objects(o, "messages");
  for (auto* r : {&users, &groups, &channels, &messages}) {
    if (!*r) return r->error();
  }
  state.users = std::move(*users);
  state.groups = std::move(*groups);
  for (const auto& c : *channels) {
    SlackChannel ch{Str(c, "id"), Str(c, "name"), {}};
    if (const auto* m = c.if_contains("members"); m != nullptr && m->is_array()) {
      for (const auto& id : m->get_array()) {
        if (id.is_string()) ch.members.emplace_back(id.get_string());
      }
    }
    state.channels.push_back(std::move(ch));
  }
  for (const auto& m : *messages) {
    const auto* blocks = m.if_contains("blocks");
    const auto* metadata = m.if_contains("metadata");
    state.messages.push_back({Str(m, "channel"), Str(m, "text"), Str(m, "ts"), blocks ? *blocks : json::value(),
                              metadata ? *metadata : json::value()});
  }
  if (const auto* list = o.if_contains("emails"); list != nullptr && list->is_array()) {
    for (const auto& e : list->get_array()) {
      if (!e.is_object()) continue;
      Email mail{Str(e.get_object(), "from"), {}, Str(e.get_object(), "data")};
      if (const auto* to = e.get_object().if_contains("to"); to != nullptr && to->is_array()) {
        for (const auto& t : to->get_array()) {
          if (t.is_string()) mail.to.emplace_back(t.get_string());
        }
      }
      state.emails.push_back(std::move(mail));
    }
  }
  if (const auto* e = o.if_contains("echo_counts"); e != nullptr && e->is_object()) {
    for (const auto& kv : e->get_object()) state.echo_counts[std::string(kv.key())] = kv.value().is_int64() ? kv.value().get_int64() : 0;
  }
  for (auto [key, field] : {std::pair{"google", &state.google}, std::pair{"msgraph", &state.msgraph}}) {
    const auto* v = o.if_contains(key);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_object()) return Error::Parse(std::string("state: \"") + key + "\" must be an object");
    *field = v->get_object();
  }
  state.next_channel = Int(o, "next_channel", 1);
  state.next_ts = Int(o, "next_ts", 1);
  return state;
}

Result<bool> SaveState(const State& state, const std::string& path) {
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << json::serialize(StateToJson(state)) << "\n";
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      return Error::Io("cannot write " + temp);
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    std::remove(temp.c_str());
    return Error::Io("cannot rename " + temp + " to " + path + ": " + ec.message());
  }
  return true;
}

Result<State> LoadState(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return State{};
    return Error::Io("cannot read " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  const auto j = json::parse(text.str(), ec);
  if (ec) return Error::Parse(path + ": not JSON: " + ec.message());
  auto state = StateFromJson(j);
  if (!state) return Error::Parse(path + ": " + state.error().message);
  return state;
}

}  // namespace tenure::sandbox
