package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// proc is a dvr-nbctl process started in the background.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan struct{}
	res            ovsdbtest.NbctlResult
	cancel         context.CancelFunc
}

func startNbctl(t *testing.T, args ...string) *proc {
	t.Helper()
	return startNbctlEnv(t, nil, args...)
}

func startNbctlEnv(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), ovsdbtest.NbctlHangGuard)
	p := &proc{cmd: ovsdbtest.NbctlCmd(ctx, t, env, args...), done: make(chan struct{}), cancel: cancel}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { p.wait() })
	go func() {
		err := p.cmd.Wait()
		p.res = ovsdbtest.NbctlResult{Args: args, Stdout: p.stdout.String(), Stderr: p.stderr.String()}
		var ee *exec.ExitError
		switch {
		case ctx.Err() != nil:
			p.res.Code, p.res.TimedOut = -1, true
		case errors.As(err, &ee):
			p.res.Code = ee.ExitCode()
		case err != nil:
			p.res.Code = -1
		}
		cancel()
		close(p.done)
	}()
	return p
}

func (p *proc) wait() ovsdbtest.NbctlResult { <-p.done; return p.res }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// race starts two dvr-nbctl processes back to back (each spends a few
// milliseconds connecting and reading, so they overlap) and returns both
// results.
func race(t *testing.T, a, b []string) [2]ovsdbtest.NbctlResult {
	t.Helper()
	pa, pb := startNbctl(t, a...), startNbctl(t, b...)
	return [2]ovsdbtest.NbctlResult{pa.wait(), pb.wait()}
}

// oneWins asserts that exactly one of two racing runs succeeded and the
// other failed with the error contract and every want string.
func oneWins(t *testing.T, rs [2]ovsdbtest.NbctlResult, want ...string) {
	t.Helper()
	ok := 0
	for _, r := range rs {
		if r.Code == 0 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("want exactly one success, got %d:\n%v\n%v", ok, rs[0], rs[1])
	}
	for _, r := range rs {
		if r.Code != 0 {
			mustFail(t, r, want...)
		}
	}
}

const rounds = 20

func TestConcurrentProcessesLsAdd(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	for i := range rounds {
		name := fmt.Sprintf("sw%d", i)
		rs := race(t, []string{db, "ls-add", name}, []string{db, "ls-add", name})
		oneWins(t, rs, name+": a switch with this name already exists")
		if n := count(names(t, nb, "Logical_Switch"), name); n != 1 {
			t.Fatalf("round %d: %d switches named %s", i, n, name)
		}
	}
}

func TestConcurrentProcessesLrAdd(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	for i := range rounds {
		name := fmt.Sprintf("r%d", i)
		rs := race(t, []string{db, "lr-add", name}, []string{db, "lr-add", name})
		oneWins(t, rs, name+": a router with this name already exists")
		if n := count(names(t, nb, "Logical_Router"), name); n != 1 {
			t.Fatalf("round %d: %d routers named %s", i, n, name)
		}
	}
}

// Two ports of one switch given the same IP at the same time: exactly one
// wins, and the switch never holds the IP twice.
func TestConcurrentProcessesSameIP(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init", "--", "ls-add", "sw1"))
	for i := range rounds {
		a, b := fmt.Sprintf("pa%d", i), fmt.Sprintf("pb%d", i)
		ip := fmt.Sprintf("10.0.%d.5", i)
		mustOK(t, ovsdbtest.RunNbctl(t, db, "lsp-add", "sw1", a, "--", "lsp-add", "sw1", b))
		rs := race(t,
			[]string{db, "lsp-set-addresses", a, fmt.Sprintf("00:00:00:00:0a:%02x %s", i, ip)},
			[]string{db, "lsp-set-addresses", b, fmt.Sprintf("00:00:00:00:0b:%02x %s", i, ip)})
		oneWins(t, rs, ip)
		holders := 0
		for _, r := range ovsdbtest.SelectRows(t, readEP(t, nb), nbDB, "Logical_Switch_Port", "name", "addresses") {
			for _, addr := range ovsdbtest.Atoms(r["addresses"]) {
				if strings.HasSuffix(addr, " "+ip) {
					holders++
				}
			}
		}
		if holders != 1 {
			t.Fatalf("round %d: %s held by %d ports of sw1", i, ip, holders)
		}
	}
}

// Two processes adding the same port name: the server's unique index makes
// one lose, with OVN's wording.
func TestConcurrentProcessesLspAdd(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init", "--", "ls-add", "sw1", "--", "ls-add", "sw2"))
	for i := range rounds {
		name := fmt.Sprintf("p%d", i)
		rs := race(t, []string{db, "lsp-add", "sw1", name}, []string{db, "lsp-add", "sw2", name})
		oneWins(t, rs, name+": a port with this name already exists")
		if n := count(names(t, nb, "Logical_Switch_Port"), name); n != 1 {
			t.Fatalf("round %d: %d ports named %s", i, n, name)
		}
	}
}

// Two router ports with overlapping networks on one router at once: one
// wins, the router never holds both.
func TestConcurrentProcessesOverlappingNetworks(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init", "--", "lr-add", "r1"))
	for i := range rounds {
		a, b := fmt.Sprintf("ra%d", i), fmt.Sprintf("rb%d", i)
		rs := race(t,
			[]string{db, "lrp-add", "r1", a, fmt.Sprintf("00:00:00:00:aa:%02x", i), fmt.Sprintf("10.%d.0.1/24", i)},
			[]string{db, "lrp-add", "r1", b, fmt.Sprintf("00:00:00:00:bb:%02x", i), fmt.Sprintf("10.%d.0.2/16", i)})
		oneWins(t, rs, "overlaps")
		lrps := names(t, nb, "Logical_Router_Port")
		if count(lrps, a)+count(lrps, b) != 1 {
			t.Fatalf("round %d: router ports %q", i, lrps)
		}
	}
}

// Two routers attached to one switch at once with the same gateway IP:
// one attachment wins, the other is refused, and the IP is on the switch
// once.
func TestConcurrentProcessesLrAttachSameGateway(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init", "--", "lr-add", "ra", "--", "lr-add", "rb"))
	for i := range rounds {
		sw := fmt.Sprintf("sw%d", i)
		mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-add", sw))
		gw := fmt.Sprintf("10.%d.0.1/24", i)
		rs := race(t,
			[]string{db, "lr-attach", "ra", sw, "ra-" + sw, fmt.Sprintf("00:00:00:00:aa:%02x", i), gw},
			[]string{db, "lr-attach", "rb", sw, "rb-" + sw, fmt.Sprintf("00:00:00:00:bb:%02x", i), gw})
		oneWins(t, rs, fmt.Sprintf("10.%d.0.1", i))
		lsps := names(t, nb, "Logical_Switch_Port")
		lrps := names(t, nb, "Logical_Router_Port")
		if count(lsps, sw+"-ra")+count(lsps, sw+"-rb") != 1 || count(lrps, "ra-"+sw)+count(lrps, "rb-"+sw) != 1 {
			t.Fatalf("round %d: switch ports %q, router ports %q", i, lsps, lrps)
		}
	}
}

// Two first-time inits race to create NB_Global (at most one row): both
// succeed and there is one row.
func TestConcurrentProcessesInit(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	for i := range rounds {
		ovsdbtest.Transact(t, readEP(t, nb), nbDB, map[string]any{"op": "delete", "table": "NB_Global", "where": []any{}})
		rs := race(t, []string{db, "init"}, []string{db, "init", "--", "ls-add", fmt.Sprintf("i%d", i)})
		mustOK(t, rs[0])
		mustOK(t, rs[1])
		if n := len(ovsdbtest.SelectRows(t, readEP(t, nb), nbDB, "NB_Global", "nb_cfg")); n != 1 {
			t.Fatalf("round %d: %d NB_Global rows", i, n)
		}
	}
}

// nbGlobal reads NB_Global's counters.
func nbGlobal(t *testing.T, nb *ovsdbtest.Server) (nbCfg, sbCfg, hvCfg int) {
	t.Helper()
	rows := ovsdbtest.SelectRows(t, readEP(t, nb), nbDB, "NB_Global", "nb_cfg", "sb_cfg", "hv_cfg")
	if len(rows) == 0 {
		return 0, 0, 0 // not created yet
	}
	if len(rows) != 1 {
		t.Fatalf("%d NB_Global rows", len(rows))
	}
	return int(rows[0]["nb_cfg"].(float64)), int(rows[0]["sb_cfg"].(float64)), int(rows[0]["hv_cfg"].(float64))
}

// setCfg plays northd: it writes NB_Global's sb_cfg or hv_cfg.
func setCfg(t *testing.T, nb *ovsdbtest.Server, col string, v int) {
	t.Helper()
	ovsdbtest.Transact(t, readEP(t, nb), nbDB, map[string]any{
		"op": "update", "table": "NB_Global", "where": []any{}, "row": map[string]any{col: v}})
}

// waitNbCfg polls until NB_Global.nb_cfg exceeds old and returns it.
func waitNbCfg(t *testing.T, nb *ovsdbtest.Server, old int, p *proc) int {
	t.Helper()
	deadline := time.Now().Add(ovsdbtest.NbctlHangGuard)
	for time.Now().Before(deadline) {
		if n, _, _ := nbGlobal(t, nb); n > old {
			return n
		}
		if p.exited() {
			t.Fatalf("exited without bumping nb_cfg past %d: %v", old, p.wait())
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nb_cfg never passed %d", old)
	return 0
}

// stillWaiting checks that p has not returned before the barrier was
// reached: a correct dvr-nbctl cannot exit before the test advances the
// counters, so this never fails spuriously.
func stillWaiting(t *testing.T, p *proc, what string) {
	t.Helper()
	time.Sleep(300 * time.Millisecond)
	if p.exited() {
		t.Fatalf("returned before %s: %v", what, p.wait())
	}
}

func TestWaitSbTimesOutWithoutNorthd(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	r := ovsdbtest.RunNbctl(t, db, "--wait=sb", "--timeout=1", "ls-add", "w1")
	mustFail(t, r, "sb_cfg")
	// As with ovn-nbctl, the change itself is committed; only the wait failed.
	if n := count(names(t, nb, "Logical_Switch"), "w1"); n != 1 {
		t.Fatalf("w1 committed %d times", n)
	}
	mustFail(t, ovsdbtest.RunNbctl(t, db, "--wait=sb", "-t", "1", "sync"), "sb_cfg")
	mustFail(t, ovsdbtest.RunNbctl(t, db, "--wait=hv", "-t", "1", "sync"), "sb_cfg")
}

// Without init, the command creates NB_Global itself with nb_cfg=1 and
// waits for that.
func TestWaitSbOnFreshDatabase(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustFail(t, ovsdbtest.RunNbctl(t, db, "--wait=sb", "--timeout=1", "ls-add", "f1"), "sb_cfg")
	ovsdbtest.Transact(t, readEP(t, nb), nbDB, map[string]any{"op": "delete", "table": "NB_Global", "where": []any{}})
	p := startNbctl(t, db, "--wait=sb", "ls-add", "f2")
	cfg := waitNbCfg(t, nb, 0, p)
	if cfg != 1 {
		t.Fatalf("nb_cfg %d on a fresh NB_Global", cfg)
	}
	stillWaiting(t, p, "sb_cfg reached 1")
	setCfg(t, nb, "sb_cfg", 1)
	mustOK(t, p.wait())
}

// With NB_Global already there (the usual case), the command bumps nb_cfg
// and waits for northd to copy the new value into sb_cfg.
func TestWaitSbReturnsOnceNorthdCatchesUp(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	for _, args := range [][]string{{"ls-add", "w1"}, {"sync"}} {
		old, _, _ := nbGlobal(t, nb)
		p := startNbctl(t, append([]string{db, "--wait=sb"}, args...)...)
		cfg := waitNbCfg(t, nb, old, p)
		if cfg != old+1 {
			t.Fatalf("%v: nb_cfg went from %d to %d", args, old, cfg)
		}
		stillWaiting(t, p, fmt.Sprintf("sb_cfg reached %d", cfg))
		setCfg(t, nb, "sb_cfg", cfg)
		mustOK(t, p.wait())
	}
	// A barrier that is already passed returns at once.
	n, _, _ := nbGlobal(t, nb)
	setCfg(t, nb, "sb_cfg", n+1) // northd sees nb_cfg+1 in advance
	mustOK(t, ovsdbtest.RunNbctl(t, db, "--wait=sb", "-t", "5", "ls-add", "w2"))
}

func TestWaitHvNeedsHvCfg(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	old, _, _ := nbGlobal(t, nb)
	p := startNbctl(t, db, "--wait=hv", "ls-add", "h1")
	cfg := waitNbCfg(t, nb, old, p)
	setCfg(t, nb, "sb_cfg", cfg)
	stillWaiting(t, p, fmt.Sprintf("hv_cfg reached %d (sb_cfg has)", cfg))
	setCfg(t, nb, "hv_cfg", cfg)
	mustOK(t, p.wait())

	// sb done, hv stuck: the timeout error names the chassis barrier.
	old, _, _ = nbGlobal(t, nb)
	p = startNbctl(t, db, "--wait=hv", "--timeout=2", "ls-add", "h2")
	cfg = waitNbCfg(t, nb, old, p)
	setCfg(t, nb, "sb_cfg", cfg)
	mustFail(t, p.wait(), "hv_cfg")
}

// sync without --wait changes nothing and succeeds at once.
func TestWaitSyncWithoutWait(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	before, _, _ := nbGlobal(t, nb)
	r := mustOK(t, ovsdbtest.RunNbctl(t, db, "sync"))
	if r.Stdout != "" {
		t.Fatalf("sync printed %q", r.Stdout)
	}
	r = mustOK(t, ovsdbtest.RunNbctl(t, db, "--wait=none", "sync"))
	if after, _, _ := nbGlobal(t, nb); after != before {
		t.Fatalf("sync without --wait bumped nb_cfg %d -> %d", before, after)
	}
	// A write without --wait does not bump nb_cfg either (ovn-nbctl's rule).
	mustOK(t, ovsdbtest.RunNbctl(t, db, "ls-add", "nw"))
	if after, _, _ := nbGlobal(t, nb); after != before {
		t.Fatalf("a write without --wait bumped nb_cfg %d -> %d", before, after)
	}
}

// In a RAFT cluster, the NB leader killed -9 while dvr-nbctl waits for
// northd: it finds the new leader, watches NB_Global there and returns
// once the barrier is passed, as the standalone server going away is an
// error (TestWaitDatabaseGoesAway) only because nothing is left to watch.
func TestWaitSurvivesNBLeaderKill(t *testing.T) {
	t.Parallel()
	nb := ovsdbtest.StartNB(t, ovsdbtest.Clustered(3))
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	p := startNbctl(t, db, "--wait=sb", "--timeout=60", "ls-add", "w1")
	n := waitNbCfg(t, nb, 0, p)
	old := nb.Leader()
	nb.KillMember(old)
	if err := nb.WaitLeader(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	stillWaiting(t, p, "after the NB leader was killed")
	setCfg(t, nb, "sb_cfg", n)
	r := mustOK(t, p.wait())
	t.Logf("killed NB m%d while waiting; dvr-nbctl returned: %q %q", old.Index, r.Stdout, r.Stderr)
}
