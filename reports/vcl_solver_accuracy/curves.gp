set terminal pngcairo size 900,560; set output 'curves.png'
set xlabel 'epoch (1 = last-layer warm-up)'; set ylabel 'test accuracy (mean over seeds)'; set key bottom right; set grid
plot 'curves.dat' using 1:2 with linespoints dt 1 title 'VCL fast EVD, γ = 5', 'curves.dat' using 1:3 with linespoints dt 2 title 'VCL full EVD, γ = 5'
