#!/usr/bin/env bash
# Native C tests of the core under ASan/UBSan. Builds wasm/src/*.c and
# wasm/test/*.c into build/native/ with $CC (default cc), runs them, and
# makes the last stdout line "N passed, N failed". Exit status 0 only when
# every test passed and no sanitizer fired.
#   bash wasm/test/run.sh --bench [N]   instead: the hot-path benchmark
#                                       (bench_core.c, -O2, no sanitizers)
set -uo pipefail
cd "$(dirname "$0")/../.."
CC="${CC:-cc}"
out=build/native
mkdir -p "$out"
bin="$out/core-tests-$(basename "$CC")"
# bench_*.c have their own main() and host: never part of the test binary.
tests=$(ls wasm/test/*.c | grep -v '/bench_')

if [ "${1:-}" = "--bench" ]; then
  shift
  bench="$out/core-bench-$(basename "$CC")"
  "$CC" -std=c99 -O2 -Wall -Wextra -Werror wasm/src/*.c wasm/test/bench_core.c -o "$bench" || exit 1
  exec "$bench" "$@"
fi

flags=(-std=c99 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined
       -fno-sanitize-recover=all -fno-omit-frame-pointer)
# shellcheck disable=SC2086
if ! "$CC" "${flags[@]}" wasm/src/*.c $tests -o "$bin"; then
  echo "run.sh: compile failed with $CC" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

log="$out/core-tests.log"
ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}" \
  "$bin" >"$log"
rc=$?
# Everything but the binary's own summary line, then one summary of ours.
grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$log"
passed=$(grep -c '^ok ' "$log")
failed=$(grep -c '^FAIL ' "$log")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "run.sh: test binary exited with status $rc (sanitizer report above?)" >&2
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
