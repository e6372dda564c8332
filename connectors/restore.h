// Restore (docs/proof.md): the calls that undo a destructive action, computed from the pre-state
// the engine recorded before the action ran. Pure: no I/O. `tenure restore` turns them into a
// generated playbook and runs it as a new run.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "workflows/error.h"
#include "workflows/value.h"

namespace tenure::connectors {

struct InverseCall {
  std::string action;  // e.g. "reactivate_user", on the same connection
  Map args;            // literal arguments
  std::string what;    // for people: "reactivate user 2819c223 (bjensen)"
};

// The calls that bring back what `action` (of a `connector` type) changed, from its recorded
// `pre_state`; empty when it changed nothing restorable (the user was already inactive, was in no
// group). Errors: kInvalidArgument "no pre-state was recorded" or "the pre-state ... holds no X"
// (naming what is missing), kFailedPrecondition when the action cannot be restored.
Result<std::vector<InverseCall>> InverseCalls(std::string_view connector, std::string_view action,
                                              const Value& pre_state);

// The groups a remove_from_all_groups removed across all its attempts: `removed` (by this
// attempt) followed by each group of the recorded `pre_state` ({.., groups: [...]}, the groups
// held before the first attempt) that was no longer `held` when this attempt began: an earlier
// attempt removed it and its result was never recorded (the process died, the answer was lost).
// Groups are told apart by their `key` field ("id" for scim, msgraph and google, "dn" for
// ldap); a pre-state of another user (`user_key`, e.g. "user_id", differs from `user`) or none
// adds nothing.
List RemovedAcrossAttempts(const Value& pre_state, std::string_view user_key, std::string_view user,
                           std::string_view key, const List& held, List removed);

}  // namespace tenure::connectors
