# Gradient norm through time by run
# Written by gradlab report; run "gnuplot compare-time-grad-norm.gp" in this folder to render it again.

reset
set terminal pngcairo size 1260,680 enhanced font 'sans,10'
set output 'compare-time-grad-norm.png'
set multiplot layout 2,3 title 'Gradient through time (shared scale)'
set xlabel 'time step t'
set ylabel '‖∂L/∂h_t‖ (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1e-30:1000000.0]
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set grid lc rgb '#dddddd'
set key top left font ',8' noenhanced
set title 'f-rnn-radius-1.5, layer 0' noenhanced
plot 'compare-time-grad-norm-1.dat' index 0 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.0000 title 'step 1', \
     '' index 1 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 1.0000 title 'step 10'
set title 'f-rnn-radius-1.5-clip-1, layer 0' noenhanced
plot 'compare-time-grad-norm-2.dat' index 0 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.0000 title 'step 1', \
     '' index 1 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.2500 title 'step 80', \
     '' index 2 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.5000 title 'step 160', \
     '' index 3 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.7500 title 'step 240', \
     '' index 4 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 1.0000 title 'step 300'
set title 'f-rnn, layer 0' noenhanced
plot 'compare-time-grad-norm-3.dat' index 0 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.0000 title 'step 1', \
     '' index 1 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.2500 title 'step 250', \
     '' index 2 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.5000 title 'step 500', \
     '' index 3 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.7500 title 'step 750', \
     '' index 4 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 1.0000 title 'step 1000'
set title 'f-lstm, layer 0' noenhanced
plot 'compare-time-grad-norm-4.dat' index 0 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.0000 title 'step 1', \
     '' index 1 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.2500 title 'step 250', \
     '' index 2 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.5000 title 'step 500', \
     '' index 3 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 0.7500 title 'step 750', \
     '' index 4 using 1:2 with linespoints lw 1.5 pt 7 ps 0.4 lc palette frac 1.0000 title 'step 1000'
unset multiplot
unset output
