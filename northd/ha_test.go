package northd

// Active/standby of dvr-northd as real processes against real
// ovsdb-servers (DESIGN §4: the lock elects, an epoch fences). Every test
// compares the SB the instances leave with the SB one instance that ran
// throughout writes for the same changes (reference, an in-process
// instance on its own NB+SB), so a takeover must change nothing: no
// tunnel key, no DVR MAC, no row deleted and re-created.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

const vm13MAC, vm13IP = "fa:16:3e:00:01:0d", "10.0.1.13"

// TestHAKillActiveStandbyTakesOver: two instances on one standalone NB+SB;
// exactly one is active; kill -9 of the active one makes the standby take
// over and handle the next change, and the SB ends as if one instance had
// run throughout. Two more takeovers (a fresh standby each time) give a
// median takeover time.
func TestHAKillActiveStandbyTakesOver(t *testing.T) {
	steps := append(seedSteps(), addVM("sw1", "vm13", vm13MAC, vm13IP))
	want := reference(t, steps)

	e := newEnv(t)
	nb, sb := e.nb.Endpoint(), e.sb.Endpoint()
	ps := []*proc{startNorthd(t, "A", nb, sb), startNorthd(t, "B", nb, sb)}
	first := soleActive(t, 20*time.Second, ps...)
	standby := others(ps, first)[0]
	if ep := e.waitEpochOwner(first.id, 10*time.Second); epochOf(ep) != 1 {
		t.Fatalf("first activation on fresh databases wrote epoch %q, want 1:%s", ep, first.id)
	}
	for _, s := range steps[:3] {
		s.do(e)
	}
	e.eventually(want[2])
	if n := standby.countLog(msgActive); n != 0 {
		t.Fatalf("standby %s logged %d activations while %s was active", standby.id, n, first.id)
	}
	before, uuids := e.canonical(), e.rowUUIDs()

	// kill -9 the active instance; the standby must take over and process
	// the next change.
	mark := standby.mark()
	killedAt := first.kill()
	steps[3].do(e) // --wait=sb lsp-add vm13: returns only once an active instance wrote it
	waitDone := time.Since(killedAt)
	l := standby.mustLog(mark, msgActive, 10*time.Second)
	takeovers := []time.Duration{l.At.Sub(killedAt)}
	if ep := l.Str("epoch"); ep != "2:"+standby.id {
		t.Errorf("takeover epoch = %q, want 2:%s", ep, standby.id)
	}
	if got := soleActive(t, 5*time.Second, ps...); got != standby {
		t.Fatalf("after the kill %s is active, want %s", got.id, standby.id)
	}
	e.eventually(want[3])
	checkSubset(t, before, e.canonical())
	checkRowsKept(t, uuids, e.rowUUIDs())
	t.Logf("takeover 1: kill -9 %s -> %s active in %v; kill -> --wait=sb lsp-add vm13 returned in %v",
		first.id, standby.id, takeovers[0].Round(time.Millisecond), waitDone.Round(time.Millisecond))

	// Two more takeovers, each to a freshly started standby, each followed
	// by a --wait=sb sync that only an active instance can answer.
	active := standby
	for i, id := range []string{"C", "D"} {
		next := startNorthd(t, id, nb, sb)
		waitMonitors(t, next)
		time.Sleep(300 * time.Millisecond) // its lock request is queued behind the holder
		ps = append(ps, next)
		if got := soleActive(t, 5*time.Second, ps...); got != active {
			t.Fatalf("starting %s changed the active instance to %s", id, got.id)
		}
		mark := next.mark()
		killedAt := active.kill()
		e.mustNbctlWait(20*time.Second, "sync")
		waitDone := time.Since(killedAt)
		l := next.mustLog(mark, msgActive, 10*time.Second)
		takeovers = append(takeovers, l.At.Sub(killedAt))
		if want := fmt.Sprintf("%d:%s", i+3, id); l.Str("epoch") != want {
			t.Errorf("takeover epoch = %q, want %s", l.Str("epoch"), want)
		}
		t.Logf("takeover %d: kill -9 %s -> %s active in %v; kill -> --wait=sb sync returned in %v",
			i+2, active.id, id, takeovers[i+1].Round(time.Millisecond), waitDone.Round(time.Millisecond))
		active = next
	}
	e.eventually(want[3])
	checkRowsKept(t, uuids, e.rowUUIDs())
	t.Logf("takeover time (kill -9 -> \"now active\" log line), median of %d: %v", len(takeovers), median(takeovers).Round(time.Millisecond))
}

// waitMonitors waits until p logged both its NB and SB monitors connected.
func waitMonitors(t *testing.T, p *proc) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p.monitorEndpoint("nb") == "" || p.monitorEndpoint("sb") == "" {
		if time.Now().After(deadline) {
			t.Fatalf("%s: monitors not connected within 10s", p.id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestHAClusteredTakeoverAndLeaderChange: NB and SB are 3-member RAFT
// clusters; A lists the members m0,m1,m2 and B m2,m1,m0, so their monitors
// sit on different members. kill -9 of the active instance, then a
// leadership transfer of the SB leader, then a stop of the SB leader (and
// its restart): after each, exactly one instance is active, it processes a
// --wait=sb change, every member's NB_Global/SB_Global history shows one
// writer at a time, and the SB ends as a single instance writes it.
func TestHAClusteredTakeoverAndLeaderChange(t *testing.T) {
	steps := append(seedSteps(),
		addVM("sw1", "vm13", vm13MAC, vm13IP),
		addVM("sw1", "vm14", "fa:16:3e:00:01:0e", "10.0.1.14"),
		addVM("sw2", "vm23", "fa:16:3e:00:02:0d", "10.0.2.13"))
	want := reference(t, steps)

	e := newEnv(t, ovsdbtest.Clustered(3))
	nbEPs, sbEPs := memberEndpoints(e.nb), memberEndpoints(e.sb)
	var hists []*history
	for i := range sbEPs {
		hists = append(hists, recordGlobal(t, fmt.Sprintf("SB_Global on SB m%d", i), sbEPs[i], "sb"),
			recordGlobal(t, fmt.Sprintf("NB_Global on NB m%d", i), nbEPs[i], "nb"))
	}
	fwd := func(id string) *proc {
		return startNorthd(t, id, strings.Join(nbEPs, ","), strings.Join(sbEPs, ","))
	}
	rev := func(id string) *proc {
		return startNorthd(t, id, strings.Join(reversed(nbEPs), ","), strings.Join(reversed(sbEPs), ","))
	}
	a, b := fwd("A"), rev("B")
	ps := []*proc{a, b}
	waitMonitors(t, a)
	waitMonitors(t, b)
	if a.monitorEndpoint("sb") != sbEPs[0] || b.monitorEndpoint("sb") != sbEPs[2] {
		t.Fatalf("SB monitors: A on %s, B on %s; want A on m0 %s, B on m2 %s",
			a.monitorEndpoint("sb"), b.monitorEndpoint("sb"), sbEPs[0], sbEPs[2])
	}
	act := soleActive(t, 20*time.Second, ps...)
	e.waitEpochOwner(act.id, 10*time.Second)
	for _, s := range steps[:3] {
		s.do(e)
	}
	e.eventually(want[2])
	before, uuids := e.canonical(), e.rowUUIDs()

	// 1. kill -9 the active instance.
	stand := others(ps, act)[0]
	mark := stand.mark()
	killedAt := act.kill()
	steps[3].do(e)
	waitDone := time.Since(killedAt)
	l := stand.mustLog(mark, msgActive, 15*time.Second)
	t.Logf("clustered takeover: kill -9 %s -> %s active in %v (epoch %s); kill -> --wait=sb lsp-add vm13 returned in %v",
		act.id, stand.id, l.At.Sub(killedAt).Round(time.Millisecond), l.Str("epoch"), waitDone.Round(time.Millisecond))
	e.eventually(want[3])
	checkSubset(t, before, e.canonical())
	checkRowsKept(t, uuids, e.rowUUIDs())
	// The killed one comes back with its member order, as a standby.
	var back *proc
	if act == a {
		back = fwd("A2")
	} else {
		back = rev("B2")
	}
	ps = append(ps, back)
	waitMonitors(t, back)
	act = soleActive(t, 10*time.Second, ps...)
	if act != stand {
		t.Fatalf("restarting %s moved the active instance to %s", back.id, act.id)
	}

	// 2. The SB leader hands leadership to another member and keeps running:
	// the lock the active instance holds there no longer elects anybody.
	old := e.sb.Leader()
	epoch := e.sbGlobalIDs()[sbkeys.KeyEpoch]
	transferAt := time.Now()
	if out, err := e.sb.Appctl(old, "cluster/failure-test", "transfer-leadership"); err != nil {
		t.Fatalf("cluster/failure-test transfer-leadership: %v: %s", err, out)
	}
	waitNewLeader(t, e.sb, old)
	act = waitReelected(t, e, epoch, ps)
	reelected := time.Since(transferAt)
	steps[4].do(e)
	e.eventually(want[4])
	t.Logf("after the SB leadership transfer from m%d: %s active with epoch %s (new epoch in view within %v of the transfer)",
		old.Index, act.id, e.sbGlobalIDs()[sbkeys.KeyEpoch], reelected.Round(time.Millisecond))

	// 3. The SB leader stops.
	old = e.sb.Leader()
	epoch = e.sbGlobalIDs()[sbkeys.KeyEpoch]
	stoppedAt := time.Now()
	e.sb.StopMember(old)
	e.sbc = ovsdbtest.SBClient(t, runningEndpoint(e.sb), ovsdbtest.MonitorAll())
	waitNewLeader(t, e.sb, old)
	act = waitReelected(t, e, epoch, ps)
	reelected = time.Since(stoppedAt)
	steps[5].do(e)
	t.Logf("after stopping the SB leader m%d: %s active with epoch %s (new epoch in view within %v of the stop); stop -> --wait=sb lsp-add vm23 returned in %v",
		old.Index, act.id, e.sbGlobalIDs()[sbkeys.KeyEpoch], reelected.Round(time.Millisecond), time.Since(stoppedAt).Round(time.Millisecond))
	e.eventually(want[5])
	if err := e.sb.RestartMember(old); err != nil {
		t.Fatal(err)
	}
	if err := e.sb.WaitLeader(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.mustNbctlWait(20*time.Second, "sync")
	if got := soleActive(t, 10*time.Second, ps...); got != act {
		t.Errorf("restarting SB m%d moved the active instance from %s to %s", old.Index, act.id, got.id)
	}
	e.eventually(want[5])
	checkSubset(t, before, e.canonical())
	checkRowsKept(t, uuids, e.rowUUIDs())
	for _, h := range hists {
		t.Logf("%s: epochs %v", h.name, h.check(t))
	}
}

// waitNewLeader waits until a member other than old leads.
func waitNewLeader(t *testing.T, s *ovsdbtest.Server, old *ovsdbtest.Member) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if l := s.Leader(); l != nil && l != old {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no new %s leader within 20s", s.Name)
}

// waitReelected waits, after a leader change, until an instance activated
// with an epoch newer than epoch (locks are per server: the lock has to be
// taken again on the new leader), exactly one instance is active, and it
// is the owner of the epoch in SB and NB.
func waitReelected(t *testing.T, e *env, epoch string, ps []*proc) *proc {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for epochOf(e.sbGlobalIDs()[sbkeys.KeyEpoch]) <= epochOf(epoch) {
		if time.Now().After(deadline) {
			t.Fatalf("no new epoch after the leader change (still %q)", e.sbGlobalIDs()[sbkeys.KeyEpoch])
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		act := soleActive(t, 15*time.Second, ps...)
		cur := e.sbGlobalIDs()[sbkeys.KeyEpoch]
		if strings.HasSuffix(cur, ":"+act.id) && e.nbGlobalIDs()[sbkeys.KeyEpoch] == cur {
			return act
		}
		if time.Now().After(deadline) {
			t.Fatalf("active instance %s does not own the epoch (SB %q, NB %q)", act.id, cur, e.nbGlobalIDs()[sbkeys.KeyEpoch])
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestHAFencedBySBEpoch: while A is active, another writer takes the epoch
// in SB_Global (as a newly elected instance would). A must stop writing,
// say so, and, holding the lock again, activate with a newer epoch and
// converge the SB.
func TestHAFencedBySBEpoch(t *testing.T) {
	testFenced(t, func(e *env) {
		e.sbctl("set", "SB_Global", ".", "external_ids:"+sbkeys.KeyEpoch+"=999:intruder")
	}, 999)
}

// TestHAFencedByNBEpoch: the same with the epoch taken in NB_Global.
func TestHAFencedByNBEpoch(t *testing.T) {
	testFenced(t, func(e *env) {
		ovsdbtest.Transact(t, e.nb.Endpoint(), nbDatabase, map[string]any{
			"op": "mutate", "table": "NB_Global", "where": []any{},
			"mutations": []any{
				[]any{"external_ids", "delete", []any{"set", []any{sbkeys.KeyEpoch}}},
				[]any{"external_ids", "insert", []any{"map", []any{[]any{sbkeys.KeyEpoch, "2000:intruder"}}}},
			},
		})
	}, 2000)
}

// TestHAFencedByForeignEpoch: the epoch in SB_Global stops being A's
// without being a higher number: another owner under the same number, the
// key removed, the SB_Global row deleted (an SB rebuilt under a running
// northd). A cannot write under its epoch any more (every write waits on
// it), so it must notice, go standby and activate again past whatever is
// there, as with a higher number; it must not stay "active" while never
// writing.
func TestHAFencedByForeignEpoch(t *testing.T) {
	for _, c := range []struct {
		name    string
		intrude func(e *env)
	}{
		{"same number, another owner", func(e *env) {
			e.sbctl("set", "SB_Global", ".", "external_ids:"+sbkeys.KeyEpoch+"=1:intruder")
		}},
		{"epoch removed", func(e *env) {
			e.sbctl("remove", "SB_Global", ".", "external_ids", sbkeys.KeyEpoch)
		}},
		{"SB_Global deleted", func(e *env) {
			ovsdbtest.Transact(t, e.sb.Endpoint(), sbDatabase, map[string]any{"op": "delete", "table": "SB_Global", "where": []any{}})
		}},
	} {
		t.Run(c.name, func(t *testing.T) { testFenced(t, c.intrude, 1) })
	}
}

// TestHAWriteSequenceRolledBack: SB_Global keeps A's epoch but its write
// sequence goes back (as after an SB restored from a backup taken after A
// activated): the write A waits to see will never show. A must recover
// and process the next change rather than wait for it forever.
func TestHAWriteSequenceRolledBack(t *testing.T) {
	steps := []step{seedSteps()[0], addVM("sw1", "vm13", vm13MAC, vm13IP)}
	want := reference(t, steps)
	e := newEnv(t)
	a := startNorthd(t, "A", e.nb.Endpoint(), e.sb.Endpoint())
	a.mustLog(0, msgActive, 15*time.Second)
	e.waitEpochOwner("A", 10*time.Second)
	steps[0].do(e)
	e.eventually(want[0])
	seq := e.sbGlobalIDs()[sbkeys.KeySeq]
	e.sbctl("set", "SB_Global", ".", "external_ids:"+sbkeys.KeySeq+"=0")
	d, err := e.nbctlWait(15*time.Second, "lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", vm13MAC+" "+vm13IP)
	if err != nil {
		t.Fatalf("after SB_Global's %s went from %s back to 0, dvr-nbctl --wait=sb lsp-add vm13 did not complete: %v (after %v); SB ids %v; A's dvr_northd_active=%v",
			sbkeys.KeySeq, seq, err, d.Round(time.Millisecond), e.sbGlobalIDs(), activeOf(a))
	}
	t.Logf("after the rollback of %s (was %s), --wait=sb lsp-add vm13 returned in %v", sbkeys.KeySeq, seq, d.Round(time.Millisecond))
	e.eventually(want[1])
}

func testFenced(t *testing.T, intrude func(e *env), intruder int) {
	steps := []step{seedSteps()[0], addVM("sw1", "vm13", vm13MAC, vm13IP)}
	want := reference(t, steps)
	e := newEnv(t)
	a := startNorthd(t, "A", e.nb.Endpoint(), e.sb.Endpoint())
	a.mustLog(0, msgActive, 15*time.Second)
	e.waitEpochOwner("A", 10*time.Second)
	steps[0].do(e)
	e.eventually(want[0])

	mark := a.mark()
	intrudedAt := time.Now()
	intrude(e)
	ok := true
	if l, found := a.waitLog(mark, msgStandby, 5*time.Second); !found {
		ok = false
		t.Errorf("A did not go standby within 5s after its epoch was superseded (SB epoch %q, NB epoch %q, dvr_northd_active=%v)",
			e.sbGlobalIDs()[sbkeys.KeyEpoch], e.nbGlobalIDs()[sbkeys.KeyEpoch], activeOf(a))
	} else {
		t.Logf("A on standby %v after the epoch was taken (reason: %s)", l.At.Sub(intrudedAt).Round(time.Millisecond), l.Str("reason"))
	}
	wait := 5 * time.Second
	if !ok {
		wait = time.Second
	}
	if l, found := a.waitLog(mark, msgActive, wait); !found {
		ok = false
		t.Errorf("A did not activate again within %v after its epoch was superseded", wait)
	} else if epochOf(l.Str("epoch")) <= intruder {
		t.Errorf("A activated again with epoch %q, not newer than the intruder's %d", l.Str("epoch"), intruder)
	} else {
		t.Logf("A active again %v after the epoch was taken, epoch %s", l.At.Sub(intrudedAt).Round(time.Millisecond), l.Str("epoch"))
	}
	if d, err := e.nbctlWait(5*time.Second, "lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", vm13MAC+" "+vm13IP); err != nil {
		t.Fatalf("after the epoch was taken, dvr-nbctl --wait=sb lsp-add vm13 did not complete: %v (after %v); SB epoch %q, NB epoch %q; A's dvr_northd_active=%v",
			err, d.Round(time.Millisecond), e.sbGlobalIDs()[sbkeys.KeyEpoch], e.nbGlobalIDs()[sbkeys.KeyEpoch], activeOf(a))
	}
	if !ok {
		t.FailNow()
	}
	e.eventually(want[1])
	e.waitEpochOwner("A", 5*time.Second)
}

func activeOf(p *proc) string {
	a, err := p.active()
	if err != nil {
		return err.Error()
	}
	return fmt.Sprint(a)
}

// TestHAStaleEpochWriteIsRefused: northd's writer (the session that holds
// the lock and prefixes every transaction with the assert and the epoch
// wait) cannot write under an epoch that is no longer in SB_Global, and a
// session without the lock cannot write under the current one. The
// instance that bumped the epoch is stopped first, so the writes here are
// the only ones.
func TestHAStaleEpochWriteIsRefused(t *testing.T) {
	e := newEnv(t)
	in := e.start("A")
	epoch := e.waitEpochOwner("A", 10*time.Second)
	in.stop()
	var gs []sbdb.SBGlobal
	if err := e.sbc.List(context.Background(), &gs); err != nil || len(gs) != 1 {
		t.Fatalf("SB_Global: %v %v", gs, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	newWriter := func() *writer {
		w := &writer{db: sbDatabase, endpoints: []string{e.sb.Endpoint()}, lock: "dvr_northd", poke: func() {}}
		t.Cleanup(w.close)
		if _, err := w.session(ctx); err != nil {
			t.Fatal(err)
		}
		return w
	}
	write := func(w *writer, epoch, value string) error {
		_, err := w.transact(ctx, sbdb.SBGlobalTable, epoch,
			ovsdbops.SetMapKey(sbdb.SBGlobalTable, gs[0].UUID, "external_ids", "ha-test-write", value))
		return err
	}
	w := newWriter()
	if !w.hasLock() {
		t.Fatal("the only session asking for the lock did not get it")
	}
	if err := write(w, epoch, "current"); err != nil {
		t.Fatalf("a write under the current epoch %s with the lock failed: %v", epoch, err)
	}

	// Without the lock, the current epoch is not enough.
	w2 := newWriter()
	if w2.hasLock() {
		t.Fatal("a second session got the lock while the first holds it")
	}
	err := write(w2, epoch, "no-lock")
	var te *txnError
	if !errors.As(err, &te) || !te.fenced || !strings.Contains(te.msg, "not owner") {
		t.Errorf("a write without the lock returned %v, want a fenced error (not owner)", err)
	}

	// With the lock, a superseded epoch is not enough.
	e.sbctl("set", "SB_Global", ".", "external_ids:"+sbkeys.KeyEpoch+"=999:intruder")
	err = write(w, epoch, "stale")
	if !errors.As(err, &te) || !te.fenced || strings.Contains(te.msg, "not owner") {
		t.Errorf("a write under the superseded epoch %s returned %v, want a fenced error (epoch)", epoch, err)
	} else {
		t.Logf("write under the superseded epoch refused: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for e.sbGlobalIDs()[sbkeys.KeyEpoch] != "999:intruder" && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if v := e.sbGlobalIDs()["ha-test-write"]; v != "current" {
		t.Errorf("SB_Global external_ids:ha-test-write = %q, want \"current\" (a refused write reached SB)", v)
	}
}

// TestHASigtermHandsOver: SIGTERM makes the active instance release the
// lock and exit 0 promptly; the standby takes over and handles the next
// change.
func TestHASigtermHandsOver(t *testing.T) {
	steps := []step{seedSteps()[0], addVM("sw1", "vm13", vm13MAC, vm13IP)}
	want := reference(t, steps)
	e := newEnv(t)
	ps := []*proc{startNorthd(t, "A", e.nb.Endpoint(), e.sb.Endpoint()), startNorthd(t, "B", e.nb.Endpoint(), e.sb.Endpoint())}
	act := soleActive(t, 20*time.Second, ps...)
	stand := others(ps, act)[0]
	steps[0].do(e)
	e.eventually(want[0])
	before, uuids := e.canonical(), e.rowUUIDs()

	mark := stand.mark()
	termAt := time.Now()
	code, took := act.terminate(5 * time.Second)
	if code != 0 {
		t.Fatalf("SIGTERM: %s exited with %d after %v, want 0", act.id, code, took)
	}
	if took > 3*time.Second {
		t.Errorf("SIGTERM: %s took %v to exit", act.id, took)
	}
	for _, m := range []string{"stopping: releasing the lock", "dvr-northd stopped"} {
		if _, ok := act.findLog(0, m); !ok {
			t.Errorf("%s did not log %q on SIGTERM", act.id, m)
		}
	}
	l := stand.mustLog(mark, msgActive, 10*time.Second)
	t.Logf("SIGTERM %s: exit 0 in %v; %s active %v after the signal (epoch %s)",
		act.id, took.Round(time.Millisecond), stand.id, l.At.Sub(termAt).Round(time.Millisecond), l.Str("epoch"))
	steps[1].do(e)
	e.eventually(want[1])
	checkSubset(t, before, e.canonical())
	checkRowsKept(t, uuids, e.rowUUIDs())
	if got := soleActive(t, 5*time.Second, ps...); got != stand {
		t.Fatalf("%s is active, want %s", got.id, stand.id)
	}
}
