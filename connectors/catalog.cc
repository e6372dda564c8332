#include "connectors/catalog.h"

namespace tenure::connectors {
namespace {

using workflows::ActionSpec;
using workflows::ArgSpec;
using workflows::ArgType;
using workflows::ConnectorSpec;

ArgSpec Req(std::string name, ArgType type, std::string description) {
  return {std::move(name), type, true, std::move(description), false, false};
}
ArgSpec Opt(std::string name, ArgType type, std::string description) {
  return {std::move(name), type, false, std::move(description), false, false};
}
// A credential: written only as a reference, redacted everywhere.
ArgSpec Secret(std::string name, std::string description) {
  return {std::move(name), ArgType::kString, false, std::move(description), true, false};
}
// A mapping of plain values and credentials (headers, environment): values written as references
// are credentials.
ArgSpec MixedMap(std::string name, std::string description) {
  return {std::move(name), ArgType::kMap, false, std::move(description), false, true};
}

const std::vector<workflows::ResultField> kScimUser = {
    {"id", "the provider's id of the user"},
    {"userName", "the user's userName"},
    {"active", "whether the account is active"},
    {"resource", "the whole SCIM resource as returned by the provider"}};

std::vector<ArgSpec> UserRef() {
  return {Opt("id", ArgType::kString, "the user's SCIM id"),
          Opt("userName", ArgType::kString, "the user's userName, looked up with a filter")};
}

std::vector<ArgSpec> Plus(std::vector<ArgSpec> a, std::vector<ArgSpec> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

ConnectorSpec Scim() {
  ConnectorSpec c{"scim", "SCIM 2.0 (RFC 7643/7644) users and groups, for any standards-compliant provider", {}, {}};
  c.config = {Req("base_url", ArgType::kString, "the SCIM base URL, e.g. https://idp.example.com/scim/v2"),
              Secret("token", "bearer token (a ${env:..} or ${file:..} reference)"),
              Opt("username", ArgType::kString, "basic-auth user name (with password)"),
              Secret("password", "basic-auth password (a secret reference)"),
              Opt("ca_file", ArgType::kString, "PEM bundle of CAs to trust for a self-hosted server"),
              Opt("page_size", ArgType::kInt,
                  "page size to ask for in list requests (default: the server's filter.maxResults); pages are "
                  "followed as the server answers them, whatever it caps `count` at")};
  const std::vector<ArgSpec> user_attrs = {
      Opt("name", ArgType::kMap, "SCIM name: givenName, familyName, ..."),
      Opt("emails", ArgType::kList, "SCIM emails: [{value, type, primary}]"),
      Opt("externalId", ArgType::kString, "the id of the person in the HR system"),
      Opt("active", ArgType::kBool, "whether the account is active (default true on create)"),
      Opt("displayName", ArgType::kString, "display name"),
      Opt("attributes", ArgType::kMap, "any other SCIM attributes, set as given")};
  c.actions = {
      {"ensure_user", "find the user by userName; create it if absent, else update what differs",
       Plus({Req("userName", ArgType::kString, "unique user name, usually the email")}, user_attrs), {}, kScimUser,
       true, "delete_user"},
      {"get_user", "read a user; not found is an error", UserRef(), {{"id", "userName"}}, kScimUser, true, ""},
      {"update_user", "update what differs (PATCH, or PUT when PATCH is unsupported)", Plus(UserRef(), user_attrs),
       {{"id", "userName"}}, kScimUser, true, ""},
      {"deactivate_user", "set active to false", UserRef(), {{"id", "userName"}}, kScimUser, true, "reactivate_user"},
      {"reactivate_user", "set active to true", UserRef(), {{"id", "userName"}}, kScimUser, true, "deactivate_user"},
      {"delete_user", "delete the user; already gone is success", UserRef(), {{"id", "userName"}},
       {{"id", "id of the deleted user; \"\" when a userName found nobody"},
        {"deleted", "false when the user was already gone"}},
       true, ""},
      {"ensure_group", "find the group by displayName; create it if absent",
       {Req("displayName", ArgType::kString, "the group's name"), Opt("externalId", ArgType::kString, "external id")},
       {},
       {{"id", "the group's id"}, {"displayName", "the group's name"}, {"resource", "the whole SCIM group"}},
       true,
       ""},
      {"add_to_group", "add a user to a group; already a member is success",
       {Req("user_id", ArgType::kString, "the user's SCIM id"), Opt("group", ArgType::kString, "the group's displayName"),
        Opt("group_id", ArgType::kString, "the group's SCIM id"),
        Opt("create_missing", ArgType::kBool, "create the group when it does not exist (default false)")},
       {{"group", "group_id"}},
       {{"id", "the group's id"}, {"group_id", "the group's id"}, {"added", "false when the user was already a member"}},
       true,
       "remove_from_group"},
      {"remove_from_group", "remove a user from a group; not a member is success",
       {Req("user_id", ArgType::kString, "the user's SCIM id"), Opt("group", ArgType::kString, "the group's displayName"),
        Opt("group_id", ArgType::kString, "the group's SCIM id")},
       {{"group", "group_id"}},
       {{"id", "the group's id; \"\" when the group does not exist"}, {"group_id", "the group's id"},
        {"removed", "false when the user was not a member"}},
       true,
       "add_to_group"},
      {"remove_from_all_groups",
       "remove a user from every group it belongs to, found from the user's `groups`, else a "
       "`members[value eq ...]` filter, else (no `groups`, filter refused: eq-only providers) by reading every "
       "group's members",
       {Req("user_id", ArgType::kString, "the user's SCIM id")},
       {},
       {{"id", "the user's id"},
        {"groups", "the groups left: [{id, displayName}], so a later run can restore them"},
        {"notes",
         "present once per connection when the connector took a slower path (a filter refused, no PATCH): what "
         "and why"}},
       true,
       ""},
      {"list_users", "list users, following pagination to the end",
       {Opt("filter", ArgType::kString, "a SCIM filter"), Opt("attributes", ArgType::kList, "attributes to return")},
       {},
       {{"resources", "the users"}, {"total", "how many"}},
       true,
       ""},
      {"list_groups", "list groups, following pagination to the end",
       {Opt("filter", ArgType::kString, "a SCIM filter"), Opt("attributes", ArgType::kList, "attributes to return")},
       {},
       {{"resources", "the groups"}, {"total", "how many"}},
       true,
       ""},
  };
  return c;
}

ConnectorSpec Http() {
  ConnectorSpec c{"http", "any HTTP/JSON API", {}, {}};
  c.config = {Opt("base_url", ArgType::kString, "prefix for relative request URLs"),
              Secret("token", "bearer token sent with every request (a secret reference)"),
              MixedMap("headers", "headers sent with every request; values may be secret references"),
              Opt("ca_file", ArgType::kString, "PEM bundle of CAs to trust"),
              Opt("idempotency_header", ArgType::kString,
                  "header carrying the idempotency key on non-GET requests (default Idempotency-Key; \"\" = off)")};
  c.actions = {
      {"request", "send one HTTP request and capture fields of the JSON response",
       {Req("method", ArgType::kString, "GET, HEAD, POST, PUT, PATCH or DELETE"),
        Req("url", ArgType::kString, "absolute, or relative to base_url"),
        Opt("query", ArgType::kMap, "query parameters (URL-encoded)"), Opt("headers", ArgType::kMap, "request headers"),
        Opt("json", ArgType::kAny, "JSON request body"),
        Opt("auth", ArgType::kMap, "{bearer: SECRET} | {basic: {username, password}} | {header: NAME, value: SECRET}"),
        Opt("expect", ArgType::kList, "accepted status codes (default: any 2xx)"),
        Opt("capture", ArgType::kMap, "result fields by JSON pointer, e.g. {id: /data/id}")},
       {},
       {{"status", "the HTTP status"}, {"body", "the parsed JSON body"}, {"captured fields", "one per capture entry"}},
       false,
       ""},
  };
  return c;
}

ConnectorSpec Exec() {
  ConnectorSpec c{"exec", "run a local program (never through a shell); its stdout is the JSON result", {}, {}};
  c.config = {Opt("cwd", ArgType::kString, "default working directory"),
              MixedMap("env", "environment for every program; values may be secret references")};
  c.actions = {
      {"run", "run argv[0] with the arguments argv[1..]",
       {Req("argv", ArgType::kList, "the program and its arguments, each a separate item"),
        Opt("env", ArgType::kMap, "extra environment variables"), Opt("cwd", ArgType::kString, "working directory"),
        Opt("timeout", ArgType::kDuration, "kill the program's process group after this long (default 60s)"),
        Opt("stdin", ArgType::kAny, "JSON written to the program's standard input")},
       {},
       {{"(stdout)", "the JSON object the program printed; {} when it printed nothing; other JSON as {value: ...}"}},
       false,
       ""},
  };
  return c;
}

ConnectorSpec Slack() {
  ConnectorSpec c{"slack", "Slack Web API", {}, {}};
  c.config = {Secret("token", "bot token (a secret reference)"),
              Opt("base_url", ArgType::kString, "Web API base URL (default https://slack.com/api)"),
              Opt("ca_file", ArgType::kString, "PEM bundle of CAs to trust (for a proxy or a sandbox)")};
  c.actions = {
      {"post_message", "post a message to a channel, once per key (the key rides in the message metadata)",
       {Req("channel", ArgType::kString, "channel name (#it) or id"),
        Req("text", ArgType::kString,
            "message text; &, < and > are escaped, so that no mention or link comes from it (see mrkdwn_raw)"),
        Opt("mrkdwn_raw", ArgType::kBool,
            "true: send text as written, mentions and links included; escape inputs in it with the slack_escape "
            "filter"),
        Opt("once_key", ArgType::kString,
            "post only if no recent message in the channel has this key, across runs (default: the task's "
            "idempotency key, so retries and resumed runs never post twice)")},
       {},
       {{"id", "the message timestamp, as ts"},
        {"ts", "the message timestamp"},
        {"channel", "the channel id"},
        {"posted", "false when a message with the same key was already there"}},
       true,
       ""},
      {"invite_to_channels", "invite a user to channels; already in a channel is success",
       {Req("user", ArgType::kString, "Slack user id"), Req("channels", ArgType::kList, "channel names or ids")},
       {},
       {{"id", "the user id"}, {"channels", "the ids of the channels the user is now in"}},
       true,
       ""},
      {"lookup_user_by_email", "find a Slack user by email",
       {Req("email", ArgType::kString, "the email address")},
       {},
       {{"id", "the Slack user id"}, {"name", "the user name"}, {"user", "the whole Slack user object"}},
       true,
       ""},
  };
  return c;
}

ConnectorSpec Smtp() {
  ConnectorSpec c{"smtp", "e-mail over SMTP (STARTTLS, AUTH PLAIN/LOGIN): the notices of people in the loop", {}, {}};
  c.config = {Opt("host", ArgType::kString, "the SMTP server (required)"),
              Opt("port", ArgType::kInt, "default 587 (465 with tls: implicit)"),
              Opt("tls", ArgType::kString, "starttls (default), implicit, or none (loopback test servers only)"),
              Opt("username", ArgType::kString, "for AUTH; only sent over TLS"),
              Secret("password", "for AUTH (a secret reference)"),
              Opt("from", ArgType::kString, "the sender address (required)"),
              Opt("ca_file", ArgType::kString, "PEM bundle of CAs to trust instead of the system's"),
              Opt("helo", ArgType::kString, "the name sent in EHLO (default tenure.localdomain)")};
  c.actions = {
      {"send", "send one plain-text e-mail",
       {Req("to", ArgType::kString, "one e-mail address"), Req("subject", ArgType::kString, "one line"),
        Req("text", ArgType::kString, "the body (UTF-8)")},
       {},
       {{"message_id", "the Message-ID header sent"}, {"to", "the recipient"}},
       false,
       ""},
  };
  return c;
}

// The arguments every manual action shares: who, and the deadline machinery (engine/people.h).
std::vector<ArgSpec> PeopleArgs(std::vector<ArgSpec> args) {
  for (ArgSpec a : {
           Opt("approvers", ArgType::kList,
               "who may decide: e-mail addresses (people, reached by `notify`) or OS user names (the CLI); "
               "default anyone"),
           Opt("notify", ArgType::kString,
               "a connection (slack, smtp or http) through which each approver gets a signed link (needs the "
               "daemon with --http)"),
           Opt("due", ArgType::kString,
               "deadline: a duration (24h), working days (5 working days) or an instant (2026-12-18T16:00, UTC "
               "unless it has an offset)"),
           Opt("holidays", ArgType::kList, "dates (YYYY-MM-DD) that are not working days, for `working days`"),
           Opt("remind", ArgType::kString, "remind the approvers, e.g. `every 1d`"),
           Opt("escalate", ArgType::kMap, "{after: 48h, to: [lead@example.com]}: ask these people too"),
           Opt("on_overdue", ArgType::kString,
               "continue (default: keep waiting, shown overdue) or fail (the task fails at its deadline)"),
       }) {
    args.push_back(std::move(a));
  }
  return args;
}

ConnectorSpec Manual() {
  ConnectorSpec c{"manual", "human steps: the run waits until a person approves, rejects, decides or ticks", {}, {}};
  c.builtin_connection = true;
  c.actions = {
      {"approve", "wait for a person to approve (tenure approve) or reject (tenure reject)",
       PeopleArgs({Req("prompt", ArgType::kString, "what the approver is asked")}),
       {},
       {{"approved_by", "who approved"}, {"note", "the approver's note"}},
       true,
       ""},
      {"decide", "ask a person a question with choices (tenure decide, or a signed link); any choice succeeds",
       PeopleArgs({Req("prompt", ArgType::kString, "the question"),
                   Opt("choices", ArgType::kList, "the answers offered (default [yes, no])")}),
       {},
       {{"choice", "the answer chosen"},
        {"note", "the person's note"},
        {"decided_by", "who decided (e-mail or OS user)"},
        {"decided_at", "when (RFC 3339)"},
        {"link", "the id of the signed link used, if any"}},
       true,
       ""},
      {"task", "a checklist item someone must tick (tenure approve); per for_each item, ticked one by one or in bulk",
       PeopleArgs({Req("prompt", ArgType::kString, "what must be done")}),
       {},
       {{"done_by", "who ticked it"}, {"note", "the note"}, {"done_at", "when (RFC 3339)"}},
       true,
       ""},
  };
  return c;
}

ConnectorSpec Timer() {
  ConnectorSpec c{"timer", "durable timers that survive restarts", {}, {}};
  c.builtin_connection = true;
  c.actions = {
      {"wait", "wait until an instant, or for a duration",
       {Opt("until", ArgType::kString, "an instant: 2026-12-31T17:00:00 with a zone (Z, +01:00)"),
        Opt("time_zone", ArgType::kString, "IANA time zone for an `until` without offset, e.g. Europe/Paris"),
        Opt("for", ArgType::kDuration, "a duration such as 30d")},
       {{"until", "for"}},
       {{"fired_at", "when the timer fired"}},
       true,
       ""},
  };
  return c;
}

}  // namespace

workflows::ConnectorCatalog BuiltinCatalog() {
  return workflows::ConnectorCatalog({Scim(), Http(), Exec(), Slack(), Smtp(), Manual(), Timer()});
}

}  // namespace tenure::connectors
