# Gradient flow by run
# Written by gradlab report; run "gnuplot compare-flow.gp" in this folder to render it again.

reset
set terminal pngcairo size 840,360 enhanced font 'sans,10'
set output 'compare-flow.png'
set multiplot layout 1,2 title 'Gradient flow at the last recorded step (shared scale)'
set ylabel 'gradient (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1e-11:1.0]
set xrange [0.4:11.6]
set xtics ('0.weight' 1, '2.weight' 2, '4.weight' 3, '6.weight' 4, '8.weight' 5, '10.weight' 6, '12.weight' 7, '14.weight' 8, '16.weight' 9, '18.weight' 10, '20.weight' 11) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'a-sigmoid-classic, step 600' noenhanced
plot 'compare-flow-1.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(1e-11):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(1e-11):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
set logscale y
set format y '10^{%L}'
set yrange [1e-11:1.0]
set xrange [0.4:11.6]
set xtics ('0.weight' 1, '2.weight' 2, '4.weight' 3, '6.weight' 4, '8.weight' 5, '10.weight' 6, '12.weight' 7, '14.weight' 8, '16.weight' 9, '18.weight' 10, '20.weight' 11) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'a-relu-he, step 600' noenhanced
plot 'compare-flow-2.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(1e-11):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(1e-11):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
unset multiplot
unset output
