set terminal pngcairo size 900,540 enhanced font 'sans,11'
set output 'gradient-flow.png'
set title 'Gradient norm by depth before training'
set xlabel 'Linear layer (input → output)'
set ylabel '‖∂L/∂W‖ (log scale)'
set logscale y
set format y '10^{%L}'
set grid
set key outside right
set xtics 1
plot 'gradient-flow.dat' index 0 using 1:2 with linespoints lw 2 pt 7 title 'sigmoid, classic init', \
     'gradient-flow.dat' index 1 using 1:2 with linespoints lw 2 pt 7 title 'relu, he-normal init'
