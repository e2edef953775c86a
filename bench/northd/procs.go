package main

import (
	"fmt"
	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"os"
	"strconv"
	"strings"
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

// cpuTime is a process's user + system CPU time so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("pid %d: bad stat", pid)
	}
	f := strings.Fields(s[i+1:])
	// After "(comm)": state is field 0, utime 11, stime 12 (stat fields 14, 15).
	if len(f) < 13 {
		return 0, fmt.Errorf("pid %d: short stat", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("pid %d: bad stat times", pid)
	}
	return time.Duration(u+st) * time.Second / clockTicks, nil
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// waitIdle waits until pid used under 10 ms of CPU in the last 200 ms (at
// most max): the daemon has digested what came before (a large monitor
// update is decoded without any log line).
func waitIdle(pid int, max time.Duration) error {
	end := time.Now().Add(max)
	prev, err := cpuTime(pid)
	if err != nil {
		return err
	}
	for time.Now().Before(end) {
		time.Sleep(200 * time.Millisecond)
		cur, err := cpuTime(pid)
		if err != nil {
			return err
		}
		if cur-prev < 10*time.Millisecond {
			return nil
		}
		prev = cur
	}
	return fmt.Errorf("pid %d still busy after %v", pid, max)
}
