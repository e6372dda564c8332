#!/usr/bin/env bash
# Installs every build and test dependency of tenure from Debian 12 packages.
# Idempotent: packages already present are skipped. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev llvm
  libboost1.81-dev libboost-json1.81-dev
  libyaml-dev libyaml-cpp-dev libsqlitecpp-dev libsqlite3-dev libcli11-dev catch2
  libhowardhinnant-date-dev tzdata libssl-dev

)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages already installed"
else
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- connectors: the real SCIM 2.0 test server (tests/connectors/scim_server) ------------------
# `npm ci` installs scimmy, scimmy-routers and express exactly as locked in package-lock.json; the
# ctest fixture `scimmy` (tests/connectors/scim_server_ctl.sh) runs it. Node normally comes from
# nodesource on our machines; where it is missing, Debian's nodejs and npm are installed.
scim_server_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/connectors/scim_server"
if ! command -v node >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "setup: installing nodejs npm (for the SCIM test server)"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
if command -v npm >/dev/null 2>&1; then
  echo "setup: npm ci in $scim_server_dir"
  (cd "$scim_server_dir" && npm ci --no-audit --no-fund)
fi
# --- end of the connectors block --------------------------------------------------------------
