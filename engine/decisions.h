// Decisions by people: `tenure decide/approve/reject` (OS users, or admins acting for a person),
// and the console's signed links. One function records them all, so every path checks the same
// things and writes the same audit trail.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "engine/clock.h"
#include "engine/links.h"
#include "engine/state_store.h"

namespace tenure::engine {

struct DecisionRequest {
  std::string run_id;
  std::string task;
  std::optional<int> item;  // one for_each item; nullopt = every waiting row of the task (bulk)
  enum class Kind { kApprove, kReject, kChoice };
  Kind kind = Kind::kApprove;
  std::string choice;  // kChoice: one of the task's choices (manual.decide); yes/no or approve/reject otherwise
  std::string note;
  std::string person;   // who decides: an e-mail or an OS user
  std::string via;      // how: "cli:alice", "cli:alice as bob@example.com", "link", "console:admin"
  std::string link_id;  // a link consumed by this decision, in the same transaction ("" = none)
  bool admin = false;   // an admin decides whoever the approvers are
};

// Records the decision on the waiting rows and wakes the run. manual.decide: any choice succeeds
// (result {choice, note, decided_by, decided_at, via, link}); a "no" is a decision, not a failure.
// manual.approve: approve succeeds, reject fails the task. manual.task: ticks (done_by, done_at).
// Errors: kNotFound (run, task, item); kFailedPrecondition (not waiting: "task T of run R is not
// waiting for a decision (it is succeeded)"); kInvalidArgument (a choice not offered, naming the
// choices); kDenied (the person is not an approver: nothing recorded); kConflict (decided
// concurrently, or the link was already used: nothing recorded).
Result<void> DecideAs(StateStore& store, const DecisionRequest& request, SystemTime now);

// Admins: OS users who may decide for anyone with `--as EMAIL`. From $TENURE_ADMINS (comma or
// space separated OS user names). See docs/people.md.
std::set<std::string> AdminsFromEnvironment();

// Checks a decision link against its record: signature (key.Verify), known, same run/task/item/
// person, not used, not expired. Returns the claims. Errors are kDenied with a message fit for
// the page ("this link was already used on 2026-...", "this link expired on ...", "this link is
// not valid ...").
Result<LinkClaims> CheckLink(StateStore& store, const LinkKey& key, std::string_view token, SystemTime now);

}  // namespace tenure::engine
