package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

var registry struct {
	mu    sync.Mutex
	procs []*Proc
	dirs  []string
}

// Proc is one registered process.
type Proc struct {
	Name   string // its comm, as scripts/bench.sh checks it before a kill
	Pid    int
	child  *exec.Cmd     // nil for a detached daemon
	exited chan struct{} // closed when a child has been reaped
	once   sync.Once
}

// Register adds p to the processes stopped by StopAll.
func Register(p *Proc) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	registry.procs = append(registry.procs, p)
	writePidFile()
}

// Detached registers a process that is not our child (a daemon that
// detached), known only by its pid.
func Detached(name string, pid int) *Proc {
	p := &Proc{Name: name, Pid: pid}
	Register(p)
	return p
}

// StartChild starts cmd as a child in its own process group, with
// Pdeathsig, registers it and reaps it when it exits. name is its comm (at
// most 15 bytes of the program's base name).
func StartChild(name string, cmd *exec.Cmd) (*Proc, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = true
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if len(name) > 15 {
		name = name[:15]
	}
	p := &Proc{Name: name, Pid: cmd.Process.Pid, child: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	Register(p)
	return p, nil
}

// Exited is closed when a child has exited and been reaped (nil for a
// detached process).
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// writePidFile records the live registered pids ("pid name" lines).
// Called with registry.mu held.
func writePidFile() {
	f := os.Getenv("BENCH_PIDFILE")
	if f == "" {
		return
	}
	var b strings.Builder
	for _, p := range registry.procs {
		fmt.Fprintf(&b, "%d %s\n", p.Pid, p.Name)
	}
	_ = os.WriteFile(f, []byte(b.String()), 0o644)
}

// Stop ends p by pid: SIGTERM, then SIGKILL after 5 s.
func (p *Proc) Stop() { p.stop(syscall.SIGTERM) }

// Kill ends p by pid with SIGKILL at once and waits until it is gone.
func (p *Proc) Kill() { p.stop(syscall.SIGKILL) }

func (p *Proc) stop(sig syscall.Signal) {
	p.once.Do(func() {
		_ = syscall.Kill(p.Pid, sig)
		deadline := time.Now().Add(5 * time.Second)
		for !p.Gone() && time.Now().Before(deadline) {
			if p.child != nil {
				select {
				case <-p.exited:
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !p.Gone() {
			_ = syscall.Kill(p.Pid, syscall.SIGKILL)
			if p.child != nil {
				<-p.exited
			}
		}
		registry.mu.Lock()
		for i, q := range registry.procs {
			if q == p {
				registry.procs = append(registry.procs[:i], registry.procs[i+1:]...)
				break
			}
		}
		writePidFile()
		registry.mu.Unlock()
	})
}

// Gone reports whether the process has exited (a zombie counts as gone).
func (p *Proc) Gone() bool {
	if p.child != nil {
		select {
		case <-p.exited:
			return true
		default:
			return false
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.Pid))
	if err != nil {
		return true
	}
	// "pid (comm) S ...": the state follows the last ')'.
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] == 'Z' || s[i+2] == 'X'
	}
	return false
}

// StopAll stops every registered process (newest first) and removes the
// temp dirs unless BENCH_KEEP is set.
func StopAll() {
	registry.mu.Lock()
	ps := append([]*Proc(nil), registry.procs...)
	dirs := append([]string(nil), registry.dirs...)
	registry.dirs = nil
	registry.mu.Unlock()
	for i := len(ps) - 1; i >= 0; i-- {
		ps[i].Stop()
	}
	if !Keep() {
		for _, d := range dirs {
			_ = os.RemoveAll(d)
		}
	}
}

// Keep reports whether BENCH_KEEP asks to keep the temp dirs.
func Keep() bool { return os.Getenv("BENCH_KEEP") != "" }

// TempDir makes a temp dir that StopAll removes. Keep prefix short: unix
// socket paths hold 108 bytes.
func TempDir(prefix string) (string, error) {
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	registry.mu.Lock()
	registry.dirs = append(registry.dirs, d)
	registry.mu.Unlock()
	return d, nil
}

// Memory is a process's resident set from /proc/<pid>/status.
type Memory struct {
	RSS, HWM int64 // VmRSS and VmHWM, bytes
}

// ReadMemory reads VmRSS and VmHWM of pid.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		var kb int64
		if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb); err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSS = kb << 10
		case "VmHWM":
			m.HWM = kb << 10
		}
	}
	if m.RSS == 0 {
		return m, fmt.Errorf("pid %d: no VmRSS in /proc/%d/status", pid, pid)
	}
	return m, nil
}
