package northd

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/nbctl"
)

var update = flag.Bool("update", false, "rewrite golden files under ovsdb-fixtures/northd")

// env is a real NB and SB ovsdb-server pair with readers for both.
type env struct {
	t      *testing.T
	nb, sb *ovsdbtest.Server
	nbc    client.Client
	sbc    client.Client
}

func newEnv(t *testing.T, opts ...ovsdbtest.Option) *env {
	t.Helper()
	e := &env{t: t, nb: ovsdbtest.StartNB(t, opts...), sb: ovsdbtest.StartSB(t, opts...)}
	e.reconnectReaders()
	e.nbctl("init")
	return e
}

// reconnectReaders (re)builds the test's own monitoring clients.
func (e *env) reconnectReaders() {
	e.t.Helper()
	e.nbc = ovsdbtest.NBClient(e.t, e.nb.Endpoint(), ovsdbtest.MonitorAll())
	e.sbc = ovsdbtest.SBClient(e.t, e.sb.Endpoint(), ovsdbtest.MonitorAll())
}

// instance is one in-process dvr-northd.
type instance struct {
	n      *Northd
	cancel context.CancelFunc
	done   chan struct{}
	log    *bytes.Buffer
	mu     *sync.Mutex
}

type syncBuf struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (s syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }

// start runs a northd in process until the test ends (or stop).
func (e *env) start(id string) *instance {
	e.t.Helper()
	log := logrus.New()
	buf, mu := &bytes.Buffer{}, &sync.Mutex{}
	log.SetOutput(syncBuf{mu, buf})
	log.SetLevel(logrus.DebugLevel)
	n, err := New(Config{
		NB: ovsdbconn.Config{Endpoints: e.nb.Endpoint()}, SB: ovsdbconn.Config{Endpoints: e.sb.Endpoint()},
		InstanceID: id, Log: log, Echo: time.Second,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{n: n, cancel: cancel, done: make(chan struct{}), log: buf, mu: mu}
	go func() { defer close(in.done); _ = n.Run(ctx) }()
	e.t.Cleanup(func() {
		in.stop()
		if e.t.Failed() {
			e.t.Logf("northd %s log:\n%s", id, in.logText())
		}
	})
	return in
}

func (in *instance) stop() {
	in.cancel()
	<-in.done
}

func (in *instance) logText() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.log.String()
}

// nbctl runs dvr-nbctl in process against the NB.
func (e *env) nbctl(args ...string) string {
	e.t.Helper()
	out, err := e.nbctlErr(args...)
	if err != nil {
		e.t.Fatalf("dvr-nbctl %q: %v", args, err)
	}
	return out
}

func (e *env) nbctlErr(args ...string) (string, error) {
	var b bytes.Buffer
	o := nbctl.Options{DB: e.nb.Endpoint(), Stdout: &b, Timeout: 20 * time.Second}
	globals, chain := nbctl.SplitGlobal(args)
	for _, g := range globals {
		switch {
		case strings.HasPrefix(g, "--wait="):
			o.Wait = strings.TrimPrefix(g, "--wait=")
		case strings.HasPrefix(g, "--timeout="):
			d, err := time.ParseDuration(strings.TrimPrefix(g, "--timeout=") + "s")
			if err != nil {
				return "", err
			}
			o.Timeout = d
		case strings.HasPrefix(g, "--format="):
			o.Format = strings.TrimPrefix(g, "--format=")
		default:
			return "", fmt.Errorf("test helper: unknown option %s", g)
		}
	}
	err := nbctl.Run(context.Background(), o, chain)
	return b.String(), err
}

// sbctl runs the real ovn-sbctl against the SB.
//
// lsp-bind P C and lsp-unbind P are a chassis' claim instead (what
// dvr-chassis writes: a DVR_Port_Claim row of C's, up true, as lsp-bind
// sets up): ovn-sbctl's own write Port_Binding.chassis, which northd
// derives from the claims.
func (e *env) sbctl(args ...string) string {
	e.t.Helper()
	if cmd := slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "--if-exists" }); len(cmd) > 0 &&
		(cmd[0] == "lsp-bind" || cmd[0] == "lsp-unbind") {
		ops := []ovsdb.Operation{{Op: ovsdb.OperationDelete, Table: "DVR_Port_Claim", Where: where("logical_port", cmd[1])}}
		if cmd[0] == "lsp-bind" {
			ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: "DVR_Port_Claim",
				Row: ovsdb.Row{"logical_port": cmd[1], "chassis_name": cmd[2], "up": true}})
		}
		e.claimSB(ops)
		return ""
	}
	out, err := exec.Command("ovn-sbctl", append([]string{"--db=" + e.sb.Endpoint()}, args...)...).CombinedOutput()
	if err != nil {
		e.t.Fatalf("ovn-sbctl %q: %v: %s", args, err, out)
	}
	return string(out)
}

// claimSB commits a chassis' claim ops on the SB leader (a cluster's
// leader may be changing: retried for a while).
func (e *env) claimSB(ops []ovsdb.Operation) {
	e.t.Helper()
	var last error
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := ovsdbrpc.DialLeader(ctx, strings.Split(e.sb.Endpoint(), ","), sbDatabase, nil, nil)
		if err == nil {
			res, terr := c.Transact(ctx, sbDatabase, ops...)
			err = checked(res, terr)
			c.Close()
		}
		cancel()
		if err == nil {
			return
		}
		last = err
	}
	e.t.Fatalf("claim write: %v", last)
}

// snapshot reads both databases through the test's readers.
func (e *env) snapshot() (*NBState, *SBState) {
	e.t.Helper()
	ctx := context.Background()
	nb, err := readNB(ctx, e.nbc)
	if err != nil {
		e.t.Fatal(err)
	}
	sb, err := readSB(ctx, e.sbc)
	if err != nil {
		e.t.Fatal(err)
	}
	return nb, sb
}

// canonical reads both databases and renders the SB.
func (e *env) canonical() string {
	e.t.Helper()
	return Canonical(e.snapshot())
}

// settle waits until the SB view has not changed for a while.
func (e *env) settle() string {
	e.t.Helper()
	last, since := e.canonical(), time.Now()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		cur := e.canonical()
		if cur != last {
			last, since = cur, time.Now()
		} else if time.Since(since) > 400*time.Millisecond {
			return cur
		}
	}
	e.t.Fatal("SB did not settle")
	return ""
}

// eventually waits until the canonical SB equals want.
func (e *env) eventually(want string) {
	e.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		if got = e.canonical(); got == want {
			return
		}
		time.Sleep(30 * time.Millisecond)
	}
	e.t.Fatalf("SB is not as expected.\n--- want\n%s--- got\n%s", want, got)
}

// golden compares the settled SB with ovsdb-fixtures/northd/<name>.sb
// (rewritten with -update).
func (e *env) golden(name string) {
	e.t.Helper()
	path := filepath.Join("..", "ovsdb-fixtures", "northd", name+".sb")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(e.settle()), 0o644); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatalf("%v (run go test ./northd -run %s -update to create it)", err, e.t.Name())
	}
	e.eventually(string(want))
}

func runCmd(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

var (
	sbModelFunc = sbdb.FullDatabaseModel
	nbModelFunc = nbdb.FullDatabaseModel
)

// lockedWriter serialises writes from the logger's goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  interface{ Write([]byte) (int, error) }
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
