#!/usr/bin/env bash
# The README's first command: set up (what building and running need, and OpenLDAP's slapd),
# build a Release binary, and run the example onboarding end to end against the local SaaS sandbox
# (SCIM 2.0 + Slack Web API on 127.0.0.1), with no credentials. Then run it again (nothing
# changes), and offboard the same person. Then one person through joiner -> mover -> leaver ->
# rehire on a sandbox of its own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --quickstart   # and slapd + ldap-utils, for the directory offboarding
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j2 --target tenure
tenure="$PWD/build/cli/tenure"

work="$(mktemp -d "${TMPDIR:-/tmp}/tenure-quickstart.XXXXXX")"
export TENURE_DB="$work/tenure.db"   # keep the quick start's runs apart from yours
sandbox_pid=""
daemon_pid=""
everywhere_sandbox_pid=""   # the offboarding-everywhere block's own sandbox
slapd_state=""              # ... and its private slapd (tests/connectors/slapd_ctl.sh)
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  if [ -n "$sandbox_pid" ]; then kill "$sandbox_pid" 2>/dev/null || true; wait "$sandbox_pid" 2>/dev/null || true; fi
  if [ -n "$everywhere_sandbox_pid" ]; then
    kill "$everywhere_sandbox_pid" 2>/dev/null || true; wait "$everywhere_sandbox_pid" 2>/dev/null || true
  fi
  if [ -n "$slapd_state" ]; then tests/connectors/slapd_ctl.sh stop "$slapd_state" || true; fi
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

say "tenure daemon --http 127.0.0.1:0   (fires schedules exactly once, wakes timers, continues runs, serves the console and the decision links)"
"$tenure" daemon --http 127.0.0.1:0 > "$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 100); do grep -q '^console on ' "$work/daemon.log" 2>/dev/null && break; sleep 0.1; done
console_url="$(sed -n 's/^console on \([^ ]*\).*/\1/p' "$work/daemon.log")"
[ -n "$console_url" ] || { cat "$work/daemon.log"; echo "the daemon did not start its console" >&2; exit 1; }
"$tenure" daemon status
echo "console: $console_url/runs   (admin token: $TENURE_DB.admin-token; open $console_url/login)"

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
"$tenure" runs --status succeeded | grep -q "^$offboarding_run " || { echo "the scheduled offboarding did not succeed" >&2; exit 1; }

say "tenure sandbox show   (deactivated, no group left)"
"$tenure" sandbox show

# People in the loop (docs/people.md): the manager decides from a Slack DM's signed link, IT ticks
# the laptop off from its own; the daemon sends the DMs and continues the run when they answer.
say "tenure run examples/people-offboarding.yaml --input examples/inputs/ada-leaves-people.yaml   (waits for people: exit 3)"
set +e
"$tenure" run examples/people-offboarding.yaml --input examples/inputs/ada-leaves-people.yaml > "$work/people.log"
code=$?
set -e
cat "$work/people.log"
[ "$code" = 3 ] || { echo "expected exit 3 (waiting), got $code" >&2; exit 1; }
people_run="$(sed -n 's/^run \(r[0-9a-f-]*\) waiting.*/\1/p' "$work/people.log")"

# answer EMAIL CHOICE: opens the newest link sent to EMAIL (as its owner would, from Slack) and answers.
answer() {
  local link="" page csrf
  for _ in $(seq 1 100); do
    link="$("$tenure" sandbox show --json | python3 -c '
import json, re, sys
to, base = sys.argv[1], sys.argv[2]
msgs = [msg["text"] for msg in json.load(sys.stdin)["messages"] if msg["channel_name"] == to]
links = re.findall(re.escape(base) + r"/d/[A-Za-z0-9._~-]+", msgs[-1]) if msgs else []
print(links[-1] + "\t" + msgs[-1].replace("\n", " | ") if links else "")' "$1" "$console_url")"
    [ -n "$link" ] && [ "$link" != "${answered:-}" ] && break
    sleep 0.2
  done
  [ -n "$link" ] || { echo "no link reached $1" >&2; exit 1; }
  printf 'Slack DM to %s: %s\n' "$1" "${link#*$'\t'}"
  link="${link%%$'\t'*}"
  answered="$link"
  page="$(curl -fsS -c "$work/cookies" "$link")"
  csrf="$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p')"
  curl -fsS -b "$work/cookies" -H "Origin: $console_url" --data-urlencode "csrf=$csrf" \
    --data-urlencode "choice=$2" --data-urlencode "note=answered from the quick start" "$link" |
    grep -q '<title>Recorded' || { echo "the decision was not recorded" >&2; exit 1; }
  echo "$1 opened the link and answered: $2"
  curl -sS -b "$work/cookies" -o /dev/null -w "the same link again: HTTP %{http_code} (single use, nothing recorded)\n" "$link"
}
say "the manager gets a Slack DM with a signed, single-use link, opens it and answers no (no forward)"
answer mgr@example.com no
say "IT confirms the laptop came back, from the link in its own DM"
answer it-lead@example.com done
for _ in $(seq 1 100); do
  "$tenure" runs --status succeeded | grep -q "^$people_run " && break
  sleep 0.2
done
"$tenure" status "$people_run"
"$tenure" runs --status succeeded | grep -q "^$people_run " || { echo "the people-in-the-loop offboarding did not finish" >&2; exit 1; }
"$tenure" status "$people_run" --json | python3 -c '
import json, sys
tasks = {t["task"]: t for t in json.load(sys.stdin)["tasks"]}
assert tasks["forward"]["result"]["choice"] == "no" and tasks["forward"]["result"]["decided_by"] == "mgr@example.com", tasks["forward"]
assert tasks["set_forward"]["status"] == "skipped", tasks["set_forward"]
print("recorded: mgr@example.com decided no, so the mail forward was skipped; the run went on")'
kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=""

# The directories most companies use (docs/sandbox.md): the sandbox also speaks the Google Admin SDK
# (service-account JWT, Directory, Gmail settings, Data Transfer) and Microsoft Graph (OAuth client
# credentials, users, groups, licences), with a demo leaver and her manager.
say "tenure run examples/offboarding-cloud.yaml --input examples/inputs/ada-leaves.yaml   (Google Workspace + Microsoft 365)"
"$tenure" run examples/offboarding-cloud.yaml --input examples/inputs/ada-leaves.yaml | tail -1
"$tenure" sandbox show --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
ada = [u for u in s["google"]["users"] if u["primaryEmail"] == "ada.lovelace@example.com"][0]
assert ada["suspended"] and not ada.get("groups") and ada["orgUnitPath"] == "/Former employees", ada
print("Google: ada.lovelace@example.com suspended, in /Former employees, no groups, Drive handed to her manager")
m365 = [u for u in s["msgraph"]["users"] if u["userPrincipalName"] == "ada.lovelace@contoso.com"][0]
assert not m365["accountEnabled"] and not m365["licenses"] and m365["sessions"] == 0, m365
print("Microsoft 365: ada.lovelace@contoso.com disabled, sessions revoked, no licence (a dynamic group stays: it follows her attributes)")'
"$tenure" sandbox show | sed -n '/^Google Workspace accounts/,/^$/p;/^Microsoft 365 accounts/,/^$/p'

# --- Offboarding everywhere: the directory (LDAP), Google Workspace and Microsoft 365 in one run ---
# examples/offboarding-everywhere.yaml is built from the task libraries examples/lib/directory-,
# google- and m365-offboard.yaml, which offboarding-directory.yaml and offboarding-cloud.yaml use
# on their own. The directory is a private OpenLDAP slapd (tests/connectors/slapd_ctl.sh: its own
# cn=config and database under $work, free loopback ports; the system slapd is never used or
# touched), seeded with Ada, Grace who stays, and groups of the three kinds; Google and Microsoft
# 365 are a second sandbox (fresh demo directories: in the first one Ada has left already). The
# offboarding runs twice; then every system is read back with ldapsearch/ldapwhoami and `tenure
# sandbox show --json`, and the script fails if any access is left or the second run changed
# anything. Last, the report lists what was removed, so that it can be restored.
say "a private OpenLDAP slapd for the directory (tests/connectors/slapd_ctl.sh; never the system slapd)"
slapd_state="$work/slapd"
tests/connectors/slapd_ctl.sh start "$slapd_state"
ldap_url="ldap://127.0.0.1:$(cat "$slapd_state/port")"
ldap_admin=(-x -H "$ldap_url" -D cn=admin,dc=example,dc=com -y "$slapd_state/admin_password")
ldapadd -c "${ldap_admin[@]}" > "$work/ldapadd.log" <<'LDIF'
dn: uid=ada,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: ada
cn: Ada Lovelace
sn: Lovelace
mail: ada.lovelace@example.com
userPassword: ada-demo-password

dn: uid=grace,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: grace
cn: Grace Hopper
sn: Hopper
mail: grace.hopper@example.com

dn: cn=engineering,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: engineering
member: uid=ada,ou=people,dc=example,dc=com
member: uid=grace,ou=people,dc=example,dc=com

dn: cn=vpn,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: vpn
member: uid=ada,ou=people,dc=example,dc=com

dn: cn=wiki,ou=groups,dc=example,dc=com
objectClass: groupOfUniqueNames
cn: wiki
uniqueMember: uid=ada,ou=people,dc=example,dc=com
uniqueMember: uid=grace,ou=people,dc=example,dc=com

dn: cn=shell,ou=groups,dc=example,dc=com
objectClass: posixGroup
cn: shell
gidNumber: 5000
memberUid: ada
memberUid: grace
LDIF
echo "ldapadd: uid=ada and uid=grace in ou=people; engineering (groupOfNames), vpn (groupOfNames, Ada alone),"
echo "         wiki (groupOfUniqueNames), shell (posixGroup); Grace stays in all but vpn"
ldapwhoami -x -H "$ldap_url" -D uid=ada,ou=people,dc=example,dc=com -w ada-demo-password >/dev/null ||
  { echo "Ada cannot bind to the directory before her offboarding" >&2; exit 1; }
echo "ldapwhoami as Ada: her password works (before)"

"$tenure" sandbox serve --port 0 > "$work/sandbox-everywhere.out" 2>&1 &
everywhere_sandbox_pid=$!
for _ in $(seq 1 100); do
  grep -q '^  export TENURE_SANDBOX_URL=' "$work/sandbox-everywhere.out" 2>/dev/null && break
  sleep 0.1
done
grep -q '^  export TENURE_SANDBOX_URL=' "$work/sandbox-everywhere.out" ||
  { cat "$work/sandbox-everywhere.out"; echo "the second sandbox did not start" >&2; exit 1; }
(  # a subshell: the exports below point at this block's sandbox and slapd only
  eval "$(grep '^  export ' "$work/sandbox-everywhere.out" | sed 's/#.*//')"
  export TENURE_LDAP_URL="$ldap_url" TENURE_LDAP_CA_FILE="$slapd_state/ca.pem"
  TENURE_LDAP_PASSWORD="$(cat "$slapd_state/admin_password")"   # the playbook reads ${env:TENURE_LDAP_PASSWORD}
  export TENURE_LDAP_PASSWORD
  everywhere=(examples/offboarding-everywhere.yaml --input examples/inputs/ada-leaves-everywhere.yaml)
  # Every system as it is: the directory (Ada's entry wherever it is, every group's members) and
  # both cloud directories (`sandbox show`: who has what; --json adds request counters).
  read_back() {
    ldapsearch -LLL -o ldif-wrap=no "${ldap_admin[@]}" -b dc=example,dc=com \
      '(|(uid=ada)(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup))' \
      pwdAccountLockedTime member uniqueMember memberUid
    "$tenure" sandbox show
  }

  say "tenure run ${everywhere[*]}   (directory + Google Workspace + Microsoft 365)"
  "$tenure" run "${everywhere[@]}" > "$work/everywhere-first.log"
  tail -1 "$work/everywhere-first.log"
  everywhere_run="$(sed -n 's/^run \(r[0-9a-f-]*\) succeeded.*/\1/p' "$work/everywhere-first.log")"
  read_back > "$work/everywhere-after-first.txt"

  say "the same offboarding again: everything is done already, nothing changes anywhere"
  "$tenure" run "${everywhere[@]}" > "$work/everywhere-again.log"
  tail -1 "$work/everywhere-again.log"
  read_back > "$work/everywhere-after-again.txt"
  if ! cmp -s "$work/everywhere-after-first.txt" "$work/everywhere-after-again.txt"; then
    echo "the second run changed something:" >&2
    diff "$work/everywhere-after-first.txt" "$work/everywhere-after-again.txt" >&2 || true
    exit 1
  fi
  echo "the directory, Google and Microsoft 365 are exactly as the first run left them"

  say "every system read back: ldapsearch, ldapwhoami, tenure sandbox show --json"
  left() { echo "ACCESS LEFT: $*" >&2; exit 1; }
  entry="$(ldapsearch -LLL -o ldif-wrap=no "${ldap_admin[@]}" -b dc=example,dc=com '(uid=ada)' pwdAccountLockedTime)"
  grep -qx 'dn: uid=ada,ou=former,dc=example,dc=com' <<<"$entry" || left "Ada's entry is not in ou=former: $entry"
  grep -q '^pwdAccountLockedTime: ' <<<"$entry" || left "Ada's directory account is not locked"
  people=ou=people,dc=example,dc=com former=ou=former,dc=example,dc=com
  groups="$(ldapsearch -LLL -o ldif-wrap=no "${ldap_admin[@]}" -b ou=groups,dc=example,dc=com \
    "(|(member=uid=ada,$people)(member=uid=ada,$former)(uniqueMember=uid=ada,$people)(uniqueMember=uid=ada,$former)(memberUid=ada))" dn)"
  [ -z "$groups" ] || left "Ada is still in: $groups"
  members="$(ldapsearch -LLL -o ldif-wrap=no "${ldap_admin[@]}" -b ou=groups,dc=example,dc=com \
    '(objectClass=*)' member uniqueMember memberUid)"
  grep -q 'uid=ada,' <<<"$members" && left "a group still names Ada: $members"
  grep -qx 'memberUid: ada' <<<"$members" && left "a posixGroup still lists Ada"
  [ "$(grep -c 'grace' <<<"$members")" = 3 ] || { echo "Grace lost a group: $members" >&2; exit 1; }
  if ldapwhoami -x -H "$ldap_url" -D uid=ada,ou=former,dc=example,dc=com -w ada-demo-password >/dev/null 2>&1; then
    left "Ada can still bind to the directory"
  fi
  echo "Directory: uid=ada locked (pwdAccountLockedTime; her password is refused), moved to ou=former, in no group;"
  echo "           Grace is still in engineering, wiki and shell; vpn keeps its placeholder member"
  "$tenure" sandbox show --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
def user(system, key, value):
    return [u for u in s[system]["users"] if u[key] == value][0]
def left(what):
    sys.exit("ACCESS LEFT: " + what)
ada = user("google", "primaryEmail", "ada.lovelace@example.com")
if not ada["suspended"]: left("Google: Ada is not suspended")
if ada["sessions"]: left("Google: Ada still has %d sessions" % ada["sessions"])
if ada.get("groups"): left("Google: Ada is still in " + ", ".join(ada["groups"]))
if ada["orgUnitPath"] != "/Former employees": left("Google: Ada is in " + ada["orgUnitPath"])
if ada["forwarding"] != "grace.hopper@example.com": left("Google: her mail is not forwarded to Grace")
if ada["drive_files"] or [t for t in s["google"]["transfers"] if t["status"] != "completed"]:
    left("Google: her Drive has not been transferred")
print("Google: ada.lovelace@example.com suspended, signed out, in /Former employees, in no group, mail forwarded")
print("        to grace.hopper@example.com, her Drive transferred to Grace (completed; Grace now has %d files)"
      % user("google", "primaryEmail", "grace.hopper@example.com")["drive_files"])
m365 = user("msgraph", "userPrincipalName", "ada.lovelace@contoso.com")
if m365["accountEnabled"]: left("Microsoft 365: Ada can sign in")
if m365["sessions"]: left("Microsoft 365: Ada still has sessions")
if m365["licenses"]: left("Microsoft 365: Ada still holds licences")
if m365["groups"] != ["London (dynamic)"]: left("Microsoft 365: Ada is still in " + ", ".join(m365["groups"]))
if m365["forwarding"] != "grace.hopper@contoso.com": left("Microsoft 365: her mail is not forwarded")
print("Microsoft 365: ada.lovelace@contoso.com sign-in blocked, sessions revoked, no licence, mail forwarded to")
print("        grace.hopper@contoso.com, in no group but London (dynamic), which follows her attributes")'

  say "tenure report $everywhere_run   (what was removed, so that it can be restored)"
  "$tenure" report "$everywhere_run" > "$work/everywhere-report.md"
  sed -n '/^## Removed/,/^## Decisions/p' "$work/everywhere-report.md" | sed '$d'
  echo "(the whole record: tenure report $everywhere_run --format html > report.html)"
)
# --- end of the offboarding-everywhere block --------------------------------------------------
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
  # jane_is ACTIVE GROUPS: her account's active flag and groups (in any order: items of a fan-out
  # finish in any order), as the sandbox holds them.
  sorted() { tr ',' '\n' <<<"$1" | sort | paste -sd, -; }
  jane_is() {
    local now
    now="$("$tenure" sandbox show --json |
      sed -n 's/.*"userName":"jane\.doe@example\.com","slack_id":"[^"]*","active":\([a-z]*\),"groups":\[\([^]]*\)\].*/\1 \2/p' |
      tr -d '"')"
    if [ "${now%% *}" = "$1" ] && [ "$(sorted "${now#* }")" = "$(sorted "$2")" ]; then
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
