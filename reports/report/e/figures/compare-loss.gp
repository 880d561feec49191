# Training loss of each run
# Written by gradlab report; run "gnuplot compare-loss.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'compare-loss.png'
set title 'Training loss of each run' noenhanced
set xlabel 'step'
set xrange [1:600]
set grid lc rgb '#dddddd'
set ylabel 'loss (log scale)'
set logscale y
set yrange [1e-07:10.0]
set key outside right top font ',8' noenhanced
plot 'compare-loss.dat' index 0 using 1:2 with lines lw 1.5 lt 1 title 'e-plain', \
     '' index 1 using 1:2 with lines lw 1.5 lt 2 title 'e-batchnorm', \
     '' index 2 using 1:2 with lines lw 1.5 lt 3 title 'e-residual'
unset output
