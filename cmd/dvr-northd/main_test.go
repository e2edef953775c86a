package main

// These tests run the real dvr-northd binary (built once by
// ovsdbtest.Binary) as child processes against real ovsdb-servers, and
// signal them by pid. Waits are bounded by guardTimeout, a guard against
// hangs, never a timing assertion.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	ovsdbtest.RemoveBinaries()
	os.Exit(code)
}

const (
	guardTimeout = 20 * time.Second
	msgActive    = "lock acquired: this dvr-northd instance is now active"
)

// env is a NB and an SB server and a short temp dir for files.
type env struct {
	nb, sb *ovsdbtest.Server
	dir    string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	dir, err := os.MkdirTemp("", "nd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return &env{nb: ovsdbtest.StartNB(t), sb: ovsdbtest.StartSB(t), dir: dir}
}

func (e *env) start(t *testing.T, args ...string) *ovsdbtest.Daemon {
	t.Helper()
	return ovsdbtest.StartDaemon(t, "dvr-northd",
		append([]string{"--nb", e.nb.Endpoint(), "--sb", e.sb.Endpoint()}, args...)...)
}

func readFile(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

// waitText waits until read() contains s, failing the test (with d's
// output) when it does not within guardTimeout or d exits first.
func waitText(t *testing.T, d *ovsdbtest.Daemon, what string, read func() string, s string) {
	t.Helper()
	if !d.WaitFor(guardTimeout, func() bool { return strings.Contains(read(), s) }) {
		t.Fatalf("%s: no %q (running=%v); have:\n%s", what, s, d.Running(), read())
	}
}

// pidOf is the pid a pid file names (0: none).
func pidOf(p string) int {
	pid, _ := strconv.Atoi(strings.TrimSpace(readFile(p)))
	return pid
}

// locked reports whether some process holds the flock on path.
func locked(t *testing.T, path string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		t.Fatal(err)
	}
	return true
}

// logrotate's way: rename the file, then SIGHUP: the process keeps running
// and its next lines go to a new file of the old name.
func TestHangupReopensLogFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	logPath := filepath.Join(e.dir, "northd.log")
	d := e.start(t, "--log-file", logPath)
	waitText(t, d, "log file", func() string { return readFile(logPath) }, msgActive)
	if out := d.Output(); out != "" {
		t.Errorf("with --log-file, stderr got %q", out)
	}
	for i := 1; i <= 2; i++ {
		rotated := logPath + "." + strconv.Itoa(i)
		if err := os.Rename(logPath, rotated); err != nil {
			t.Fatal(err)
		}
		if err := d.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitText(t, d, "new log file", func() string { return readFile(logPath) }, "SIGHUP: reopened log file")
		if !d.Running() {
			t.Fatalf("SIGHUP %d ended dvr-northd", i)
		}
		// The rotated file holds the previous SIGHUP's line, not this one's.
		if old := readFile(rotated); strings.Count(old, "SIGHUP: reopened log file") != i-1 {
			t.Errorf("rotated file %s got the line after the SIGHUP:\n%s", rotated, old)
		}
	}
	// Work after the rotation is logged in the new file too.
	ovsdbtest.MustNbctl(t, "--db="+e.nb.Endpoint(), "ls-add", "sw-after-rotate")
	if code := d.Stop(guardTimeout); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	if got := readFile(logPath); !strings.Contains(got, "dvr-northd stopped") {
		t.Errorf("new log file lacks the stop line:\n%s", got)
	}
}

// Without --log-file a SIGHUP is logged and ignored; the pid file stays,
// and SIGTERM still stops the process cleanly and removes it.
func TestHangupIgnoredThenTermRemovesPidfile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pidPath := filepath.Join(e.dir, "northd.pid")
	d := e.start(t, "--pidfile", pidPath)
	waitText(t, d, "stderr", d.Output, msgActive)
	if pidOf(pidPath) != d.Pid() {
		t.Fatalf("pid file holds %q, want %d", readFile(pidPath), d.Pid())
	}
	if err := d.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitText(t, d, "stderr", d.Output, "SIGHUP ignored (no --log-file)")
	if code, sig, exited := d.Wait(500 * time.Millisecond); exited {
		t.Fatalf("SIGHUP ended dvr-northd: status %d, signal %v", code, sig)
	}
	if pidOf(pidPath) != d.Pid() {
		t.Fatalf("after SIGHUP the pid file holds %q", readFile(pidPath))
	}
	if code := d.Stop(guardTimeout); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Fatalf("pid file left after SIGTERM: %v %q", err, readFile(pidPath))
	}
}

// A second instance with the same --pidfile refuses to start, names the
// holder, and leaves the file alone: it still names the first instance,
// which keeps running and removes it when it stops.
func TestSecondInstanceRefusesHeldPidfile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pidPath := filepath.Join(e.dir, "northd.pid")
	logPath := filepath.Join(e.dir, "second.log")
	first := e.start(t, "--pidfile", pidPath)
	waitText(t, first, "stderr", first.Output, msgActive)

	second := e.start(t, "--pidfile", pidPath)
	code, sig, exited := second.Wait(guardTimeout)
	if !exited {
		// What happened before the lock: the second instance overwrote
		// the file, and stopping it deleted it under the first.
		second.Stop(guardTimeout)
		t.Fatalf("second instance ran; after stopping it the pid file holds %q (first is %d)", readFile(pidPath), first.Pid())
	}
	want := "--pidfile " + pidPath + ": already held by running process " + strconv.Itoa(first.Pid())
	if code != 1 || sig != 0 || strings.TrimSpace(second.Output()) != "dvr-northd: "+want {
		t.Fatalf("second instance: status %d signal %v, output %q; want status 1 and %q", code, sig, second.Output(), want)
	}
	// With --log-file the refusal is in the log file as well.
	third := e.start(t, "--pidfile", pidPath, "--log-file", logPath)
	if code, _, exited := third.Wait(guardTimeout); !exited || code != 1 || !strings.Contains(readFile(logPath), want) {
		t.Errorf("third instance (--log-file): exited=%v status %d; log file:\n%s", exited, code, readFile(logPath))
	}
	if pidOf(pidPath) != first.Pid() || !locked(t, pidPath) {
		t.Fatalf("pid file after the refusal: %q (locked=%v), want %d", readFile(pidPath), locked(t, pidPath), first.Pid())
	}
	if !first.Running() {
		t.Fatal("first instance stopped")
	}
	if code := first.Stop(guardTimeout); code != 0 {
		t.Fatalf("first instance: exit status %d after SIGTERM", code)
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Fatalf("pid file left after SIGTERM: %v", err)
	}
}

// A pid file left by a process that died (no lock held) is taken over:
// the new instance writes its pid, holds the lock, and says so.
func TestStalePidfileTakenOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pidPath := filepath.Join(e.dir, "northd.pid")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pidPath, []byte(strconv.Itoa(dead.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := e.start(t, "--pidfile", pidPath)
	waitText(t, d, "stderr", d.Output, msgActive)
	if pidOf(pidPath) != d.Pid() || !locked(t, pidPath) {
		t.Fatalf("pid file %q (locked=%v), want %d, locked", readFile(pidPath), locked(t, pidPath), d.Pid())
	}
	want := "took over the pid file of process " + strconv.Itoa(dead.Process.Pid) + ", which is not running"
	if !strings.Contains(d.Output(), want) {
		t.Errorf("no %q in:\n%s", want, d.Output())
	}
	if code := d.Stop(guardTimeout); code != 0 {
		t.Fatalf("exit status %d after SIGTERM", code)
	}
	if _, err := os.Stat(pidPath); !os.IsNotExist(err) {
		t.Fatalf("pid file left after SIGTERM: %v", err)
	}
}
