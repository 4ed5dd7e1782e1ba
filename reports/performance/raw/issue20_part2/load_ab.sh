#!/usr/bin/env bash
# Issue 20 part 2, fix 1: start-up with CIFAR-10 (load + one epoch of a width-1 model, 782 trivial steps, so the data load dominates),
# old binary vs new binary with a warm decoded-data cache vs new binary with VCLAB_NO_CACHE=1, interleaved.
set -u
OLD=${OLD:-/tmp/perf-base-bin/vclab} NEW=${NEW:-build/vclab} REPS=${REPS:-5} OUT=${OUT:-/tmp/perf-meas/load_ab.txt}
export VCLAB_NO_PROGRESS=1 VCLAB_CACHE=/tmp/perf-meas/cache
ARGS="train --dataset cifar10 --data-dir /work/shared/data --hidden 1 --batch 64 --epochs 1 --record none --no-save-weights --checkpoint-every 0 --threads 2 --overwrite"
: > "$OUT"
echo "# $(date -u) uptime: $(uptime)" >> "$OUT"
echo "# ARGS: $ARGS" >> "$OUT"
rm -rf /tmp/perf-meas/cache
/usr/bin/time -o "$OUT" -a -f "new-first-fill %e s wall %U s user %S s sys %M KiB maxrss" $NEW $ARGS --out /tmp/perf-meas/load_new >/dev/null 2>&1
for r in $(seq "$REPS"); do
  /usr/bin/time -o "$OUT" -a -f "old %e s wall %U s user %S s sys %M KiB maxrss" $OLD $ARGS --out /tmp/perf-meas/load_old >/dev/null 2>&1
  /usr/bin/time -o "$OUT" -a -f "new-cached %e s wall %U s user %S s sys %M KiB maxrss" $NEW $ARGS --out /tmp/perf-meas/load_new >/dev/null 2>&1
  VCLAB_NO_CACHE=1 /usr/bin/time -o "$OUT" -a -f "new-no-cache %e s wall %U s user %S s sys %M KiB maxrss" $NEW $ARGS --out /tmp/perf-meas/load_nc >/dev/null 2>&1
done
echo "# $(date -u) uptime: $(uptime)" >> "$OUT"
du -sb /tmp/perf-meas/cache >> "$OUT"
cat "$OUT"
