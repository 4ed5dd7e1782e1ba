#!/usr/bin/env bash
# Issue 20 part 2, fix 2 (and a check of fixes 1 and 3): the Figure 1 command for 3 epochs, interleaved: old binary,
# new binary (default --agop-every checkpoint), new binary with --agop-every final. The new runs use a warm cache.
set -u
OLD=${OLD:-/tmp/perf-base-bin/vclab} NEW=${NEW:-build/vclab} REPS=${REPS:-3} OUT=${OUT:-/tmp/perf-meas/agop_ab.txt}
EPOCHS=${EPOCHS:-3}
export VCLAB_NO_PROGRESS=1 VCLAB_CACHE=/tmp/perf-meas/cache
FIG1="train --dataset cifar10 --data-dir /work/shared/data --hidden 256 --activation gelu --lr 0.05 --batch 64 --epochs $EPOCHS --record gram,dgram,vc,agop --record-mode diag --threads 2 --overwrite"
: > "$OUT"
echo "# $(date -u) uptime: $(uptime)" >> "$OUT"
echo "# FIG1: $FIG1" >> "$OUT"
$NEW datasets list >/dev/null 2>&1
for r in $(seq "$REPS"); do
  /usr/bin/time -o "$OUT" -a -f "old %e s wall %U s user %S s sys %M KiB maxrss" $OLD $FIG1 --out /tmp/perf-meas/fig_old_$r >/dev/null 2>&1
  /usr/bin/time -o "$OUT" -a -f "new %e s wall %U s user %S s sys %M KiB maxrss" $NEW $FIG1 --out /tmp/perf-meas/fig_new_$r >/dev/null 2>&1
  /usr/bin/time -o "$OUT" -a -f "new-agop-final %e s wall %U s user %S s sys %M KiB maxrss" $NEW $FIG1 --agop-every final --out /tmp/perf-meas/fig_final_$r >/dev/null 2>&1
  for v in old new final; do
    echo "# rep $r $v epoch seconds: $(tail -n +3 /tmp/perf-meas/fig_${v}_$r/metrics.csv | cut -d, -f7 | paste -sd' ')" >> "$OUT"
  done
done
echo "# $(date -u) uptime: $(uptime)" >> "$OUT"
cat "$OUT"
