package benchkit

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

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

// Main runs a benchmark's run and exits: on return, on error (printed as
// "prog: err", exit status 1) and on SIGINT, SIGTERM or SIGHUP (130),
// always after Cleanup has stopped everything it started.
func Main(prog string, run func() error) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		Logf("%v: stopping everything started here", s)
		Cleanup()
		os.Exit(130)
	}()
	code := 0
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", prog, err)
		code = 1
	}
	Cleanup()
	os.Exit(code)
}
