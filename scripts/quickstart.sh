#!/usr/bin/env bash
# The README's first command: set up (only what building and running need: scripts/setup.sh),
# build a Release binary, and run the example onboarding end to end against the local SaaS sandbox
# (SCIM 2.0 + Slack Web API on 127.0.0.1), with no credentials. Then run it again (nothing
# changes), and offboard the same person. Then one person through joiner -> mover -> leaver ->
# rehire on a sandbox of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target tenure
tenure="$PWD/build/cli/tenure"

work="$(mktemp -d "${TMPDIR:-/tmp}/tenure-quickstart.XXXXXX")"
export TENURE_DB="$work/tenure.db"   # keep the quick start's runs apart from yours
sandbox_pid=""
daemon_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "tenure validate examples/*.yaml"
"$tenure" validate examples/*.yaml

say "tenure sandbox serve --port 0   (a local stand-in for the identity provider and Slack)"
"$tenure" sandbox serve --port 0 > "$work/sandbox.out" 2>&1 &
sandbox_pid=$!
for _ in $(seq 1 100); do
  grep -q '^  export TENURE_SANDBOX_URL=' "$work/sandbox.out" 2>/dev/null && break
  sleep 0.1
done
grep -q '^  export TENURE_SANDBOX_URL=' "$work/sandbox.out" || { cat "$work/sandbox.out"; echo "sandbox did not start" >&2; exit 1; }
# The sandbox prints the environment the example playbooks read (URLs and its test tokens).
eval "$(grep '^  export ' "$work/sandbox.out" | sed 's/#.*//')"
head -2 "$work/sandbox.out"

say "tenure plan examples/onboarding.yaml --input examples/inputs/jane.yaml   (changes nothing)"
"$tenure" plan examples/onboarding.yaml --input examples/inputs/jane.yaml

say "tenure run examples/onboarding.yaml --input examples/inputs/jane.yaml"
"$tenure" run examples/onboarding.yaml --input examples/inputs/jane.yaml

say "tenure sandbox show   (what the run provisioned)"
"$tenure" sandbox show
"$tenure" sandbox show > "$work/after-first.txt"

say "the same onboarding again: every step finds its work done, nothing changes"
"$tenure" run examples/onboarding.yaml --input examples/inputs/jane.yaml > "$work/again.log"
tail -1 "$work/again.log"
"$tenure" sandbox show > "$work/after-again.txt"
if cmp -s "$work/after-first.txt" "$work/after-again.txt"; then
  echo "the sandbox is exactly as the first run left it: no second account, no second message"
else
  echo "the second run changed the sandbox:" >&2
  diff "$work/after-first.txt" "$work/after-again.txt" >&2 || true
  exit 1
fi

say "tenure daemon   (fires schedules exactly once, wakes timers, continues runs; here in the background)"
"$tenure" daemon > "$work/daemon.log" 2>&1 &
daemon_pid=$!
sleep 1
"$tenure" daemon status

# Jane's offboarding at her last day, 16:00 in Berlin; here a few seconds from now.
at="$(TZ=Europe/Berlin date -d '+6 seconds' +%Y-%m-%dT%H:%M:%S)"
say "tenure schedule add examples/offboarding.yaml --input examples/inputs/jane-leaves.yaml --at $at --tz Europe/Berlin --key jane-doe"
"$tenure" schedule add examples/offboarding.yaml --input examples/inputs/jane-leaves.yaml --at "$at" --tz Europe/Berlin --key jane-doe

moved="$(TZ=Europe/Berlin date -d '+8 seconds' +%Y-%m-%dT%H:%M:%S)"
say "HR moves the last day: the same key again moves the schedule (the audit log keeps both)"
"$tenure" schedule add examples/offboarding.yaml --input examples/inputs/jane-leaves.yaml --at "$moved" --tz Europe/Berlin --key jane-doe
"$tenure" schedule list

say "the daemon fires it at $moved Europe/Berlin and runs the offboarding"
offboarding_run=""
for _ in $(seq 1 300); do
  offboarding_run="$("$tenure" schedule show jane-doe --json | sed -n 's/.*"last_run":"\([^"]*\)".*/\1/p')"
  if [ -n "$offboarding_run" ] && grep -q "run_ended $offboarding_run" "$work/daemon.log"; then break; fi
  sleep 0.2
done
"$tenure" schedule show jane-doe
grep -E 'schedule_fired|run_ended' "$work/daemon.log"
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""
"$tenure" runs --status succeeded | grep -q "^$offboarding_run " || { echo "the scheduled offboarding did not succeed" >&2; exit 1; }

say "tenure sandbox show   (deactivated, no group left)"
"$tenure" sandbox show

# ---- joiner -> mover -> leaver -> rehire -------------------------------------------------------
# One person through the four lifecycle examples, with a sandbox and a database of its own (this
# block depends on nothing above but "$tenure", "$work" and say): onboarding, a department move
# (examples/mover.yaml), the offboarding with her key (--key jane-doe), and the rehire
# (examples/rehire.yaml), which reads that offboarding with history.last and puts back exactly the
# groups it removed. The sandbox is checked after each step, and the rehire is run twice.
say "joiner -> mover -> leaver -> rehire   (a fresh sandbox and database; state checked after each step)"
(
  life="$work/lifecycle"
  mkdir -p "$life"
  export TENURE_DB="$life/tenure.db"
  "$tenure" sandbox serve --port 0 --quiet > "$life/sandbox.out" 2>&1 &
  life_sandbox=$!
  trap 'kill "$life_sandbox" 2>/dev/null || true; wait "$life_sandbox" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    grep -q '^  export TENURE_SANDBOX_URL=' "$life/sandbox.out" 2>/dev/null && break
    sleep 0.1
  done
  eval "$(grep '^  export TENURE_\(SCIM\|SLACK\|HTTP\|SANDBOX\)_' "$life/sandbox.out" | sed 's/#.*//')"
  # jane_is ACTIVE GROUPS: her account's active flag and groups, as the sandbox holds them.
  jane_is() {
    local now
    now="$("$tenure" sandbox show --json |
      sed -n 's/.*"userName":"jane\.doe@example\.com","slack_id":"[^"]*","active":\([a-z]*\),"groups":\[\([^]]*\)\].*/\1 \2/p' |
      tr -d '"')"
    if [ "$now" = "$1 $2" ]; then
      echo "  jane: active=$1, groups=[$2]"
    else
      echo "  jane should be active=$1 in [$2], but the sandbox has: $now" >&2
      exit 1
    fi
  }
  step() { echo "+ tenure $*"; "$tenure" "$@" > "$life/step.log" 2>&1 || { cat "$life/step.log" >&2; exit 1; }; tail -1 "$life/step.log"; }

  step run examples/onboarding.yaml --input examples/inputs/jane.yaml
  jane_is true "everyone,engineering,on-call"
  step run examples/mover.yaml --input examples/inputs/jane-moves.yaml
  jane_is true "everyone,sales,sales-emea"
  step run examples/offboarding.yaml --input examples/inputs/jane-leaves.yaml --key jane-doe
  jane_is false ""
  echo "+ tenure plan examples/rehire.yaml --input examples/inputs/jane-rejoins.yaml   (what it would read)"
  "$tenure" plan examples/rehire.yaml --input examples/inputs/jane-rejoins.yaml | grep -A1 '^history'
  step run examples/rehire.yaml --input examples/inputs/jane-rejoins.yaml
  jane_is true "everyone,sales,sales-emea"
  "$tenure" sandbox show > "$life/after-rehire.txt"
  step run examples/rehire.yaml --input examples/inputs/jane-rejoins.yaml
  "$tenure" sandbox show | cmp -s - "$life/after-rehire.txt" ||
    { echo "the second rehire changed the sandbox" >&2; exit 1; }
  echo "  the second rehire changed nothing"
)

say "tenure runs"
"$tenure" runs

first_run="$("$tenure" runs | awk 'NR==2 {print $1}')"
say "tenure logs $first_run   (the audit timeline, from $TENURE_DB)"
"$tenure" logs "$first_run"

echo
echo "Done. The runs are recorded in $TENURE_DB; try: TENURE_DB=$TENURE_DB $tenure status $first_run"
