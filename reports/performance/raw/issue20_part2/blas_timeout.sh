#!/usr/bin/env bash
# Issue 20 part 2, fix 4: OpenBLAS's idle workers. One-epoch Figure 1 run (new binary, warm cache) with
# OPENBLAS_THREAD_TIMEOUT unset (OpenBLAS's default 28: spin 2^28 cycles before sleeping) and set to smaller values,
# interleaved; wall, user and sys time from /usr/bin/time, epoch seconds from metrics.csv.
set -u
NEW=${NEW:-build/vclab} REPS=${REPS:-3} OUT=${OUT:-/tmp/perf-meas/blas_timeout.txt} VALUES=${VALUES:-"unset 4 12 20"}
export VCLAB_NO_PROGRESS=1 VCLAB_CACHE=/tmp/perf-meas/cache
FIG1="train --dataset cifar10 --data-dir /work/shared/data --hidden 256 --activation gelu --lr 0.05 --batch 64 --epochs 1 --record gram,dgram,vc,agop --record-mode diag --threads 2 --overwrite"
: > "$OUT"
echo "# $(date -u) uptime: $(uptime)" >> "$OUT"
echo "# FIG1: $FIG1" >> "$OUT"
for r in $(seq "$REPS"); do
  for v in $VALUES; do
    if [ "$v" = unset ]; then
      /usr/bin/time -o "$OUT" -a -f "timeout-unset %e s wall %U s user %S s sys %c invol-cs %w vol-cs" $NEW $FIG1 --out /tmp/perf-meas/blas_$v >/dev/null 2>&1
    else
      OPENBLAS_THREAD_TIMEOUT=$v /usr/bin/time -o "$OUT" -a -f "timeout-$v %e s wall %U s user %S s sys %c invol-cs %w vol-cs" $NEW $FIG1 --out /tmp/perf-meas/blas_$v >/dev/null 2>&1
    fi
    echo "# rep $r timeout-$v epoch seconds: $(tail -n +3 /tmp/perf-meas/blas_$v/metrics.csv | cut -d, -f7 | paste -sd' ')  test_accuracy: $(tail -n 1 /tmp/perf-meas/blas_$v/metrics.csv | cut -d, -f6)" >> "$OUT"
  done
done
echo "# $(date -u) uptime: $(uptime)" >> "$OUT"
cat "$OUT"
