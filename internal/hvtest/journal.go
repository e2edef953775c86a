package hvtest

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Journal makes the harness write, as it makes them, every network
// namespace ("netns NAME"), run directory ("dir PATH") and long-running
// process ("pid PID STARTTIME NAME", STARTTIME the field 22 of
// /proc/PID/stat, so that a reused pid is told apart) to w, one line per
// write. A program that may die without its cleanup (the demo's
// dvr-sandbox, killed -9) leaves in it exactly what it made, for
// scripts/demo-down.sh to remove and nothing else.
func Journal(w io.Writer) Option {
	j := &journal{w: w}
	return func(c *config) { c.journal = j }
}

type journal struct {
	mu sync.Mutex
	w  io.Writer
}

func (j *journal) note(kind string, args ...string) {
	if j == nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	_, _ = io.WriteString(j.w, kind+" "+strings.Join(args, " ")+"\n")
}

func (j *journal) pid(pid int, name string) {
	if j == nil {
		return
	}
	st, err := StartTime(pid)
	if err != nil {
		st = "?"
	}
	j.note("pid", strconv.Itoa(pid), st, name)
}

// StartTime is a process' start time in clock ticks since boot (field 22
// of /proc/PID/stat): with the pid, it names one process.
func StartTime(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	f := strings.Fields(s[i+1:]) // from field 3 (state) on
	if len(f) < 20 {
		return "", fmt.Errorf("/proc/%d/stat: %q", pid, s)
	}
	return f[19], nil
}
