#!/usr/bin/env bash
# Makes sure a Chromium the browser tests can drive is installed, and prints
# its path on stdout. Uses $CHROMIUM when set, else Debian's chromium. When it
# is missing and we are root with apt-get, installs the Debian package.
# Otherwise prints why on stderr and exits 1 (the browser suite then reports
# itself as not runnable here instead of failing).
set -uo pipefail

find_chromium() {
  for c in "${CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$c" ] && [ -x "$c" ]; then echo "$c"; return 0; fi
  done
  command -v chromium 2>/dev/null || command -v chromium-browser 2>/dev/null
}

if path=$(find_chromium) && [ -n "$path" ]; then echo "$path"; exit 0; fi

if [ "$(id -u)" != "0" ]; then
  echo "ensure-chromium: chromium is not installed and we are not root, so it cannot be installed here; install it with: sudo apt-get install chromium (or set CHROMIUM=/path/to/chromium)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: chromium is not installed and there is no apt-get to install it; install a Chromium and set CHROMIUM=/path/to/chromium" >&2
  exit 1
fi

# Test files run in parallel: one installs, the others wait for it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"${TMPDIR:-/tmp}/tsmongoose-ensure-chromium.lock"
  flock -w 900 9 || true
  if path=$(find_chromium) && [ -n "$path" ]; then echo "$path"; exit 0; fi
fi
echo "ensure-chromium: installing Debian's chromium package (about a minute)..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends chromium; } >&2; then
  echo "ensure-chromium: apt-get install chromium failed (see above)" >&2
  exit 2
fi
if path=$(find_chromium) && [ -n "$path" ]; then echo "$path"; exit 0; fi
echo "ensure-chromium: apt-get reported success but no chromium binary was found" >&2
exit 2
