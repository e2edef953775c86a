package ovsdbtest

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/proclog"
)

// Daemon is one of the project's programs (cmd/<name>, built by Binary)
// running as a child process: killed with the test process (Pdeathsig),
// and stopped by pid when the test ends, also when it fails.
type Daemon struct {
	Name   string
	Args   []string
	cmd    *exec.Cmd
	exited chan struct{}
	state  *os.ProcessState
	log    *proclog.Book // stdout and stderr, line by line
}

// StartDaemon starts cmd/<name> with args. Its environment is the test's
// without DVR_NB_DB, DVR_SB_DB and the DVR_ SSL variables (ownEnv).
func StartDaemon(tb testing.TB, name string, args ...string) *Daemon {
	tb.Helper()
	d := &Daemon{Name: name, Args: args, exited: make(chan struct{}), log: proclog.New()}
	d.cmd = exec.Command(Binary(tb, name), args...)
	for _, kv := range os.Environ() {
		if !ownEnv(kv) {
			d.cmd.Env = append(d.cmd.Env, kv)
		}
	}
	d.cmd.Stdout, d.cmd.Stderr = d, d
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	d.cmd.WaitDelay = 2 * time.Second
	if err := d.cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = d.cmd.Wait(); d.state = d.cmd.ProcessState; d.log.Finish(); close(d.exited) }()
	tb.Cleanup(func() {
		d.Kill()
		if tb.Failed() {
			tb.Logf("%s (pid %d) output:\n%s", name, d.Pid(), d.Output())
		}
	})
	return d
}

// Write collects the process's output (os/exec copies into it).
func (d *Daemon) Write(b []byte) (int, error) { return d.log.Write(b) }

// Output is what the process wrote to stdout and stderr so far.
func (d *Daemon) Output() string { return d.log.Text() }

// Log is the process's output line by line, to wait for a line.
func (d *Daemon) Log() *proclog.Book { return d.log }

// Pid is the process id.
func (d *Daemon) Pid() int { return d.cmd.Process.Pid }

// Running reports whether the process has not exited.
func (d *Daemon) Running() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// Signal sends sig to the process by pid (nothing once it has exited).
func (d *Daemon) Signal(sig syscall.Signal) error {
	if !d.Running() {
		return fmt.Errorf("%s (pid %d) has exited", d.Name, d.Pid())
	}
	return syscall.Kill(d.Pid(), sig)
}

// Wait waits up to timeout for the exit and returns how it ended: the exit
// status, or -1 with signaled set when a signal ended it. ok is false when
// it still runs.
func (d *Daemon) Wait(timeout time.Duration) (code int, signaled syscall.Signal, ok bool) {
	select {
	case <-d.exited:
	case <-time.After(timeout):
		return 0, 0, false
	}
	if ws, isWS := d.state.Sys().(syscall.WaitStatus); isWS && ws.Signaled() {
		return -1, ws.Signal(), true
	}
	return d.state.ExitCode(), 0, true
}

// Stop sends SIGTERM and waits up to timeout for the exit (then kills it);
// it returns the exit status (-1: it had to be killed, or a signal ended it).
func (d *Daemon) Stop(timeout time.Duration) int {
	_ = d.Signal(syscall.SIGTERM)
	code, _, ok := d.Wait(timeout)
	if !ok {
		d.Kill()
		return -1
	}
	return code
}

// Kill sends SIGKILL (by pid) and waits for the exit.
func (d *Daemon) Kill() {
	if d.Running() {
		_ = syscall.Kill(d.Pid(), syscall.SIGKILL)
		<-d.exited
	}
}

// WaitFor polls cond every 20 ms until it holds or timeout passes; it
// reports whether it held. It gives up early when the process exits
// before cond holds.
func (d *Daemon) WaitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if !d.Running() || time.Now().After(deadline) {
			return cond()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ownEnv reports whether an environment entry is one the programs read
// as a default (databases, SSL files): a test passes those as flags, and
// a developer's sourced demo env must not leak in.
func ownEnv(kv string) bool {
	for _, k := range []string{"DVR_NB_DB=", "DVR_SB_DB=", "DVR_PRIVATE_KEY=", "DVR_CERTIFICATE=", "DVR_CA_CERT="} {
		if strings.HasPrefix(kv, k) {
			return true
		}
	}
	return false
}
