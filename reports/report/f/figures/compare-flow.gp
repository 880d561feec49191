# Gradient flow by run
# Written by gradlab report; run "gnuplot compare-flow.gp" in this folder to render it again.

reset
set terminal pngcairo size 1260,720 enhanced font 'sans,10'
set output 'compare-flow.png'
set multiplot layout 2,3 title 'Gradient flow at the last recorded step (shared scale)'
set ylabel 'gradient (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [0.001:100000.0]
set xrange [0.4:1.6]
set xtics ('2.weight' 1) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'f-rnn-radius-1.5, step 10' noenhanced
plot 'compare-flow-1.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(0.001):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(0.001):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
set logscale y
set format y '10^{%L}'
set yrange [0.001:100000.0]
set xrange [0.4:1.6]
set xtics ('2.weight' 1) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'f-rnn-radius-1.5-clip-1, step 300' noenhanced
plot 'compare-flow-2.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(0.001):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(0.001):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
set logscale y
set format y '10^{%L}'
set yrange [0.001:100000.0]
set xrange [0.4:1.6]
set xtics ('2.weight' 1) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'f-rnn, step 1000' noenhanced
plot 'compare-flow-3.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(0.001):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(0.001):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
set logscale y
set format y '10^{%L}'
set yrange [0.001:100000.0]
set xrange [0.4:1.6]
set xtics ('2.weight' 1) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'f-lstm, step 1000' noenhanced
plot 'compare-flow-4.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(0.001):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(0.001):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
unset multiplot
unset output
