package ovsdbmon

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// recorder counts pokes and keeps the events a monitor reports.
type recorder struct {
	mu     sync.Mutex
	pokes  int
	events []string // "table insert|update|delete"
}

func (r *recorder) poke() { r.mu.Lock(); r.pokes++; r.mu.Unlock() }

func (r *recorder) event(table string, old, cur model.Model) {
	mark := table + " "
	switch {
	case old == nil:
		mark += "insert"
	case cur == nil:
		mark += "delete"
	default:
		mark += "update"
	}
	r.mu.Lock()
	r.events = append(r.events, mark)
	r.mu.Unlock()
}

func (r *recorder) has(e string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.events {
		if x == e {
			return true
		}
	}
	return false
}

func sbGlobalOnly(c client.Client) []client.MonitorOption {
	g := &sbdb.SBGlobal{}
	return []client.MonitorOption{client.WithTable(g, &g.NbCfg, &g.ExternalIDs)}
}

// start runs a monitor of SB_Global at endpoint until the test ends.
func start(t *testing.T, endpoint string, echo time.Duration) (*Monitor, *recorder) {
	t.Helper()
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	mon := New(Config{Conn: ovsdbconn.Config{Endpoints: endpoint}, Model: m, Tables: sbGlobalOnly,
		Poke: r.poke, Event: r.event, Echo: echo})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { mon.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return mon, r
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(timeout); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// fresh waits for a ready client of a generation above gen.
func fresh(t *testing.T, mon *Monitor, gen int, timeout time.Duration) (client.Client, int) {
	t.Helper()
	var c client.Client
	var g int
	waitFor(t, "a fresh client", timeout, func() bool { c, g = mon.Get(); return c != nil && g > gen })
	return c, g
}

// setNbCfg writes SB_Global.nb_cfg from a client of its own, creating
// the row if there is none.
func setNbCfg(t *testing.T, endpoint string, v int) {
	t.Helper()
	w := ovsdbtest.SBClient(t, endpoint, ovsdbtest.MonitorAll())
	var gs []sbdb.SBGlobal
	if err := w.List(context.Background(), &gs); err != nil || len(gs) > 1 {
		t.Fatalf("SB_Global: %d rows (%v)", len(gs), err)
	}
	var ops []ovsdb.Operation
	var err error
	if len(gs) == 0 {
		ops, err = w.Create(&sbdb.SBGlobal{NbCfg: v})
	} else {
		g := gs[0]
		g.NbCfg = v
		ops, err = w.Where(&g).Update(&g, &g.NbCfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := w.Transact(ctx, ops...)
	if err == nil {
		_, err = ovsdb.CheckOperationResults(res, ops)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestReadyClientEventsAndReset: Get shows a client only once its dump
// is in the cache, every row change is reported then poked, and Reset
// brings a fresh client of a higher generation with the same rows.
func TestReadyClientEventsAndReset(t *testing.T) {
	srv := ovsdbtest.StartSB(t)
	setNbCfg(t, srv.Endpoint(), 7)
	mon, r := start(t, srv.Endpoint(), time.Second)
	c, gen := fresh(t, mon, 0, 10*time.Second)
	if gen != 1 {
		t.Fatalf("first client has generation %d, want 1", gen)
	}
	var gs []sbdb.SBGlobal
	if err := c.List(context.Background(), &gs); err != nil || len(gs) != 1 || gs[0].NbCfg != 7 {
		t.Fatalf("the ready client's cache holds %+v (%v), want the initial dump", gs, err)
	}
	// The cache reports events from a goroutine of its own: they may
	// come a little after the client is ready.
	waitFor(t, "the initial dump's event", 10*time.Second, func() bool { return r.has("SB_Global insert") })
	setNbCfg(t, srv.Endpoint(), 8)
	waitFor(t, "the update's event", 10*time.Second, func() bool { return r.has("SB_Global update") })

	r.mu.Lock()
	pokes := r.pokes
	r.mu.Unlock()
	mon.Reset()
	c2, _ := fresh(t, mon, gen, 10*time.Second)
	if c2 == c {
		t.Fatal("Reset kept the old client")
	}
	gs = nil
	if err := c2.List(context.Background(), &gs); err != nil || len(gs) != 1 || gs[0].NbCfg != 8 {
		t.Fatalf("the fresh client's cache holds %+v (%v), want nb_cfg 8", gs, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pokes <= pokes {
		t.Fatal("a fresh client was not poked")
	}
}

// TestReconnectsAfterServerRestart: a lost server is reconnected with
// backoff, with no client shown while it is gone.
func TestReconnectsAfterServerRestart(t *testing.T) {
	srv := ovsdbtest.StartSB(t)
	mon, _ := start(t, srv.Endpoint(), time.Second)
	_, gen := fresh(t, mon, 0, 10*time.Second)
	srv.StopMember(srv.Members[0])
	waitFor(t, "the lost client to go", 10*time.Second, func() bool { c, _ := mon.Get(); return c == nil })
	if err := srv.RestartMember(srv.Members[0]); err != nil {
		t.Fatal(err)
	}
	fresh(t, mon, gen, 20*time.Second)
}

// TestWatchdogReplacesStuckClient: a server that keeps the connection but
// stops answering (SIGSTOP) is called stuck after echoFailures echoes and
// its client replaced once it answers again.
func TestWatchdogReplacesStuckClient(t *testing.T) {
	srv := ovsdbtest.StartSB(t)
	echo := 200 * time.Millisecond
	mon, _ := start(t, srv.Endpoint(), echo)
	c, gen := fresh(t, mon, 0, 10*time.Second)
	pid := srv.Members[0].Pid()
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)
	waitFor(t, "the stuck client to be dropped", 10*echo*echoFailures, func() bool { c2, _ := mon.Get(); return c2 != c })
	resume()
	fresh(t, mon, gen, 20*time.Second)
}

// TestReplaceCallsTablesAgain: Replace brings a fresh client whose
// monitor Tables builds anew (new conditions take effect), make before
// break: Get never shows no client meanwhile, and the old client still
// answers; no warning is logged.
func TestReplaceCallsTablesAgain(t *testing.T) {
	srv := ovsdbtest.StartSB(t)
	setNbCfg(t, srv.Endpoint(), 3)
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	calls := 0
	tables := func(c client.Client) []client.MonitorOption {
		mu.Lock()
		calls++
		mu.Unlock()
		return sbGlobalOnly(c)
	}
	var logs strings.Builder
	l := logrus.New()
	l.SetOutput(&lockedWriter{w: &logs})
	l.SetLevel(logrus.DebugLevel)
	mon := New(Config{Conn: ovsdbconn.Config{Endpoints: srv.Endpoint()}, Model: m, Tables: tables, Log: logrus.NewEntry(l), Echo: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { mon.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	c, gen := fresh(t, mon, 0, 10*time.Second)
	mon.Replace()
	var c2 client.Client
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		cur, g := mon.Get()
		if cur == nil {
			t.Fatal("no client while the replacement connected")
		}
		if g > gen {
			c2 = cur
			break
		}
		if time.Now().After(end) {
			t.Fatal("no fresh client")
		}
	}
	if c2 == c {
		t.Fatal("Replace kept the old client")
	}
	if err := c.Echo(context.Background()); err != nil {
		t.Errorf("the replaced client was closed at once: %v", err)
	}
	mu.Lock()
	n := calls
	mu.Unlock()
	if n != 2 {
		t.Errorf("Tables called %d times, want 2 (once per client)", n)
	}
	cancel()
	<-done
	out := logs.String()
	if strings.Contains(out, "level=warning") || !strings.Contains(out, "replacing the client") {
		t.Errorf("log:\n%s", out)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}
