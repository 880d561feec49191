# Heatmaps of log10 update ratio by run
# Written by gradlab report; run "gnuplot compare-heatmap-update-ratio.gp" in this folder to render it again.

reset
set terminal pngcairo size 420,340 enhanced font 'sans,10'
set output 'compare-heatmap-update-ratio.png'
set multiplot layout 1,1 title 'Heatmaps of log10 update ratio (shared colour scale)'
set cbrange [-5.0:-0.0]
set cblabel 'log_{10} ‖ΔW‖/‖W‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
set xlabel 'step'
set ylabel 'tensor (input → output)'
set title 'b-lr2-clip-norm-1' noenhanced
set xrange [1:300]
set yrange [-0.5:6.5]
set ytics ('0.weight' 0, '2.weight' 1, '4.weight' 2, '6.weight' 3, '8.weight' 4, '10.weight' 5, '12.weight' 6) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-2.dat' using 1:2:3 with image
unset multiplot
unset output
