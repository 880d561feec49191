# Update ratio per weight tensor
# Written by gradlab report; run "gnuplot update-ratio.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'update-ratio.png'
set title 'Update ratio ‖Δθ‖/‖θ‖ per weight tensor — fixture' noenhanced
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set ylabel '‖Δθ‖ / ‖θ‖ (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1e-07:0.01]
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set key outside right top font ',8' noenhanced
set object 1 rect from graph 0, first 1e-4 to graph 1, first 1e-2 behind fc rgb '#e5f5e0' fs solid noborder
set arrow from graph 0, first 1e-3 to graph 1, first 1e-3 nohead dt 2 lw 1.5 lc rgb '#2ca02c' back
plot 'update-ratio.dat' index 0 using 1:2 with lines lw 1.5 lc palette frac 0.0000 title '0.weight', \
     '' index 1 using 1:2 with lines lw 1.5 lc palette frac 1.0000 title '2.weight'
unset output

reset
set terminal svg size 960,540 enhanced font 'sans,10' background '#ffffff'
set output 'update-ratio.svg'
set title 'Update ratio ‖Δθ‖/‖θ‖ per weight tensor — fixture' noenhanced
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set ylabel '‖Δθ‖ / ‖θ‖ (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1e-07:0.01]
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set key outside right top font ',8' noenhanced
set object 1 rect from graph 0, first 1e-4 to graph 1, first 1e-2 behind fc rgb '#e5f5e0' fs solid noborder
set arrow from graph 0, first 1e-3 to graph 1, first 1e-3 nohead dt 2 lw 1.5 lc rgb '#2ca02c' back
plot 'update-ratio.dat' index 0 using 1:2 with lines lw 1.5 lc palette frac 0.0000 title '0.weight', \
     '' index 1 using 1:2 with lines lw 1.5 lc palette frac 1.0000 title '2.weight'
unset output
