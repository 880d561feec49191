# Heatmaps of log10 update ratio by run
# Written by gradlab report; run "gnuplot compare-heatmap-update-ratio.gp" in this folder to render it again.

reset
set terminal pngcairo size 1260,340 enhanced font 'sans,10'
set output 'compare-heatmap-update-ratio.png'
set multiplot layout 1,3 title 'Heatmaps of log10 update ratio (shared colour scale)'
set cbrange [-12.0:-0.0]
set cblabel 'log_{10} ‖ΔW‖/‖W‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
set xlabel 'step'
set ylabel 'tensor (input → output)'
set title 'e-plain' noenhanced
set xrange [1:600]
set yrange [-0.5:16.5]
set ytics ('0.weight' 0, '2.weight' 1, '4.weight' 2, '6.weight' 3, '8.weight' 4, '10.weight' 5, '12.weight' 6, '14.weight' 7, '16.weight' 8, '18.weight' 9, '20.weight' 10, '22.weight' 11, '24.weight' 12, '26.weight' 13, '28.weight' 14, '30.weight' 15, '33.weight' 16) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-1.dat' using 1:2:3 with image
set title 'e-batchnorm' noenhanced
set xrange [1:600]
set yrange [-0.5:32.5]
set ytics ('0.weight' 0, '1.weight' 1, '3.weight' 2, '4.weight' 3, '6.weight' 4, '7.weight' 5, '9.weight' 6, '10.weight' 7, '12.weight' 8, '13.weight' 9, '15.weight' 10, '16.weight' 11, '18.weight' 12, '19.weight' 13, '21.weight' 14, '22.weight' 15, '24.weight' 16, '25.weight' 17, '27.weight' 18, '28.weight' 19, '30.weight' 20, '31.weight' 21, '33.weight' 22, '34.weight' 23, '36.weight' 24, '37.weight' 25, '39.weight' 26, '40.weight' 27, '42.weight' 28, '43.weight' 29, '45.weight' 30, '46.weight' 31, '49.weight' 32) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-2.dat' using 1:2:3 with image
set title 'e-residual' noenhanced
set xrange [1:600]
set yrange [-0.5:16.5]
set ytics ('0.weight' 0, '2.0.weight' 1, '2.2.weight' 2, '4.0.weight' 3, '4.2.weight' 4, '6.0.weight' 5, '6.2.weight' 6, '8.0.weight' 7, '8.2.weight' 8, '10.0.weight' 9, '10.2.weight' 10, '12.0.weight' 11, '12.2.weight' 12, '14.0.weight' 13, '14.2.weight' 14, '16.weight' 15, '19.weight' 16) font ',7' noenhanced
plot 'compare-heatmap-update-ratio-3.dat' using 1:2:3 with image
unset multiplot
unset output
