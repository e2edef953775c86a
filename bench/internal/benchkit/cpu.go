package benchkit

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPUTime is a process's user + system CPU time so far.
func CPUTime(pid int) (time.Duration, error) {
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

// WaitIdle waits until pid used under 10 ms of CPU in the last 200 ms (at
// most max): the daemon has digested what came before (a large monitor
// update is decoded without any log line).
func WaitIdle(pid int, max time.Duration) error {
	end := time.Now().Add(max)
	prev, err := CPUTime(pid)
	if err != nil {
		return err
	}
	for time.Now().Before(end) {
		time.Sleep(200 * time.Millisecond)
		cur, err := CPUTime(pid)
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

// Sched is what the scheduler says of a process (/proc/<pid>/task/*/schedstat,
// summed over its threads): time on a CPU and time runnable but waiting
// for one (the run queue).
type Sched struct{ OnCPU, Waiting time.Duration }

// Sub is s − o.
func (s Sched) Sub(o Sched) Sched { return Sched{s.OnCPU - o.OnCPU, s.Waiting - o.Waiting} }

// Add is s + o.
func (s Sched) Add(o Sched) Sched { return Sched{s.OnCPU + o.OnCPU, s.Waiting + o.Waiting} }

// SchedOf reads pid's Sched (zero for threads that are gone meanwhile).
func SchedOf(pid int) (Sched, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	if err != nil || len(files) == 0 {
		return Sched{}, fmt.Errorf("pid %d: no schedstat (%v)", pid, err)
	}
	var s Sched
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		var run, wait int64
		if _, err := fmt.Sscan(string(b), &run, &wait); err == nil {
			s.OnCPU += time.Duration(run)
			s.Waiting += time.Duration(wait)
		}
	}
	return s, nil
}
