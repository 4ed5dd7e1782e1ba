# Log-log scaling of vclab's per-step costs (bench_training): time per SGD step (bare, diag V, full V) and the
# diag AGOP's cost per 64 samples, against input width d, hidden width and batch size, with the bare step's FLOP floor
# (its FLOPs at the same run's sgemm peak). Data: scaling.dat (copy of raw/scaling.dat).
set terminal pngcairo size 1500,480 font "DejaVu Sans,11"
set output "scaling.png"
set multiplot layout 1,3 title "vclab costs, 2-layer GELU MLP, float, 2 BLAS threads (2-core machine, one session)"
set logscale xy
set grid
set ylabel "seconds"
set key bottom right
f = "scaling.dat"
sel(a) = (strcol(1) eq a) ? $2 : 1/0
do for [a in "d width batch"] {
  set xlabel (a eq "d" ? "input width d (width 256, batch 64)" : a eq "width" ? "hidden width (d 3072, batch 64)" : "batch size (d 3072, width 256)")
  plot f using (sel(a)):6 with linespoints lw 2 title "SGD step (bare)", \
       f using (sel(a)):7 with linespoints lw 2 title "step + diag V", \
       f using (sel(a)):8 with linespoints lw 2 title "step + full V", \
       f using (sel(a)):($9*64) with linespoints lw 2 dt 2 title "diag AGOP per 64 samples", \
       f using (sel(a)):11 with lines lw 2 lc rgb "black" dt 3 title "bare step's FLOPs at the sgemm peak"
}
unset multiplot
