# Loss against step
# Written by gradlab report; run "gnuplot loss.gp" in this folder to render it again.

reset
set terminal pngcairo size 960,540 enhanced font 'sans,10'
set output 'loss.png'
set title 'Loss — fixture' noenhanced
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set ylabel 'loss (log scale)'
set logscale y
set yrange [0.1:10.0]
set key top right
plot 'loss.dat' index 0 using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'training loss', \
     '' index 1 using 1:2 with linespoints lw 1.5 pt 7 ps 0.6 lc rgb '#ff7f0e' title 'validation loss'
unset output

reset
set terminal svg size 960,540 enhanced font 'sans,10' background '#ffffff'
set output 'loss.svg'
set title 'Loss — fixture' noenhanced
set xlabel 'step'
set xrange [1:8]
set grid lc rgb '#dddddd'
set ylabel 'loss (log scale)'
set logscale y
set yrange [0.1:10.0]
set key top right
plot 'loss.dat' index 0 using 1:2 with lines lw 1.5 lc rgb '#1f77b4' title 'training loss', \
     '' index 1 using 1:2 with linespoints lw 1.5 pt 7 ps 0.6 lc rgb '#ff7f0e' title 'validation loss'
unset output
