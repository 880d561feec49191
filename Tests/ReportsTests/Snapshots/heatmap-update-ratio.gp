# Heatmap of log10 update ratio
# Written by gradlab report; run "gnuplot heatmap-update-ratio.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,172 enhanced font 'sans,10'
set output 'heatmap-update-ratio.png'
set title 'Log10 update ratio per weight tensor — fixture' noenhanced
set xlabel 'step'
set ylabel 'weight tensor (input → output)'
set xrange [1:8]
set yrange [-0.5:1.5]
set ytics ('0.weight' 0, '2.weight' 1) font ',8' noenhanced
set cbrange [-7.0:-3.0]
set cblabel 'log_{10} ‖ΔW‖/‖W‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
plot 'heatmap-update-ratio.dat' using 1:2:3 with image
unset output

reset
set terminal svg size 960,172 enhanced font 'sans,10' background '#ffffff'
set output 'heatmap-update-ratio.svg'
set title 'Log10 update ratio per weight tensor — fixture' noenhanced
set xlabel 'step'
set ylabel 'weight tensor (input → output)'
set xrange [1:8]
set yrange [-0.5:1.5]
set ytics ('0.weight' 0, '2.weight' 1) font ',8' noenhanced
set cbrange [-7.0:-3.0]
set cblabel 'log_{10} ‖ΔW‖/‖W‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
plot 'heatmap-update-ratio.dat' using 1:2:3 with image
unset output
