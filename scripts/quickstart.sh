#!/usr/bin/env bash
# The README's first command: set up, build, and show the example onboarding end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target tenure
tenure=build/cli/tenure

echo; echo "== tenure validate examples/*.yaml"
"$tenure" validate examples/*.yaml

echo; echo "== tenure graph examples/onboarding.yaml"
"$tenure" graph examples/onboarding.yaml

echo; echo "== tenure plan examples/onboarding.yaml --input examples/inputs/jane.yaml"
"$tenure" plan examples/onboarding.yaml --input examples/inputs/jane.yaml
