package main

import (
	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"os"
	"time"
)

// cmdTimeout bounds one command (ovn-nbctl --wait=sb at 100k ports takes
// seconds; a hang must not stall the run).
const cmdTimeout = 10 * time.Minute

// timeProc runs one process to its exit and returns its wall time, fork+exec
// to reaped exit (benchkit.TimeProc, bounded by cmdTimeout).
func timeProc(bin string, args ...string) (time.Duration, error) {
	return benchkit.TimeProc(cmdTimeout, bin, args...)
}

// procResult is a timed process run in the background.
type procResult struct {
	start time.Time
	d     time.Duration
	err   error
}

// end is when the process was reaped.
func (r procResult) end() time.Time { return r.start.Add(r.d) }

func timeProcAsync(bin string, args ...string) <-chan procResult {
	ch := make(chan procResult, 1)
	go func() {
		t0 := time.Now()
		d, err := timeProc(bin, args...)
		ch <- procResult{t0, d, err}
	}()
	return ch
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
