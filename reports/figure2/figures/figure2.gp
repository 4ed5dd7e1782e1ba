# vclab figure 'figure2': a self-contained gnuplot script; it reads its data
# files by relative name, so run it from this directory:
#   gnuplot -e "fmt='pdf'" figure2.gp      (fmt: pdf | png | svg)
# Restyle with more -e settings: width_in, height_in, font_name, font_pt, dpi (png), out.
if (!exists("fmt")) fmt = 'pdf'
if (!exists("width_in")) width_in = 6.9
if (!exists("height_in")) height_in = 2.3
if (!exists("font_name")) font_name = 'DejaVu Sans'
if (!exists("font_pt")) font_pt = 8
if (!exists("dpi")) dpi = 300
if (!exists("out")) out = 'figure2.'.fmt
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
set grid xtics ytics back lc rgb '#e0e0e0' lw 0.5 dt solid
set xtics out nomirror
set ytics out nomirror
set multiplot layout 1,3

# panel 0
set title 'mnist'
set xlabel 'epoch'
set ylabel 'test accuracy'
unset logscale x; set format x '%g'
unset logscale y; set format y '%g'
set xrange [*:*]
set yrange [*:*]
set key bottom right reverse Left samplen 1.5 spacing 0.9 font small_font nobox
plot 'figure2.dat' index 0 using 1:3:4 with filledcurves fillcolor lt 1 fillstyle transparent solid 0.2 noborder notitle, \
     'figure2.dat' index 1 using 1:3:4 with filledcurves fillcolor lt 2 fillstyle transparent solid 0.2 noborder notitle, \
     'figure2.dat' index 0 using 1:2 with linespoints lt 1 title 'SGD γ=0.1', \
     'figure2.dat' index 1 using 1:2 with linespoints lt 2 title 'VCL γ=5'

# panel 1
set title 'fashion-mnist'
set xlabel 'epoch'
set ylabel 'test accuracy'
unset logscale x; set format x '%g'
unset logscale y; set format y '%g'
set xrange [*:*]
set yrange [*:*]
set key bottom right reverse Left samplen 1.5 spacing 0.9 font small_font nobox
plot 'figure2.dat' index 2 using 1:3:4 with filledcurves fillcolor lt 1 fillstyle transparent solid 0.2 noborder notitle, \
     'figure2.dat' index 3 using 1:3:4 with filledcurves fillcolor lt 2 fillstyle transparent solid 0.2 noborder notitle, \
     'figure2.dat' index 2 using 1:2 with linespoints lt 1 title 'SGD γ=0.1', \
     'figure2.dat' index 3 using 1:2 with linespoints lt 2 title 'VCL γ=5'

# panel 2
set title 'cifar10'
set xlabel 'epoch'
set ylabel 'test accuracy'
unset logscale x; set format x '%g'
unset logscale y; set format y '%g'
set xrange [*:*]
set yrange [*:*]
set key bottom right reverse Left samplen 1.5 spacing 0.9 font small_font nobox
plot 'figure2.dat' index 4 using 1:3:4 with filledcurves fillcolor lt 1 fillstyle transparent solid 0.2 noborder notitle, \
     'figure2.dat' index 5 using 1:3:4 with filledcurves fillcolor lt 2 fillstyle transparent solid 0.2 noborder notitle, \
     'figure2.dat' index 4 using 1:2 with linespoints lt 1 title 'SGD γ=0.01', \
     'figure2.dat' index 5 using 1:2 with linespoints lt 2 title 'VCL γ=5'
unset multiplot

unset output
