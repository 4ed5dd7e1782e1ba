#!/usr/bin/env bash
# A/B: BIN_A BIN_B REPS OUTROOT ; runs none/rec for each binary interleaved; prints label rep wall_s maxrss_kb
set -u
A=$1; B=$2; REPS=$3; ROOT=$4
mkdir -p $ROOT
run() { # label bin record
  local label=$1 bin=$2 rec=$3 r=$4
  local out=$ROOT/$label
  local extra="--record $rec"
  [ "$rec" != none ] && extra="--record $rec --record-mode full --record-every 5steps"
  /usr/bin/time -f "%e %M" -o $ROOT/time.txt $bin train --dataset cifar10 --data-dir /work/shared/data --hidden 256 --epochs 1 --train-size 640 --threads 2 $extra --out $out --overwrite >/dev/null 2>$ROOT/$label.err
  echo "$label $r $(cat $ROOT/time.txt) $(du -b $out/recordings.h5 2>/dev/null | cut -f1)"
}
for r in $(seq 1 $REPS); do
  run A_none $A none $r
  run A_rec $A gram,dgram $r
  run B_none $B none $r
  run B_rec $B gram,dgram $r
done
