package daemon

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
)

func TestPidFileLockRefuseRelease(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.pid")
	a, err := LockPidFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if a.Stale != 0 {
		t.Errorf("new file: Stale=%d", a.Stale)
	}
	if got := readFile(t, p); got != strconv.Itoa(os.Getpid())+"\n" {
		t.Fatalf("pid file holds %q", got)
	}
	// flock locks belong to the open file, so a second open in this
	// process conflicts as another process's would.
	_, err = LockPidFile(p)
	var held *HeldError
	if !errors.As(err, &held) || held.Pid != os.Getpid() {
		t.Fatalf("second lock: %v", err)
	}
	if want := p + ": already held by running process " + strconv.Itoa(os.Getpid()); err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if got := readFile(t, p); got != strconv.Itoa(os.Getpid())+"\n" {
		t.Fatalf("refused lock changed the file: %q", got)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("released pid file still there: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
}

func TestPidFileStaleTakenOver(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.pid")
	dead := deadPid(t)
	if err := os.WriteFile(p, []byte(strconv.Itoa(dead)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := LockPidFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if a.Stale != dead || a.StaleRunning {
		t.Errorf("Stale=%d StaleRunning=%v, want %d, false", a.Stale, a.StaleRunning, dead)
	}
	if got := readFile(t, p); got != strconv.Itoa(os.Getpid())+"\n" {
		t.Fatalf("pid file holds %q", got)
	}
}

// A file naming a live process that holds no lock is taken over too (the
// lock is the rule), and the caller is told the process runs.
func TestPidFileUnlockedLiveTakenOver(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.pid")
	live := exec.Command("sleep", "30")
	if err := live.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = live.Process.Kill(); _ = live.Wait() }()
	if err := os.WriteFile(p, []byte(strconv.Itoa(live.Process.Pid)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := LockPidFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	if a.Stale != live.Process.Pid || !a.StaleRunning {
		t.Errorf("Stale=%d StaleRunning=%v, want %d, true", a.Stale, a.StaleRunning, live.Process.Pid)
	}
}

// A holder never removes a file that is no longer the one it locked.
func TestPidFileReleaseLeavesReplacedFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.pid")
	a, err := LockPidFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, p); got != "999999\n" {
		t.Fatalf("Release touched a file it did not hold: %q", got)
	}
}

func TestLogFileReopen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "d.log")
	l, err := OpenLogFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Write([]byte("two\n")); err != nil { // still the renamed file
		t.Fatal(err)
	}
	if err := l.Reopen(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Write([]byte("three\n")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, p+".1"); got != "one\ntwo\n" {
		t.Errorf("rotated file %q", got)
	}
	if got := readFile(t, p); got != "three\n" {
		t.Errorf("new file %q", got)
	}
	// A reopen that fails keeps the old file.
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(p, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.Reopen(); err == nil {
		t.Fatal("reopen onto a directory succeeded")
	}
	if _, err := l.Write([]byte("four\n")); err != nil {
		t.Fatalf("write after a failed reopen: %v", err)
	}
}

// syncBuffer is a logrus output the test can read while the handler writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHangupWithoutLogFile(t *testing.T) {
	h := CatchHangup()
	defer h.Stop()
	var out syncBuffer
	log := logrus.New()
	log.SetOutput(&out)
	// Sent before Serve: caught, and handled once Serve starts.
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	h.Serve(log, nil)
	waitFor(t, func() bool { return strings.Contains(out.String(), "SIGHUP ignored (no --log-file)") }, out.String)
}

func TestHangupReopensLogFile(t *testing.T) {
	h := CatchHangup()
	defer h.Stop()
	p := filepath.Join(t.TempDir(), "d.log")
	l, err := OpenLogFile(p)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	log := logrus.New()
	log.SetOutput(l)
	h.Serve(log, l)
	log.Info("before")
	if err := os.Rename(p, p+".1"); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return strings.Contains(readFileOK(p), "SIGHUP: reopened log file") }, func() string { return readFileOK(p) })
	if old := readFileOK(p + ".1"); !strings.Contains(old, "before") || strings.Contains(old, "SIGHUP") {
		t.Errorf("rotated file %q", old)
	}
}

func waitFor(t *testing.T, cond func() bool, show func() string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within 5s; have %q", show())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// deadPid is the pid of a process that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readFileOK(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}
