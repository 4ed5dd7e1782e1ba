#!/usr/bin/env bash
# Builds the whole test suite with AddressSanitizer + UndefinedBehaviorSanitizer (Debug, -DVCLAB_SANITIZE=ON)
# and runs it under ctest; any sanitizer report fails the test that triggered it. Prints the elapsed time.
# Usage: scripts/sanitize.sh [ctest args...]   (build dir: $VCLAB_SANITIZE_BUILD_DIR, default build-asan)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
build="${VCLAB_SANITIZE_BUILD_DIR:-build-asan}"
start=$(date +%s)
cmake -S . -B "$build" -DVCLAB_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"${VCLAB_JOBS:-2}"
built=$(date +%s)
cd "$build"
# Leaks inside libhdf5 that vclab cannot free are suppressed by name (fuzz/lsan_suppressions.txt, each with its
# upstream report); names need whole malloc stacks through libhdf5, which has no frame pointers, hence
# fast_unwind_on_malloc=0 (DWARF unwinding on every allocation: slower, see the timing printed at the end).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1:fast_unwind_on_malloc=0}"
export LSAN_OPTIONS="suppressions=$root/fuzz/lsan_suppressions.txt${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export VCLAB_NO_PROGRESS=1
ctest --output-on-failure --timeout 3000 "$@"
end=$(date +%s)
echo "sanitize.sh: build $((built - start)) s, tests $((end - built)) s"
