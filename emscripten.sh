#!/usr/bin/env bash
# Builds the C core in wasm/src into dist/mongoose.wasm with emcc.
# No emscripten JS glue is produced or needed: ts/loader.ts instantiates the
# module itself and supplies the "env" imports declared in wasm/src/netif.h.
set -euo pipefail
cd "$(dirname "$0")"

find_emcc() {
  if [ -n "${EMCC:-}" ] && command -v "$EMCC" >/dev/null 2>&1; then echo "$EMCC"; return; fi
  if command -v emcc >/dev/null 2>&1; then command -v emcc; return; fi
  if [ -n "${EMSDK:-}" ] && [ -x "$EMSDK/upstream/emscripten/emcc" ]; then echo "$EMSDK/upstream/emscripten/emcc"; return; fi
}

EMCC_BIN=$(find_emcc || true)
if [ -z "$EMCC_BIN" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "emscripten.sh: emcc not found; installing Debian's emscripten package (about 20 s)..." >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq emscripten >&2
    EMCC_BIN=$(command -v emcc)
  else
    cat >&2 <<'MSG'
emscripten.sh: emcc (the emscripten compiler) was not found.
Install it, then run this again:
  Debian/Ubuntu:  sudo apt-get install emscripten
  any system:     install the emsdk (https://emscripten.org/docs/getting_started/downloads.html)
                  and run `source ./emsdk_env.sh`, or set EMCC=/path/to/emcc
MSG
    exit 1
  fi
fi

mkdir -p dist
out=dist/mongoose.wasm
srcs=$(ls wasm/src/*.c)

# Skip the build when the output is newer than every source.
if [ -f "$out" ] && [ -z "${FORCE:-}" ]; then
  newer=$(find wasm/src emscripten.sh -newer "$out" -type f | head -1)
  if [ -z "$newer" ]; then echo "emscripten.sh: $out is up to date"; exit 0; fi
fi

# The stack-size setting was renamed in emscripten 3.1.25 (TOTAL_STACK ->
# STACK_SIZE); Debian ships 3.1.6. Pick the name this emcc knows.
ver=$("$EMCC_BIN" --version 2>/dev/null | sed -n 1p | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
IFS=. read -r vmaj vmin vpat <<<"${ver:-0.0.0}"
if [ $((vmaj * 10000 + vmin * 100 + vpat)) -ge 30125 ]; then stack=STACK_SIZE; else stack=TOTAL_STACK; fi

# STANDALONE_WASM + --no-entry: a reactor module (exports _initialize) with no
# JS runtime. Undefined symbols are the host imports of netif.h.
"$EMCC_BIN" -std=c99 -O3 -flto -mbulk-memory -Wall -Wextra -Werror -Wno-unused-parameter \
  --no-entry -sSTANDALONE_WASM=1 -sALLOW_MEMORY_GROWTH=1 -sMALLOC=emmalloc \
  -sFILESYSTEM=0 -sERROR_ON_UNDEFINED_SYMBOLS=0 -sWARN_ON_UNDEFINED_SYMBOLS=0 \
  -sINITIAL_MEMORY=4MB -s$stack=256KB \
  $srcs -o "$out"
echo "emscripten.sh: built $out ($(wc -c <"$out") bytes) with emcc $ver"
