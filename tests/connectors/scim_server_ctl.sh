#!/usr/bin/env bash
# Starts or stops the real SCIM 2.0 test servers (tests/connectors/scim_server) for the ctest
# fixture `scim_servers`: two independent implementations from npm, scimmy + scimmy-routers
# (server.js) and Better Auth's SCIM plugin (better_auth_server.js, an eq-only provider).
#
#   scim_server_ctl.sh start STATE_DIR   three servers on 127.0.0.1, free ports: scimmy with PATCH
#                                        (STATE_DIR/port), scimmy advertising no PATCH
#                                        (STATE_DIR/nopatch_port), Better Auth
#                                        (STATE_DIR/better_auth_port); pids in STATE_DIR/*.pid.
#                                        Waits (bounded, 60 s each) until all accept connections.
#   scim_server_ctl.sh stop STATE_DIR    TERM, then KILL after 5 s; removes the state files.
# The bearer token is tenure-scimmy-token. Needs node and `npm ci` done (scripts/setup.sh).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
server_dir="$here/scim_server"
cmd="${1:?start|stop}"
state="${2:?state directory}"

start_one() {  # name script extra-args...
  local name="$1" script="$2"; shift 2
  rm -f "$state/$name" "$state/$name.pid"
  node "$server_dir/$script" --port 0 --token tenure-scimmy-token --port-file "$state/$name" "$@" \
    </dev/null >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
}

wait_ready() {  # name
  local name="$1"
  for _ in $(seq 1 600); do
    if [ -s "$state/$name" ] && (exec 3<>"/dev/tcp/127.0.0.1/$(cat "$state/$name")") 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$(cat "$state/$name.pid")" 2>/dev/null; then
      echo "scim server $name exited:" >&2; cat "$state/$name.log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "scim server $name not ready after 60 s" >&2; cat "$state/$name.log" >&2; return 1
}

stop_one() {  # name
  local pidfile="$state/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile" "$state/$1"
}

case "$cmd" in
  start)
    command -v node >/dev/null || { echo "node is not installed (run scripts/setup.sh)" >&2; exit 1; }
    [ -d "$server_dir/node_modules/scimmy" ] && [ -d "$server_dir/node_modules/@better-auth/scim" ] || {
      echo "scim_server dependencies missing: run scripts/setup.sh (npm ci in $server_dir)" >&2; exit 1; }
    mkdir -p "$state"
    stop_one port; stop_one nopatch_port; stop_one better_auth_port
    start_one port server.js
    start_one nopatch_port server.js --no-patch
    start_one better_auth_port better_auth_server.js
    wait_ready port
    wait_ready nopatch_port
    wait_ready better_auth_port
    echo "scim servers: scimmy on $(cat "$state/port"), scimmy without PATCH on $(cat "$state/nopatch_port")," \
      "Better Auth on $(cat "$state/better_auth_port")"
    ;;
  stop)
    stop_one port; stop_one nopatch_port; stop_one better_auth_port
    ;;
  *) echo "usage: $0 start|stop STATE_DIR" >&2; exit 2 ;;
esac
