# Heatmaps of the gradient through time by run
# Written by gradlab report; run "gnuplot compare-time-heatmap.gp" in this folder to render it again.

reset
set terminal pngcairo size 1260,680 enhanced font 'sans,10'
set output 'compare-time-heatmap.png'
set multiplot layout 2,3 title 'log10 ‖∂L/∂h_t‖ through time (shared colour scale)'
set cbrange [-45.0:6.0]
set cblabel 'log_{10} ‖∂L/∂h_t‖'
set palette defined (0 '#000004', 0.25 '#51127c', 0.5 '#b73779', 0.75 '#fc8961', 1 '#fcfdbf')
set key off
set xlabel 'time step t'
set ylabel 'training step'
set title 'f-rnn-radius-1.5, layer 0' noenhanced
set xrange [0.5:50.5]
set yrange [1:10]
plot 'compare-time-heatmap-1.dat' index 0 using 1:2:3 with image
set title 'f-rnn-radius-1.5-clip-1, layer 0' noenhanced
set xrange [0.5:50.5]
set yrange [1:300]
plot 'compare-time-heatmap-2.dat' index 0 using 1:2:3 with image
set title 'f-rnn, layer 0' noenhanced
set xrange [0.5:50.5]
set yrange [1:1000]
plot 'compare-time-heatmap-3.dat' index 0 using 1:2:3 with image
set title 'f-lstm, layer 0' noenhanced
set xrange [0.5:50.5]
set yrange [1:1000]
plot 'compare-time-heatmap-4.dat' index 0 using 1:2:3 with image
unset multiplot
unset output
