package proclog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Line is one log line.
type Line struct {
	At     time.Time      // when it was read
	Raw    string         // the line as written, without its newline
	Msg    string         // the JSON "msg" field (the whole line when it is not JSON)
	Fields map[string]any // the JSON fields ({"msg": Raw} when it is not JSON)
}

// Str is a string field ("" when absent or not a string).
func (l Line) Str(k string) string {
	v, _ := l.Fields[k].(string)
	return v
}

// Num is a number field (0 when absent or not a number).
func (l Line) Num(k string) float64 {
	v, _ := l.Fields[k].(float64)
	return v
}

// Dur is a "*_ms" field as a duration.
func (l Line) Dur(k string) time.Duration {
	return time.Duration(l.Num(k) * float64(time.Millisecond))
}

// IsMsg matches the lines whose msg is msg.
func IsMsg(msg string) func(Line) bool { return func(l Line) bool { return l.Msg == msg } }

// Book is the lines of one process. It is an io.Writer (for os/exec or an
// in-process logger); writes may split lines anywhere.
type Book struct {
	mu      sync.Mutex
	lines   []Line
	partial []byte
	changed chan struct{} // closed and replaced at every new line
	closed  bool
}

// New returns an empty Book.
func New() *Book { return &Book{changed: make(chan struct{})} }

// Write takes output, keeping a line that is not finished yet until its
// newline arrives.
func (b *Book) Write(p []byte) (int, error) {
	at := time.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		b.addLocked(b.partial[:i], at)
		b.partial = b.partial[i+1:]
	}
	if len(b.partial) == 0 {
		b.partial = nil
	}
	return len(p), nil
}

// Add records one whole line read at at.
func (b *Book) Add(raw []byte, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.addLocked(raw, at)
}

func (b *Book) addLocked(raw []byte, at time.Time) {
	if len(raw) == 0 {
		return
	}
	l := Line{At: at, Raw: string(raw)}
	if json.Unmarshal(raw, &l.Fields) != nil || l.Fields == nil {
		l.Fields = map[string]any{"msg": l.Raw}
	}
	l.Msg, _ = l.Fields["msg"].(string)
	b.lines = append(b.lines, l)
	close(b.changed)
	b.changed = make(chan struct{})
}

// Finish records an unfinished last line and wakes waiters for good: the
// process has ended.
func (b *Book) Finish() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.partial) > 0 {
		b.addLocked(b.partial, time.Now())
		b.partial = nil
	}
	if !b.closed {
		b.closed = true
		close(b.changed)
		b.changed = make(chan struct{})
	}
}

// Mark is the index the next line will get.
func (b *Book) Mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.lines)
}

// Find returns the first line at index >= from that matches.
func (b *Book) Find(from int, match func(Line) bool) (int, Line, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := from; i < len(b.lines); i++ {
		if match(b.lines[i]) {
			return i, b.lines[i], true
		}
	}
	return 0, Line{}, false
}

// Wait returns the first line at index >= from that matches, waiting up to
// timeout for it; what names it in the error.
func (b *Book) Wait(from int, timeout time.Duration, what string, match func(Line) bool) (int, Line, error) {
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		for i := from; i < len(b.lines); i++ {
			if match(b.lines[i]) {
				l := b.lines[i]
				b.mu.Unlock()
				return i, l, nil
			}
		}
		from = len(b.lines)
		ch, closed := b.changed, b.closed
		b.mu.Unlock()
		if closed {
			return 0, Line{}, fmt.Errorf("waiting for %s: the log ended", what)
		}
		select {
		case <-ch:
		case <-deadline:
			return 0, Line{}, fmt.Errorf("no %s within %v", what, timeout)
		}
	}
}

// Quiet waits until no line has arrived for d (at most max).
func (b *Book) Quiet(d, max time.Duration) {
	end := time.Now().Add(max)
	for time.Now().Before(end) {
		b.mu.Lock()
		ch, closed := b.changed, b.closed
		b.mu.Unlock()
		if closed {
			return
		}
		select {
		case <-ch:
		case <-time.After(d):
			return
		}
	}
}

// Since returns the lines from index from on.
func (b *Book) Since(from int) []Line {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Line(nil), b.lines[min(from, len(b.lines)):]...)
}

// Count counts the lines that match.
func (b *Book) Count(match func(Line) bool) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, l := range b.lines {
		if match(l) {
			n++
		}
	}
	return n
}

// Text is every line so far (and an unfinished one), as written.
func (b *Book) Text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s strings.Builder
	for _, l := range b.lines {
		s.WriteString(l.Raw)
		s.WriteByte('\n')
	}
	s.Write(b.partial)
	return s.String()
}

// Tail is the last n lines, each with the time it was read.
func (b *Book) Tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var s strings.Builder
	for _, l := range b.lines[max(0, len(b.lines)-n):] {
		fmt.Fprintf(&s, "  %s %s\n", l.At.Format("15:04:05.000"), l.Raw)
	}
	return s.String()
}
