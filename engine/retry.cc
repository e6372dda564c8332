#include "engine/retry.h"

#include <algorithm>
#include <memory>
#include <random>

namespace tenure::engine {

bool MayRetry(const workflows::RetrySpec& spec, int attempts_made) { return attempts_made < spec.attempts; }

Millis BackoffDelay(const workflows::RetrySpec& spec, int attempts_made, Millis retry_after,
                    const UniformRandom& random) {
  const Millis cap = spec.max_backoff;
  Millis ceiling = spec.backoff;
  // Doubling stops at the cap, so the shift never overflows however many attempts are allowed.
  for (int i = 1; i < attempts_made && ceiling < cap; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, cap);
  const double r = std::clamp(random(), 0.0, 1.0);
  const Millis jittered(static_cast<Millis::rep>(r * static_cast<double>(ceiling.count())));
  return std::max(jittered, retry_after);
}

UniformRandom DefaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace tenure::engine
