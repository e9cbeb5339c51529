#!/usr/bin/env bash
# tools.sh: installs, in ONE apt-get run, every Debian tool that `npm test`
# and `npm run bench` use, before any suite starts. Test files never install
# anything (two jest workers running apt at once collide on dpkg's lock); a
# test whose tool is missing fails naming this script instead.
#
#   bash scripts/tools.sh          install what is missing (root + apt-get), else explain
#   bash scripts/tools.sh --check  exit 1 listing what is missing, install nothing
#
# Runs serialised under a lock, so two set-ups started at once (two clones,
# two shells) wait for each other instead of failing on dpkg's lock.
set -uo pipefail
PATH="$PATH:/usr/sbin:/sbin"

# command -> Debian package. The fuzz targets also need clang's libFuzzer
# runtime, a package with no command of its own (checked by file below).
TOOLS="emcc:emscripten curl:curl openssl:openssl wrk:wrk clang:clang chromium:chromium
nginx:nginx-light mosquitto:mosquitto mosquitto_pub:mosquitto-clients mosquitto_sub:mosquitto-clients"

missing_pkgs() {
  local entry tool pkg out=""
  for entry in $TOOLS; do
    tool=${entry%%:*} pkg=${entry#*:}
    command -v "$tool" >/dev/null 2>&1 || out="$out $pkg"
  done
  if command -v clang >/dev/null 2>&1; then
    # libclang_rt.fuzzer lives in libclang-rt-N-dev, N = clang's major.
    local major
    major=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -1)
    ls /usr/lib/llvm-"${major:-x}"/lib/clang/*/lib/linux/libclang_rt.fuzzer*-x86_64.a >/dev/null 2>&1 \
      || out="$out libclang-rt-${major:-14}-dev"
  else
    out="$out libclang-rt-14-dev"
  fi
  # Each package once, in a stable order.
  printf '%s\n' $out | sort -u | tr '\n' ' '
}

pkgs=$(missing_pkgs)
[ -z "${pkgs// /}" ] && exit 0

if [ "${1:-}" = "--check" ]; then
  echo "tools.sh: missing Debian packages: $pkgs" >&2
  echo "tools.sh: install them with: bash scripts/tools.sh (as root), or: sudo apt-get install $pkgs" >&2
  exit 1
fi

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<MSG
tools.sh: the test suites need these Debian packages, which are not installed:
  $pkgs
This is not root on a Debian machine, so they cannot be installed here. Run:
  sudo apt-get install $pkgs
(or run 'bash scripts/tools.sh' as root), then run the command again.
MSG
  exit 1
fi

lock="${TMPDIR:-/tmp}/tsmongoose-tools.lock"
exec 9>"$lock"
if command -v flock >/dev/null 2>&1 && ! flock -w 900 9; then
  echo "tools.sh: another set-up held $lock for 15 minutes; giving up" >&2
  exit 1
fi
# Whoever held the lock may have installed them meanwhile.
pkgs=$(missing_pkgs)
[ -z "${pkgs// /}" ] && exit 0

start=$(date +%s)
echo "tools.sh: installing Debian packages for the tests (once, a few minutes on a new machine): $pkgs" >&2
export DEBIAN_FRONTEND=noninteractive
# A stale or empty package list makes the install fail: refresh it first.
# DPkg::Lock::Timeout waits for an apt run we do not own (unattended upgrades).
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 \
  && apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $pkgs >&2
rc=$?
if [ $rc -ne 0 ]; then
  echo "tools.sh: apt-get install failed (exit $rc) for: $pkgs" >&2
  exit 1
fi
left=$(missing_pkgs)
if [ -n "${left// /}" ]; then
  echo "tools.sh: apt-get succeeded but these are still missing: $left" >&2
  exit 1
fi
echo "tools.sh: installed in $(( $(date +%s) - start )) s" >&2
