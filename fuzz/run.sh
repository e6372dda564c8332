#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (scripts/setup.sh --test installs it) and runs each for a
# bounded time.
#   fuzz/run.sh [SECONDS_PER_TARGET]   (default 60)
# Seeds: the example playbooks and the invalid corpus (loader), templates from them (expr).
# Exits non-zero when a target crashes, leaks, hangs or times out; the reproducer is kept in
# build-fuzz/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
build=build-fuzz
CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTENURE_FUZZ=ON -DTENURE_WERROR=ON \
  -DTENURE_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target expr_fuzzer loader_fuzzer
mkdir -p "$build/corpus/loader" "$build/corpus/expr" "$build/artifacts"
cp examples/*.yaml examples/lib/*.yaml tests/workflows/invalid/*.yaml "$build/corpus/loader/"
grep -ho '"[^"]*{{[^"]*}}[^"]*"' examples/*.yaml examples/lib/*.yaml | sed 's/^"//; s/"$//' | sort -u |
  while IFS= read -r t; do printf '%s' "$t" > "$build/corpus/expr/$(printf '%s' "$t" | sha1sum | cut -c1-12)"; done
for target in expr loader; do
  echo "fuzz: ${target}_fuzzer for ${seconds}s"
  "$build/fuzz/${target}_fuzzer" "$build/corpus/$target" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=8192 -artifact_prefix="$build/artifacts/${target}-" -print_final_stats=1 2>&1 |
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==|SUMMARY|Done)" || true
  test "${PIPESTATUS[0]}" -eq 0
done
echo "fuzz: no crash"
