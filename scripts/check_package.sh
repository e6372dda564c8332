#!/usr/bin/env bash
# The Debian package as a user gets it: builds tenure as a release (Release, the default warnings,
# no -Werror), makes the .deb with `cpack -G DEB`, checks its version, Depends and contents, then
# installs it with apt into a fresh, throwaway Debian 12 root (mmdebstrap, variant apt: nothing but
# the essential packages and apt) and runs it there: `tenure --version` prints the project version,
# `tenure validate` passes on the installed examples.
#   scripts/check_package.sh [BUILD_DIR]     (default build/, the quick start's and test suite's)
# Needs root (mmdebstrap builds the root as root) and the Debian mirror (the root's packages).
# Exit status: non-zero when any check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build}"
bash scripts/setup.sh  # what building needs, and `file` for cpack
if ! command -v mmdebstrap >/dev/null 2>&1; then
  echo "check_package: installing mmdebstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target tenure
version="$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")"

work="$(mktemp -d "${TMPDIR:-/tmp}/tenure-package.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "check_package: $*" >&2; exit 1; }

echo "=== package: cpack -G DEB"
cpack --config "$build/CPackConfig.cmake" -G DEB -B "$work/out" >"$work/cpack.log" 2>&1 ||
  { cat "$work/cpack.log"; fail "cpack failed"; }
deb="$(ls "$work"/out/tenure_*.deb)"
echo "$(basename "$deb"): $(du -h "$deb" | cut -f1)"
dpkg-deb -f "$deb" Package Version Architecture Depends

[ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || fail "package version is not the project's ($version)"
depends="$(dpkg-deb -f "$deb" Depends)"
for dep in libboost-json1.81.0 libyaml-0-2 libsqlite3-0 libssl3 libldap-2.5-0 libdate-tz3 libjemalloc2 tzdata libstdc++6 libc6; do
  # Package names as fixed strings (libstdc++6 is no regular expression).
  tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ .*//' | grep -Fxq -- "$dep" || fail "Depends has no $dep: $depends"
done

dpkg-deb -c "$deb" | awk '{print $6}' >"$work/contents"
for f in ./usr/bin/tenure ./usr/share/tenure/schema/playbook.schema.json \
  ./usr/share/tenure/schema/task-library.schema.json ./usr/share/tenure/examples/onboarding.yaml \
  ./usr/share/tenure/examples/lib/slack-welcome.yaml ./usr/share/tenure/examples/inputs/jane.yaml \
  ./usr/share/doc/tenure/README.md ./usr/share/doc/tenure/docs/playbooks.md \
  ./usr/lib/systemd/system/tenure.service ./usr/share/doc/tenure/docs/deploy.md; do
  grep -qx "$f" "$work/contents" || fail "the package has no $f"
done
if grep -E '_tests$|_bench$|_fuzzer$|/tests/|/bench/|/fuzz/' "$work/contents"; then
  fail "the package holds test, benchmark or fuzzing files (above)"
fi

echo "=== package: apt-get install into a fresh Debian 12 root"
# The file-mirror-automount hook makes the .deb visible inside the root for apt; the customize
# hooks run in the finished root, with /proc and /dev mounted. The first setup hook only saves
# downloads: it hard-links this machine's cached .debs into the root's apt cache, where apt uses
# those whose version and checksum match (same file system, else nothing is linked) and fetches
# the rest from the mirror.
chmod 0755 "$work" "$work/out"
chmod 0644 "$deb"
# (mmdebstrap empties the root's /tmp at the end: the hooks write their findings to $work.)
mmdebstrap --quiet --variant=apt --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  --setup-hook='mkdir -p "$1/var/cache/apt/archives"; cp -l /var/cache/apt/archives/*.deb "$1/var/cache/apt/archives/" 2>/dev/null || true' \
  --include="$deb" \
  --customize-hook="chroot \"\$1\" tenure --version > '$work/version.out'" \
  --customize-hook="chroot \"\$1\" dpkg-query -W -f='\${Status}' tenure > '$work/status.out'" \
  --customize-hook="chroot \"\$1\" sh -c 'tenure validate /usr/share/tenure/examples/*.yaml' > '$work/validate.out' 2>&1 || echo \$? > '$work/validate.status'" \
  --customize-hook="chroot \"\$1\" getent passwd tenure > '$work/user.out' || true" \
  --customize-hook="chroot \"\$1\" sh -c 'tenure daemon status --db /tmp/none.db; echo missing=\$?; printf \"playbook: wait\\ntasks:\\n  w: { uses: timer.wait, with: { for: 1h } }\\n\" > /tmp/wait.yaml; TENURE_DB=/tmp/t.db tenure run /tmp/wait.yaml; echo run=\$?; TENURE_DB=/tmp/t.db tenure schedule list && TENURE_DB=/tmp/t.db tenure daemon status; echo daemon-status=\$?' > '$work/daemon.out' 2>&1 || true" \
  bookworm "$work/root" >"$work/mmdebstrap.log" 2>&1 ||
  { tail -40 "$work/mmdebstrap.log"; fail "installing the package into a fresh Debian 12 root failed"; }

echo "tenure --version: $(cat "$work/version.out")"
[ "$(cat "$work/version.out")" = "tenure $version" ] || fail "tenure --version does not print 'tenure $version'"
[ "$(cat "$work/status.out")" = "install ok installed" ] || fail "dpkg says: $(cat "$work/status.out")"
cat "$work/validate.out"
[ ! -e "$work/validate.status" ] || fail "tenure validate of the installed examples failed"
grep -q '^tenure:.*:/var/lib/tenure:/usr/sbin/nologin$' "$work/user.out" ||
  fail "the package did not create the tenure system user: $(cat "$work/user.out")"
cat "$work/daemon.out"
grep -q '^missing=2$' "$work/daemon.out" || fail "tenure daemon status on a missing database did not exit 2"
grep -q '^run=3$' "$work/daemon.out" || fail "a waiting run from the package did not exit 3"
grep -q '^daemon-status=3$' "$work/daemon.out" || fail "tenure schedule list / daemon status do not run from the package"
echo "check_package: $(basename "$deb") installs on a fresh Debian 12 and runs"
