// Retry policy: which outcomes are retried and how long to wait before the next attempt. Pure:
// the random source is injected, so tests pin the jitter.
//
// Backoff is exponential with full jitter (AWS architecture blog, "Exponential Backoff And
// Jitter"): the wait before attempt n+1 is uniform in [0, min(max_backoff, backoff * 2^(n-1))].
// Full jitter spreads a burst of throttled tasks instead of retrying them in lockstep. A
// Retry-After from the server is a floor: we never come back earlier than we were told.
#pragma once

#include <chrono>
#include <functional>

#include "workflows/playbook.h"

namespace tenure::engine {

using Millis = std::chrono::milliseconds;

// Returns a number uniformly distributed in [0, 1).
using UniformRandom = std::function<double()>;

// True when attempt number `attempts_made` (1-based, the one that just failed) may be followed by
// another under `spec` (spec.attempts counts the first try).
bool MayRetry(const workflows::RetrySpec& spec, int attempts_made);

// The wait before the next attempt after attempt `attempts_made` failed. `retry_after` is the
// server's Retry-After (0 = none). REQUIRES: attempts_made >= 1.
Millis BackoffDelay(const workflows::RetrySpec& spec, int attempts_made, Millis retry_after, const UniformRandom& random);

// A UniformRandom seeded from std::random_device.
UniformRandom DefaultRandom();

}  // namespace tenure::engine
