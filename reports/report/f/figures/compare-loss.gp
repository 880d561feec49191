# Training loss of each run
# Written by gradlab report; run "gnuplot compare-loss.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'compare-loss.png'
set title 'Training loss of each run' noenhanced
set xlabel 'step'
set xrange [1:1000]
set grid lc rgb '#dddddd'
set ylabel 'loss (log scale)'
set logscale y
set yrange [0.0001:10000000000000.0]
set key outside right top font ',8' noenhanced
plot 'compare-loss.dat' index 0 using 1:2 with lines lw 1.5 lt 1 title 'f-rnn-radius-1.5', \
     '' index 1 using 1:2 with lines lw 1.5 lt 2 title 'f-rnn-radius-1.5-clip-1', \
     '' index 2 using 1:2 with lines lw 1.5 lt 3 title 'f-rnn', \
     '' index 3 using 1:2 with lines lw 1.5 lt 4 title 'f-lstm'
unset output
