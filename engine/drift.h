// Drift between HR and the accounts of each connection (`tenure reconcile`, docs/proof.md). Pure:
// the CLI reads the HR export and the accounts; this decides what differs.
//
// A person matches an account when the person's key equals (case-insensitively) the account's
// userName, one of its e-mail addresses or its externalId. Findings:
//   leaver   an active account of a person who is not active in HR
//   orphan   an account (active or not) that matches nobody in HR
//   missing  a person active in HR without an account on a connection
//   excess   (with grants) an active account of an active person holding groups outside what the
//            person's role grants
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace tenure::engine {

struct HrPerson {
  std::string key;     // the key column's value, e.g. an e-mail address
  std::string status;  // the status column's value ("" without one)
  bool active = true;  // per the status column (every listed person without one)
  int row = 0;         // 1-based data row in the export
  std::string role;    // the grants column's value ("" without grants)
};

// What each role may hold (`tenure reconcile --grants`): lower-cased role -> lower-cased group
// names; the role "*" lists what everyone may hold. A role without an entry may hold only "*"'s.
struct Grants {
  std::string column;  // the HR column naming the role, e.g. department
  std::map<std::string, std::set<std::string>> groups;
};

struct Account {
  std::string connection;
  std::string id;
  std::string user_name;
  std::vector<std::string> emails;
  std::string external_id;
  bool active = true;
  std::vector<std::string> groups;  // display names, as the account lists them
};

enum class DriftKind { kLeaver, kOrphan, kMissing, kExcess };
const char* DriftKindName(DriftKind k);  // "leaver", "orphan", "missing", "excess"

struct Finding {
  DriftKind kind = DriftKind::kOrphan;
  std::string connection;
  std::string person;  // HR key; "" for an orphan
  std::string status;  // HR status; "" for an orphan
  int row = 0;         // HR row; 0 for an orphan
  std::string account_id;  // "" when missing
  std::string user_name;
  bool active = false;
  std::vector<std::string> groups;  // the account's groups; for excess, only those not granted
  std::string role;                 // excess: the person's role
};

// Findings ordered leavers, orphans, missing, excess; within a kind by connection, then person or user
// name. `connections` lists every connection read (a person is missing on each one without an
// account).
// With `grants` (null: none), also the excess memberships.
std::vector<Finding> FindDrift(const std::vector<HrPerson>& people, const std::vector<std::string>& connections,
                               const std::vector<Account>& accounts, const Grants* grants = nullptr);

}  // namespace tenure::engine
