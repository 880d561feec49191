# Gradient check step-size sweep
# Written by gradlab report; run "gnuplot gradcheck-sweep.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'gradcheck-sweep.png'
set title 'Gradient check: step-size sweep — gradcheck' noenhanced
set xlabel 'finite-difference step h (log scale)'
set ylabel 'relative error (log scale)'
set logscale xy
set format x '10^{%L}'
set format y '10^{%L}'
set xrange [1e-12:0.1]
set yrange [1e-08:10.0]
set grid lc rgb '#dddddd'
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set key outside right top font ',8' noenhanced
set object 1 rect from graph 0, first 1e-16 to graph 1, first 1e-7 behind fc rgb '#e5f5e0' fs solid noborder
set object 2 rect from graph 0, first 1e-4 to graph 1, first 1e-2 behind fc rgb '#fff3d6' fs solid noborder
set object 3 rect from graph 0, first 1e-2 to graph 1, first 1e3 behind fc rgb '#fde0dd' fs solid noborder
set arrow from graph 0, first 1e-7 to graph 1, first 1e-7 nohead dt 2 lc rgb '#2ca02c' back
set arrow from graph 0, first 1e-4 to graph 1, first 1e-4 nohead dt 2 lc rgb '#e6a100' back
set arrow from graph 0, first 1e-2 to graph 1, first 1e-2 nohead dt 2 lc rgb '#d62728' back
plot 'gradcheck-sweep.dat' index 0 using 1:2 with linespoints pt 7 ps 0.5 lw 1.5 lc palette frac 0.0000 title '2.weight[52;5]', \
     '' index 1 using 1:2 with linespoints pt 7 ps 0.5 lw 1.5 lc palette frac 0.5000 title '4.weight[54;53]', \
     '' index 2 using 1:2 with linespoints pt 7 ps 0.5 lw 1.5 lc palette frac 1.0000 title '4.weight[49;53]'
unset output
