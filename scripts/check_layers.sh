#!/usr/bin/env bash
# Fails when a lower layer includes a higher one.
# Layers, lowest first: workflows <- connectors <- sandbox/engine <- console (over engine) <- cli.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
check() {  # check DIR FORBIDDEN_PREFIX...
  local dir="$1"; shift
  [ -d "$dir" ] || return 0
  for higher in "$@"; do
    if grep -rn --include='*.h' --include='*.cc' "#include \"$higher/" "$dir"; then
      echo "layering: $dir/ must not include $higher/" >&2
      status=1
    fi
  done
}
check workflows connectors engine sandbox console cli
check connectors engine sandbox console cli
check engine cli sandbox console
check sandbox cli engine console
check console cli sandbox
exit $status
