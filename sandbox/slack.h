// SlackService: the Slack Web API methods tenure's slack connector uses, over the sandbox State.
//
// Methods (POST or GET /api/METHOD; parameters from the query, a JSON body or a form body):
//   chat.postMessage     channel (id, name or #name; names are created on first use; a user id
//                        posts a direct message), text or blocks -> {ok, channel, ts, message}
//   conversations.invite channel, users (comma-separated ids) -> {ok, channel}; every user
//                        already a member -> already_in_channel; unknown ids -> user_not_found
//   users.lookupByEmail  email -> {ok, user}; users_not_found
//   conversations.list   -> {ok, channels, response_metadata}
//   conversations.history channel, limit (default 100) -> {ok, messages (newest first, with the
//                        `metadata` they were posted with), has_more}; chat.postMessage keeps
//                        `metadata` so a connector can tag posts with its idempotency key
// Answers are HTTP 200 with {"ok":false,"error":"..."} on failure, as Slack does; a missing or
// wrong token is not_authed / invalid_auth. Slack users are the SCIM users with an email (or an
// email-shaped userName): id "U" + the first 8 hex digits of the SCIM id, upper case.
#pragma once

#include <string>
#include <string_view>

#include "sandbox/message.h"
#include "sandbox/state.h"

namespace tenure::sandbox {

class SlackService {
 public:
  // `state` must outlive the service. `token` "" disables the token check.
  SlackService(State& state, std::string token) : state_(state), token_(std::move(token)) {}

  // Handles `req` for Web API method `method` ("chat.postMessage").
  Response Handle(const Request& req, std::string_view method);

  // The Slack user id of a SCIM user id.
  static std::string SlackUserId(std::string_view scim_id);

  // The workspace's colleagues who are not in the SCIM directory (a manager, the IT lead,
  // Accounting: the people the example playbooks ask), so a decision can reach them on a fresh
  // sandbox. Their e-mail for a Slack user id, or "" when `slack_id` is not one of them.
  static std::string_view ColleagueEmail(std::string_view slack_id);

 private:
  Response PostMessage(const boost::json::object& params);
  Response Invite(const boost::json::object& params);
  Response LookupByEmail(const boost::json::object& params) const;
  Response ListChannels() const;
  Response History(const boost::json::object& params);
  // The channel for `ref`, created when `ref` is a name not seen before; nullptr for unknown ids.
  SlackChannel* ResolveChannel(std::string_view ref, bool create);
  const boost::json::object* FindUserBySlackId(std::string_view id) const;
  bool IsSlackUser(std::string_view id) const;  // a SCIM user's or a colleague's Slack id

  State& state_;
  std::string token_;
};

}  // namespace tenure::sandbox
