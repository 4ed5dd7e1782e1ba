#!/usr/bin/env bash
# Issue-6 benchmark suite: micro-benchmarks, CIFAR-10 epoch times, PyTorch peer comparison, rho check.
# Usage: scripts/bench.sh [all|micro|vcl|vcl_e2e|epoch|peer|pair|rho|cnn]   (env: BUILD=build-perf THREADS=2 REPS=3 PEER_EPOCHS=2)
# Every comparison runs its sides interleaved (A, B, A, B, ...) in one session; raw outputs go to
# reports/performance/raw/. The numbers in reports/performance/README.md come from these files.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-perf}
THREADS=${THREADS:-2}
REPS=${REPS:-3}
PEER_EPOCHS=${PEER_EPOCHS:-2}
DATA=${DATA:-../shared/data/cifar10}
RAW=reports/performance/raw
WORK=${WORK:-/tmp/vclab-bench-runs}
export VCLAB_NO_PROGRESS=1
mkdir -p "$RAW" "$WORK"
what=${1:-all}

build() {
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" --target vclab bench_training bench_vcl_step bench_batch_order -j2 >/dev/null
}

stamp() { echo "# commit $(git rev-parse --short HEAD) (tree $(git diff --quiet && echo clean || echo modified)), $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)"; }

micro() {
  { stamp; "$BUILD"/bench_training --threads "$THREADS" --reps "${MICRO_REPS:-5}" --brute-n 4 --dat "$RAW/scaling.dat"; } | tee "$RAW/bench_training.txt"
}

vcl() {
  { stamp; for r in $(seq "${VCL_REPS:-3}"); do "$BUILD"/bench_vcl_step --precision float --steps "${VCL_STEPS:-20}" \
      --json "$RAW/bench_vcl_step_$r.json"; done; } | tee "$RAW/bench_vcl_step.txt"
}

# VCL end to end on CIFAR-10, fast tracker vs full EVD, same seed: test accuracy, solver seconds per eigen-step, wall.
# Subset and epochs are settings (VCL_TRAIN_SIZE, VCL_EPOCHS) because the full-EVD side costs ~3.5 s per step here.
vcl_e2e() {
  { stamp
    for solver in fast full; do
      local dir="$WORK/vcl_e2e_$solver"
      /usr/bin/time -f "%e %M" -o "$WORK/time_vcl_$solver" "$BUILD"/vclab train --dataset cifar10 --data-dir "$DATA" \
        --optimizer vcl --vcl-solver "$solver" --train-size "${VCL_TRAIN_SIZE:-5000}" --epochs "${VCL_EPOCHS:-2}" \
        --vcl-warmup-epochs 1 --seed 0 --threads "$THREADS" --record none --out "$dir" --overwrite >/dev/null
      echo "$solver wall_s $(cut -d' ' -f1 "$WORK/time_vcl_$solver") max_rss_kib $(cut -d' ' -f2 "$WORK/time_vcl_$solver")" \
        "final_test_acc $(tail -n 1 "$dir/metrics.csv" | cut -d, -f6)" \
        "solver_s_per_step $(awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) h[$i] = i; next} $2 == "vcl" {s += $h["solver_seconds"]; n += $h["vcl_steps"]} END {printf "%.4f", s / n}' "$dir/vcl_stats.csv")"
    done; } | tee "$RAW/vcl_e2e.txt"
}

# One CIFAR-10 epoch (782 steps, batch 64) per recording setting; prints wall s, max RSS KiB, metrics' epoch seconds.
epoch_run() {  # label, extra flags...
  local label=$1; shift
  local dir="$WORK/epoch_$label"
  /usr/bin/time -f "%e %M" -o "$WORK/time_$label" "$BUILD"/vclab train --dataset cifar10 --data-dir "$DATA" --epochs 1 \
    --threads "$THREADS" --out "$dir" --overwrite "$@" >/dev/null
  local epoch_s
  epoch_s=$(awk -F, '$1==1 {print $7}' "$dir/metrics.csv")
  echo "$label wall_s $(cut -d' ' -f1 "$WORK/time_$label") max_rss_kib $(cut -d' ' -f2 "$WORK/time_$label") epoch_train_s $epoch_s"
}

epoch() {
  { stamp
    for r in $(seq "$REPS"); do
      epoch_run none --record none
      epoch_run diag --record gram,dgram,vc --record-mode diag
      epoch_run full --record gram,dgram,vc --record-mode full
    done; } | tee "$RAW/epoch.txt"
}

# End to end, one seed: vclab train + analyze versus bench/peer_figure1.py, identical init and batch order.
peer_pair() {  # epochs, tag
  local e=$1 tag=$2 dir="$WORK/vclab_e$1_$2"
  local t0 t1
  t0=$(date +%s.%N)
  "$BUILD"/vclab train --dataset cifar10 --data-dir "$DATA" --epochs "$e" --threads "$THREADS" \
    --record gram,dgram,vc,agop --record-mode diag --record-every "${e}epochs" --out "$dir" --overwrite >/dev/null
  "$BUILD"/vclab analyze "$dir" >/dev/null
  t1=$(date +%s.%N)
  echo "vclab epochs $e wall_s $(echo "$t1 - $t0" | bc)"
  t0=$(date +%s.%N)
  /usr/bin/python3 bench/peer_figure1.py --data-dir "$DATA" --init "$WORK/vclab_init/weights_init.h5" --order "$WORK/order.bin" \
    --epochs "$e" --threads "$THREADS" --out "$WORK/peer_e$1_$2.json" --compare-run "$dir" >/dev/null
  t1=$(date +%s.%N)
  echo "peer  epochs $e wall_s $(echo "$t1 - $t0" | bc)"
}

prepare_peer() {
  /usr/bin/python3 -c "import torch, h5py, numpy" 2>/dev/null || {
    echo "bench.sh: the PyTorch peer needs Debian's python3-torch, python3-h5py and python3-numpy: apt-get install -y python3-torch python3-h5py python3-numpy" >&2
    exit 2; }
  "$BUILD"/bench_batch_order --n 50000 --seed 0 --epochs 12 --out "$WORK/order.bin"
  [ -f "$WORK/vclab_init/weights_init.h5" ] || "$BUILD"/vclab train --dataset cifar10 --data-dir "$DATA" --epochs 1 \
    --train-size 64 --record none --threads "$THREADS" --out "$WORK/vclab_init" --overwrite >/dev/null
}

peer() {
  prepare_peer
  { stamp; for r in $(seq "$REPS"); do peer_pair "$PEER_EPOCHS" "r$r"; done; } | tee "$RAW/peer_timing.txt"
  for r in $(seq "$REPS"); do
    cp "$WORK/peer_e${PEER_EPOCHS}_r$r.json" "$RAW/"
    cp "$WORK/vclab_e${PEER_EPOCHS}_r$r/analysis/correlations.csv" "$RAW/vclab_e${PEER_EPOCHS}_r$r.correlations.csv"
    cp "$WORK/vclab_e${PEER_EPOCHS}_r$r/metrics.csv" "$RAW/vclab_e${PEER_EPOCHS}_r$r.metrics.csv"
  done
}

rho() {
  prepare_peer
  { stamp; peer_pair 12 rho; } | tee "$RAW/rho_12epochs_timing.txt"
  cp "$WORK/peer_e12_rho.json" "$RAW/"
  cp "$WORK/vclab_e12_rho/analysis/correlations.csv" "$RAW/vclab_e12_rho.correlations.csv"
  cp "$WORK/vclab_e12_rho/metrics.csv" "$RAW/vclab_e12_rho.metrics.csv"
}

# Issue 18: one CIFAR-10 epoch of the CNN (conv 32,64, 3x3, max pooling, hidden 256) with gram,dgram,vc,agop and
# vclab analyze, against bench/peer_cnn.py with the same init and batch order; CNN_POOL=avg for the tie-free check.
cnn_pair() {  # tag
  local pool=${CNN_POOL:-max} dir="$WORK/cnn_vclab_$1" t0 t1
  local net=(--conv 32,64 --kernel 3 --pool "$pool" --hidden 256)
  [ -f "$WORK/cnn_init_$pool/weights_init.h5" ] || "$BUILD"/vclab train --dataset cifar10 --data-dir "$DATA" "${net[@]}" \
    --epochs 1 --train-size 64 --record none --threads "$THREADS" --out "$WORK/cnn_init_$pool" --overwrite >/dev/null
  t0=$(date +%s.%N)
  "$BUILD"/vclab train --dataset cifar10 --data-dir "$DATA" "${net[@]}" --epochs 1 --threads "$THREADS" \
    --record gram,dgram,vc,agop --record-mode diag --agop-samples "${CNN_AGOP:-1000}" --out "$dir" --overwrite >/dev/null
  "$BUILD"/vclab analyze "$dir" >/dev/null
  t1=$(date +%s.%N)
  echo "vclab cnn pool $pool wall_s $(echo "$t1 - $t0" | bc) epoch_train_s $(awk -F, '$1==1 {print $7}' "$dir/metrics.csv")"
  t0=$(date +%s.%N)
  /usr/bin/python3 bench/peer_cnn.py --data-dir "$DATA" --init "$WORK/cnn_init_$pool/weights_init.h5" --pool "$pool" \
    --order "$WORK/order.bin" --agop-samples "${CNN_AGOP:-1000}" --threads "$THREADS" --out "$WORK/cnn_peer_$1.json" \
    --compare-run "$dir" >/dev/null
  t1=$(date +%s.%N)
  echo "peer  cnn pool $pool wall_s $(echo "$t1 - $t0" | bc) train_s $(/usr/bin/python3 -c "import json; print(json.load(open('$WORK/cnn_peer_$1.json'))['seconds']['train'])")"
  cp "$WORK/cnn_peer_$1.json" "$RAW/"
  cp "$dir/analysis/correlations.csv" "$RAW/cnn_vclab_$1.correlations.csv"
  cp "$dir/metrics.csv" "$RAW/cnn_vclab_$1.metrics.csv"
}

cnn() {
  prepare_peer
  { stamp; for r in $(seq "$REPS"); do cnn_pair "${CNN_POOL:-max}_r$r"; done; } | tee -a "$RAW/cnn_timing.txt"
}

[ "${SKIP_BUILD:-0}" = 1 ] || build
case $what in
  all) peer; rho; epoch; micro; vcl; vcl_e2e; cnn ;;
  micro|vcl|vcl_e2e|epoch|peer|rho|cnn) $what ;;
  pair) prepare_peer; { stamp; peer_pair "$PEER_EPOCHS" "${TAG:-r2}"; } | tee -a "$RAW/peer_timing.txt"
        cp "$WORK/peer_e${PEER_EPOCHS}_${TAG:-r2}.json" "$RAW/" ;;
  *) echo "usage: scripts/bench.sh [all|micro|vcl|vcl_e2e|epoch|peer|pair|rho|cnn]" >&2; exit 2 ;;
esac
