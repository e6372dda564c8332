#!/usr/bin/env bash
# Sets up (Debian packages, npm test server), builds with warnings as errors, runs every test.
#   scripts/test.sh                     the README's test command
#   TENURE_BUILD_DIR=build-asan TENURE_CMAKE_ARGS="-DTENURE_SANITIZE=address,undefined" scripts/test.sh
# Exit status: ctest's (0 when every test passed).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build="${TENURE_BUILD_DIR:-build}"
# shellcheck disable=SC2086  # TENURE_CMAKE_ARGS is a list of arguments
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE="${TENURE_BUILD_TYPE:-RelWithDebInfo}" -DTENURE_WERROR=ON \
  ${TENURE_CMAKE_ARGS:-}
cmake --build "$build" -j2
ctest --test-dir "$build" --output-on-failure -j2 --timeout 300
