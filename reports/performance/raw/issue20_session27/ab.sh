#!/bin/bash
# interleaved A/B of the 12-epoch Figure 1 pipeline (train + analyze), vclab only: OLD NEW REPS
export VCLAB_NO_PROGRESS=1
for r in $(seq $3); do for side in old new; do bin=$1; [ $side = new ] && bin=$2
  dir=/tmp/ab/run_$side; t0=$(date +%s.%N)
  /usr/bin/time -f "%M" -o /tmp/ab/rss $bin train --dataset cifar10 --data-dir /work/shared/data/cifar10 --epochs 12 --threads 2 \
    --record gram,dgram,vc,agop --record-mode diag --record-every 12epochs --out $dir --overwrite >/dev/null 2>&1
  $bin analyze $dir >/dev/null 2>&1; t1=$(date +%s.%N)
  ep=$(awk -F, 'NR>1 {s+=$7} END {printf "%.2f", s}' $dir/metrics.csv)
  echo "$side rep $r wall_s $(echo "$t1 - $t0" | bc) epochs_sum_s $ep max_rss_kib $(cat /tmp/ab/rss) load $(cut -d' ' -f1 /proc/loadavg)"
done; done
