package benchkit

import (
	"fmt"
	"os"
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
