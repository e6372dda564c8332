#!/usr/bin/env bash
# Installs tenure's dependencies from Debian 12 packages. Idempotent: packages already present are
# skipped. Needs root (or sudo) for apt-get.
#   scripts/setup.sh               what building and running tenure need (a Release build)
#   scripts/setup.sh --quickstart  that, plus slapd and ldap-utils: scripts/quickstart.sh runs the
#                                  directory offboarding against a private OpenLDAP server of its
#                                  own (tests/connectors/slapd_ctl.sh: its own cn=config, free
#                                  loopback ports) and reads it back with ldapsearch. Debian's slapd
#                                  package may start the system slapd service on install; nothing
#                                  here uses, configures or depends on it
#   scripts/setup.sh --test        all that, plus what the tests need: Catch2, clang and LLVM
#                                  (fuzzing), yaml-cpp (a benchmark's baseline), ccache, a browser
#                                  and its driver, aiosmtpd, Node.js with `npm ci` for the real SCIM
#                                  servers the suite tests against (scripts/test.sh calls this;
#                                  scripts/check_package.sh installs its own mmdebstrap)
set -euo pipefail

mode=run
case "${1:-}" in
  "") ;;
  --quickstart) mode=quickstart ;;
  --test) mode=test ;;
  *) echo "usage: scripts/setup.sh [--quickstart|--test]" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev
  libyaml-dev libsqlitecpp-dev libsqlite3-dev libcli11-dev
  libhowardhinnant-date-dev tzdata libssl-dev libldap-dev
  libjemalloc-dev  # tenure's allocator (CMakeLists.txt, TENURE_JEMALLOC)
  file  # cpack -G DEB: CPack's dpkg-shlibdeps step needs it to find the binaries
)
if [ "$mode" = quickstart ] || [ "$mode" = test ]; then
  # A private OpenLDAP server for the quick start's directory offboarding and the ldap connector's
  # tests (tests/connectors/slapd_ctl.sh), and the clients that read it back.
  packages+=(slapd ldap-utils)
fi
if [ "$mode" = test ]; then
  packages+=(
    catch2 ccache git
    clang libclang-rt-14-dev llvm
    libyaml-cpp-dev
    chromium chromium-driver python3-selenium  # the console's browser end-to-end test
    python3-aiosmtpd  # an SMTP server for the smtp connector's tests
  )
fi

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

if [ "$mode" != test ]; then exit 0; fi

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
