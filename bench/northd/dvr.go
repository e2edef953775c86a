package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/proclog"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
	"github.com/dvr-ovn/dvr/schema"
)

// coldStart is one dvr-northd start on an empty SB, times from just before
// its fork+exec (or, in-process, Run).
type coldStart struct {
	nbMonitored time.Duration // "connected and monitoring" db=nb: the NB initial dump is in the cache
	sbMonitored time.Duration
	active      time.Duration // "now active": lock held, epoch bumped
	roundDone   time.Duration // the first full round logged (SB and NB commits acknowledged)
	round       proclog.Line  // its fields: read_ms, translate_ms, diff_ms, sb_commit_ms, nb_commit_ms, sb_ops
	watched     time.Duration // NB_Global.sb_cfg reached the nb_cfg bumped before the start (seen by a monitor)
	sync        time.Duration // `--wait=sb sync` started with the daemon, until it returned
}

// nbRead is the NB initial read: the monitor's dump, then the round's copy
// of the caches.
func (c coldStart) nbRead() time.Duration { return c.nbMonitored + c.round.Dur("read_ms") }

// translateWrite is translation, diff and SB commit of the first round.
func (c coldStart) translateWrite() time.Duration {
	return c.round.Dur("translate_ms") + c.round.Dur("diff_ms") + c.round.Dur("sb_commit_ms")
}

// portChange is one port-level change and the round that handled it.
type portChange struct {
	kind     string // lsp-add, claim, lsp-set-addresses
	round    proclog.Line
	internal time.Duration // since_change_ms; for a claim (no SB write) compute + commits
	external time.Duration // our transaction sent → the round's log line
}

// bindPhase is every chassis claiming its ports.
type bindPhase struct {
	settled      time.Duration // first claim sent → every LSP up and every hosting row in place
	full, incr   int           // rounds
	roundsTotal  time.Duration // sum of compute + commits of those rounds
	maxRound     time.Duration
	hostingRows  int
	transactions int
	fullReasons  map[string]int // why the full rounds ran ("full round" debug lines)
}

type takeover struct {
	active    time.Duration // kill -9 of the active → the standby's "now active"
	roundDone time.Duration // → the standby's first full round logged
	wait      time.Duration // → `dvr-nbctl --wait=sb lsp-add` (started right after the kill) returned
	round     proclog.Line
	mem       benchkit.Memory
}

type dvrResult struct {
	size, switches, routers int
	floor                   floorResult
	floorMon                floorResult   // with an SB monitor during its write
	sbServerCPU             time.Duration // the SB ovsdb-server's CPU time during the cold start
	sbRows                  map[string]int
	cold                    coldStart
	memCold, memChanges     benchkit.Memory
	bind                    bindPhase
	changes                 []portChange
	e2e                     []*e2eRun
	takeovers               []takeover
	loadBefore              string
}

// instance is a dvr-northd under test: a process, or Run in this process.
type instance struct {
	book    *proclog.Book
	started time.Time
	proc    *northdProc // nil in-process
}

// idle waits until the daemon is idle: its CPU time stands still (a
// process), or its log is quiet (in-process).
func (in *instance) idle() error {
	in.book.Quiet(200*time.Millisecond, time.Minute)
	if in.proc == nil {
		return nil
	}
	return benchkit.WaitIdle(in.proc.p.Pid, 5*time.Minute)
}

func (in *instance) memory() benchkit.Memory {
	if in.proc == nil {
		return benchkit.Memory{}
	}
	m, _ := in.proc.memory()
	return m
}

// stage is one size's databases and clients.
type stage struct {
	size        int
	topo        fixtures.Topology
	nb, sb      *benchkit.Server
	nbc, sbc    *db
	ls          map[string]string // switch name → UUID
	ports       *ports
	placement   map[string]string
	pbs         map[string]string // Port_Binding UUID by port, after binding
	chassisUUID map[string]string
}

func (s *stage) stop() {
	for _, c := range []*db{s.nbc, s.sbc} {
		if c != nil {
			c.Close()
		}
	}
	for _, sv := range []*benchkit.Server{s.nb, s.sb} {
		if sv != nil {
			sv.Stop()
		}
	}
}

// newStage starts NB and SB servers with the given schemas, loads the
// topology and registers the chassis.
func newStage(ctx context.Context, size, nChassis int, nbSchema, sbSchema []byte) (*stage, error) {
	s := &stage{size: size, topo: topology(size, nChassis)}
	var err error
	if s.nb, err = benchkit.StartServer(nbSchema, false); err != nil {
		return s, err
	}
	if s.sb, err = benchkit.StartServer(sbSchema, false); err != nil {
		return s, err
	}
	if err := fixtures.LoadNB(ctx, s.nb.Endpoint(), s.topo, 0); err != nil {
		return s, err
	}
	if err := addChassis(s.sb.Endpoint(), s.topo.Chassis); err != nil {
		return s, err
	}
	if s.nbc, err = benchkit.Dial(ctx, s.nb.Endpoint(), nbDB); err != nil {
		return s, err
	}
	if s.sbc, err = benchkit.Dial(ctx, s.sb.Endpoint(), sbDB); err != nil {
		return s, err
	}
	if s.ls, err = s.nbc.ByName(ctx, "Logical_Switch", "name"); err != nil {
		return s, err
	}
	if s.chassisUUID, err = s.sbc.ByName(ctx, "Chassis", "name"); err != nil {
		return s, err
	}
	s.ports = newPorts(s.topo, uint64(size))
	s.placement = placement(s.topo)
	return s, nil
}

// floorOnFreshSB runs the floor against the stage's NB and a fresh SB
// holding the same chassis, and the SB server's CPU time meanwhile.
func floorOnFreshSB(st *stage, sbMonitor bool) (floorResult, error) {
	fsb, err := benchkit.StartServer(schema.SB, false)
	if err != nil {
		return floorResult{}, err
	}
	defer fsb.Stop()
	if err := addChassis(fsb.Endpoint(), st.topo.Chassis); err != nil {
		return floorResult{}, err
	}
	c0, err := benchkit.CPUTime(fsb.P.Pid)
	if err != nil {
		return floorResult{}, err
	}
	f, err := measureFloor(st.nb.Endpoint(), fsb.Endpoint(), sbMonitor)
	if err != nil {
		return f, err
	}
	c1, err := benchkit.CPUTime(fsb.P.Pid)
	f.SBServerCPU = c1 - c0
	return f, err
}

func runDVR(ctx context.Context, cfg config, size int) (*dvrResult, error) {
	benchkit.Logf("dvr-northd, %d ports: servers, NB load, %d chassis; load %s", size, cfg.chassis, benchkit.LoadAvg())
	st, err := newStage(ctx, size, cfg.chassis, schema.NB, schema.SB)
	defer st.stop()
	if err != nil {
		return nil, err
	}
	r, s, p := st.topo.Counts()
	res := &dvrResult{size: p, switches: s, routers: r, loadBefore: benchkit.LoadAvg()}

	// The floor, on an SB of its own with the same chassis; then again on
	// another with an SB monitor of its own, as dvr-northd has.
	benchkit.Logf("dvr-northd, %d ports: floor client, without and with an SB monitor", size)
	for _, mon := range []bool{false, true} {
		f, err := floorOnFreshSB(st, mon)
		if err != nil {
			return nil, err
		}
		if mon {
			res.floorMon = f
		} else {
			res.floor = f
		}
	}

	dir, err := benchkit.TempDir("dvrn")
	if err != nil {
		return nil, err
	}
	benchkit.Logf("dvr-northd, %d ports: cold start", size)
	var a *instance
	c0, err := benchkit.CPUTime(st.sb.P.Pid)
	if err != nil {
		return nil, err
	}
	res.cold, a, err = coldStartProc(ctx, cfg, st, dir, "a")
	if a != nil {
		defer a.proc.p.Stop()
	}
	if err != nil {
		return nil, err
	}
	res.sbRows = map[string]int{}
	for _, t := range []string{"Datapath_Binding", "Port_Binding", "DVR_MAC_Binding"} {
		if res.sbRows[t], err = st.sbc.Count(ctx, t); err != nil {
			return nil, err
		}
		if res.sbRows[t] != res.floor.Rows[t] {
			return nil, fmt.Errorf("dvr-northd wrote %d %s rows, the floor %d", res.sbRows[t], t, res.floor.Rows[t])
		}
	}
	if err := a.idle(); err != nil {
		return nil, err
	}
	c1, err := benchkit.CPUTime(st.sb.P.Pid)
	if err != nil {
		return nil, err
	}
	res.sbServerCPU = c1 - c0
	res.memCold = a.memory()

	benchkit.Logf("dvr-northd, %d ports: %d chassis claim their ports", size, cfg.chassis)
	if res.bind, err = bind(ctx, st, a.book, a.proc.p.Pid, true); err != nil {
		return nil, err
	}

	if err := a.idle(); err != nil {
		return nil, err
	}
	benchkit.Logf("dvr-northd, %d ports: %d port changes of each kind", size, cfg.changes)
	if res.changes, err = portChanges(ctx, st, a.book, cfg.changes); err != nil {
		return nil, err
	}
	res.memChanges = a.memory()

	if err := a.idle(); err != nil {
		return nil, err
	}
	benchkit.Logf("dvr-northd, %d ports: %d x dvr-nbctl lsp-add, with and without --wait=sb and addresses", size, cfg.e2e)
	res.e2e = e2eShapes("dvr-nbctl")
	if err := runE2E(cfg.dvrNbctl, st, a.book, res.e2e, cfg.e2e, nil); err != nil {
		return nil, err
	}

	for i := 0; i < cfg.takeovers; i++ {
		benchkit.Logf("dvr-northd, %d ports: takeover %d/%d after kill -9", size, i+1, cfg.takeovers)
		t, b, err := takeoverOnce(ctx, cfg, st, dir, a, fmt.Sprintf("t%d", i+1))
		if b != nil {
			defer b.proc.p.Stop()
		}
		if err != nil {
			return nil, err
		}
		res.takeovers = append(res.takeovers, t)
		a = b
	}
	return res, nil
}

// coldStartProc bumps nb_cfg, starts dvr-northd on an empty SB together
// with `dvr-nbctl --wait=sb sync`, and times its phases.
func coldStartProc(ctx context.Context, cfg config, st *stage, dir, id string) (coldStart, *instance, error) {
	var c coldStart
	want, err := benchkit.BumpNbCfg(ctx, st.nbc)
	if err != nil {
		return c, nil, err
	}
	w, err := watchSbCfg(ctx, st.nb.Endpoint())
	if err != nil {
		return c, nil, err
	}
	defer w.close()
	np, err := startDVRNorthd(cfg.dvrNorthd, dir, id, st.nb.Endpoint(), st.sb.Endpoint())
	if err != nil {
		return c, nil, err
	}
	in := &instance{book: np.log, started: np.started, proc: np}
	sync := timeProcAsync(cfg.dvrNbctl, "--db="+st.nb.Endpoint(), "--wait=sb", "--timeout=600", "sync")
	c, err = waitColdStart(in, w, want)
	if err != nil {
		return c, in, err
	}
	sr := <-sync
	if sr.err != nil {
		return c, in, sr.err
	}
	c.sync = sr.d
	in.book.Quiet(200*time.Millisecond, 30*time.Second)
	return c, in, nil
}

// waitColdStart reads the phases of a cold start from the log.
func waitColdStart(in *instance, w *cfgWatch, want int) (coldStart, error) {
	var c coldStart
	const long = 15 * time.Minute
	monitored := func(db string) func(proclog.Line) bool {
		return func(l proclog.Line) bool { return l.Msg == "connected and monitoring" && l.Str("db") == db }
	}
	_, l, err := in.book.Wait(0, long, "NB monitor", monitored("nb"))
	if err != nil {
		return c, err
	}
	c.nbMonitored = l.At.Sub(in.started)
	if _, l, err = in.book.Wait(0, long, "SB monitor", monitored("sb")); err != nil {
		return c, err
	}
	c.sbMonitored = l.At.Sub(in.started)
	if _, l, err = in.book.Wait(0, long, "activation", proclog.IsMsg("lock acquired: this dvr-northd instance is now active")); err != nil {
		return c, err
	}
	c.active = l.At.Sub(in.started)
	if _, c.round, err = in.book.Wait(0, long, "first full round", isRound("full")); err != nil {
		return c, err
	}
	c.roundDone = c.round.At.Sub(in.started)
	at, err := w.wait(want, long)
	if err != nil {
		return c, err
	}
	c.watched = at.Sub(in.started)
	return c, nil
}

// bind makes every chassis claim its ports and waits until the daemon has
// handled the claims: every VM port up in NB and, for dvr-northd, every
// hosting row in SB. The counts are checked only when the daemon is idle
// (pid: its CPU time stands still; else its log is quiet), as polling
// selects of 100k rows would compete with it for the CPUs. Settled is the
// last dvr-northd round that wrote, or for ovn-northd the first check
// that found everything.
func bind(ctx context.Context, st *stage, book *proclog.Book, pid int, dvr bool) (bindPhase, error) {
	var b bindPhase
	mark := 0
	if book != nil {
		mark = book.Mark()
	}
	t0 := time.Now()
	pbs, err := bindPorts(ctx, st.sbc, st.placement)
	if err != nil {
		return b, err
	}
	st.pbs = pbs
	b.transactions = len(st.topo.Chassis)
	if dvr {
		b.hostingRows = hostingRows(st.topo)
	}
	// VM ports only: ovn-northd also sets up on router-type ports.
	up := []ovsdb.Condition{ovsdb.NewCondition("up", ovsdb.ConditionEqual, true), ovsdb.NewCondition("type", ovsdb.ConditionEqual, "")}
	deadline := time.Now().Add(30 * time.Minute)
	for {
		if pid != 0 {
			if err := benchkit.WaitIdle(pid, 30*time.Minute); err != nil {
				return b, err
			}
		} else {
			book.Quiet(300*time.Millisecond, time.Minute)
		}
		checked := time.Now()
		n, err := st.nbc.Count(ctx, "Logical_Switch_Port", up...)
		if err != nil {
			return b, err
		}
		h := b.hostingRows
		if dvr {
			if h, err = st.sbc.Count(ctx, "DVR_Router_Binding"); err != nil {
				return b, err
			}
		}
		if n == len(st.placement) && h == b.hostingRows {
			b.settled = checked.Sub(t0)
			break
		}
		if time.Now().After(deadline) {
			return b, fmt.Errorf("claims not settled after 30 minutes: %d of %d VM ports up, %d of %d hosting rows",
				n, len(st.placement), h, b.hostingRows)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if book == nil {
		return b, nil
	}
	book.Quiet(200*time.Millisecond, time.Minute)
	b.fullReasons = map[string]int{}
	for _, l := range book.Since(mark) {
		if l.Msg == "full round" {
			b.fullReasons[l.Str("reason")]++
		}
		if l.Msg != "round done" {
			continue
		}
		if l.Str("kind") == "full" {
			b.full++
		} else {
			b.incr++
		}
		d := roundTime(l)
		b.roundsTotal += d
		b.maxRound = max(b.maxRound, d)
		if l.Num("sb_ops") > 0 || l.Num("nb_ops") > 0 {
			b.settled = l.At.Sub(t0)
		}
	}
	return b, nil
}

// roundTime is a round's own time: everything it logs.
func roundTime(l proclog.Line) time.Duration {
	if l.Str("kind") == "full" {
		return l.Dur("read_ms") + l.Dur("translate_ms") + l.Dur("diff_ms") + l.Dur("sb_commit_ms") + l.Dur("nb_commit_ms")
	}
	return l.Dur("compute_ms") + l.Dur("sb_commit_ms") + l.Dur("nb_commit_ms")
}

// portChanges makes n changes of each kind, one at a time, each on an
// idle northd: a VM port added (insert + switch mutate), claimed by a
// chassis (Port_Binding.chassis and up), and re-addressed.
func portChanges(ctx context.Context, st *stage, book *proclog.Book, n int) ([]portChange, error) {
	var out []portChange
	chassis := st.topo.Chassis
	hasSB := func(l proclog.Line) bool { return l.Msg == "round done" && l.Num("sb_ops") > 0 }
	hasNB := func(l proclog.Line) bool { return l.Msg == "round done" && l.Num("nb_ops") > 0 }
	one := func(kind string, match func(proclog.Line) bool, ops *db, op ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
		book.Quiet(30*time.Millisecond, 10*time.Second)
		mark := book.Mark()
		t0 := time.Now()
		res, err := ops.Transact(ctx, op...)
		if err != nil {
			return nil, err
		}
		_, l, err := book.Wait(mark, 5*time.Minute, "the round of a "+kind, match)
		if err != nil {
			return nil, err
		}
		c := portChange{kind: kind, round: l, external: l.At.Sub(t0), internal: l.Dur("since_change_ms")}
		if kind == "claim" {
			c.internal = roundTime(l)
		}
		out = append(out, c)
		return res, nil
	}
	for i := 0; i < n; i++ {
		sw, addr, err := st.ports.next()
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("nbc-%d", i)
		res, err := one("lsp-add", hasSB, st.nbc, lspAddOps(st.ls[sw], name, addr)...)
		if err != nil {
			return nil, err
		}
		lsp := res[0].UUID.GoUUID
		rows, err := st.sbc.Select(ctx, "Port_Binding", []string{"_uuid"}, ovsdb.NewCondition("logical_port", ovsdb.ConditionEqual, name))
		if err != nil || len(rows) != 1 {
			return nil, fmt.Errorf("Port_Binding of %s: %d rows, %v", name, len(rows), err)
		}
		if _, err := one("claim", hasNB, st.sbc, benchkit.Claim(name, chassis[i%len(chassis)], true)); err != nil {
			return nil, err
		}
		addr2, err := st.ports.addr(st.ports.subnet(sw))
		if err != nil {
			return nil, err
		}
		if _, err := one("lsp-set-addresses", hasSB, st.nbc, setAddressesOp(lsp, addr2)); err != nil {
			return nil, err
		}
	}
	book.Quiet(30*time.Millisecond, 10*time.Second)
	return out, nil
}

// takeoverOnce starts a standby, kills the active one with SIGKILL and
// times the standby's activation, its first round, and a --wait=sb
// command started right after the kill.
func takeoverOnce(ctx context.Context, cfg config, st *stage, dir string, active *instance, id string) (takeover, *instance, error) {
	var t takeover
	np, err := startDVRNorthd(cfg.dvrNorthd, dir, id, st.nb.Endpoint(), st.sb.Endpoint())
	if err != nil {
		return t, nil, err
	}
	b := &instance{book: np.log, started: np.started, proc: np}
	for _, db := range []string{"nb", "sb"} {
		if _, _, err := b.book.Wait(0, 15*time.Minute, "standby's "+db+" monitor", func(l proclog.Line) bool {
			return l.Msg == "connected and monitoring" && l.Str("db") == db
		}); err != nil {
			return t, b, err
		}
	}
	// Its loop asks for the lock at its next step (at most 1 s on).
	time.Sleep(1500 * time.Millisecond)
	if err := b.idle(); err != nil {
		return t, b, err
	}
	if err := active.idle(); err != nil {
		return t, b, err
	}
	if b.Active() {
		return t, b, fmt.Errorf("standby %s is active before the kill", id)
	}
	sw, addr, err := st.ports.next()
	if err != nil {
		return t, b, err
	}
	name := "takeover-" + id
	mark := b.book.Mark()
	t0 := time.Now()
	active.proc.p.Kill()
	wait := timeProcAsync(cfg.dvrNbctl, "--db="+st.nb.Endpoint(), "--wait=sb", "--timeout=600", "lsp-add", sw, name, "--", "lsp-set-addresses", name, addr)
	_, l, err := b.book.Wait(mark, 5*time.Minute, "the standby's activation", proclog.IsMsg("lock acquired: this dvr-northd instance is now active"))
	if err != nil {
		return t, b, err
	}
	t.active = l.At.Sub(t0)
	if _, t.round, err = b.book.Wait(mark, 15*time.Minute, "the standby's first round", isRound("full")); err != nil {
		return t, b, err
	}
	t.roundDone = t.round.At.Sub(t0)
	wr := <-wait
	if wr.err != nil {
		return t, b, wr.err
	}
	t.wait = wr.end().Sub(t0)
	b.book.Quiet(200*time.Millisecond, time.Minute)
	t.mem = b.memory()
	return t, b, nil
}

// Active reports whether the instance has logged its activation.
func (in *instance) Active() bool {
	for _, l := range in.book.Since(0) {
		if l.Msg == "lock acquired: this dvr-northd instance is now active" {
			return true
		}
	}
	return false
}
