// State: everything the sandbox holds, as plain data. SCIM resources are kept as the JSON objects
// clients sent (plus server-set id/meta), so any attribute round-trips. Serializes to the JSON
// that `/_sandbox/state` returns and `--state FILE` persists.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "workflows/error.h"

namespace tenure::sandbox {

struct SlackChannel {
  std::string id;                    // "C0000001"
  std::string name;                  // without '#'
  std::vector<std::string> members;  // Slack user ids
};

struct SlackMessage {
  std::string channel;  // channel id (or user id for a direct message)
  std::string text;
  std::string ts;       // Slack message timestamp, unique
  boost::json::value blocks;    // as posted, null when absent
  boost::json::value metadata;  // as posted ({"event_type", "event_payload"}), null when absent
};

// An e-mail the SMTP personality accepted (sandbox/smtp.h).
struct Email {
  std::string from;                  // envelope sender
  std::vector<std::string> to;       // envelope recipients
  std::string data;                  // the message as sent (headers and body), dot-stuffing undone
};

struct State {
  std::vector<boost::json::object> users;   // SCIM User resources in creation order
  std::vector<boost::json::object> groups;  // SCIM Group resources in creation order
  std::vector<SlackChannel> channels;
  std::vector<SlackMessage> messages;
  std::vector<Email> emails;
  std::map<std::string, std::int64_t> echo_counts;  // Idempotency-Key -> requests seen
  boost::json::object google;   // the Google Workspace personality's directory (sandbox/google.h)
  boost::json::object msgraph;  // the Microsoft 365 personality's directory (sandbox/msgraph.h)
  std::int64_t next_channel = 1;
  std::int64_t next_ts = 1;
};

// The persisted form: {"users":[...],"groups":[...],"channels":[...],"messages":[...],
// "echo_counts":{...},"next_channel":N,"next_ts":N}.
boost::json::value StateToJson(const State& state);
// Parses the persisted form. Fails (Parse) on malformed input, naming the field.
Result<State> StateFromJson(const boost::json::value& json);

// Writes `state` to `path` atomically: a temp file in the same directory, then rename. On failure
// the temp file is removed and `path` is untouched.
Result<bool> SaveState(const State& state, const std::string& path);
// Reads `path`; a missing file is an empty State, not an error.
Result<State> LoadState(const std::string& path);

}  // namespace tenure::sandbox
