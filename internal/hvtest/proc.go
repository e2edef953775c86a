package hvtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// launcher starts child processes from one OS thread that it keeps locked
// and never lets die. Pdeathsig is tied to the thread that forked the child,
// not to the process: a child started from a thread that later exits (a
// goroutine that locked its thread, e.g. to create a network namespace, and
// returned still locked) is killed with it. Starting every long-lived child
// here makes Pdeathsig mean "the test binary died".
type launcher struct {
	reqs    chan launchReq
	done    chan struct{}
	journal *journal // nil: none (see Journal)
}

type launchReq struct {
	cmd *exec.Cmd
	res chan error
}

func newLauncher() *launcher {
	l := &launcher{reqs: make(chan launchReq), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread()
		defer close(l.done)
		for r := range l.reqs {
			r.res <- r.cmd.Start()
		}
		// Every child of this thread is gone by now (close is called
		// last at cleanup): hand the thread back rather than end it.
		runtime.UnlockOSThread()
	}()
	return l
}

func (l *launcher) start(cmd *exec.Cmd) error {
	res := make(chan error, 1)
	select {
	case l.reqs <- launchReq{cmd, res}:
	case <-l.done:
		return fmt.Errorf("start %s: harness already cleaned up", cmd.Path)
	}
	return <-res
}

func (l *launcher) close() {
	close(l.reqs)
	<-l.done
}

// Proc is a child process of the test: started with Pdeathsig (SIGKILL),
// so it dies with the test binary, and stopped by pid at cleanup.
type Proc struct {
	Name string
	Args []string // the full command line as run (nsenter included)

	l      *launcher
	build  func() *exec.Cmd
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	state  *os.ProcessState
	out    *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// start runs the process (again, for a restart) with a fresh command.
func (p *Proc) start() error {
	cmd := p.build()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if cmd.Stdout == nil && cmd.Stderr == nil {
		cmd.Stdout, cmd.Stderr = p.out, p.out
	}
	cmd.WaitDelay = 2 * time.Second
	if err := p.l.start(cmd); err != nil {
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.l.journal.pid(cmd.Process.Pid, p.Name)
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited, p.Args = cmd, exited, cmd.Args
	p.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		p.mu.Lock()
		p.state = cmd.ProcessState
		p.mu.Unlock()
		close(exited)
	}()
	return nil
}

// Pid is the process id of the current (or last) run.
func (p *Proc) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *Proc) exitedCh() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

// Running reports whether the process has been started and not exited.
func (p *Proc) Running() bool {
	ch := p.exitedCh()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

// Output is what the process wrote to stdout and stderr (all runs).
func (p *Proc) Output() string { return p.out.String() }

// Signal sends sig to the process by pid.
func (p *Proc) Signal(sig syscall.Signal) error {
	if !p.Running() {
		return fmt.Errorf("%s (pid %d) is not running", p.Name, p.Pid())
	}
	return syscall.Kill(p.Pid(), sig)
}

// Wait waits up to timeout for the process to exit; ok is false if it
// still runs. code is the exit status, -1 if a signal ended it.
func (p *Proc) Wait(timeout time.Duration) (code int, ok bool) {
	ch := p.exitedCh()
	if ch == nil {
		return 0, true
	}
	select {
	case <-ch:
	case <-time.After(timeout):
		return 0, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state.ExitCode(), true
}

// Stop sends SIGTERM, waits up to timeout, then sends SIGKILL; it returns
// once the process has exited. Safe to call on a stopped process.
func (p *Proc) Stop(timeout time.Duration) {
	if !p.Running() {
		return
	}
	_ = p.Signal(syscall.SIGTERM)
	if _, ok := p.Wait(timeout); !ok {
		p.Kill()
	}
}

// Kill sends SIGKILL by pid and waits for the exit.
func (p *Proc) Kill() {
	if p.Running() {
		_ = syscall.Kill(p.Pid(), syscall.SIGKILL)
		<-p.exitedCh()
	}
}

// Restart starts a stopped process again with the same command line.
func (p *Proc) Restart() error {
	if p.Running() {
		return fmt.Errorf("%s (pid %d) is running", p.Name, p.Pid())
	}
	return p.start()
}
