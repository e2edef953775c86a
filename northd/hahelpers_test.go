package northd

// Helpers for ha_test.go: dvr-northd as real processes (built once per test
// binary), their JSON logs and metrics, the seed scenario as steps that run
// the same way on an HA environment and on a single-instance reference, and
// a recorder of every NB_Global / SB_Global update one member serves.

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-org/libovsdb/cache"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/proclog"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/nbctl"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// Log messages of dvr-northd the HA tests wait for.
const (
	msgActive  = "lock acquired: this dvr-northd instance is now active"
	msgStandby = "now on standby"
)

// ---- the binary ----------------------------------------------------------

// northdBinary builds ./cmd/dvr-northd once per test binary.
func northdBinary(t *testing.T) string { return ovsdbtest.Binary(t, "dvr-northd") }

// ---- one dvr-northd process ------------------------------------------------

// logLine is one JSON log line of a dvr-northd process, stamped when the
// test read it.
type logLine = proclog.Line

// proc is one dvr-northd process.
type proc struct {
	*ovsdbtest.Daemon
	t       *testing.T
	id      string
	nb, sb  string
	metrics string // host:port of --metrics-address
	pid     int
}

// startNorthd starts dvr-northd as a child process (killed with the test
// process: Pdeathsig), with JSON logs and metrics on a free local port, and
// stops it by pid at the end of the test.
func startNorthd(t *testing.T, id, nb, sb string) *proc {
	t.Helper()
	p := &proc{t: t, id: id, nb: nb, sb: sb, metrics: freeAddr(t)}
	p.Daemon = ovsdbtest.StartDaemon(t, "dvr-northd", "--nb", nb, "--sb", sb, "--instance-id", id,
		"--log-format", "json", "--log-level", "debug", "--metrics-address", p.metrics)
	p.pid = p.Pid()
	return p
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (p *proc) running() bool { return p.Running() }

// kill sends SIGKILL to the process (by pid) and waits for it; it returns
// when the signal was sent.
func (p *proc) kill() time.Time {
	at := time.Now()
	p.Kill()
	return at
}

// terminate sends SIGTERM and waits up to timeout for the exit; it returns
// the exit code (-1 when it did not exit in time, then it is killed) and how
// long the exit took.
func (p *proc) terminate(timeout time.Duration) (int, time.Duration) {
	at := time.Now()
	code := p.Stop(timeout)
	return code, time.Since(at)
}

// mark is the number of log lines so far, for waitLog.
func (p *proc) mark() int { return p.Log().Mark() }

// findLog returns the first line from index `from` on whose msg is msg.
func (p *proc) findLog(from int, msg string) (logLine, bool) {
	_, l, ok := p.Log().Find(from, proclog.IsMsg(msg))
	return l, ok
}

// countLog counts the lines whose msg is msg.
func (p *proc) countLog(msg string) int { return p.Log().Count(proclog.IsMsg(msg)) }

// waitLog waits for a line with msg from index `from` on.
func (p *proc) waitLog(from int, msg string, timeout time.Duration) (logLine, bool) {
	_, l, err := p.Log().Wait(from, timeout, msg, proclog.IsMsg(msg))
	return l, err == nil
}

// mustLog is waitLog failing the test on timeout.
func (p *proc) mustLog(from int, msg string, timeout time.Duration) logLine {
	p.t.Helper()
	l, ok := p.waitLog(from, msg, timeout)
	if !ok {
		p.t.Fatalf("dvr-northd %s: no %q log line within %v", p.id, msg, timeout)
	}
	return l
}

func (p *proc) logTail(n int) string { return p.Log().Tail(n) }

// active scrapes dvr_northd_active from the process's metrics.
func (p *proc) active() (bool, error) {
	c := http.Client{Timeout: time.Second}
	resp, err := c.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "dvr_northd_active "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f == 1, err
		}
	}
	return false, fmt.Errorf("%s: no dvr_northd_active in the metrics", p.id)
}

// monitorEndpoint is the endpoint the process's monitor of db ("nb" or
// "sb") last connected to, from its log.
func (p *proc) monitorEndpoint(db string) string {
	ep := ""
	for _, l := range p.Log().Since(0) {
		if l.Msg == "connected and monitoring" && l.Str("db") == db {
			ep = l.Str("endpoint")
		}
	}
	return ep
}

// soleActive waits until exactly one of the running processes reports
// dvr_northd_active 1 and the others 0, twice in a row 200 ms apart, and
// returns it.
func soleActive(t *testing.T, timeout time.Duration, ps ...*proc) *proc {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last *proc
	var status string
	for time.Now().Before(deadline) {
		var act []*proc
		var parts []string
		ok := true
		for _, p := range ps {
			if !p.running() {
				continue
			}
			a, err := p.active()
			if err != nil {
				ok = false
				parts = append(parts, fmt.Sprintf("%s: %v", p.id, err))
				continue
			}
			parts = append(parts, fmt.Sprintf("%s=%v", p.id, a))
			if a {
				act = append(act, p)
			}
		}
		status = strings.Join(parts, " ")
		if ok && len(act) == 1 {
			if last == act[0] {
				return last
			}
			last = act[0]
		} else {
			last = nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("not exactly one active dvr-northd within %v (dvr_northd_active: %s)", timeout, status)
	return nil
}

func others(all []*proc, not *proc) []*proc {
	var out []*proc
	for _, p := range all {
		if p != not {
			out = append(out, p)
		}
	}
	return out
}

// ---- databases -------------------------------------------------------------

// nbctlWait runs a dvr-nbctl chain in process with --wait=sb, bounded by
// timeout; it returns how long it took.
func (e *env) nbctlWait(timeout time.Duration, chain ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := nbctl.Run(ctx, nbctl.Options{DB: e.nb.Endpoint(), Stdout: io.Discard, Wait: "sb", Timeout: timeout}, chain)
	return time.Since(start), err
}

// mustNbctlWait is nbctlWait failing the test.
func (e *env) mustNbctlWait(timeout time.Duration, chain ...string) time.Duration {
	e.t.Helper()
	d, err := e.nbctlWait(timeout, chain...)
	if err != nil {
		e.t.Fatalf("dvr-nbctl --wait=sb %q: %v (after %v)", chain, err, d.Round(time.Millisecond))
	}
	return d
}

// sbGlobalIDs is SB_Global.external_ids as the env's SB reader sees it.
func (e *env) sbGlobalIDs() map[string]string {
	var gs []sbdb.SBGlobal
	if err := e.sbc.List(context.Background(), &gs); err != nil || len(gs) == 0 {
		return nil
	}
	return gs[0].ExternalIDs
}

func (e *env) nbGlobalIDs() map[string]string {
	var gs []nbdb.NBGlobal
	if err := e.nbc.List(context.Background(), &gs); err != nil || len(gs) == 0 {
		return nil
	}
	return gs[0].ExternalIDs
}

// waitEpochOwner waits until both SB_Global and NB_Global carry an epoch of
// instance id and returns the SB one.
func (e *env) waitEpochOwner(id string, timeout time.Duration) string {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	var sbE, nbE string
	for time.Now().Before(deadline) {
		sbE, nbE = e.sbGlobalIDs()[sbkeys.KeyEpoch], e.nbGlobalIDs()[sbkeys.KeyEpoch]
		if strings.HasSuffix(sbE, ":"+id) && sbE == nbE {
			return sbE
		}
		time.Sleep(30 * time.Millisecond)
	}
	e.t.Fatalf("epoch of %s not in SB and NB within %v: SB %q, NB %q", id, timeout, sbE, nbE)
	return ""
}

// rowUUIDs lists the UUIDs of the SB rows northd owns, by table.
func (e *env) rowUUIDs() map[string][]string {
	e.t.Helper()
	sb, err := readSB(context.Background(), e.sbc)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string][]string{}
	for _, d := range sb.Datapaths {
		out["Datapath_Binding"] = append(out["Datapath_Binding"], d.UUID)
	}
	for _, p := range sb.Ports {
		out["Port_Binding"] = append(out["Port_Binding"], p.UUID)
	}
	for _, m := range sb.MACs {
		out["DVR_MAC_Binding"] = append(out["DVR_MAC_Binding"], m.UUID)
	}
	for _, b := range sb.RouterBindings {
		out["DVR_Router_Binding"] = append(out["DVR_Router_Binding"], b.UUID)
	}
	return out
}

// checkRowsKept fails unless every row of before is still in after: the
// takeover rewrote nothing (a changed tunnel key or DVR MAC would be an
// update, also caught by the canonical comparison; a delete and re-insert
// by this).
func checkRowsKept(t *testing.T, before, after map[string][]string) {
	t.Helper()
	for table, us := range before {
		for _, u := range us {
			if !slices.Contains(after[table], u) {
				t.Errorf("%s row %s was deleted (and re-created?) across the takeover", table, u)
			}
		}
	}
}

// lines splits a canonical SB into its lines.
func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

// checkSubset fails unless every line of before is in after.
func checkSubset(t *testing.T, before, after string) {
	t.Helper()
	for _, l := range lines(before) {
		if !slices.Contains(lines(after), l) {
			t.Errorf("row changed across the takeover (tunnel key, DVR MAC or binding):\n  before: %s\nafter:\n%s", l, after)
		}
	}
}

// ---- the scenario ----------------------------------------------------------

// step is one change applied the same way to the HA env and the reference.
type step struct {
	name string
	do   func(e *env)
}

// seedSteps are the seed scenario (ovsdb-fixtures/seed: dvr-nbctl batch,
// then the three chassis, then the placement hv1: vm11 vm21, hv2: vm12,
// hv3: vm22, bound with ovn-sbctl).
func seedSteps() []step {
	seed := fixtures.Seed()
	return []step{
		{"seed NB", func(e *env) {
			for _, b := range fixtures.NbctlBatches(seed) {
				e.mustNbctlWait(20*time.Second, b...)
			}
		}},
		{"chassis", func(e *env) {
			for i, c := range seed.Chassis {
				e.sbctl("chassis-add", c, "vxlan", fmt.Sprintf("192.168.0.%d", i+1))
			}
		}},
		{"bind VMs", func(e *env) {
			pl := seed.Placement()
			for _, c := range slices.Sorted(maps.Keys(pl)) {
				for _, port := range pl[c] {
					e.sbctl("lsp-bind", port, c)
				}
			}
		}},
	}
}

// addVM is a step adding a VM port to a switch with --wait=sb.
func addVM(sw, name, mac, ip string) step {
	return step{"add " + name, func(e *env) {
		e.mustNbctlWait(20*time.Second, "lsp-add", sw, name, "--", "lsp-set-addresses", name, mac+" "+ip)
	}}
}

// reference replays steps on a fresh standalone NB+SB with one in-process
// instance that runs throughout, and returns the settled canonical SB after
// each step.
func reference(t *testing.T, steps []step) []string {
	t.Helper()
	r := newEnv(t)
	r.start("reference")
	var out []string
	for _, s := range steps {
		s.do(r)
		out = append(out, r.settle())
	}
	return out
}

// ---- SB_Global / NB_Global history -----------------------------------------

// globalEvent is the epoch and seq of one NB_Global or SB_Global update.
type globalEvent struct {
	at    time.Time
	epoch string
	seq   int
}

// history records every update of the global row one member serves.
type history struct {
	name   string
	mu     sync.Mutex
	events []globalEvent
}

func (h *history) add(ids map[string]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ev := globalEvent{at: time.Now(), epoch: ids[sbkeys.KeyEpoch], seq: seqOf(ids)}
	if n := len(h.events); n > 0 && h.events[n-1].epoch == ev.epoch && h.events[n-1].seq == ev.seq {
		return
	}
	h.events = append(h.events, ev)
}

// recordGlobal monitors the global table of db on one endpoint (one
// member) until the test ends or the member goes away.
func recordGlobal(t *testing.T, name, endpoint string, db string) *history {
	t.Helper()
	h := &history{name: name}
	var m model.ClientDBModel
	var err error
	var table model.Model
	if db == "nb" {
		m, err = nbdb.FullDatabaseModel()
		table = &nbdb.NBGlobal{}
	} else {
		m, err = sbdb.FullDatabaseModel()
		table = &sbdb.SBGlobal{}
	}
	if err != nil {
		t.Fatal(err)
	}
	l := logr.Discard()
	c, err := client.NewOVSDBClient(m, client.WithEndpoint(endpoint), client.WithLogger(&l))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	t.Cleanup(c.Close)
	ids := func(mm model.Model) map[string]string {
		switch g := mm.(type) {
		case *nbdb.NBGlobal:
			return g.ExternalIDs
		case *sbdb.SBGlobal:
			return g.ExternalIDs
		}
		return nil
	}
	c.Cache().AddEventHandler(&cache.EventHandlerFuncs{
		AddFunc:    func(_ string, mm model.Model) { h.add(ids(mm)) },
		UpdateFunc: func(_ string, _, mm model.Model) { h.add(ids(mm)) },
	})
	if _, err := c.Monitor(ctx, c.NewMonitor(client.WithTable(table))); err != nil {
		t.Fatalf("%s: monitor: %v", name, err)
	}
	return h
}

// check fails unless the history shows one writer at a time: epoch numbers
// never go down, one number never names two instances, and the write
// sequence number (bumped by every northd write, computed from the writer's
// view) never goes down. A write under a superseded epoch would be computed
// from a view older than the new epoch and show as a seq that does not grow.
func (h *history) check(t *testing.T) []string {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	owner := map[int]string{}
	var epochs []string
	for i, ev := range h.events {
		n := epochOf(ev.epoch)
		if o, ok := owner[n]; ok && o != ev.epoch {
			t.Errorf("%s: epoch number %d names two instances: %q and %q", h.name, n, o, ev.epoch)
		}
		owner[n] = ev.epoch
		if len(epochs) == 0 || epochs[len(epochs)-1] != ev.epoch {
			epochs = append(epochs, ev.epoch)
		}
		if i == 0 {
			continue
		}
		prev := h.events[i-1]
		if n < epochOf(prev.epoch) {
			t.Errorf("%s: epoch went back from %q to %q", h.name, prev.epoch, ev.epoch)
		}
		if ev.seq < prev.seq {
			t.Errorf("%s: write sequence went back from %d (epoch %q) to %d (epoch %q)", h.name, prev.seq, prev.epoch, ev.seq, ev.epoch)
		}
	}
	return epochs
}

// runningEndpoint is the comma list of the running members of s.
func runningEndpoint(s *ovsdbtest.Server) string {
	var eps []string
	for _, m := range s.Members {
		if m.Pid() != 0 {
			eps = append(eps, "unix:"+m.Socket)
		}
	}
	return strings.Join(eps, ",")
}

// memberEndpoints is the unix endpoint of each member, in member order.
func memberEndpoints(s *ovsdbtest.Server) []string {
	var eps []string
	for _, m := range s.Members {
		eps = append(eps, "unix:"+m.Socket)
	}
	return eps
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// median of durations.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
