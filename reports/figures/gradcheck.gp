# Gradient check errors per tensor
# Written by gradlab report; run "gnuplot gradcheck.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'gradcheck.png'
set title 'Gradient check: relative error per tensor — gradcheck' noenhanced
set ylabel 'relative error (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1e-16:0.1]
set xrange [0.5:10.5]
set xtics ('0.weight' 1, '0.bias' 2, '2.weight' 3, '2.bias' 4, '4.weight' 5, '4.bias' 6, '6.weight' 7, '6.bias' 8, '8.weight' 9, '8.bias' 10) rotate by -45 font ',8' noenhanced
set key outside right top noenhanced
set object 1 rect from graph 0, first 1e-16 to graph 1, first 1e-7 behind fc rgb '#e5f5e0' fs solid noborder
set object 2 rect from graph 0, first 1e-4 to graph 1, first 1e-2 behind fc rgb '#fff3d6' fs solid noborder
set object 3 rect from graph 0, first 1e-2 to graph 1, first 1e3 behind fc rgb '#fde0dd' fs solid noborder
set arrow from graph 0, first 1e-7 to graph 1, first 1e-7 nohead dt 2 lc rgb '#2ca02c' back
set arrow from graph 0, first 1e-4 to graph 1, first 1e-4 nohead dt 2 lc rgb '#e6a100' back
set arrow from graph 0, first 1e-2 to graph 1, first 1e-2 nohead dt 2 lc rgb '#d62728' back
plot 'gradcheck.dat' index 0 using 1:2 with points pt 7 ps 0.7 lc rgb '#2ca02c' title 'ok'
unset output
