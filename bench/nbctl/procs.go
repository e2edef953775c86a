package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/schema"
)

// Every process this program starts that outlives one command (the
// ovsdb-servers, the ovn-nbctl daemons) is registered here and stopped by
// its pid: by its owner when a section ends, and by stopAll on any exit
// (return, error, SIGINT/SIGTERM). ovsdb-servers are children with
// Pdeathsig, so they die with this process even on SIGKILL; a detached
// ovn-nbctl daemon is not a child, so its pid is also written to
// $BENCH_PIDFILE for scripts/bench.sh to stop if this process is killed.
var registry struct {
	mu    sync.Mutex
	procs []*proc
	dirs  []string
}

type proc struct {
	name   string
	pid    int
	child  *exec.Cmd     // nil for a detached daemon
	exited chan struct{} // closed when a child has been reaped
	once   sync.Once
}

func register(p *proc) {
	registry.mu.Lock()
	defer registry.mu.Unlock()
	registry.procs = append(registry.procs, p)
	writePidFile()
}

// writePidFile records the live registered pids ("pid name" lines).
// Called with registry.mu held.
func writePidFile() {
	f := os.Getenv("BENCH_PIDFILE")
	if f == "" {
		return
	}
	var b strings.Builder
	for _, p := range registry.procs {
		fmt.Fprintf(&b, "%d %s\n", p.pid, p.name)
	}
	_ = os.WriteFile(f, []byte(b.String()), 0o644)
}

// stop ends p by pid: SIGTERM, then SIGKILL after 5 s.
func (p *proc) stop() {
	p.once.Do(func() {
		_ = syscall.Kill(p.pid, syscall.SIGTERM)
		deadline := time.Now().Add(5 * time.Second)
		for !p.gone() && time.Now().Before(deadline) {
			if p.child != nil {
				select {
				case <-p.exited:
				case <-time.After(50 * time.Millisecond):
				}
				continue
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !p.gone() {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
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

// gone reports whether the process has exited (a zombie counts as gone).
func (p *proc) gone() bool {
	if p.child != nil {
		select {
		case <-p.exited:
			return true
		default:
			return false
		}
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
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

// stopAll stops every registered process (newest first) and removes the
// temp dirs unless BENCH_KEEP is set.
func stopAll() {
	registry.mu.Lock()
	ps := append([]*proc(nil), registry.procs...)
	dirs := append([]string(nil), registry.dirs...)
	registry.dirs = nil
	registry.mu.Unlock()
	for i := len(ps) - 1; i >= 0; i-- {
		ps[i].stop()
	}
	if os.Getenv("BENCH_KEEP") == "" {
		for _, d := range dirs {
			_ = os.RemoveAll(d)
		}
	}
}

func tempDir(prefix string) (string, error) {
	d, err := os.MkdirTemp("", prefix) // short: unix socket paths hold 108 bytes
	if err != nil {
		return "", err
	}
	registry.mu.Lock()
	registry.dirs = append(registry.dirs, d)
	registry.mu.Unlock()
	return d, nil
}

// server is one ovsdb-server serving the project's NB schema.
type server struct {
	dir       string
	sock      string
	clustered bool
	p         *proc
}

func (s *server) endpoint() string { return "unix:" + s.sock }

func (s *server) kind() string {
	if s.clustered {
		return "clustered (1-node RAFT)"
	}
	return "standalone"
}

// startServer creates a fresh NB database (standalone, or a single-node
// RAFT cluster) in a temp dir and runs ovsdb-server on it as a child.
func startServer(clustered bool) (*server, error) {
	dir, err := tempDir("nbb")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, sock: filepath.Join(dir, "db.sock"), clustered: clustered}
	schemaFile := filepath.Join(dir, "nb.ovsschema")
	if err := os.WriteFile(schemaFile, schema.NB, 0o644); err != nil {
		return nil, err
	}
	dbFile := filepath.Join(dir, "nb.db")
	args := []string{"create", dbFile, schemaFile}
	if clustered {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		args = []string{"create-cluster", dbFile, schemaFile, fmt.Sprintf("tcp:127.0.0.1:%d", port)}
	}
	if out, err := exec.Command("ovsdb-tool", args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ovsdb-tool %v: %v: %s", args, err, out)
	}
	cmd := exec.Command("ovsdb-server", dbFile,
		"--remote=punix:"+s.sock,
		"--unixctl="+filepath.Join(dir, "db.ctl"),
		"--pidfile="+filepath.Join(dir, "db.pid"),
		"--log-file="+filepath.Join(dir, "db.log"),
		"--no-chdir", "-vconsole:off")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ovsdb-server: %w", err)
	}
	p := &proc{name: "ovsdb-server", pid: cmd.Process.Pid, child: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	register(p)
	s.p = p
	// Ready when it accepts a session and may take writes (a cluster
	// needs its leader elected).
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		c, err := ovsdbrpc.Dial(ctx, s.endpoint(), nil, nil)
		if err == nil {
			ok, lerr := c.IsLeader(ctx, "OVN_Northbound")
			c.Close()
			cancel()
			if lerr == nil && ok {
				return s, nil
			}
			err = lerr
		} else {
			cancel()
		}
		if p.gone() || time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "db.log"))
			s.stop()
			return nil, fmt.Errorf("ovsdb-server not ready (%v); log:\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.p != nil {
		s.p.stop()
	}
	if os.Getenv("BENCH_KEEP") == "" {
		_ = os.RemoveAll(s.dir)
	}
}

// daemon is an ovn-nbctl daemon (ovn-nbctl --detach): it keeps the whole NB
// in its IDL and serves commands on a control socket.
type daemon struct {
	sock    string
	p       *proc
	startup time.Duration // the --detach process, until it printed the socket
}

func startDaemon(ovnNbctl string, s *server) (*daemon, error) {
	dir, err := tempDir("ovnd")
	if err != nil {
		return nil, err
	}
	pidFile := filepath.Join(dir, "d.pid")
	cmd := exec.Command(ovnNbctl, "--pidfile="+pidFile, "--detach",
		"--log-file="+filepath.Join(dir, "d.log"), "--db="+s.endpoint())
	// The control socket goes to $OVN_RUNDIR (default /var/run/ovn, which
	// need not exist).
	cmd.Env = append(os.Environ(), "OVN_RUNDIR="+dir)
	t0 := time.Now()
	out, err := cmd.Output()
	startup := time.Since(t0)
	// Register the daemon before anything can fail, so that it is stopped.
	if b, rerr := os.ReadFile(pidFile); rerr == nil {
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
			d := &daemon{sock: strings.TrimSpace(string(out)), startup: startup,
				p: &proc{name: "ovn-nbctl", pid: pid}}
			register(d.p)
			if err != nil || d.sock == "" {
				d.p.stop()
				return nil, fmt.Errorf("ovn-nbctl --detach: %v (socket %q)", err, d.sock)
			}
			return d, nil
		}
	}
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	return nil, fmt.Errorf("ovn-nbctl --detach wrote no pid file (%v): %s", err, stderr)
}

func (d *daemon) stop() { d.p.stop() }
