#!/usr/bin/env bash
# Builds and runs the libFuzzer targets (wasm/fuzz/fuzz_*.c) against the C
# core under ASan + UBSan.
#
#   bash wasm/fuzz/run.sh --smoke      every target over its seed corpus plus a
#                                      short bounded random run (npm test)
#   bash wasm/fuzz/run.sh [target...]  every (or the named) target for
#                                      FUZZ_SECONDS (default 60) each; new
#                                      corpus entries stay in build/fuzz/corpus
#
# Targets are named without the prefix: http_request, http_server, ...
# Environment: FUZZ_SECONDS, FUZZ_JOBS (targets run at once, default 2),
# FUZZ_RUNS (smoke run length, default 100000; at most 10 s each), CC (default clang).
# Crashes land in build/fuzz/artifacts/<target>/ (artifacts-smoke/ for --smoke);
# keep each as a regression input by copying it into wasm/fuzz/corpus/<target>/.
# The last line printed is "N passed, N failed", counting targets.
set -uo pipefail
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=$ROOT/build/fuzz
FUZZ_DIR=wasm/fuzz

SMOKE=0
WANT=()
for arg in "$@"; do
  case "$arg" in
    --smoke) SMOKE=1 ;;
    -h|--help) sed -n '2,16p' "$SELF"; exit 0 ;;
    *) WANT+=("$arg") ;;
  esac
done
SECONDS_EACH=${FUZZ_SECONDS:-60}
JOBS=${FUZZ_JOBS:-2}
SMOKE_RUNS=${FUZZ_RUNS:-100000}
SMOKE_SECONDS=10
CC=${CC:-clang}

targets=()
for f in "$FUZZ_DIR"/fuzz_*.c; do
  [ "$f" = "$FUZZ_DIR/fuzz_host.c" ] && continue
  t=$(basename "$f" .c); t=${t#fuzz_}
  if [ ${#WANT[@]} -eq 0 ] || [[ " ${WANT[*]} " == *" $t "* ]]; then targets+=("$t"); fi
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "run.sh: no fuzz target matches: ${WANT[*]:-}" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# ---- toolchain --------------------------------------------------------------
have_libfuzzer() {
  command -v "$CC" >/dev/null 2>&1 || return 1
  mkdir -p "$OUT"
  printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
    'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void) d; return (int) n & 0; }' \
    >"$OUT/probe.$$.c"
  "$CC" -fsanitize=fuzzer,address,undefined "$OUT/probe.$$.c" -o "$OUT/probe.$$" >/dev/null 2>&1
  local ok=$?
  rm -f "$OUT/probe.$$" "$OUT/probe.$$.c"
  return $ok
}

if ! have_libfuzzer; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "run.sh: clang with libFuzzer not found; installing clang and its runtime..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq clang >&2
    major=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -1)
    apt-get install -y -qq "libclang-rt-${major:-14}-dev" >&2 || true
    CC=clang
  fi
  if ! have_libfuzzer; then
    cat >&2 <<'MSG'
run.sh: clang with libFuzzer (-fsanitize=fuzzer) is needed for the fuzz targets.
Install it, then run this again:
  Debian/Ubuntu:  sudo apt-get install clang libclang-rt-14-dev
                  (use the libclang-rt-N-dev matching `clang --version`)
  elsewhere:      any LLVM clang >= 6 with compiler-rt; or set CC=/path/to/clang
MSG
    echo "0 passed, ${#targets[@]} failed"
    exit 1
  fi
fi

# ---- build --------------------------------------------------------------------
FLAGS=(-g -O1 -fno-omit-frame-pointer -std=c99 -Wall -Wextra -Wno-unused-parameter
       -I wasm/src -I "$FUZZ_DIR" -fsanitize=address,undefined -fno-sanitize-recover=all)
# Smoke and long runs keep separate logs, so one can run while the other does.
if [ $SMOKE = 1 ]; then LOGS=$OUT/logs/smoke; else LOGS=$OUT/logs/fuzz; fi
mkdir -p "$OUT/obj" "$LOGS"

# Newest modification time among the inputs of a build.
newest_input() {
  find wasm/src "$FUZZ_DIR" -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' -o -name run.sh \) \
    -printf '%T@\n' | sort -n | tail -1
}
NEWEST=$(newest_input)
is_fresh() { [ -f "$1" ] && [ "$(stat -c %Y "$1")" -ge "${NEWEST%.*}" ]; }

core_built=0
build_core() {
  [ $core_built = 1 ] && return 0
  core_built=1
  rm -f "$OUT"/obj/*.o
  local srcs=(wasm/src/*.c "$FUZZ_DIR/fuzz_host.c") pids=() ok=0
  if [ ! -e "${srcs[0]}" ]; then
    echo "run.sh: no C sources in wasm/src yet" >&2
    core_built=2
    return 1
  fi
  for s in "${srcs[@]}"; do
    "$CC" "${FLAGS[@]}" -fsanitize=fuzzer-no-link -c "$s" -o "$OUT/obj/$(basename "$s" .c).o" \
      2>>"$LOGS/build.log" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$JOBS" ]; then wait "${pids[0]}" || ok=1; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p" || ok=1; done
  [ $ok = 0 ] || { core_built=2; return 1; }
}

build_target() {  # $1 = target name; returns 0 when the binary is ready
  local t=$1 bin=$OUT/fuzz_$1
  is_fresh "$bin" && return 0
  build_core || return 1
  [ $core_built = 1 ] || return 1
  "$CC" "${FLAGS[@]}" -fsanitize=fuzzer "$FUZZ_DIR/fuzz_$t.c" "$OUT"/obj/*.o -o "$bin" \
    2>>"$LOGS/build.log"
}

: >"$LOGS/build.log"
buildable=()
build_failed=()
# One build at a time (npm test may start a smoke run while a long run builds).
exec 9>"$OUT/build.lock"
flock 9 2>/dev/null || true
for t in "${targets[@]}"; do
  if build_target "$t"; then buildable+=("$t"); else build_failed+=("$t"); fi
done
flock -u 9 2>/dev/null || true
exec 9>&-
if [ ${#build_failed[@]} -gt 0 ]; then
  echo "run.sh: build failed for: ${build_failed[*]} (compiler output follows)" >&2
  tail -40 "$LOGS/build.log" >&2
fi

# ---- run ----------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

run_target() {  # $1 = target; writes $LOGS/$1.log and $LOGS/$1.rc
  local t=$1 seeds=$FUZZ_DIR/corpus/$1 work secs args arts=$OUT/artifacts/$1
  # Smoke runs report only what they found themselves.
  [ $SMOKE = 1 ] && { arts=$OUT/artifacts-smoke/$t; rm -rf "$arts"; }
  mkdir -p "$arts"
  [ -d "$seeds" ] || seeds=$(mktemp -d)
  # Only the head parser needs inputs past the 16 KB default head limit; the
  # connection-level targets run much faster on smaller ones.
  local max_len=8192
  [ "$t" = http_request ] && max_len=20000
  args=(-artifact_prefix="$arts/" -timeout=10 -rss_limit_mb=2048
        -max_len=$max_len -print_final_stats=1 -dict="$FUZZ_DIR/http.dict")
  if [ $SMOKE = 1 ]; then
    work=$OUT/smoke/$t
    rm -rf "$work"
    secs=$SMOKE_SECONDS
    args+=(-runs="$SMOKE_RUNS" -max_total_time="$secs" -seed=1)
  else
    work=$OUT/corpus/$t
    secs=$SECONDS_EACH
    args+=(-max_total_time="$secs" -use_value_profile=1)
  fi
  mkdir -p "$work"
  local t0 rc
  t0=$(date +%s.%N)
  # A hard stop in case one input hangs past libFuzzer's own -timeout.
  timeout -k 5 $((secs + (SMOKE ? 30 : 120))) "$OUT/fuzz_$t" "${args[@]}" "$work" "$seeds" \
    >"$LOGS/$t.log" 2>&1
  rc=$?
  echo "$t0 $(date +%s.%N)" >"$LOGS/$t.time"
  echo $rc >"$LOGS/$t.rc"
}

summary() {  # "N runs in S s (R/s), cov: C ft: F, corpus: K" from a target's log
  local log=$LOGS/$1.log last runs cov ft corp
  last=$(grep -aE '^#[0-9]+[[:space:]]' "$log" | tail -1)
  runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
  read -r a b <"$LOGS/$1.time"
  awk -v r="${runs:-0}" -v a="$a" -v b="$b" -v c="${cov:-?}" -v f="${ft:-?}" -v k="${corp:-?}" \
    'BEGIN { s = b - a; if (s <= 0) s = 0.001;
             printf "%d runs in %.1f s (%d exec/s), cov: %s ft: %s, corpus %s", r, s, r / s, c, f, k }'
}

running=()
for t in "${buildable[@]}"; do
  rm -f "$LOGS/$t.rc"
  run_target "$t" &
  running+=($!)
  if [ ${#running[@]} -ge "$JOBS" ]; then wait "${running[0]}"; running=("${running[@]:1}"); fi
done
for p in "${running[@]}"; do wait "$p"; done

passed=0
failed=${#build_failed[@]}
for t in "${build_failed[@]}"; do echo "fuzz_$t: FAIL (does not build; see $LOGS/build.log)"; done
for t in "${buildable[@]}"; do
  rc=$(cat "$LOGS/$t.rc" 2>/dev/null || echo 99)
  if [ "$rc" = 0 ] && ! grep -qaE '^==[0-9]+==ERROR|runtime error:|FUZZ CHECK FAILED' "$LOGS/$t.log"; then
    passed=$((passed + 1))
    echo "fuzz_$t: ok ($(summary "$t"))"
  else
    failed=$((failed + 1))
    echo "fuzz_$t: FAIL (exit $rc; log $LOGS/$t.log)"
    grep -aE -A 30 'ERROR: |runtime error:|FUZZ CHECK FAILED|Test unit written' "$LOGS/$t.log" \
      | head -60 | sed 's/^/  /' >&2
  fi
  if [ $SMOKE = 0 ]; then
    echo "  corpus: $(ls "$OUT/corpus/$t" | wc -l) inputs in build/fuzz/corpus/$t"
  fi
  adir=artifacts; [ $SMOKE = 1 ] && adir=artifacts-smoke
  arts=$(ls "$OUT/$adir/$t" 2>/dev/null | wc -l)
  [ "$arts" -gt 0 ] && echo "  $arts crash artifact(s) in build/fuzz/$adir/$t/"
done
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
