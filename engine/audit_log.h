// The audit log's hash chain, checked (docs/audit.md). The store writes the chain (state_store.cc);
// this recomputes it from what the store reads back and reports the first link that does not hold.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/state_store.h"

namespace tenure::engine {

// The first broken link of a chain.
struct ChainBreak {
  std::int64_t seq = 0;   // the event where the chain breaks (0: the end of the log)
  std::string run_id;     // its run (or schedule)
  std::string kind;       // its event type
  std::string what;       // "prev_hash", "hash", "seq" (events missing) or "end" (events missing at the end)
  std::string expected;   // the value the chain requires
  std::string found;      // the value stored
  std::string message;    // one sentence for people
};

struct ChainCheck {
  std::int64_t events = 0;  // events checked
  std::int64_t runs = 0;    // distinct runs and schedules among them
  std::string genesis;
  std::string head;         // hash of the last event checked ("" when none)
  std::optional<ChainBreak> broken;  // nullopt: intact
};

// Recomputes the chain of `log` (StateStore::ReadAuditLog of `run_id`, "" = the whole log).
ChainCheck VerifyChain(const AuditLog& log, const std::string& run_id);

}  // namespace tenure::engine
