package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

// logLine is one JSON log line of dvr-northd, stamped when it arrived
// here (logrus' own timestamps have a resolution of one second).
type logLine struct {
	at     time.Time
	msg    string
	fields map[string]any
}

func (l logLine) num(k string) float64 {
	v, _ := l.fields[k].(float64)
	return v
}

func (l logLine) str(k string) string {
	v, _ := l.fields[k].(string)
	return v
}

// dur is a "*_ms" field as a duration.
func (l logLine) dur(k string) time.Duration {
	return time.Duration(l.num(k) * float64(time.Millisecond))
}

// logBook collects log lines as they arrive and lets callers wait for one.
type logBook struct {
	mu      sync.Mutex
	lines   []logLine
	changed chan struct{} // closed and replaced at every new line
	closed  bool
}

func newLogBook() *logBook { return &logBook{changed: make(chan struct{})} }

// Write takes one or more whole log lines (logrus writes one entry per
// call; a process pipe is split by readLines).
func (b *logBook) add(raw []byte, at time.Time) {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		m = map[string]any{"msg": string(raw)}
	}
	msg, _ := m["msg"].(string)
	b.mu.Lock()
	b.lines = append(b.lines, logLine{at: at, msg: msg, fields: m})
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// Write implements io.Writer for an in-process logrus logger.
func (b *logBook) Write(p []byte) (int, error) {
	at := time.Now()
	for _, l := range splitLines(p) {
		b.add(l, at)
	}
	return len(p), nil
}

func splitLines(p []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range p {
		if c == '\n' {
			if i > start {
				out = append(out, append([]byte(nil), p[start:i]...))
			}
			start = i + 1
		}
	}
	if start < len(p) {
		out = append(out, append([]byte(nil), p[start:]...))
	}
	return out
}

func (b *logBook) finish() {
	b.mu.Lock()
	b.closed = true
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// mark is the index the next line will get.
func (b *logBook) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.lines)
}

// wait returns the first line at index >= from matching pred, waiting up to
// timeout for it.
func (b *logBook) wait(from int, timeout time.Duration, what string, pred func(logLine) bool) (int, logLine, error) {
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		for i := from; i < len(b.lines); i++ {
			if pred(b.lines[i]) {
				l := b.lines[i]
				b.mu.Unlock()
				return i, l, nil
			}
		}
		from = len(b.lines)
		ch, closed := b.changed, b.closed
		b.mu.Unlock()
		if closed {
			return 0, logLine{}, fmt.Errorf("waiting for %s: the log ended", what)
		}
		select {
		case <-ch:
		case <-deadline:
			return 0, logLine{}, fmt.Errorf("no %s within %v", what, timeout)
		}
	}
}

// quiet waits until no line has arrived for d (at most max).
func (b *logBook) quiet(d, max time.Duration) {
	end := time.Now().Add(max)
	for time.Now().Before(end) {
		b.mu.Lock()
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(d):
			return
		}
	}
}

// since returns the lines from index from on.
func (b *logBook) since(from int) []logLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]logLine(nil), b.lines[min(from, len(b.lines)):]...)
}

func isMsg(msg string) func(logLine) bool { return func(l logLine) bool { return l.msg == msg } }

func isRound(kind string) func(logLine) bool {
	return func(l logLine) bool { return l.msg == "round done" && (kind == "" || l.str("kind") == kind) }
}

// northdProc is one dvr-northd process whose stderr (JSON logs) is read
// into a logBook, and copied to a file in its dir.
type northdProc struct {
	id      string
	p       *benchkit.Proc
	started time.Time // just before fork+exec
	log     *logBook
	done    chan struct{} // the log reader finished
}

func startDVRNorthd(bin, dir, id, nb, sb string) (*northdProc, error) {
	cmd := exec.Command(bin, "--nb="+nb, "--sb="+sb, "--log-level=debug", "--log-format=json", "--instance-id="+id)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, id+".log"))
	if err != nil {
		return nil, err
	}
	n := &northdProc{id: id, log: newLogBook(), done: make(chan struct{})}
	n.started = time.Now()
	if n.p, err = benchkit.StartChild("dvr-northd", cmd); err != nil {
		f.Close()
		return nil, err
	}
	go func() {
		defer close(n.done)
		defer f.Close()
		defer n.log.finish()
		readLines(stderr, f, n.log)
	}()
	return n, nil
}

func readLines(r io.Reader, copyTo io.Writer, b *logBook) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 64<<20)
	for sc.Scan() {
		at := time.Now()
		line := sc.Bytes()
		_, _ = copyTo.Write(line)
		_, _ = copyTo.Write([]byte{'\n'})
		b.add(line, at)
	}
}

func (n *northdProc) memory() (benchkit.Memory, error) { return benchkit.ReadMemory(n.p.Pid) }
