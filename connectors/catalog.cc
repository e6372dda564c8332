#include "connectors/catalog.h"

namespace tenure::connectors {
namespace {

using workflows::ActionSpec;
using workflows::ArgSpec;
using workflows::ArgType;
using workflows::ConnectorSpec;

ConnectorSpec Spec(std::string name, std::string description) {
  ConnectorSpec c;
  c.name = std::move(name);
  c.description = std::move(description);
  return c;
}

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
  ConnectorSpec c = Spec("scim", "SCIM 2.0 (RFC 7643/7644) users and groups, for any standards-compliant provider");
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
      {"list_users",
       "list users, following pagination to the end; or, with `start_index`, one page (startIndex/count, RFC 7644 "
       "3.4.2.4)",
       {Opt("filter", ArgType::kString, "a SCIM filter"), Opt("attributes", ArgType::kList, "attributes to return"),
        Opt("start_index", ArgType::kInt, "1-based index of the first user of the one page to read"),
        Opt("count", ArgType::kInt, "with start_index: users to ask for (default page_size, else the server's maxResults)")},
       {},
       {{"resources", "the users"}, {"total", "how many (with start_index: the server's totalResults)"},
        {"next", "with start_index: the startIndex of the next page, 0 after the last"}},
       true,
       ""},
      {"list_groups", "list groups, following pagination to the end",
       {Opt("filter", ArgType::kString, "a SCIM filter"), Opt("attributes", ArgType::kList, "attributes to return")},
       {},
       {{"resources", "the groups"}, {"total", "how many"}},
       true,
       ""},
  };
  for (auto& a : c.actions) {
    a.read_only = a.name == "get_user" || a.name == "list_users" || a.name == "list_groups";
    if (a.name == "deactivate_user") {
      a.pre_state = "`{id, userName, active}` of the user (GET /Users/{id})";
      a.read_back = "GET /Users/{id}; expects `active` false";
      a.restore = "reactivate_user, when the user was active before";
    } else if (a.name == "remove_from_group") {
      a.pre_state = "`{user_id, group_id, displayName, member}`: whether the user was in the group";
      a.read_back = "GET /Groups/{id} with its members; expects the user absent (`member` false)";
      a.restore = "add_to_group, when the user was a member before";
    } else if (a.name == "remove_from_all_groups") {
      a.pre_state = "`{user_id, groups: [{id, displayName}]}`: the groups the user was directly in";
      a.read_back = "the user's groups, found as the action finds them; expects none (`groups` [])";
      a.restore = "add_to_group for each group held before";
    } else if (a.name == "delete_user") {
      a.pre_state = "`{id, userName, active, resource}`: the user as it was (credentials redacted)";
      a.read_back = "GET /Users/{id}; expects 404 (`exists` false)";
    }
  }
  return c;
}

ConnectorSpec Http() {
  ConnectorSpec c = Spec("http", "any HTTP/JSON API");
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
  ConnectorSpec c = Spec("exec", "run a local program (never through a shell); its stdout is the JSON result");
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
  c.notes =
      "The contract between tenure and the program (connectors/exec/connector.h):\n\n"
      "- **No shell.** `argv[0]` is started with `posix_spawnp` (looked up in `PATH` when it has no `/`); every "
      "`argv` item is one argument, whatever it contains. To use a shell, run one: `argv: [/bin/sh, -c, SCRIPT, "
      "sh, ARG1]`, and pass inputs as arguments (`\"$1\"`), never inside the script.\n"
      "- **Environment.** Only `PATH`, `HOME`, `LANG`, `LC_ALL`, `TZ`, `TMPDIR`, `USER` and `LOGNAME` from "
      "tenure's own environment, then the connection's `env`, then the action's `env`, then "
      "`TENURE_IDEMPOTENCY_KEY`: the same on every attempt of the task (or item), so the program can make a "
      "retry safe. Values of the connection's `env` written as references are credentials (redacted).\n"
      "- **stdin** is the action's `stdin` written as JSON, then closed; empty when not given.\n"
      "- **Exit 0** is success; stdout is the result: a JSON object, `{}` when stdout is empty or blank, other "
      "JSON wrapped as `{\"value\": ...}`. Stdout that is not JSON fails the task (permanent) with a short, "
      "redacted excerpt.\n"
      "- **Exit 75 (EX_TEMPFAIL) or 69 (EX_UNAVAILABLE)** means \"try again\": retried per the task's `retry`.\n"
      "- **Any other exit code** fails the task at once (not retried), quoting the end of stderr (redacted); the "
      "failure's provider code is `exit N`.\n"
      "- **Timeout** (`timeout`, default 60s, and never longer than the task's own `timeout`) or cancellation: the "
      "whole process group gets SIGKILL and the outcome is *unknown* (the program may have acted): retried with the "
      "same `TENURE_IDEMPOTENCY_KEY`. Killed by another signal: unknown too.\n"
      "- **Size limits:** stdout and stderr are read up to 1 MiB each; more stdout fails the task (permanent).\n"
      "- **A literal `${`** in an argument (a shell variable) is written `$${`: `argv: [/bin/sh, -c, 'echo "
      "\"$${HOME}\"']` runs `echo \"${HOME}\"`. A lone `${` is read as a secret reference and fails validation.";
  return c;
}

ConnectorSpec Slack() {
  ConnectorSpec c = Spec("slack", "Slack Web API");
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

std::vector<ArgSpec> LdapUserRef() {
  return {Opt("uid", ArgType::kString,
              "the user's id (the value of user_id_attribute, uid by default), looked up under base_dn"),
          Opt("dn", ArgType::kString, "the user's DN, used as given")};
}

std::vector<ArgSpec> LdapGroupRef() {
  return {Opt("group", ArgType::kString, "the group's cn, looked up under groups_dn"),
          Opt("group_dn", ArgType::kString, "the group's DN, used as given")};
}

ConnectorSpec Ldap() {
  ConnectorSpec c = Spec("ldap",
                         "people and groups in an LDAP directory (OpenLDAP, 389-ds, Active Directory) through "
                         "libldap; DN values escaped per RFC 4514 and filter values per RFC 4515");
  c.config = {
      Req("url", ArgType::kString, "ldap://host[:port] or ldaps://host[:port]"),
      Opt("starttls", ArgType::kBool, "upgrade an ldap:// connection with StartTLS before binding (default false)"),
      Opt("bind_dn", ArgType::kString, "the DN to bind as (simple bind); absent = anonymous"),
      Secret("password", "the bind password (a ${env:..} or ${file:..} reference)"),
      Req("base_dn", ArgType::kString, "where users are looked up (subtree), e.g. dc=example,dc=com"),
      Opt("people_dn", ArgType::kString, "where ensure_user adds users (default base_dn)"),
      Opt("groups_dn", ArgType::kString, "where groups are looked up and made (default base_dn)"),
      Opt("ca_file", ArgType::kString,
          "PEM bundle of CAs to trust (default: the system's); certificates and host names are always verified"),
      Opt("connect_timeout", ArgType::kDuration, "connect, TLS and bind together (default 10s)"),
      Opt("timeout", ArgType::kDuration,
          "per operation, capped by the task's timeout (default 30s); a write without answer by then is Unknown"),
      Opt("page_size", ArgType::kInt, "entries per page of a paged search (RFC 2696; default 500)"),
      Opt("user_rdn_attribute", ArgType::kString, "the RDN attribute of new users: uid (default), cn for AD"),
      Opt("user_id_attribute", ArgType::kString,
          "the attribute `uid` arguments match (default user_rdn_attribute; sAMAccountName for AD)"),
      Opt("user_object_classes", ArgType::kList,
          "object classes of new users (default [inetOrgPerson]; AD: [top, person, organizationalPerson, user]); "
          "the last one is also required when looking users up"),
      Opt("disable_method", ArgType::kString,
          "ppolicy (default: pwdAccountLockedTime 000001010000Z), ad (userAccountControl bit 2), or attribute"),
      Opt("disable_attribute", ArgType::kString, "disable_method attribute: the attribute to set"),
      Opt("disable_value", ArgType::kString, "disable_method attribute: its value when disabled"),
      Opt("enable_value", ArgType::kString, "disable_method attribute: its value when enabled (default: removed)"),
      Opt("password_method", ArgType::kString,
          "exop (default: Password Modify extended operation, RFC 3062), ad (unicodePwd, only over TLS), or "
          "attribute (userPassword in clear; needs allow_plain_password_attribute)"),
      Opt("allow_plain_password_attribute", ArgType::kBool,
          "allow password_method attribute, which sends the password to be stored as written (default false)"),
      Opt("group_type", ArgType::kString,
          "groups made by ensure_group: groupOfNames (default, member), groupOfUniqueNames (uniqueMember) or "
          "posixGroup (memberUid); membership changes follow each group's own object class"),
      Opt("group_placeholder_member", ArgType::kString,
          "a DN kept in a groupOfNames/groupOfUniqueNames that would otherwise be empty (their schema requires a "
          "member): set, ensure_group can create groups and removing the last member puts it in its place; unset, "
          "removing the last member fails and changes nothing")};
  const std::vector<workflows::ResultField> changed = {
      {"dn", "the user's DN"},
      {"uid", "the user's id"},
      {"created", "true when the entry was added"},
      {"changed", "the attributes replaced or removed (empty when nothing differed)"}};
  const ArgSpec attributes =
      Opt("attributes", ArgType::kMap,
          "attributes to set: name -> string, number or list (multi-valued); null removes one; passwords are refused "
          "(use set_password)");
  const std::vector<workflows::ResultField> disabled = {
      {"dn", "the user's DN"},
      {"uid", "the user's id"},
      {"disabled", "the account's state now"},
      {"changed", "false when it already was so (nothing sent)"}};
  const std::vector<workflows::ResultField> membership = {
      {"group_dn", "the group's DN (\"\" when remove_from_group found no such group)"},
      {"dn", "the user's DN"},
      {"uid", "the user's id"}};
  auto with = [](std::vector<workflows::ResultField> a, workflows::ResultField f) {
    a.push_back(std::move(f));
    return a;
  };
  c.actions = {
      {"ensure_user",
       "find the user by uid under base_dn; add it (user_object_classes, at user_rdn_attribute=...,people_dn) if "
       "absent, else replace only the attributes that differ. alreadyExists (68) means it was made meanwhile: it is "
       "read again and reconciled, never an error",
       {Req("uid", ArgType::kString, "the user's id (user_id_attribute)"), attributes}, {}, changed, true,
       "delete_user"},
      {"get_user", "read a user; not found is an error (kNotFound)", LdapUserRef(), {{"uid", "dn"}},
       {{"dn", "the user's DN"},
        {"uid", "the user's id"},
        {"disabled", "whether the account is disabled (per disable_method)"},
        {"attributes", "the entry's attributes: a string per single value, a list for several (passwords left out)"}},
       true, ""},
      {"update_user", "replace the attributes that differ on an existing user; not found is an error",
       Plus(LdapUserRef(), {attributes}), {{"uid", "dn"}}, changed, true, ""},
      {"disable_user",
       "disable the account per disable_method (ppolicy lock, AD userAccountControl bit 2, or an attribute); "
       "already disabled sends nothing",
       LdapUserRef(), {{"uid", "dn"}}, disabled, true, "enable_user"},
      {"enable_user", "undo disable_user; already enabled sends nothing", LdapUserRef(), {{"uid", "dn"}}, disabled,
       true, "disable_user"},
      {"delete_user", "delete the user's entry; absent, or noSuchObject (32), is success", LdapUserRef(),
       {{"uid", "dn"}},
       {{"dn", "the deleted entry's DN"}, {"deleted", "false when the user was already gone"}}, true, ""},
      {"set_password",
       "set the user's password per password_method: Password Modify extended operation (RFC 3062), AD unicodePwd "
       "(refused unless the connection is encrypted), or userPassword (only with allow_plain_password_attribute). "
       "Setting it again has the same effect",
       Plus(LdapUserRef(), {Req("password", ArgType::kString,
                                "the new password: a ${env:..} or ${file:..} reference; redacted everywhere")}),
       {{"uid", "dn"}},
       {{"dn", "the user's DN"}, {"uid", "the user's id"}, {"changed", "true"}, {"method", "exop, ad or attribute"}},
       true, ""},
      {"move_user",
       "move the user under another parent (modrdn with newSuperior, RDN kept); already there is success. Undo: "
       "move_user back to the result's old_parent",
       Plus(LdapUserRef(), {Req("new_parent", ArgType::kString, "the new parent DN, e.g. ou=former,dc=example,dc=com")}),
       {{"uid", "dn"}},
       {{"dn", "the user's DN now"},
        {"uid", "the user's id"},
        {"old_dn", "the DN before"},
        {"old_parent", "the parent before (for moving back)"},
        {"moved", "false when it already was there"}},
       true, "move_user"},
      {"ensure_group",
       "find the group by cn under groups_dn; add it (group_type) if absent. A groupOfNames/groupOfUniqueNames is "
       "made with group_placeholder_member (required for them), a posixGroup with gid_number",
       {Req("name", ArgType::kString, "the group's cn"), Opt("description", ArgType::kString, "description"),
        Opt("gid_number", ArgType::kInt, "posixGroup: its gidNumber")},
       {},
       {{"dn", "the group's DN"}, {"cn", "its cn"}, {"created", "true when it was added"}},
       true, ""},
      {"add_to_group",
       "add the user to a group: member (groupOfNames, AD group), uniqueMember (groupOfUniqueNames) or memberUid "
       "(posixGroup), per the group's object class; already a member is success. Removes "
       "group_placeholder_member from the group in the same modify",
       Plus(LdapUserRef(), LdapGroupRef()), {{"uid", "dn"}, {"group", "group_dn"}},
       with(membership, {"added", "false when the user already was a member"}), true, "remove_from_group"},
      {"remove_from_group",
       "remove the user from a group; not a member, or no such group, is success. The last member of a "
       "groupOfNames/groupOfUniqueNames is replaced by group_placeholder_member in one modify, or, without one, the "
       "action fails permanently and changes nothing",
       Plus(LdapUserRef(), LdapGroupRef()), {{"uid", "dn"}, {"group", "group_dn"}},
       with(membership, {"removed", "false when the user was not a member"}), true, "add_to_group"},
      {"remove_from_all_groups",
       "remove the user from every group under groups_dn that holds it (member or uniqueMember = its DN, memberUid "
       "= its id), found with one paged search; the last-member rule as in remove_from_group. If one removal fails "
       "the action fails; a retry lists only the groups still held",
       LdapUserRef(), {{"uid", "dn"}},
       {{"dn", "the user's DN"},
        {"uid", "the user's id"},
        {"groups", "the groups left: [{dn, cn, attribute}], for a restore with add_to_group group_dn"},
        {"count", "how many"}},
       true, ""},
      {"search",
       "search with the paged results control (RFC 2696), following pages to the end. `filter` is used as written "
       "and may not contain a {{ template }}; values from inputs go in `equals`, which escapes them (RFC 4515)",
       {Opt("base", ArgType::kString, "the search base (default base_dn)"),
        Opt("scope", ArgType::kString, "base, one or sub (default sub)"),
        Opt("filter", ArgType::kString, "an LDAP filter, as written (default (objectClass=*))"),
        Opt("equals", ArgType::kMap, "attribute -> value, each ANDed to the filter as an escaped equality"),
        Opt("attributes", ArgType::kList, "attributes to return (default all user attributes)"),
        Opt("page_size", ArgType::kInt, "entries per page (default the connection's page_size)")},
       {},
       {{"entries", "[{dn, attributes}]"}, {"count", "how many"}},
       true, ""},
      {"list_users",
       "every user under base_dn (objectClass the last of user_object_classes), with one paged search (RFC 2696, "
       "page_size), as accounts: what `tenure reconcile` reads",
       {},
       {},
       {{"resources", "[{id (the DN), userName (user_id_attribute), emails: [{value}] (mail), externalId "
                      "(employeeNumber), active (not disabled, per disable_method), groups: [{value (the group's "
                      "DN), display (its cn)}] (the groups under groups_dn naming it: member/uniqueMember by DN, "
                      "memberUid by its id; one more paged search)}]"},
        {"total", "how many"}},
       true, ""},
  };
  for (auto& a : c.actions) {
    a.read_only = a.name == "list_users";
    if (a.name == "disable_user") {
      a.pre_state = "`{dn, uid, disabled}` of the user (per disable_method)";
      a.read_back = "the user's entry; expects `disabled` true (per disable_method)";
      a.restore = "enable_user, when the account was enabled before";
    } else if (a.name == "remove_from_group") {
      a.pre_state = "`{dn, uid, group_dn, cn, member}`: whether the user was in the group (any membership attribute)";
      a.read_back = "a base search of the group for the user's membership value; expects `member` false";
      a.restore = "add_to_group, when the user was a member before";
    } else if (a.name == "remove_from_all_groups") {
      a.pre_state = "`{dn, uid, groups: [{dn, cn, attribute}]}`: the groups holding the user, found as the action "
                    "finds them";
      a.read_back = "the user's groups, found as the action finds them; expects none (`groups` [])";
      a.restore = "add_to_group (group_dn) for each group held before";
    } else if (a.name == "delete_user") {
      a.pre_state = "`{dn, uid, disabled, attributes}`: the entry as it was (passwords left out)";
      a.read_back = "a base search of the DN; expects no entry (`exists` false)";
    } else if (a.name == "move_user") {
      a.pre_state = "`{dn, uid, parent}`: where the entry was";
      a.read_back = "the user's entry by its id; expects `parent` = new_parent";
      a.restore = "move_user back under the parent it had";
    }
  }
  return c;
}

ConnectorSpec Smtp() {
  ConnectorSpec c = Spec("smtp", "e-mail over SMTP (STARTTLS, AUTH PLAIN/LOGIN): the notices of people in the loop");
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

ArgSpec UserArg(std::string what) { return Req("user", ArgType::kString, std::move(what)); }

ConnectorSpec Google() {
  ConnectorSpec c = Spec("google", "Google Workspace: Admin SDK Directory users and groups, Gmail settings, Data Transfer");
  c.default_rate_per_second = 40;  // the Directory API's 2,400 queries per minute per user per project
  c.default_rate = "2400/min (the Directory API's published quota per user and project); set `rate` to override";
  c.notes =
      "Authentication: a service-account JSON key (`credentials`, a `${file:..}` reference; the private key is "
      "redacted everywhere) signs an RS256 JWT for the OAuth 2.0 JWT bearer grant (RFC 7523) at the key's "
      "`token_uri`, acting as `subject` (domain-wide delegation) for the Directory and Data Transfer APIs and as "
      "the user whose mailbox changes for Gmail settings. Access tokens are cached per subject until a minute "
      "before they expire; a 401 fetches a fresh one once.\n\n"
      "Throttling: 429, and 403 with reason `userRateLimitExceeded`, `rateLimitExceeded` or `quotaExceeded`, "
      "are retried after `Retry-After`; 5xx are retried with backoff.\n\n"
      "Idempotency: ensure/update/suspend/move read first and send only what differs; 409 on an add (member, "
      "alias, forwarding address, user) and 404 on a removal or delete mean already done. `transfer_data` looks "
      "for an existing transfer between the two users before creating one, polls it with backoff for at most "
      "`wait` within the attempt, and otherwise answers \"retry later\": give the task `retry: {attempts: 30, "
      "backoff: 30s}` so the engine comes back until it completes. `reset_password` never puts a generated "
      "password in a result: it is written to `deliver_to` (a new file, mode 0600) for the next step (an `exec` "
      "of your vault client) to read and delete.";
  c.config = {Secret("credentials", "the service-account JSON key, e.g. \"${file:/etc/tenure/google-key.json}\""),
              Req("subject", ArgType::kString, "the admin the service account acts as (domain-wide delegation)"),
              Opt("customer", ArgType::kString, "the customer id (default my_customer)"),
              Opt("base_url", ArgType::kString,
                  "Directory and Data Transfer API base (default https://admin.googleapis.com; the sandbox: "
                  "http://127.0.0.1:8089/google)"),
              Opt("gmail_url", ArgType::kString, "Gmail API base (default https://gmail.googleapis.com)"),
              Opt("token_uri", ArgType::kString, "token endpoint (default: the key file's token_uri)"),
              Opt("ca_file", ArgType::kString, "PEM bundle of CAs to trust (for a proxy or a sandbox)"),
              Opt("transfer_wait", ArgType::kDuration,
                  "the longest one attempt of transfer_data polls before answering retry-later (default 60s)")};
  const std::vector<workflows::ResultField> user = {
      {"id", "Google's immutable user id"}, {"primaryEmail", "the primary email"},
      {"suspended", "whether the account is suspended"}, {"orgUnitPath", "the org unit"},
      {"user", "the whole Directory API user resource"}};
  auto with = [](std::vector<workflows::ResultField> r, std::vector<workflows::ResultField> more) {
    r.insert(r.end(), more.begin(), more.end());
    return r;
  };
  const std::vector<ArgSpec> attrs = {
      Opt("name", ArgType::kMap, "givenName, familyName"),
      Opt("orgUnitPath", ArgType::kString, "the org unit, e.g. /Sales"),
      Opt("suspended", ArgType::kBool, "suspended or not"),
      Opt("attributes", ArgType::kMap, "any other user fields, set as given (e.g. {recoveryEmail: ...})")};
  c.actions = {
      {"ensure_user", "find the user by primary email; create it if absent, else update what differs",
       Plus({Req("primaryEmail", ArgType::kString, "the user's primary email"),
             Opt("password", ArgType::kString,
                 "initial password, a secret reference (default: a random one nobody knows, to be reset)")},
            attrs),
       {}, with(user, {{"created", "whether this call created it"}, {"updated", "whether it changed fields"}}), true,
       "delete_user"},
      {"get_user", "read a user by email, alias or id; not found is an error", {UserArg("email, alias or id")}, {},
       user, true, ""},
      {"update_user", "update what differs", Plus({UserArg("email, alias or id")}, attrs), {},
       with(user, {{"changed", "false when nothing differed"}}), true, ""},
      {"suspend_user", "suspend the account (nothing sent when already suspended)", {UserArg("email, alias or id")},
       {}, with(user, {{"changed", "false when already suspended"}}), true, "unsuspend_user"},
      {"unsuspend_user", "lift a suspension", {UserArg("email, alias or id")}, {},
       with(user, {{"changed", "false when not suspended"}}), true, "suspend_user"},
      {"sign_out", "sign the user out of every web and device session (users.signOut)",
       {UserArg("email, alias or id")}, {}, {{"id", "the user"}, {"signed_out", "true"}}, true, ""},
      {"reset_password", "set a new password: a secret reference, or a generated one handed over in a file",
       {UserArg("email, alias or id"), Opt("password", ArgType::kString, "the new password, a secret reference"),
        Opt("deliver_to", ArgType::kString,
            "without `password`: generate one and write it to this file (created mode 0600, replaced atomically), "
            "never to a result"),
        Opt("change_at_next_login", ArgType::kBool, "force a change at next sign-in (default: true when generated)")},
       {{"password", "deliver_to"}}, with(user, {{"password_set", "true"}, {"delivered_to", "the file, when generated"}}),
       true, ""},
      {"move_to_org_unit", "move the user to an org unit (nothing sent when already there)",
       {UserArg("email, alias or id"), Req("org_unit_path", ArgType::kString, "e.g. /Former employees")}, {},
       with(user, {{"changed", "false when already there"}, {"previous_org_unit_path", "where it was, for a move back"}}),
       true, ""},
      {"add_to_group", "add the user to a group; already a member (409) is success",
       {UserArg("the user's email"), Req("group", ArgType::kString, "the group's email or id"),
        Opt("role", ArgType::kString, "MEMBER (default), MANAGER or OWNER")},
       {}, {{"id", "the group"}, {"added", "false when already a member"}}, true, "remove_from_group"},
      {"remove_from_group", "remove the user from a group; not a member (404) is success",
       {UserArg("the user's email or id"), Req("group", ArgType::kString, "the group's email or id")}, {},
       {{"id", "the group"}, {"removed", "false when not a member"}}, true, "add_to_group"},
      {"remove_from_all_groups", "list every group of the user (all pages), then leave each",
       {UserArg("the user's email or id")}, {},
       {{"id", "the user"}, {"groups", "the groups left: [{id, email, name}], for a restore"},
        {"removed", "how many"}},
       true, ""},
      {"add_alias", "add an email alias; already there (409) is success",
       {UserArg("email or id"), Req("alias", ArgType::kString, "the alias address")}, {},
       {{"id", "the user"}, {"alias", "the alias"}, {"added", "false when it existed"}}, true, "remove_alias"},
      {"remove_alias", "remove an email alias; absent (404) is success",
       {UserArg("email or id"), Req("alias", ArgType::kString, "the alias address")}, {},
       {{"id", "the user"}, {"alias", "the alias"}, {"removed", "false when absent"}}, true, "add_alias"},
      {"set_forwarding", "forward the user's incoming mail (Gmail forwarding address + autoForwarding)",
       {UserArg("the mailbox's email"), Opt("to", ArgType::kString, "where to forward (required when enabled)"),
        Opt("enabled", ArgType::kBool, "false turns forwarding off (default true)"),
        Opt("disposition", ArgType::kString, "leaveInInbox (default), archive, trash or markRead")},
       {}, {{"id", "the mailbox"}, {"forward_to", "the address"}, {"enabled", "forwarding on"},
            {"verification_status", "the forwarding address's status (accepted)"}},
       true, ""},
      {"set_out_of_office", "set the Gmail vacation responder",
       {UserArg("the mailbox's email"), Opt("enabled", ArgType::kBool, "false turns it off (default true)"),
        Opt("subject", ArgType::kString, "reply subject"), Opt("message", ArgType::kString, "reply text"),
        Opt("restrict_to_domain", ArgType::kBool, "reply only inside the domain"),
        Opt("restrict_to_contacts", ArgType::kBool, "reply only to contacts"),
        Opt("start_time", ArgType::kInt, "start, ms since the epoch"), Opt("end_time", ArgType::kInt, "end, ms since the epoch")},
       {}, {{"id", "the mailbox"}, {"enabled", "on or off"}, {"vacation", "the settings as stored"}}, true, ""},
      {"transfer_data", "transfer the user's Drive (and Calendar) data to another user and wait until it completes",
       {UserArg("the leaver's email or id"), Req("to", ArgType::kString, "the receiver's email or id (the manager)"),
        Opt("apps", ArgType::kList, "drive (default), calendar, or application ids"),
        Opt("wait", ArgType::kDuration, "how long this attempt polls (default: transfer_wait)")},
       {}, {{"id", "the transfer id"}, {"status", "completed"}, {"created", "false when an existing transfer was found"},
            {"transfer", "the Data Transfer API resource"}},
       true, ""},
      {"delete_user", "delete the user; already gone (404) is success", {UserArg("email or id")}, {},
       {{"id", "the user"}, {"deleted", "false when already gone"}}, true, ""},
      {"list_users", "every user of the customer (GET users?customer=, following nextPageToken), as accounts: "
       "what `tenure reconcile` reads", {}, {},
       {{"resources", "[{id, userName (primaryEmail), emails: [{value}], externalId (the first externalIds value), "
                      "active (neither suspended nor archived)}]"},
        {"total", "how many"}},
       true, ""},
  };
  for (auto& a : c.actions) {
    if (a.name == "list_users") a.read_only = true;
    if (a.name == "suspend_user") {
      a.pre_state = "`{id, primaryEmail, suspended}` of the user (GET users/{user})";
      a.read_back = "GET users/{id}; expects `suspended` true";
      a.restore = "unsuspend_user, when the account was not suspended before";
    } else if (a.name == "remove_from_group") {
      a.pre_state = "`{user, group, member}`: whether the user was in the group (groups?userKey, every page)";
      a.read_back = "groups?userKey={user}, every page; expects the group absent (`member` false)";
      a.restore = "add_to_group, when the user was a member before";
    } else if (a.name == "remove_from_all_groups") {
      a.pre_state = "`{id, groups: [{id, email, name}]}`: every group of the user (groups?userKey, every page)";
      a.read_back = "groups?userKey={user}, every page; expects none (`groups` [])";
      a.restore = "add_to_group for each group held before";
    }
  }
  return c;
}

ConnectorSpec Graph() {
  ConnectorSpec c = Spec("msgraph", "Microsoft 365 / Entra ID through Microsoft Graph v1.0: users, groups, licences, mailboxes");
  c.notes =
      "Authentication: client credentials at `authority`/`tenant_id`/oauth2/v2.0/token with `client_secret`, or "
      "with `certificate` + `private_key` (a client assertion JWT, RS256, header `x5t`). Scope: `graph_base`'s "
      "origin + `/.default`. The token is cached until shortly before it expires. National clouds: set "
      "`authority` and `graph_base` (e.g. https://login.microsoftonline.us and https://graph.microsoft.us/v1.0).\n\n"
      "Throttling: 429 and 503 are retried after `Retry-After` (Graph throttles per app and tenant; the engine "
      "pauses the connection). Pagination follows `@odata.nextLink`, only under `graph_base`.\n\n"
      "Escaping: values in URL paths are percent-encoded as one segment; values in `$filter` are OData string "
      "literals with single quotes doubled.\n\n"
      "Idempotency: ensure_user looks up by userPrincipalName first; disable/enable send nothing when already so; "
      "\"One or more added object references already exist\" (400) on an add and 404 on a removal or delete mean "
      "already done; remove_from_all_groups and remove_licenses list first and report what they removed, for a "
      "restore. Forwarding is an inbox rule (`rule_name`), since Graph v1.0's mailboxSettings has no forwarding "
      "address; automatic replies are mailboxSettings.";
  c.config = {Req("tenant_id", ArgType::kString, "the directory (tenant) id or domain"),
              Req("client_id", ArgType::kString, "the application (client) id"),
              Secret("client_secret", "the client secret (a secret reference); or certificate + private_key"),
              Opt("certificate", ArgType::kString, "PEM certificate registered with the application (${file:..})"),
              Secret("private_key", "the certificate's PEM private key (a secret reference)"),
              Opt("authority", ArgType::kString, "the login host (default https://login.microsoftonline.com)"),
              Opt("graph_base", ArgType::kString,
                  "Graph base URL (default https://graph.microsoft.com/v1.0; the sandbox: "
                  "http://127.0.0.1:8089/graph/v1.0)"),
              Opt("ca_file", ArgType::kString, "PEM bundle of CAs to trust (for a proxy or a sandbox)")};
  const std::vector<workflows::ResultField> user = {
      {"id", "the user's object id"}, {"userPrincipalName", "the UPN"}, {"displayName", "the display name"},
      {"accountEnabled", "whether sign-in is allowed"}, {"mail", "the mail address"}, {"user", "the Graph user"}};
  auto with = [](std::vector<workflows::ResultField> r, std::vector<workflows::ResultField> more) {
    r.insert(r.end(), more.begin(), more.end());
    return r;
  };
  const std::vector<ArgSpec> attrs = {
      Opt("displayName", ArgType::kString, "display name"), Opt("mailNickname", ArgType::kString, "mail alias"),
      Opt("accountEnabled", ArgType::kBool, "sign-in allowed"), Opt("usageLocation", ArgType::kString, "e.g. FR (needed for licences)"),
      Opt("jobTitle", ArgType::kString, "job title"), Opt("department", ArgType::kString, "department"),
      Opt("attributes", ArgType::kMap, "any other user properties, set as given")};
  const ArgSpec user_arg = Req("user", ArgType::kString, "object id or userPrincipalName");
  c.actions = {
      {"ensure_user", "find the user by userPrincipalName ($filter); create it if absent, else update what differs",
       Plus({Req("userPrincipalName", ArgType::kString, "e.g. ada@contoso.com"),
             Opt("password", ArgType::kString, "initial password, a secret reference (default: random, unknown)")},
            attrs),
       {}, with(user, {{"created", "whether this call created it"}, {"updated", "whether it changed fields"}}), true,
       "delete_user"},
      {"get_user", "read a user; not found is an error", {user_arg}, {}, user, true, ""},
      {"update_user", "update what differs", Plus({user_arg}, attrs), {}, with(user, {{"changed", "false when nothing differed"}}), true, ""},
      {"disable_user", "block sign-in (accountEnabled false)", {user_arg}, {}, with(user, {{"changed", "false when already disabled"}}), true, "enable_user"},
      {"enable_user", "allow sign-in (accountEnabled true)", {user_arg}, {}, with(user, {{"changed", "false when already enabled"}}), true, "disable_user"},
      {"revoke_sessions", "invalidate refresh tokens and session cookies (revokeSignInSessions)", {user_arg}, {},
       {{"id", "the user"}, {"revoked", "true"}}, true, ""},
      {"reset_password", "set a new password (passwordProfile): a secret reference, or generated and handed over in a file",
       {user_arg, Opt("password", ArgType::kString, "the new password, a secret reference"),
        Opt("deliver_to", ArgType::kString, "without `password`: generate one and write it to this file (mode 0600), never to a result"),
        Opt("force_change", ArgType::kBool, "force a change at next sign-in (default: true when generated)")},
       {{"password", "deliver_to"}}, with(user, {{"password_set", "true"}, {"delivered_to", "the file, when generated"}}), true, ""},
      {"delete_user", "delete the user (kept 30 days in deleted items); already gone (404) is success", {user_arg}, {},
       {{"id", "the user"}, {"deleted", "false when already gone"}}, true, ""},
      {"restore_user", "restore a deleted user from directory/deletedItems",
       {Req("id", ArgType::kString, "the deleted user's object id")}, {}, with(user, {{"restored", "false when it was not deleted"}}), true, "delete_user"},
      {"add_to_group", "add the user to a group (members/$ref); already a member is success",
       {user_arg, Opt("group_id", ArgType::kString, "the group's object id"), Opt("group", ArgType::kString, "the group's displayName ($filter)")},
       {{"group_id", "group"}}, {{"id", "the group"}, {"added", "false when already a member"}}, true, "remove_from_group"},
      {"remove_from_group", "remove the user from a group; not a member (404) is success",
       {user_arg, Opt("group_id", ArgType::kString, "the group's object id"), Opt("group", ArgType::kString, "the group's displayName ($filter)")},
       {{"group_id", "group"}}, {{"id", "the group"}, {"removed", "false when not a member"}}, true, "add_to_group"},
      {"remove_from_all_groups", "list the user's groups (memberOf, every page), then leave each",
       {user_arg}, {},
       {{"id", "the user"}, {"groups", "the groups left: [{id, displayName}], for a restore"},
        {"skipped", "dynamic or on-premises-synced groups Graph cannot change: [{id, displayName, reason}]"}},
       true, ""},
      {"assign_license", "assign a licence (assignLicense); already assigned is success",
       {user_arg, Req("sku_id", ArgType::kString, "the SKU id (GET /subscribedSkus)"),
        Opt("disabled_plans", ArgType::kList, "service plan ids to leave off")},
       {}, {{"id", "the user"}, {"sku_id", "the SKU"}, {"added", "false when already assigned"}}, true, ""},
      {"remove_licenses", "remove the user's directly assigned licences (all, or `sku_ids`), freeing them",
       {user_arg, Opt("sku_ids", ArgType::kList, "only these SKU ids (default: every direct one)")}, {},
       {{"id", "the user"}, {"freed", "the licences removed: [{skuId, disabledPlans}], for a restore"},
        {"inherited", "licences assigned through a group (removed by leaving the group)"}},
       true, ""},
      {"set_forwarding", "forward incoming mail with an inbox rule (created, changed or removed)",
       {user_arg, Opt("to", ArgType::kString, "where to forward (required when enabled)"),
        Opt("enabled", ArgType::kBool, "false removes the rule (default true)"),
        Opt("rule_name", ArgType::kString, "the rule's displayName (default \"tenure: forward mail\")")},
       {}, {{"id", "the user"}, {"forward_to", "the address"}, {"change", "created, updated, deleted or none"}}, true, ""},
      {"set_automatic_replies", "set automatic replies (mailboxSettings.automaticRepliesSetting)",
       {user_arg, Opt("enabled", ArgType::kBool, "false turns them off (default true)"),
        Opt("internal_message", ArgType::kString, "reply to colleagues"), Opt("external_message", ArgType::kString, "reply to others (default: the internal one)"),
        Opt("external_audience", ArgType::kString, "none, contactsOnly or all (default)"),
        Opt("start", ArgType::kString, "scheduled start, UTC date-time (with `end`)"), Opt("end", ArgType::kString, "scheduled end, UTC date-time")},
       {}, {{"id", "the user"}, {"enabled", "on or off"}}, true, ""},
      {"get_manager", "read the user's manager; none is success with found false", {user_arg}, {},
       {{"id", "the manager's id (\"\" when none)"}, {"userPrincipalName", "the manager's UPN"}, {"mail", "the manager's mail"},
        {"found", "whether the user has a manager"}},
       true, ""},
      {"list_users", "every user of the tenant (GET /users, following @odata.nextLink), as accounts: what `tenure "
       "reconcile` reads", {}, {},
       {{"resources", "[{id, userName (userPrincipalName), emails: [{value}] (mail), externalId (employeeId), active "
                      "(accountEnabled)}]"},
        {"total", "how many"}},
       true, ""},
  };
  for (auto& a : c.actions) {
    if (a.name == "list_users") a.read_only = true;
    if (a.name == "disable_user") {
      a.pre_state = "`{id, userPrincipalName, accountEnabled}` of the user (GET /users/{id})";
      a.read_back = "GET /users/{id}; expects `accountEnabled` false";
      a.restore = "enable_user, when sign-in was allowed before";
    } else if (a.name == "remove_from_group") {
      a.pre_state = "`{user_id, userPrincipalName, group_id, member}`: whether the user was in the group (memberOf)";
      a.read_back = "GET /users/{id}/memberOf; expects the group absent (`member` false)";
      a.restore = "add_to_group, when the user was a member before";
    } else if (a.name == "remove_from_all_groups") {
      a.pre_state = "`{id, userPrincipalName, groups: [{id, displayName}]}`: the groups Graph can remove the user "
                    "from (memberOf, not dynamic or synchronised)";
      a.read_back = "GET /users/{id}/memberOf; expects none of those (`groups` [])";
      a.restore = "add_to_group for each group held before";
    } else if (a.name == "remove_licenses") {
      a.pre_state = "`{id, userPrincipalName, licenses: [{skuId, disabledPlans}]}`: the directly assigned licences "
                    "it is about to free (of `sku_ids` when given)";
      a.read_back = "GET /users/{id} (assignedLicenses); expects none of those left (`licenses` [])";
      a.restore = "assign_license for each licence held before, with its disabled plans";
    }
  }
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
  ConnectorSpec c = Spec("manual", "human steps: the run waits until a person approves, rejects, decides or ticks");
  c.builtin_connection = true;
  c.actions = {
      {"approve", "wait for a person to approve (tenure approve) or reject (tenure reject)",
       PeopleArgs({Req("prompt", ArgType::kString, "what the approver is asked")}),
       {},
       {{"approved_by", "who approved"},
        {"note", "the approver's note"},
        {"decided_by", "who decided (e-mail or OS user), however they decided"},
        {"decided_at", "when (RFC 3339)"}},
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
       {{"decided_by", "who ticked it (e-mail or OS user), however they ticked it"},
        {"decided_at", "when (RFC 3339)"},
        {"note", "the note"},
        {"done_by", "who ticked it, when ticked through a signed link or `tenure decide --as` (`tenure approve` "
                    "records `approved_by` instead: read `decided_by`)"},
        {"done_at", "when, with `done_by`"}},
       true,
       ""},
  };
  return c;
}

ConnectorSpec Timer() {
  ConnectorSpec c = Spec("timer", "durable timers that survive restarts");
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
  return workflows::ConnectorCatalog(
      {Scim(), Http(), Exec(), Slack(), Ldap(), Google(), Graph(), Smtp(), Manual(), Timer()});
}

}  // namespace tenure::connectors
