# Gradient histograms
# Written by gradlab report; run "gnuplot histograms-gradient.gp" in this folder to render it again.

reset
set terminal pngcairo size 1200,460 enhanced font 'sans,10'
set output 'histograms-gradient.png'
set multiplot layout 1,2 title 'Gradient histograms per layer — fixture' noenhanced
set xlabel 'log_{10} |g|'
set ylabel 'fraction of entries'
set grid lc rgb '#dddddd'
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set key top right font ',7' noenhanced
set title 'step 1'
plot 'histograms-gradient.dat' index 0 using 1:2 with lines lw 1.5 lc palette frac 0 title '0.weight'
set title 'step 8'
set key off
plot '' index 1 using 1:2 with lines lw 1.5 lc palette frac 0 title '0.weight'
unset multiplot
unset output

reset
set terminal svg size 1200,460 enhanced font 'sans,10' background '#ffffff'
set output 'histograms-gradient.svg'
set multiplot layout 1,2 title 'Gradient histograms per layer — fixture' noenhanced
set xlabel 'log_{10} |g|'
set ylabel 'fraction of entries'
set grid lc rgb '#dddddd'
set palette defined (0 '#3b0f70', 0.5 '#1f9e89', 1 '#e6550d')
unset colorbox
set key top right font ',7' noenhanced
set title 'step 1'
plot 'histograms-gradient.dat' index 0 using 1:2 with lines lw 1.5 lc palette frac 0 title '0.weight'
set title 'step 8'
set key off
plot '' index 1 using 1:2 with lines lw 1.5 lc palette frac 0 title '0.weight'
unset multiplot
unset output
