# Saturated and dead units
# Written by gradlab report; run "gnuplot activity.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'activity.png'
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set yrange [0:1.05]
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set multiplot layout 1,2 title 'Saturated and dead units — fixture' noenhanced
set title 'saturated fraction'
set ylabel 'fraction of units'
set key top left font ',8' noenhanced
plot 'activity.dat' index 0 using 1:2 with lines lw 1.5 lc palette frac 0 title 'layer 1'
set title 'dead fraction'
plot 'activity.dat' index 0 using 1:3 with lines lw 1.5 lc palette frac 0 title 'layer 1'
unset multiplot
unset output

reset
set terminal svg size 960,540 enhanced font 'sans,10' background '#ffffff'
set output 'activity.svg'
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set yrange [0:1.05]
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set multiplot layout 1,2 title 'Saturated and dead units — fixture' noenhanced
set title 'saturated fraction'
set ylabel 'fraction of units'
set key top left font ',8' noenhanced
plot 'activity.dat' index 0 using 1:2 with lines lw 1.5 lc palette frac 0 title 'layer 1'
set title 'dead fraction'
plot 'activity.dat' index 0 using 1:3 with lines lw 1.5 lc palette frac 0 title 'layer 1'
unset multiplot
unset output
