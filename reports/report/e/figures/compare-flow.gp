# Gradient flow by run
# Written by gradlab report; run "gnuplot compare-flow.gp" in this folder to render it again.

reset
set terminal pngcairo size 1260,360 enhanced font 'sans,10'
set output 'compare-flow.png'
set multiplot layout 1,3 title 'Gradient flow at the last recorded step (shared scale)'
set ylabel 'gradient (log scale)'
set logscale y
set format y '10^{%L}'
set yrange [1e-05:0.01]
set xrange [0.4:17.6]
set xtics ('0.weight' 1, '2.weight' 2, '4.weight' 3, '6.weight' 4, '8.weight' 5, '10.weight' 6, '12.weight' 7, '14.weight' 8, '16.weight' 9, '18.weight' 10, '20.weight' 11, '22.weight' 12, '24.weight' 13, '26.weight' 14, '28.weight' 15, '30.weight' 16, '33.weight' 17) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'e-plain, step 600' noenhanced
plot 'compare-flow-1.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(1e-05):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(1e-05):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
set logscale y
set format y '10^{%L}'
set yrange [1e-05:0.01]
set xrange [0.4:33.6]
set xtics ('0.weight' 1, '1.weight' 2, '3.weight' 3, '4.weight' 4, '6.weight' 5, '7.weight' 6, '9.weight' 7, '10.weight' 8, '12.weight' 9, '13.weight' 10, '15.weight' 11, '16.weight' 12, '18.weight' 13, '19.weight' 14, '21.weight' 15, '22.weight' 16, '24.weight' 17, '25.weight' 18, '27.weight' 19, '28.weight' 20, '30.weight' 21, '31.weight' 22, '33.weight' 23, '34.weight' 24, '36.weight' 25, '37.weight' 26, '39.weight' 27, '40.weight' 28, '42.weight' 29, '43.weight' 30, '45.weight' 31, '46.weight' 32, '49.weight' 33) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'e-batchnorm, step 600' noenhanced
plot 'compare-flow-2.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(1e-05):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(1e-05):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
set logscale y
set format y '10^{%L}'
set yrange [1e-05:0.01]
set xrange [0.4:17.6]
set xtics ('0.weight' 1, '2.0.weight' 2, '2.2.weight' 3, '4.0.weight' 4, '4.2.weight' 5, '6.0.weight' 6, '6.2.weight' 7, '8.0.weight' 8, '8.2.weight' 9, '10.0.weight' 10, '10.2.weight' 11, '12.0.weight' 12, '12.2.weight' 13, '14.0.weight' 14, '14.2.weight' 15, '16.weight' 16, '19.weight' 17) rotate by -45 font ',8' noenhanced
set grid ytics lc rgb '#dddddd'
set style fill solid 0.85 noborder
set key top left font ',8'
set title 'e-residual, step 600' noenhanced
plot 'compare-flow-3.dat' index 0 using ($1-0.2):2:($1-0.38):($1-0.02):(1e-05):2 with boxxyerror lc rgb '#1f77b4' title '‖g‖', \
     '' index 0 using ($1+0.2):3:($1+0.02):($1+0.38):(1e-05):3 with boxxyerror lc rgb '#ff7f0e' title 'max |g|'
unset multiplot
unset output
