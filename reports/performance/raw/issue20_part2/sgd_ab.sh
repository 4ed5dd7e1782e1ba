#!/usr/bin/env bash
# Issue 20 part 2, fix 3: the SGD update. One CIFAR-10 epoch without recording (--record none), old and new binary
# interleaved under perf record; per run: epoch seconds (metrics.csv) and the share of samples in the update's symbol.
set -u
OLD=${OLD:-/tmp/perf-base-bin/vclab} NEW=${NEW:-build/vclab} REPS=${REPS:-3} OUT=${OUT:-/tmp/perf-meas/sgd_ab.txt}
export VCLAB_NO_PROGRESS=1 VCLAB_CACHE=/tmp/perf-meas/cache
RUN="train --dataset cifar10 --data-dir /work/shared/data --hidden 256 --activation gelu --lr 0.05 --batch 64 --epochs 1 --record none --threads 2 --overwrite --no-save-weights --checkpoint-every 0"
: > "$OUT"
echo "# $(date -u) uptime: $(uptime)" >> "$OUT"
echo "# RUN: $RUN" >> "$OUT"
for r in $(seq "$REPS"); do
  for v in old new; do
    bin=$NEW; [ $v = old ] && bin=$OLD
    perf record -F 499 -o /tmp/perf-meas/sgd_${v}_$r.data -- $bin $RUN --out /tmp/perf-meas/sgd_$v >/dev/null 2>&1
    share=$(python3 /tmp/perf-meas/update_samples.py /tmp/perf-meas/sgd_${v}_$r.data)
    echo "$v rep $r epoch_seconds $(tail -n 1 /tmp/perf-meas/sgd_$v/metrics.csv | cut -d, -f7) $share" >> "$OUT"
  done
  cmp <(cut -d, -f1-6 /tmp/perf-meas/sgd_old/metrics.csv) <(cut -d, -f1-6 /tmp/perf-meas/sgd_new/metrics.csv) && echo "# rep $r metrics (loss, accuracy) identical" >> "$OUT"
done
echo "# $(date -u) uptime: $(uptime)" >> "$OUT"
cat "$OUT"
