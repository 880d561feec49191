# Global gradient norm
# Written by gradlab report; run "gnuplot grad-norm.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'grad-norm.png'
set title 'Global gradient norm — fixture' noenhanced
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set ylabel '‖∂L/∂θ‖ (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1.0:10.0]
set key top right
plot 'grad-norm.dat' using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'global ‖g‖ before clipping', \
     '' using 1:($3 > 0 ? $2 : NaN) with points pt 7 ps 0.5 lc rgb '#d62728' title 'clipped step', \
     5.0 with lines dt 2 lw 2 lc rgb '#2ca02c' title 'clip threshold 5.0'
unset output

reset
set terminal svg size 960,540 enhanced font 'sans,10' background '#ffffff'
set output 'grad-norm.svg'
set title 'Global gradient norm — fixture' noenhanced
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set ylabel '‖∂L/∂θ‖ (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1.0:10.0]
set key top right
plot 'grad-norm.dat' using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'global ‖g‖ before clipping', \
     '' using 1:($3 > 0 ? $2 : NaN) with points pt 7 ps 0.5 lc rgb '#d62728' title 'clipped step', \
     5.0 with lines dt 2 lw 2 lc rgb '#2ca02c' title 'clip threshold 5.0'
unset output
