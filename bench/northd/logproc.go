package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/proclog"
)

func isRound(kind string) func(proclog.Line) bool {
	return func(l proclog.Line) bool { return l.Msg == "round done" && (kind == "" || l.Str("kind") == kind) }
}

// northdProc is one dvr-northd process whose stderr (JSON logs) is read
// into a proclog.Book, and copied to a file in its dir.
type northdProc struct {
	id      string
	p       *benchkit.Proc
	started time.Time // just before fork+exec
	log     *proclog.Book
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
	n := &northdProc{id: id, log: proclog.New(), done: make(chan struct{})}
	n.started = time.Now()
	if n.p, err = benchkit.StartChild("dvr-northd", cmd); err != nil {
		f.Close()
		return nil, err
	}
	go func() {
		defer close(n.done)
		defer f.Close()
		defer n.log.Finish()
		readLines(stderr, f, n.log)
	}()
	return n, nil
}

func readLines(r io.Reader, copyTo io.Writer, b *proclog.Book) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 64<<20)
	for sc.Scan() {
		at := time.Now()
		line := sc.Bytes()
		_, _ = copyTo.Write(line)
		_, _ = copyTo.Write([]byte{'\n'})
		b.Add(line, at)
	}
}

func (n *northdProc) memory() (benchkit.Memory, error) { return benchkit.ReadMemory(n.p.Pid) }
