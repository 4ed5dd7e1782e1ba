#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, -DVCLAB_FUZZ=ON, ASan + UBSan) and runs each for a bounded time.
# Usage: scripts/fuzz.sh [SECONDS_PER_FUZZER (default 60)] [FUZZER ...]   (fuzzers: idx cifar npy csv)
# Seeds: fuzz/corpus/<format>/ (committed, regenerate with `build-fuzz/make_corpus fuzz/corpus`); new inputs go to
# build-fuzz/corpus/<format>/; crashes to build-fuzz/crashes/<format>/ — add each as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
fuzzers=("$@")
[ ${#fuzzers[@]} -gt 0 ] || fuzzers=(idx cifar npy csv)
build="${VCLAB_FUZZ_BUILD_DIR:-build-fuzz}"
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install -y clang libclang-rt-14-dev)" >&2; exit 2; }
CC=clang CXX=clang++ cmake -S . -B "$build" -DVCLAB_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"${VCLAB_JOBS:-2}" --target make_corpus $(printf 'fuzz_%s ' "${fuzzers[@]}")
[ -d fuzz/corpus/idx ] || "$build/make_corpus" fuzz/corpus
status=0
for f in "${fuzzers[@]}"; do
  mkdir -p "$build/corpus/$f" "$build/crashes/$f"
  echo "== fuzz_$f for ${seconds}s"
  # -rss_limit_mb: a loader that allocates for a huge header count fails here instead of swapping.
  ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/fuzz_$f" "$build/corpus/$f" "fuzz/corpus/$f" -max_total_time="$seconds" -rss_limit_mb=2048 \
      -malloc_limit_mb=1024 -max_len=65536 -timeout=10 -artifact_prefix="$build/crashes/$f/" -print_final_stats=1 \
      2>&1 | grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' \
    || true
  if [ -n "$(ls -A "$build/crashes/$f")" ]; then
    echo "fuzz_$f: findings in $build/crashes/$f:"; ls -l "$build/crashes/$f"; status=1
  fi
done
exit $status
