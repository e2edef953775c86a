package daemon

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PidFile is a pid file this process holds: an exclusive flock on the
// open file, kept until Release or exit (the kernel drops the lock when
// the process dies, however it dies, so a file left behind is stale by
// construction and the next instance takes it over).
type PidFile struct {
	path string
	f    *os.File
	// Stale is the pid a taken-over file named (0: the file was new or
	// empty): a process that died without removing it, or, when
	// StaleRunning, a live one that never locked the file (a program
	// that writes pid files without locking them, e.g. an older version).
	Stale        int
	StaleRunning bool
}

// HeldError is LockPidFile's error when another live process holds the file.
type HeldError struct {
	Path string
	Pid  int // 0 when the holder has not written its pid yet
}

func (e *HeldError) Error() string {
	if e.Pid == 0 {
		return fmt.Sprintf("%s: already held by another running process", e.Path)
	}
	return fmt.Sprintf("%s: already held by running process %d", e.Path, e.Pid)
}

// LockPidFile creates or opens path, takes its lock without waiting and
// writes this process's id into it. When another process holds the lock
// it returns a *HeldError naming that process and leaves the file alone.
// Every error starts with path.
func LockPidFile(path string) (*PidFile, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("%s: cannot open: %w", path, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, &HeldError{Path: path, Pid: holderPid(path)}
			}
			return nil, fmt.Errorf("%s: cannot lock: %w", path, err)
		}
		// The holder we waited out may have removed the path after we
		// opened it: then we locked a file nobody else can see. Lock the
		// file at path, or give up after a few tries.
		if !samePath(f, path) {
			f.Close()
			if attempt < 5 {
				continue
			}
			return nil, fmt.Errorf("%s: replaced while being locked", path)
		}
		p := &PidFile{path: path, f: f, Stale: readPid(f)}
		if p.Stale == os.Getpid() {
			p.Stale = 0
		}
		if p.Stale != 0 {
			err := syscall.Kill(p.Stale, 0)
			p.StaleRunning = err == nil || errors.Is(err, syscall.EPERM)
		}
		if err := p.write(); err != nil {
			p.f.Close()
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return p, nil
	}
}

func (p *PidFile) write() error {
	if err := p.f.Truncate(0); err != nil {
		return err
	}
	if _, err := p.f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0); err != nil {
		return err
	}
	return p.f.Sync()
}

// Path is the pid file's name.
func (p *PidFile) Path() string { return p.path }

// Release removes the file (when the path still names the file this
// process locked) and drops the lock. Safe to call twice.
func (p *PidFile) Release() error {
	if p == nil || p.f == nil {
		return nil
	}
	var err error
	if samePath(p.f, p.path) {
		err = os.Remove(p.path)
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	return err
}

// samePath reports whether path names the open file f.
func samePath(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(path)
	return err == nil && os.SameFile(a, b)
}

// holderPid reads the pid a holder wrote. A holder writes right after
// locking, so an empty file is read again for a short while.
func holderPid(path string) int {
	for range 20 {
		if b, err := os.ReadFile(path); err == nil {
			if pid := parsePid(string(b)); pid != 0 {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}

func readPid(f *os.File) int {
	b := make([]byte, 32)
	n, _ := f.ReadAt(b, 0)
	return parsePid(string(b[:n]))
}

// parsePid is the pid in a pid file's text (0 if there is none).
func parsePid(s string) int {
	pid, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}
