# bench/plot.gp: the two plots of docs/performance.md, from bench/run.sh's data.
#   gnuplot -e "dir='build-bench'; docs='docs'; repeat_key=1" bench/plot.gp
if (!exists("dir")) dir = 'build-bench'
if (!exists("docs")) docs = 'docs'
if (!exists("repeat_key")) repeat_key = 1
set datafile missing '-'
set terminal pngcairo size 1100,440 font 'DejaVu Sans,10'
set logscale x
set grid
set key top right
set format x '10^{%L}'

set output docs.'/perf-check.png'
set xrange [500:200000]
set multiplot layout 1,2 title "replay check: load + compile, per step (median of hyperfine runs)"
set xlabel 'steps in the spec'
set ylabel 'time per step (ns, whole process)'
set logscale y
plot dir.'/perf-check.dat' using 1:2 with linespoints lw 2 pt 7 title 'replay check', \
     ''                    using 1:3 with linespoints lw 2 pt 5 title 'libyaml event parse (bench/yaml\_parse\_only)', \
     ''                    using 1:($3*2) with lines dt 2 lc rgb 'gray40' title 'target: 2x libyaml'
unset logscale y
set ylabel 'memory per step (KiB): (maxRSS(N) - maxRSS(1)) / N'
set yrange [0:2]   # the 1 KiB target line stays inside the frame
set key bottom right
plot dir.'/perf-check.dat' using 1:4 with linespoints lw 2 pt 7 title 'replay check', \
     1.0 with lines dt 2 lc rgb 'gray40' title 'target: 1 KiB/step'
unset multiplot
set yrange [*:*]
set key top right
set xrange [500:2000000]

set terminal pngcairo size 760,480 font 'DejaVu Sans,10'
set output docs.'/perf-getppid.png'
set logscale y
set xlabel 'getppid calls per process'
set ylabel 'time per call (ns, whole process)'
if (repeat_key) {
  set title "getppid: time per call against repeat count"
  plot dir.'/perf-getppid.dat' using 1:2 with linespoints lw 2 pt 7 title 'replay, one step with repeat: N', \
       ''                      using 1:3 with linespoints lw 2 pt 5 title 'C loop: syscall(SYS\_getppid)', \
       ''                      using 1:4 with linespoints lw 2 pt 9 title 'Python ctypes: libc.syscall(110)'
} else {
  set title "getppid: time per call against count\n(replay lacks repeat: -- no replay series)"
  plot dir.'/perf-getppid.dat' using 1:3 with linespoints lw 2 pt 5 title 'C loop: syscall(SYS\_getppid)', \
       ''                      using 1:4 with linespoints lw 2 pt 9 title 'Python ctypes: libc.syscall(110)'
}
