# vclab figure 'bound_violation_heatmap': a self-contained gnuplot script; it reads its data
# files by relative name, so run it from this directory:
#   gnuplot -e "fmt='pdf'" bound_violation_heatmap.gp      (fmt: pdf | png | svg)
# Restyle with more -e settings: width_in, height_in, font_name, font_pt, dpi (png), out.
if (!exists("fmt")) fmt = 'pdf'
if (!exists("width_in")) width_in = 6.9
if (!exists("height_in")) height_in = 3.2
if (!exists("font_name")) font_name = 'DejaVu Sans'
if (!exists("font_pt")) font_pt = 8
if (!exists("dpi")) dpi = 300
if (!exists("out")) out = 'bound_violation_heatmap.'.fmt
set encoding utf8
font_spec = sprintf('%s,%g', font_name, font_pt)
small_font = sprintf(',%g', font_pt - 1)
# Font sizes are true points of the physical size: the cairo terminals draw a font of size s
# as s px at 96 px per inch, hence fontscale 0.75 (pdf, 72 pt per inch) and dpi/96 (png);
# svg sizes are in px at 96 px per inch, so 1 pt = 96/72 px.
if (fmt eq 'pdf') {
  set terminal pdfcairo enhanced color rounded font font_spec fontscale 0.75 linewidth 1 \
      size width_in, height_in
} else {
  if (fmt eq 'png') {
    set terminal pngcairo enhanced color truecolor rounded font font_spec \
        fontscale dpi/96.0 linewidth dpi/144.0 size int(width_in*dpi+0.5), int(height_in*dpi+0.5)
  } else {
    if (fmt eq 'svg') {
      set terminal svg enhanced rounded font font_spec fontscale 96.0/72 linewidth 96.0/144 \
          size int(width_in*96+0.5), int(height_in*96+0.5) fixed background rgb 'white'
    } else {
      print sprintf("unknown fmt '%s': use pdf, png or svg", fmt)
      exit status 2
    }
  }
}
set output out
set datafile missing 'NaN'
# Okabe-Ito palette: distinguishable with every common colour-vision deficiency.
set linetype 1 lc rgb '#0072B2' lw 1.5 pt 7 ps 0.5 dt solid
set linetype 2 lc rgb '#D55E00' lw 1.5 pt 5 ps 0.5 dt solid
set linetype 3 lc rgb '#009E73' lw 1.5 pt 9 ps 0.6 dt solid
set linetype 4 lc rgb '#CC79A7' lw 1.5 pt 13 ps 0.6 dt solid
set linetype 5 lc rgb '#E69F00' lw 1.5 pt 11 ps 0.6 dt solid
set linetype 6 lc rgb '#56B4E9' lw 1.5 pt 15 ps 0.6 dt solid
set linetype 7 lc rgb '#000000' lw 1.5 pt 3 ps 0.6 dt solid
set linetype 8 lc rgb '#999999' lw 1.5 pt 1 ps 0.6 dt solid
set linetype cycle 8
set border 3 lw 0.8 lc rgb '#333333'
set tics nomirror out scale 0.5 font small_font textcolor rgb '#333333'
set key noautotitle
set title font font_spec
# ---- figure body ----
set palette defined (0 '#440154', 1 '#472c7a', 2 '#3b518b', 3 '#2c718e', 4 '#21908d', 5 '#27ad81', 6 '#5cc863', 7 '#aadc32', 8 '#fde725')
set title 'fraction of elements with |a| > L²|v|'
unset key
set border 0
set xrange [-0.5:9-0.5]
set yrange [7-0.5:-0.5]   # reversed: row 0 at the top
set xtics ('1' 0, '2' 1, '4' 2, '8' 3, '16' 4, '32' 5, '64' 6, '128' 7, '256' 8) scale 0
set ytics ('relu' 0, 'leaky-relu' 1, 'tanh' 2, 'sigmoid' 3, 'softplus' 4, 'gelu (L=1.1289)' 5, 'gelu (L=1, paper)' 6) scale 0
set xlabel 'batch size B'
set ylabel 'activation'
set cblabel 'violation rate'
set cbrange [0:1]
set cbtics ('0' 0, '0.2' 0.2, '0.4' 0.4, '0.6' 0.6000000000000001, '0.8' 0.8, '1' 1) scale 0.4 font small_font
set colorbox noborder
plot 'bound_violation_heatmap.dat' matrix with image, \
     'bound_violation_heatmap_labels.dat' using 1:2:3:4 with labels textcolor rgb variable font small_font

unset output
