package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dvr-ovn/dvr/internal/daemon"
	"github.com/dvr-ovn/dvr/nbctl"
)

// childEnv marks the process --detach starts (it re-executes itself).
const childEnv = "DVR_NBCTL_DETACHED_CHILD"

// request is what a client sends over the control socket: its arguments
// (global options and chain, as on its command line) and the environment
// variables that stand for options.
type request struct {
	Args []string `json:"args"`
	SBDB string   `json:"sb_db,omitempty"` // the client's DVR_SB_DB
}

// reply is the daemon's answer: what the command printed and its status.
type reply struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Status int    `json:"status"`
}

// detach starts the daemon as a child of its own, waits until it serves
// (or says why it cannot), and prints its control socket's path.
func detach(argv []string, inv invocation) error {
	if inv.opts.DB == "" {
		return errors.New(noDB)
	}
	if len(inv.chain) > 0 {
		return fmt.Errorf("--detach takes no command (got %q)", inv.chain[0])
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, argv...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start the daemon: %w", err)
	}
	w.Close()
	msg, _ := io.ReadAll(r)
	r.Close()
	line := strings.TrimSpace(string(msg))
	if path, ok := strings.CutPrefix(line, "OK "); ok {
		cmd.Process.Release()
		fmt.Println(path)
		return nil
	}
	cmd.Wait()
	if e, ok := strings.CutPrefix(line, "ERR "); ok {
		return errors.New(e)
	}
	return fmt.Errorf("the daemon exited before it was ready")
}

// daemonChild is the detached daemon's main; it reports readiness (or
// its error) on file descriptor 3 to the process that started it.
func daemonChild(argv []string) int {
	ready := os.NewFile(3, "ready")
	fail := func(err error) int {
		fmt.Fprintf(ready, "ERR %v\n", err)
		ready.Close()
		return 1
	}
	var inv invocation
	app := newApp(io.Discard, func(i invocation) error { inv = i; return nil })
	if err := app.Run(appArgs(argv)); err != nil {
		return fail(err)
	}
	logf := func(string, ...any) {}
	if inv.logfile != "" {
		f, err := os.OpenFile(inv.logfile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fail(fmt.Errorf("--log-file: %w", err))
		}
		var mu sync.Mutex
		logf = func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			fmt.Fprintf(f, "%s dvr-nbctl[%d]: %s\n", time.Now().UTC().Format(time.RFC3339Nano), os.Getpid(), fmt.Sprintf(format, args...))
		}
	}
	dir := os.TempDir()
	var pf *daemon.PidFile
	if inv.pidfile != "" {
		var err error
		if pf, err = daemon.LockPidFile(inv.pidfile); err != nil {
			return fail(fmt.Errorf("--pidfile %w", err))
		}
		defer pf.Release()
		dir = filepath.Dir(inv.pidfile)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rep := nbctl.NewReplica(inv.opts)
	rep.Log = logf
	if err := rep.Connect(ctx); err != nil {
		return fail(err)
	}
	path, err := filepath.Abs(filepath.Join(dir, fmt.Sprintf("dvr-nbctl.%d.ctl", os.Getpid())))
	if err != nil {
		return fail(err)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fail(err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	signal.Ignore(syscall.SIGPIPE)
	go func() {
		s := <-sigs
		logf("%v: stopping", s)
		cancel()
		ln.Close()
	}()
	logf("serving %s for %s", path, inv.opts.DB)
	fmt.Fprintf(ready, "OK %s\n", path)
	ready.Close()
	devnull, _ := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if devnull != nil {
		os.Stdout, os.Stderr = devnull, devnull
	}
	d := &server{opts: inv.opts, rep: rep, log: logf}
	var wg sync.WaitGroup
	for {
		c, err := ln.Accept()
		if err != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.handle(ctx, c)
		}()
	}
	os.Remove(path)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
	}
	return 0
}

// server runs the commands clients send.
type server struct {
	opts nbctl.Options // the daemon's own: its --db and SSL files
	rep  *nbctl.Replica
	log  func(string, ...any)
}

func (s *server) handle(ctx context.Context, c net.Conn) {
	defer c.Close()
	var req request
	if err := json.NewDecoder(bufio.NewReader(c)).Decode(&req); err != nil {
		return
	}
	rep := s.run(ctx, req)
	json.NewEncoder(c).Encode(rep)
}

// run parses the client's arguments as dvr-nbctl does and runs the chain
// through the replica; the daemon's database and SSL files apply.
func (s *server) run(ctx context.Context, req request) reply {
	var out, errOut bytes.Buffer
	_, chain := nbctl.SplitGlobal(req.Args)
	app := newApp(&out, func(inv invocation) error {
		if inv.detach {
			return errors.New("--detach: this command is sent to a daemon already (unset DVR_NB_DAEMON to start another)")
		}
		o := inv.opts
		o.DB, o.PrivateKey, o.Certificate, o.CACert = s.opts.DB, s.opts.PrivateKey, s.opts.Certificate, s.opts.CACert
		if o.SBDB == "" {
			o.SBDB = req.SBDB
		}
		o.Stdout = &out
		return nbctl.RunReplica(ctx, o, chain, s.rep)
	})
	status := 0
	if err := app.Run(appArgs(req.Args)); err != nil {
		fmt.Fprintf(&errOut, "dvr-nbctl: %v\n", err)
		status = 1
	}
	return reply{Stdout: out.String(), Stderr: errOut.String(), Status: status}
}

// client sends the command line to the daemon at path, prints what the
// command printed and returns its status.
func client(path string, argv []string) int {
	c, err := net.DialTimeout("unix", path, 5*time.Second)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dvr-nbctl: cannot reach the daemon at %s (DVR_NB_DAEMON or --daemon): %v\n", path, errors.Unwrap(err))
		return 1
	}
	defer c.Close()
	if err := json.NewEncoder(c).Encode(request{Args: argv, SBDB: os.Getenv("DVR_SB_DB")}); err != nil {
		fmt.Fprintf(os.Stderr, "dvr-nbctl: cannot send to the daemon at %s: %v\n", path, err)
		return 1
	}
	var rep reply
	if err := json.NewDecoder(c).Decode(&rep); err != nil {
		fmt.Fprintf(os.Stderr, "dvr-nbctl: the daemon at %s ended without an answer (stopped or killed?): %v\n", path, err)
		return 1
	}
	os.Stdout.WriteString(rep.Stdout)
	os.Stderr.WriteString(rep.Stderr)
	return rep.Status
}
