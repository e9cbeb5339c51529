#!/usr/bin/env bash
# ensure-tool.sh TOOL: makes sure a command the tests or the bench need is on
# PATH. Known tools: curl, wrk, clang, chromium, nginx. When TOOL is missing and we
# run as root with apt-get, installs its Debian package; otherwise prints how
# to install it and exits 1. Prints nothing and exits 0 when TOOL is present.
set -euo pipefail

tool="${1:-}"
case "$tool" in
  curl) pkg=curl ;;
  wrk) pkg=wrk ;;
  clang) pkg=clang ;;
  chromium) pkg=chromium ;;
  nginx) pkg=nginx-light ;;
  *)
    echo "usage: ensure-tool.sh curl|wrk|clang|chromium|nginx (got '${tool}')" >&2
    exit 2
    ;;
esac

if command -v "$tool" >/dev/null 2>&1; then exit 0; fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "ensure-tool.sh: $tool not found; installing Debian package '$pkg'..." >&2
  # A stale or empty package list makes the install fail: refresh it first.
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2
  if command -v "$tool" >/dev/null 2>&1; then exit 0; fi
  echo "ensure-tool.sh: installed '$pkg' but '$tool' is still not on PATH" >&2
  exit 1
fi

cat >&2 <<MSG
ensure-tool.sh: '$tool' is required but was not found on PATH.
Install it, then run this again:
  Debian/Ubuntu:  sudo apt-get install $pkg
  Fedora:         sudo dnf install $pkg
  macOS:          brew install $pkg
MSG
exit 1
