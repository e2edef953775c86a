// Package benchkit holds what the benchmarks under bench/ share: processes
// started and always stopped by pid (real ovsdb-servers and the programs
// under test), nearest-rank statistics, and a description of the machine.
//
// Every process a benchmark starts is registered here and stopped by its
// pid: by its owner when a section ends, and by StopAll on any exit
// (return, error, SIGINT/SIGTERM). Children get Pdeathsig, so they die with
// the benchmark even on SIGKILL; a detached daemon is no child, so every
// live registered pid is also written to $BENCH_PIDFILE ("pid comm" lines)
// for scripts/bench.sh to stop if the benchmark itself is killed.
package benchkit
