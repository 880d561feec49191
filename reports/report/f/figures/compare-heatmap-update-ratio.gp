# Heatmaps of log10 update ratio by run
# Written by gradlab report; run "gnuplot compare-heatmap-update-ratio.gp" in this folder to render it again.

reset
set terminal pngcairo size 1260,680 enhanced font 'sans,10'
set output 'compare-heatmap-update-ratio.png'
set multiplot layout 2,3 title 'Heatmaps of log10 update ratio (shared colour scale)'
set cbrange [-4.0:1.0]
set cblabel 'log_{10} ‖ΔW‖/‖W‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
set xlabel 'step'
set ylabel 'tensor (input → output)'
set title 'f-rnn-radius-1.5' noenhanced
set xrange [1:10]
set yrange [-0.5:0.5]
set ytics ('2.weight' 0) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-1.dat' using 1:2:3 with image
set title 'f-rnn-radius-1.5-clip-1' noenhanced
set xrange [1:300]
set yrange [-0.5:0.5]
set ytics ('2.weight' 0) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-2.dat' using 1:2:3 with image
set title 'f-rnn' noenhanced
set xrange [1:1000]
set yrange [-0.5:0.5]
set ytics ('2.weight' 0) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-3.dat' using 1:2:3 with image
set title 'f-lstm' noenhanced
set xrange [1:1000]
set yrange [-0.5:0.5]
set ytics ('2.weight' 0) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-4.dat' using 1:2:3 with image
unset multiplot
unset output
