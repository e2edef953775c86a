package daemon

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/sirupsen/logrus"
)

// Hangup catches SIGHUP, whose default action ends the process, from the
// moment it is made; Serve then acts on each one.
type Hangup struct {
	ch   chan os.Signal
	done chan struct{}
}

// CatchHangup starts catching SIGHUP. Call it first thing in a daemon's
// main, so that no SIGHUP ends the process during start-up: those that
// arrive before Serve are handled when it starts.
func CatchHangup() *Hangup {
	h := &Hangup{ch: make(chan os.Signal, 1), done: make(chan struct{})}
	signal.Notify(h.ch, syscall.SIGHUP)
	return h
}

// Serve handles each SIGHUP until Stop: it reopens lf (nil: no log file)
// and logs what it did, into the reopened file.
func (h *Hangup) Serve(log logrus.FieldLogger, lf *LogFile) {
	go func() {
		for {
			select {
			case <-h.ch:
				var err error
				if lf != nil {
					err = lf.Reopen()
				}
				logHangup(log, lf, err)
			case <-h.done:
				return
			}
		}
	}()
}

// logHangup says what a SIGHUP did.
func logHangup(log logrus.FieldLogger, lf *LogFile, err error) {
	switch {
	case lf == nil:
		log.Info("SIGHUP ignored (no --log-file)")
	case err != nil:
		log.WithError(err).WithField("file", lf.Path()).Error("SIGHUP: cannot reopen log file; still writing to the old one")
	default:
		log.WithField("file", lf.Path()).Info("SIGHUP: reopened log file")
	}
}

// Stop ends the handling. SIGHUP stays caught (and ignored), so it cannot
// end the process while it shuts down.
func (h *Hangup) Stop() {
	select {
	case <-h.done:
	default:
		close(h.done)
	}
}
