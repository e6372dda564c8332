// VerifyChain: the rules are the ones SqliteStateStore::InsertEvent writes by (docs/audit.md).
#include "engine/audit_log.h"

#include <unordered_map>
#include <unordered_set>

namespace tenure::engine {
namespace {

std::string Where(const EventRecord& e) {
  return "event " + std::to_string(e.seq) + " (run " + e.run_id + ", " + e.kind + ")";
}

// The first problem with event `e`, given the hash its prev_hash must be; nullopt when it holds.
std::optional<ChainBreak> CheckEvent(const EventRecord& e, const std::string& expected_prev) {
  ChainBreak b{e.seq, e.run_id, e.kind, "", "", "", ""};
  if (e.prev_hash != expected_prev) {
    b.what = "prev_hash";
    b.expected = expected_prev;
    b.found = e.prev_hash;
    b.message = Where(e) + " does not chain to the event before it: prev_hash is " + e.prev_hash +
                ", expected " + expected_prev + " (an event before it was changed, removed or moved)";
    return b;
  }
  // A tombstone left by `tenure prune`: its content is gone on purpose, so only its place in the
  // chain is checked (it must be empty: a tombstone that still carries content was forged).
  if (e.kind == "pruned") {
    if (e.task.empty() && e.detail.empty() && e.item == -1 && e.attempt == 0) return std::nullopt;
    b.what = "hash";
    b.expected = "an empty tombstone";
    b.found = "content";
    b.message = Where(e) + " is marked pruned but still has content (a pruned event holds nothing)";
    return b;
  }
  const std::string hash = EventHash(e.prev_hash, e);
  if (hash != e.hash) {
    b.what = "hash";
    b.expected = hash;
    b.found = e.hash;
    b.message = Where(e) + " was changed after it was written: its content hashes to " + hash + ", stored " + e.hash;
    return b;
  }
  return std::nullopt;
}

// "event 5 is missing", "events 5-7 are missing".
std::string Missing(std::int64_t from, std::int64_t to) {
  if (from >= to) return "event " + std::to_string(from) + " is missing";
  return "events " + std::to_string(from) + "-" + std::to_string(to) + " are missing";
}

}  // namespace

ChainCheck VerifyChain(const AuditLog& log, const std::string& run_id) {
  ChainCheck out;
  out.genesis = log.genesis;
  std::unordered_set<std::string> runs;
  if (!run_id.empty()) {
    // The run's first event chains to the event before it in the database; check that one's own
    // hash so the link rests on something genuine.
    std::string prev = log.genesis;
    if (log.predecessor) {
      const EventRecord& p = *log.predecessor;
      if (auto b = CheckEvent(p, p.prev_hash)) {
        out.broken = std::move(b);
        return out;
      }
      prev = p.hash;
    }
    for (const EventRecord& e : log.events) {
      if (auto b = CheckEvent(e, prev)) {
        out.broken = std::move(b);
        break;
      }
      prev = e.hash;
      out.head = e.hash;
      ++out.events;
    }
    out.runs = out.events > 0 ? 1 : 0;
    return out;
  }
  std::unordered_map<std::string, std::string> heads;  // run -> hash of its newest event
  std::string last = log.genesis;
  std::int64_t last_seq = 0;
  for (const EventRecord& e : log.events) {
    if (e.seq != last_seq + 1) {
      out.broken = ChainBreak{e.seq, e.run_id, e.kind, "seq", std::to_string(last_seq + 1), std::to_string(e.seq),
                              Missing(last_seq + 1, e.seq - 1) + " before " + Where(e) + " (removed or moved)"};
      return out;
    }
    auto it = heads.find(e.run_id);
    if (auto b = CheckEvent(e, it != heads.end() ? it->second : last)) {
      out.broken = std::move(b);
      return out;
    }
    heads[e.run_id] = e.hash;
    last = e.hash;
    last_seq = e.seq;
    out.head = e.hash;
    ++out.events;
  }
  out.runs = static_cast<std::int64_t>(heads.size());
  if (log.sequence > last_seq) {
    out.broken = ChainBreak{0, "", "", "end", std::to_string(log.sequence), std::to_string(last_seq),
                            Missing(last_seq + 1, log.sequence) + " at the end of the log (the database numbered events up to " +
                                std::to_string(log.sequence) + ")"};
  }
  return out;
}

}  // namespace tenure::engine
