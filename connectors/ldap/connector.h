// The `ldap` connector: people and groups in an LDAP directory (OpenLDAP, 389-ds, Active
// Directory), through libldap on the engine's event loop (session.h).
//
// Behaviour per action (arguments and results in connectors/catalog.cc, docs/connectors.md):
//   ensure_user     find the user (user_id_attribute = uid under base_dn); add an entry
//                   (user_object_classes) at RDN,people_dn if absent; else replace only the
//                   attributes whose values differ. alreadyExists (68) on add means someone else
//                   made it: read again and reconcile. Never a second entry.
//   get_user        absent -> Failed kNotFound
//   update_user     ensure_user's modify half on an existing user; absent -> kNotFound
//   disable_user / enable_user  per disable_method: ppolicy pwdAccountLockedTime=000001010000Z
//                   (removed to enable), ad userAccountControl bit 2 (0x2), or attribute:
//                   disable_attribute=disable_value (enable_value, or the attribute removed).
//                   Nothing is sent when the account is already so.
//   delete_user     absent, or noSuchObject (32) on delete -> success {deleted:false}
//   set_password    password_method exop: Password Modify extended operation (RFC 3062); ad:
//                   unicodePwd replaced (UTF-16LE of the quoted password), refused unless the
//                   connection is encrypted; attribute: userPassword replaced, refused unless
//                   allow_plain_password_attribute is true. The password is a secret reference.
//   move_user       modrdn with newSuperior; already under new_parent -> {moved:false}
//   ensure_group    find by cn under groups_dn; add (group_type) if absent
//   add_to_group / remove_from_group  member (groupOfNames), uniqueMember (groupOfUniqueNames),
//                   memberUid (posixGroup, the user's id). Already/not a member -> success with
//                   added/removed false. groupOfNames requires a member: removing the last one
//                   puts group_placeholder_member in its place in the same modify when configured,
//                   else fails permanently naming the group (nothing changed); adding a member
//                   removes the placeholder.
//   remove_from_all_groups  every group under groups_dn holding the user (member, uniqueMember or
//                   memberUid), each left in turn; the result lists them for a restore.
//   search          paged (RFC 2696, page_size) to the end; filter values from `equals` escaped.
// DNs and filter values built from arguments are escaped in connectors/ldap/escape.h.
// Result codes: 51 busy, 52 unavailable, 80 other, 3 time limit, connect failures -> RetryLater
// (transient); a timeout or lost connection after a write was sent -> Unknown (after a read ->
// RetryLater); 49, 50, 19, 65, 21, 34, 53, 64 and other refusals -> Failed (permanent); 32 ->
// kNotFound where absence is an error; 68 -> kConflict where not adopted.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "connectors/connector.h"
#include "connectors/ldap/session.h"
#include "connectors/redactor.h"
#include "connectors/secrets.h"
#include "workflows/value.h"

namespace tenure::connectors::ldap {

enum class DisableMethod { kPpolicy, kAd, kAttribute };
enum class GroupType { kGroupOfNames, kGroupOfUniqueNames, kPosixGroup };
enum class PasswordMethod { kExop, kAd, kAttribute };

struct LdapConfig {
  SessionOptions session;  // url, starttls, bind_dn, password, ca_file, connect_timeout
  std::chrono::milliseconds timeout{30'000};  // per operation (the attempt's deadline may be sooner)
  std::string base_dn;
  std::string people_dn;  // default base_dn
  std::string groups_dn;  // default base_dn
  int page_size = 500;
  std::string user_rdn_attribute = "uid";
  std::string user_id_attribute;  // default user_rdn_attribute
  std::vector<std::string> user_object_classes = {"inetOrgPerson"};
  DisableMethod disable_method = DisableMethod::kPpolicy;
  std::string disable_attribute;
  std::string disable_value;
  std::string enable_value;  // "" = remove disable_attribute to enable
  GroupType group_type = GroupType::kGroupOfNames;
  std::string group_placeholder_member;  // "" = refuse to remove a groupOfNames' last member
  PasswordMethod password_method = PasswordMethod::kExop;
  bool allow_plain_password_attribute = false;
};

// The settings from a resolved connection config. InvalidArgument naming the key on a bad one.
Result<LdapConfig> ParseLdapConfig(const Map& config);

// `redactor` and `secrets` must outlive the connector. The bind password is registered with the
// redactor by the registry; set_password's password (a secret reference) by the connector. The
// connection is made on the first Invoke, on that coroutine's executor (the engine's).
std::unique_ptr<Connector> MakeLdapConnector(LdapConfig config, Redactor& redactor, SecretResolver& secrets);

}  // namespace tenure::connectors::ldap
