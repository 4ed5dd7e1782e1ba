# vclab figure 'figure1_dgram': a self-contained gnuplot script; it reads its data
# files by relative name, so run it from this directory:
#   gnuplot -e "fmt='pdf'" figure1_dgram.gp      (fmt: pdf | png | svg)
# Restyle with more -e settings: width_in, height_in, font_name, font_pt, dpi (png), out.
if (!exists("fmt")) fmt = 'pdf'
if (!exists("width_in")) width_in = 6.9
if (!exists("height_in")) height_in = 2.2
if (!exists("font_name")) font_name = 'DejaVu Sans'
if (!exists("font_pt")) font_pt = 8
if (!exists("dpi")) dpi = 300
if (!exists("out")) out = 'figure1_dgram.'.fmt
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
# Layout in inches, recomputed from width_in/height_in: a grid of 1 x 3 cells, each an image (square pixels) with its colour bar to the right.
n_rows = 1; n_cols = 3
img_aspect = 28.0/28   # image height / width
min2(a, b) = a < b ? a : b
pad = 0.03
line_h = 1.25*font_pt/72.0   # one line of text
title_lines = 1
title_h = title_lines*line_h + 0.06   # titles above the top row
row_label_w = 0*font_pt/72.0
cb_gap = 0.04; cb_w = 0.07
cb_label_w = (3*0.62 + 1.0)*(font_pt - 1)/72.0
panel_gap = 0.08
cell_w = (width_in - 2*pad - row_label_w)/n_cols
cell_h = (height_in - 2*pad - title_h)/n_rows
img_w = min2(cell_w - panel_gap - cb_gap - cb_w - cb_label_w, (cell_h - 0.06)/img_aspect)
img_h = img_w*img_aspect
img_x0(c) = pad + row_label_w + c*cell_w + (cell_w - (img_w + cb_gap + cb_w + cb_label_w))/2
img_top(r) = height_in - pad - title_h - r*cell_h - (cell_h - img_h)/2
unset key; unset xtics; unset ytics
set border 15 lw 0.5 lc rgb '#333333'
set colorbox border
set xrange [-0.5:28-0.5]
set yrange [28-0.5:-0.5]   # reversed: image row 0 at the top
set multiplot

# panel 0, sum
r = 0; c = 0
set lmargin at screen img_x0(c)/width_in
set rmargin at screen (img_x0(c) + img_w)/width_in
set tmargin at screen img_top(r)/height_in
set bmargin at screen (img_top(r) - img_h)/height_in
set colorbox user origin screen (img_x0(c) + img_w + cb_gap)/width_in, screen (img_top(r) - img_h)/height_in size screen cb_w/width_in, screen img_h/height_in
set cbrange [-0.0014826830196587315:0.8319788511124926]
set cbtics ('0' 0, '0.2' 0.2, '0.4' 0.4, '0.6' 0.6000000000000001, '0.8' 0.8) scale 0.4 font small_font
set label 1 'Gram change diag(ΔG₀)' at screen (img_x0(c) + img_w/2)/width_in, screen (img_top(r) + 0.03 + (1 - 0.5)*line_h)/height_in center front
plot 'figure1_dgram.dat' index 0 matrix with image
unset label 1; unset label 2; unset label 3

# panel 1, sum
r = 0; c = 1
set lmargin at screen img_x0(c)/width_in
set rmargin at screen (img_x0(c) + img_w)/width_in
set tmargin at screen img_top(r)/height_in
set bmargin at screen (img_top(r) - img_h)/height_in
set colorbox user origin screen (img_x0(c) + img_w + cb_gap)/width_in, screen (img_top(r) - img_h)/height_in size screen cb_w/width_in, screen img_h/height_in
set cbrange [0.007161192445337108:1.901574318175144]
set cbtics ('0.5' 0.5, '1' 1, '1.5' 1.5) scale 0.4 font small_font
set label 1 'AGOP ρ = 0.90' at screen (img_x0(c) + img_w/2)/width_in, screen (img_top(r) + 0.03 + (1 - 0.5)*line_h)/height_in center front
plot 'figure1_dgram.dat' index 1 matrix with image
unset label 1; unset label 2; unset label 3

# panel 2, sum
r = 0; c = 2
set lmargin at screen img_x0(c)/width_in
set rmargin at screen (img_x0(c) + img_w)/width_in
set tmargin at screen img_top(r)/height_in
set bmargin at screen (img_top(r) - img_h)/height_in
set colorbox user origin screen (img_x0(c) + img_w + cb_gap)/width_in, screen (img_top(r) - img_h)/height_in size screen cb_w/width_in, screen img_h/height_in
set cbrange [-0.058135579570016895:0.8119488651903913]
set cbtics ('0' 0, '0.2' 0.2, '0.4' 0.4, '0.6' 0.6000000000000001, '0.8' 0.8) scale 0.4 font small_font
set label 1 'Virtual covariance ρ = 0.95' at screen (img_x0(c) + img_w/2)/width_in, screen (img_top(r) + 0.03 + (1 - 0.5)*line_h)/height_in center front
plot 'figure1_dgram.dat' index 2 matrix with image
unset label 1; unset label 2; unset label 3
unset multiplot

unset output
