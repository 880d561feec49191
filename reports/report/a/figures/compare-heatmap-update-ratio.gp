# Heatmaps of log10 update ratio by run
# Written by gradlab report; run "gnuplot compare-heatmap-update-ratio.gp" in this folder to render it again.

reset
set terminal pngcairo size 840,340 enhanced font 'sans,10'
set output 'compare-heatmap-update-ratio.png'
set multiplot layout 1,2 title 'Heatmaps of log10 update ratio (shared colour scale)'
set cbrange [-13.0:-0.0]
set cblabel 'log_{10} ‖ΔW‖/‖W‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
set xlabel 'step'
set ylabel 'tensor (input → output)'
set title 'a-sigmoid-classic' noenhanced
set xrange [1:600]
set yrange [-0.5:10.5]
set ytics ('0.weight' 0, '2.weight' 1, '4.weight' 2, '6.weight' 3, '8.weight' 4, '10.weight' 5, '12.weight' 6, '14.weight' 7, '16.weight' 8, '18.weight' 9, '20.weight' 10) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-1.dat' using 1:2:3 with image
set title 'a-relu-he' noenhanced
set xrange [1:600]
set yrange [-0.5:10.5]
set ytics ('0.weight' 0, '2.weight' 1, '4.weight' 2, '6.weight' 3, '8.weight' 4, '10.weight' 5, '12.weight' 6, '14.weight' 7, '16.weight' 8, '18.weight' 9, '20.weight' 10) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-2.dat' using 1:2:3 with image
unset multiplot
unset output
