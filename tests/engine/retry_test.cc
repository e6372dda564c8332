#include "engine/retry.h"

#include <catch2/catch.hpp>

namespace tenure::engine {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

workflows::RetrySpec Spec() {
  workflows::RetrySpec s;
  s.attempts = 5;
  s.backoff = seconds(2);
  s.max_backoff = seconds(10);
  return s;
}

TEST_CASE("attempts count the first try", "[retry]") {
  CHECK(MayRetry(Spec(), 1));
  CHECK(MayRetry(Spec(), 4));
  CHECK_FALSE(MayRetry(Spec(), 5));
}

TEST_CASE("backoff doubles up to the cap, with full jitter", "[retry]") {
  const UniformRandom top = [] { return 0.999999; };
  CHECK(BackoffDelay(Spec(), 1, milliseconds(0), top) == milliseconds(1999));
  CHECK(BackoffDelay(Spec(), 2, milliseconds(0), top) == milliseconds(3999));
  CHECK(BackoffDelay(Spec(), 3, milliseconds(0), top) == milliseconds(7999));
  CHECK(BackoffDelay(Spec(), 4, milliseconds(0), top) == milliseconds(9999));   // capped
  CHECK(BackoffDelay(Spec(), 60, milliseconds(0), top) == milliseconds(9999));  // no overflow
  const UniformRandom zero = [] { return 0.0; };
  CHECK(BackoffDelay(Spec(), 3, milliseconds(0), zero) == milliseconds(0));
  const UniformRandom half = [] { return 0.5; };
  CHECK(BackoffDelay(Spec(), 2, milliseconds(0), half) == milliseconds(2000));
}

TEST_CASE("Retry-After is a floor", "[retry]") {
  const UniformRandom half = [] { return 0.5; };
  CHECK(BackoffDelay(Spec(), 1, seconds(30), half) == seconds(30));
  CHECK(BackoffDelay(Spec(), 3, milliseconds(100), half) == milliseconds(4000));
}

TEST_CASE("the default random source stays at or above 0 and below 1", "[retry]") {
  auto r = DefaultRandom();
  for (int i = 0; i < 1000; ++i) {
    const double v = r();
    REQUIRE(v >= 0.0);
    REQUIRE(v < 1.0);
  }
}

}  // namespace
}  // namespace tenure::engine
