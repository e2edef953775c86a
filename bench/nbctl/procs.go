package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/schema"
)

// Every process this program starts that outlives one command (the
// ovsdb-servers, the ovn-nbctl daemons) is registered with benchkit and
// stopped by its pid: by its owner when a section ends, and by stopAll on
// any exit (return, error, SIGINT/SIGTERM). ovsdb-servers are children
// with Pdeathsig, so they die with this process even on SIGKILL; a
// detached ovn-nbctl daemon is not a child, so its pid is also written to
// $BENCH_PIDFILE for scripts/bench.sh to stop if this process is killed.

func stopAll() { benchkit.StopAll() }

func tempDir(prefix string) (string, error) { return benchkit.TempDir(prefix) }

// server is one ovsdb-server serving the project's NB schema.
type server struct{ *benchkit.Server }

func (s *server) endpoint() string { return s.Endpoint() }
func (s *server) kind() string     { return s.Kind() }
func (s *server) stop()            { s.Stop() }

// startServer creates a fresh NB database (standalone, or a single-node
// RAFT cluster) in a temp dir and runs ovsdb-server on it as a child.
func startServer(clustered bool) (*server, error) {
	s, err := benchkit.StartServer(schema.NB, clustered)
	if err != nil {
		return nil, err
	}
	return &server{s}, nil
}

// daemon is an ovn-nbctl daemon (ovn-nbctl --detach): it keeps the whole NB
// in its IDL and serves commands on a control socket.
type daemon struct {
	sock    string
	p       *benchkit.Proc
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
			d := &daemon{sock: strings.TrimSpace(string(out)), startup: startup, p: benchkit.Detached("ovn-nbctl", pid)}
			if err != nil || d.sock == "" {
				d.p.Stop()
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

func (d *daemon) stop() { d.p.Stop() }

// startDvrDaemon starts dvr-nbctl --detach on s; the control socket goes
// next to the pid file.
func startDvrDaemon(dvrNbctl string, s *server) (*daemon, error) {
	dir, err := tempDir("dvrd")
	if err != nil {
		return nil, err
	}
	pidFile := filepath.Join(dir, "d.pid")
	cmd := exec.Command(dvrNbctl, "--detach", "--pidfile="+pidFile, "--log-file="+filepath.Join(dir, "d.log"), "--db="+s.endpoint())
	t0 := time.Now()
	out, err := cmd.Output()
	startup := time.Since(t0)
	if b, rerr := os.ReadFile(pidFile); rerr == nil {
		if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
			d := &daemon{sock: strings.TrimSpace(string(out)), startup: startup, p: benchkit.Detached("dvr-nbctl", pid)}
			if err != nil || d.sock == "" {
				d.p.Stop()
				return nil, fmt.Errorf("dvr-nbctl --detach: %v (socket %q)", err, d.sock)
			}
			return d, nil
		}
	}
	var stderr string
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = string(ee.Stderr)
	}
	return nil, fmt.Errorf("dvr-nbctl --detach wrote no pid file (%v): %s", err, stderr)
}
