# Heatmap of log10 gradient norm
# Written by gradlab report; run "gnuplot heatmap-grad-norm.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,172 enhanced font 'sans,10'
set output 'heatmap-grad-norm.png'
set title 'Log10 gradient norm per weight tensor — fixture' noenhanced
set xlabel 'step'
set ylabel 'weight tensor (input → output)'
set xrange [1:8]
set yrange [-0.5:1.5]
set ytics ('0.weight' 0, '2.weight' 1) font ',8' noenhanced
set cbrange [-5.0:-2.0]
set cblabel 'log_{10} ‖∂L/∂W‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
set arrow from 3, graph 0 to 3, graph 1 nohead dt 2 lw 1.5 lc rgb '#c00000' front
set label 'F1' at 3, graph 0.97 left offset 0.4,0 front noenhanced tc rgb '#c00000' font ',9'
plot 'heatmap-grad-norm.dat' using 1:2:3 with image
unset output

reset
set terminal svg size 960,172 enhanced font 'sans,10' background '#ffffff'
set output 'heatmap-grad-norm.svg'
set title 'Log10 gradient norm per weight tensor — fixture' noenhanced
set xlabel 'step'
set ylabel 'weight tensor (input → output)'
set xrange [1:8]
set yrange [-0.5:1.5]
set ytics ('0.weight' 0, '2.weight' 1) font ',8' noenhanced
set cbrange [-5.0:-2.0]
set cblabel 'log_{10} ‖∂L/∂W‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
set arrow from 3, graph 0 to 3, graph 1 nohead dt 2 lw 1.5 lc rgb '#c00000' front
set label 'F1' at 3, graph 0.97 left offset 0.4,0 front noenhanced tc rgb '#c00000' font ',9'
plot 'heatmap-grad-norm.dat' using 1:2:3 with image
unset output
