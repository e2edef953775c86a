package benchkit

import "sync"

var exits struct {
	mu sync.Mutex
	fs []func()
}

// OnExit registers f to run at Cleanup (newest first): a benchmark's
// teardowns that are not processes (hypervisors, sessions).
func OnExit(f func()) {
	exits.mu.Lock()
	exits.fs = append(exits.fs, f)
	exits.mu.Unlock()
}

// Cleanup runs the OnExit functions, newest first, then StopAll. A
// benchmark calls it at the end of each section, on return and on a
// signal; a second call finds nothing left to do.
func Cleanup() {
	exits.mu.Lock()
	fs := exits.fs
	exits.fs = nil
	exits.mu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
	StopAll()
}
