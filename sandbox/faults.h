// Faults: the sandbox's fault injection. A set of rules, each optionally scoped to a path prefix;
// every rule whose prefix matches a request applies to it. Admin paths (/_sandbox/...) are never
// faulted, so a test can always read state, reset, or change the faults.
//
// Per rule, in this order:
//   latency_ms   delay before the request is handled (the largest matching delay applies)
//   rate         at most N requests per second (fixed one-second windows); the excess gets 429
//                with Retry-After: 1 (`rate_status` 403 answers Google-style userRateLimitExceeded;
//                `retry_after` sets the seconds)
//   reset_rate   share of requests whose connection is closed after the request was read, with
//                no response and without handling it (the request had no effect)
//   fail_rate    share of requests answered with `fail_status` (default 500) without handling
//   stall_rate   share of requests that are handled (the effect happens) but whose response is
//                held for `stall_ms` (default 60000): a client timeout sees "sent, no answer"
// Shares are probabilities in [0, 1] drawn from a seeded generator (1 means always).
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "workflows/error.h"

namespace tenure::sandbox {

struct FaultRule {
  std::string path_prefix;  // "" = every path
  int latency_ms = 0;
  int rate = 0;             // requests per second, 0 = unlimited
  double fail_rate = 0;
  int fail_status = 500;
  double reset_rate = 0;
  double stall_rate = 0;
  int stall_ms = 60'000;
  int rate_status = 429;      // the status of a rate-limited answer: 429, or 403 (Google's userRateLimitExceeded)
  int retry_after = 1;        // its Retry-After, in seconds
};

struct FaultDecision {
  enum class Kind { kNone, kRateLimited, kFail, kReset, kStall };
  Kind kind = Kind::kNone;
  std::chrono::milliseconds latency{0};
  int status = 0;                     // kRateLimited: 429; kFail: the rule's fail_status
  int retry_after_seconds = 0;        // kRateLimited
  std::chrono::milliseconds stall{0}; // kStall
};

class Faults {
 public:
  // `defaults` are the rules from the command line; Reset() returns to them.
  Faults(std::vector<FaultRule> defaults, std::uint64_t seed);

  void Set(std::vector<FaultRule> rules);
  void Reset() { Set(defaults_); }
  // Decides the fate of a request to `path` arriving at `now`. Counts it for rate limits.
  FaultDecision Decide(std::string_view path, std::chrono::steady_clock::time_point now);
  boost::json::value ToJson() const;

  // Rules from JSON: one rule object, a list of them, or {"rules": [...]}. Unknown keys and
  // out-of-range values fail (InvalidArgument) with the key named.
  static Result<std::vector<FaultRule>> Parse(const boost::json::value& json);

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    int count = 0;
  };
  bool Draw(double share);

  std::vector<FaultRule> defaults_;
  std::vector<FaultRule> rules_;
  std::vector<Window> windows_;  // parallel to rules_
  std::mt19937_64 rng_;
};

}  // namespace tenure::sandbox
