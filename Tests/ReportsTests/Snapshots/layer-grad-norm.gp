# Gradient norm per weight tensor
# Written by gradlab report; run "gnuplot layer-grad-norm.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'layer-grad-norm.png'
set title 'Gradient norm per weight tensor — fixture' noenhanced
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set ylabel '‖∂L/∂W‖ (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1e-05:0.01]
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set key outside right top font ',8' noenhanced
set arrow from 3, graph 0 to 3, graph 1 nohead dt 2 lw 1.5 lc rgb '#c00000' front
set label 'F1' at 3, graph 0.97 left offset 0.4,0 front noenhanced tc rgb '#c00000' font ',9'
plot 'layer-grad-norm.dat' index 0 using 1:2 with lines lw 1.5 lc palette frac 0.0000 title '0.weight', \
     '' index 1 using 1:2 with lines lw 1.5 lc palette frac 1.0000 title '2.weight'
unset output

reset
set terminal svg size 960,540 enhanced font 'sans,10' background '#ffffff'
set output 'layer-grad-norm.svg'
set title 'Gradient norm per weight tensor — fixture' noenhanced
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set ylabel '‖∂L/∂W‖ (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1e-05:0.01]
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set key outside right top font ',8' noenhanced
set arrow from 3, graph 0 to 3, graph 1 nohead dt 2 lw 1.5 lc rgb '#c00000' front
set label 'F1' at 3, graph 0.97 left offset 0.4,0 front noenhanced tc rgb '#c00000' font ',9'
plot 'layer-grad-norm.dat' index 0 using 1:2 with lines lw 1.5 lc palette frac 0.0000 title '0.weight', \
     '' index 1 using 1:2 with lines lw 1.5 lc palette frac 1.0000 title '2.weight'
unset output
