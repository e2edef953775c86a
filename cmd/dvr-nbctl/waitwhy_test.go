package main

// A timed-out --wait says who is behind: the chassis and their nb_cfg
// (from SB Chassis_Private, --sb-db), whether a dvr-northd is active (the
// SB lock, or what NB_Global says), and that the change was committed.
// These run real ovsdb-servers, the real dvr-northd and dvr-nbctl.

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

const sbDB = "OVN_Southbound"

// startNorthd runs dvr-northd on nb and sb and waits until it is active.
func startNorthd(t *testing.T, nb, sb *ovsdbtest.Server) *ovsdbtest.Daemon {
	t.Helper()
	d := ovsdbtest.StartDaemon(t, "dvr-northd", "--nb", nb.Endpoint(), "--sb", sb.Endpoint(), "--instance-id", "nd-"+t.Name())
	if !d.WaitFor(ovsdbtest.NbctlHangGuard, func() bool {
		return strings.Contains(d.Output(), "lock acquired: this dvr-northd instance is now active")
	}) {
		t.Fatalf("dvr-northd not active:\n%s", d.Output())
	}
	return d
}

// addChassis writes a chassis as dvr-chassis would: Encap, Chassis and its
// Chassis_Private row reporting nbCfg; ip is its VXLAN endpoint.
func addChassis(t *testing.T, sb *ovsdbtest.Server, name, ip string, nbCfg int, remote bool) {
	t.Helper()
	oc := []any{"map", []any{}}
	if remote {
		oc = []any{"map", []any{[]any{"is-remote", "true"}}}
	}
	ovsdbtest.Transact(t, "unix:"+sb.Members[0].Socket, sbDB,
		map[string]any{"op": "insert", "table": "Encap", "uuid-name": "e",
			"row": map[string]any{"type": "vxlan", "ip": ip, "chassis_name": name}},
		map[string]any{"op": "insert", "table": "Chassis", "uuid-name": "c",
			"row": map[string]any{"name": name, "hostname": name, "encaps": []any{"named-uuid", "e"}, "other_config": oc}},
		map[string]any{"op": "insert", "table": "Chassis_Private",
			"row": map[string]any{"name": name, "chassis": []any{"named-uuid", "c"}, "nb_cfg": nbCfg}})
}

// notIn asserts that the one stderr line names none of the strings.
func notIn(t *testing.T, r ovsdbtest.NbctlResult, not ...string) {
	t.Helper()
	for _, s := range not {
		if strings.Contains(r.Stderr, s) {
			t.Errorf("stderr %q names %q", r.Stderr, s)
		}
	}
}

func TestWaitHvTimeoutNamesChassisBehind(t *testing.T) {
	t.Parallel()
	nb, sb := ovsdbtest.StartNB(t), ovsdbtest.StartSB(t)
	db, sbdb := "--db="+nb.Endpoint(), "--sb-db="+sb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	startNorthd(t, nb, sb)
	addChassis(t, sb, "hv-slow", "192.0.2.11", 0, false)
	addChassis(t, sb, "hv-slower", "192.0.2.12", 0, false)
	addChassis(t, sb, "hv-ahead", "192.0.2.13", 1000, false)
	addChassis(t, sb, "hv-remote", "192.0.2.14", 0, true) // not ours: does not count
	mustOK(t, ovsdbtest.RunNbctl(t, db, "--wait=sb", "-t", "10", "sync"))

	r := ovsdbtest.RunNbctl(t, db, sbdb, "--wait=hv", "--timeout=1", "ls-add", "hv1sw")
	n, s, _ := nbGlobal(t, nb)
	mustFail(t, r, "timeout expired", "every chassis to apply nb_cfg="+strconv.Itoa(n),
		"the change itself is committed", "in SB (sb_cfg="+strconv.Itoa(s)+")",
		"chassis behind (Chassis_Private on SB unix:"+sb.Members[0].Socket+"): hv-slow nb_cfg=0, hv-slower nb_cfg=0")
	notIn(t, r, "hv-ahead", "hv-remote", ",unix:")
	if c := count(names(t, nb, "Logical_Switch"), "hv1sw"); c != 1 {
		t.Fatalf("hv1sw committed %d times", c)
	}

	// The same from $DVR_SB_DB; without SB, what NB says and how to learn more.
	r = ovsdbtest.RunNbctlEnv(t, []string{"DVR_SB_DB=" + sb.Endpoint()}, db, "--wait=hv", "-t", "1", "sync")
	mustFail(t, r, "hv-slow nb_cfg=0, hv-slower nb_cfg=0")
	r = ovsdbtest.RunNbctl(t, db, "--wait=hv", "-t", "1", "sync")
	mustFail(t, r, "the change itself is committed", "hv_cfg=0 is the lowest nb_cfg a chassis reported",
		"give --sb-db or set DVR_SB_DB to name the chassis behind")

	// Unreachable SB: said once per endpoint, and NB's view still given.
	gone := "unix:" + sb.Dir + "/nosuch.sock"
	r = ovsdbtest.RunNbctl(t, db, "--sb-db="+gone, "--wait=hv", "-t", "1", "sync")
	mustFail(t, r, "SB not reachable ("+gone+": connect: no such file or directory)", "hv_cfg=0 is the lowest")
	if strings.Count(r.Stderr, gone) != 1 {
		t.Errorf("endpoint named %d times: %s", strings.Count(r.Stderr, gone), r.Stderr)
	}
}

func TestWaitSbTimeoutNoNorthdEver(t *testing.T) {
	t.Parallel()
	nb, sb := ovsdbtest.StartNB(t), ovsdbtest.StartSB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	r := ovsdbtest.RunNbctl(t, db, "--wait=sb", "--timeout=1", "ls-add", "w1")
	mustFail(t, r, "waiting for dvr-northd to carry nb_cfg=", "the change itself is committed",
		"no dvr-northd is active: none has ever been active for this NB")
	r = ovsdbtest.RunNbctl(t, db, "--sb-db="+sb.Endpoint(), "--wait=sb", "--timeout=1", "ls-add", "w2")
	mustFail(t, r, "no dvr-northd is active: nobody holds the SB lock dvr_northd on unix:"+sb.Members[0].Socket,
		"none has ever been active")
	r = ovsdbtest.RunNbctl(t, db, "--sb-db="+sb.Endpoint(), "--wait=hv", "--timeout=1", "ls-add", "w3")
	mustFail(t, r, "(before any chassis can apply it)", "no dvr-northd is active")
	if c := count(names(t, nb, "Logical_Switch"), "w1") + count(names(t, nb, "Logical_Switch"), "w3"); c != 2 {
		t.Fatalf("w1, w3 committed %d times in all", c)
	}
}

// A dvr-northd that was active and stopped: NB still names its epoch, so
// NB alone cannot tell stopped from stuck (and says so); the SB lock can.
func TestWaitSbTimeoutNorthdStopped(t *testing.T) {
	t.Parallel()
	nb, sb := ovsdbtest.StartNB(t), ovsdbtest.StartSB(t)
	db := "--db=" + nb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	d := startNorthd(t, nb, sb)
	mustOK(t, ovsdbtest.RunNbctl(t, db, "--wait=sb", "-t", "10", "ls-add", "before"))
	if code := d.Stop(ovsdbtest.NbctlHangGuard); code != 0 {
		t.Fatalf("dvr-northd exit status %d", code)
	}
	epoch := "1:nd-" + t.Name()
	r := ovsdbtest.RunNbctl(t, db, "--wait=sb", "--timeout=1", "ls-add", "after")
	mustFail(t, r, "dvr-northd is stopped or stuck: the last active one was epoch "+epoch,
		"sb_cfg last advanced", "give --sb-db or set DVR_SB_DB to check the SB lock")
	r = ovsdbtest.RunNbctl(t, db, "--sb-db="+sb.Endpoint(), "--wait=sb", "--timeout=1", "sync")
	mustFail(t, r, "no dvr-northd is active: nobody holds the SB lock dvr_northd", "the last active one was epoch "+epoch)
}

// A dvr-northd that holds the lock but does not advance (here: stopped
// with SIGSTOP) is active but behind; once it runs again the wait passes.
func TestWaitSbTimeoutNorthdStuck(t *testing.T) {
	t.Parallel()
	nb, sb := ovsdbtest.StartNB(t), ovsdbtest.StartSB(t)
	db, sbdb := "--db="+nb.Endpoint(), "--sb-db="+sb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	d := startNorthd(t, nb, sb)
	if err := d.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Signal(syscall.SIGCONT) })
	r := ovsdbtest.RunNbctl(t, db, sbdb, "--wait=sb", "--timeout=1", "ls-add", "stuck")
	mustFail(t, r, "dvr-northd is active (it holds the SB lock dvr_northd on unix:"+sb.Members[0].Socket+") but behind",
		"the change itself is committed")
	r = ovsdbtest.RunNbctl(t, db, "--wait=sb", "--timeout=1", "sync")
	mustFail(t, r, "dvr-northd is stopped or stuck")
	if err := d.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	// The probe gave the lock back: the same instance is still the one
	// active, and catches up.
	mustOK(t, ovsdbtest.RunNbctl(t, db, sbdb, "--wait=sb", "-t", "10", "sync"))
	time.Sleep(100 * time.Millisecond)
	if c := strings.Count(d.Output(), "lock acquired"); c != 1 {
		t.Errorf("dvr-northd activated %d times:\n%s", c, d.Output())
	}
}

// With RAFT clusters, the message names the one SB member it read (the
// leader, where dvr-northd holds its lock), once, and no other member.
func TestWaitTimeoutRaftNamesOneEndpoint(t *testing.T) {
	t.Parallel()
	nb, sb := ovsdbtest.StartNB(t, ovsdbtest.Clustered(3)), ovsdbtest.StartSB(t, ovsdbtest.Clustered(3))
	db, sbdb := "--db="+nb.Endpoint(), "--sb-db="+sb.Endpoint()
	mustOK(t, ovsdbtest.RunNbctl(t, db, "init"))
	d := startNorthd(t, nb, sb)
	leader := sb.Leader()
	if leader == nil {
		t.Fatal("no SB leader")
	}
	ovsdbtest.Transact(t, "unix:"+leader.Socket, sbDB,
		map[string]any{"op": "insert", "table": "Encap", "uuid-name": "e",
			"row": map[string]any{"type": "vxlan", "ip": "192.0.2.21", "chassis_name": "hv-r"}},
		map[string]any{"op": "insert", "table": "Chassis", "uuid-name": "c",
			"row": map[string]any{"name": "hv-r", "hostname": "hv-r", "encaps": []any{"named-uuid", "e"}}},
		map[string]any{"op": "insert", "table": "Chassis_Private",
			"row": map[string]any{"name": "hv-r", "chassis": []any{"named-uuid", "c"}, "nb_cfg": 0}})

	r := ovsdbtest.RunNbctl(t, db, sbdb, "--wait=hv", "--timeout=1", "ls-add", "rsw")
	mustFail(t, r, "chassis behind (Chassis_Private on SB unix:"+leader.Socket+"): hv-r nb_cfg=0")
	d.Stop(ovsdbtest.NbctlHangGuard)
	r2 := ovsdbtest.RunNbctl(t, db, sbdb, "--wait=sb", "--timeout=1", "sync")
	mustFail(t, r2, "no dvr-northd is active: nobody holds the SB lock dvr_northd on unix:"+leader.Socket+";")
	for _, res := range []ovsdbtest.NbctlResult{r, r2} {
		for _, m := range append(append([]*ovsdbtest.Member{}, sb.Members...), nb.Members...) {
			want := 0
			if m == leader {
				want = 1
			}
			if n := strings.Count(res.Stderr, m.Socket); n != want {
				t.Errorf("%s named %d times, want %d: %s", m.Socket, n, want, res.Stderr)
			}
		}
	}
}
