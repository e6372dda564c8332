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
  ConnectorSpec c{"ldap",
                  "people and groups in an LDAP directory (OpenLDAP, 389-ds, Active Directory) through libldap; DN "
                  "values escaped per RFC 4514 and filter values per RFC 4515",
                  {},
                  {}};
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
  };
  return c;
}

ConnectorSpec Manual() {
  ConnectorSpec c{"manual", "human steps: the run waits until a person approves, rejects or ticks", {}, {}};
  c.builtin_connection = true;
  c.actions = {
      {"approve", "wait for a person to approve (tenure approve) or reject (tenure reject)",
       {Req("prompt", ArgType::kString, "what the approver is asked"),
        Opt("approvers", ArgType::kList, "who may approve or reject (OS user names); default anyone")},
       {},
       {{"approved_by", "who approved"}, {"note", "the approver's note"}},
       true,
       ""},
      {"task", "a checklist item someone must tick (tenure approve)",
       {Req("prompt", ArgType::kString, "what must be done")},
       {},
       {{"done_by", "who ticked it"}, {"note", "the note"}},
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
  return workflows::ConnectorCatalog({Scim(), Http(), Exec(), Slack(), Ldap(), Manual(), Timer()});
}

}  // namespace tenure::connectors
