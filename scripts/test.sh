#!/usr/bin/env bash
# The README's test command: sets up (Debian packages, test-only ones included, and the npm test
# servers), builds with warnings as errors, runs every test, then builds and runs the whole suite
# again under AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh                         both suites (what CI runs)
#   TENURE_SANITIZERS=0 scripts/test.sh     the plain suite only (quicker, for development)
# The plain suite is built as users build a release (Release: -O3), with -Werror, so a warning
# that only the optimizer raises fails here and not in a user's build; the benchmarks are built
# with it so they keep compiling. The sanitizer suite is a Debug build.
# Exit status: non-zero when any test failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test

suite() {  # suite BUILD_DIR BUILD_TYPE [CMAKE_ARGS...]
  local build="$1" type="$2"
  shift 2
  echo "=== test: $build ($type $*)"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="$type" -DTENURE_WERROR=ON -DTENURE_BUILD_TESTS=ON "$@"
  cmake --build "$build" -j2
  ctest --test-dir "$build" --output-on-failure -j2 --timeout 300
}

suite build Release -DTENURE_BUILD_BENCH=ON
if [ "${TENURE_SANITIZERS:-1}" != 0 ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    suite build-asan Debug -DTENURE_SANITIZE=address,undefined -DTENURE_BUILD_BENCH=OFF
fi
