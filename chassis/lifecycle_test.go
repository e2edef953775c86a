package chassis_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// A restart with nothing changed rewrites no row, in the SB or the local
// OVSDB, and keeps the local VLANs, even where the VLAN of a network whose
// port left while the daemon was down is free again.
func TestRestartRewritesNothingAndKeepsVLANs(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	c := w.hypervisors("hv1")[0]
	vm11 := c.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	c.hv.AddVMPort("vm21", "vm21", "fa:16:3e:00:02:0b")
	c.start()
	w.waitBound("vm11", "hv1")
	w.waitBound("vm21", "hv1")
	eventually(t, "tags", func() (bool, string) {
		a, b := c.get("Port", "vm11", "tag"), c.get("Port", "vm21", "tag")
		return a != "4095" && b != "4095" && a != "[]" && b != "[]" && a != b, a + " " + b
	})
	w.nbctl("--wait=hv", "sync")
	time.Sleep(500 * time.Millisecond)
	sb, local := w.sbVersions(), c.localRows()
	c.stop()
	c.start()
	eventually(t, "the restarted chassis to report", func() (bool, string) {
		return strings.Count(c.p.Output(), "dvr-chassis starting") == 2 && strings.Count(c.p.Output(), "has its DVR MAC") == 2, ""
	})
	w.nbctl("--wait=hv", "sync")
	time.Sleep(500 * time.Millisecond)
	// nb_cfg moved on with the sync: compare what the restart alone did.
	if g := c.localRows(); g != local {
		t.Errorf("the restart rewrote local OVSDB rows.\nbefore:\n%s\nafter:\n%s", local, g)
	}
	sb2 := w.sbVersions()
	if diffs := changedExceptPrivate(sb, sb2); diffs != "" {
		t.Errorf("the restart rewrote SB rows: %s", diffs)
	}
	if strings.Count(c.p.Output(), "registered the chassis") != 1 {
		t.Errorf("registered twice:\n%s", c.p.Output())
	}

	// vm11 leaves while the daemon is down: vm21 keeps its VLAN.
	tag21 := c.get("Port", "vm21", "tag")
	c.stop()
	if err := vm11.Unplug(); err != nil {
		t.Fatal(err)
	}
	c.start()
	w.waitBound("vm11", "")
	if g := c.get("Port", "vm21", "tag"); g != tag21 {
		t.Errorf("vm21's VLAN changed over a restart: %s → %s", tag21, g)
	}
	if g := c.get("Port", "vm21", "other_config:"+chassis.NetworkKey); g == "" || strings.Contains(g, "error") {
		t.Errorf("vm21 other_config %s: %q", chassis.NetworkKey, g)
	}
	// A new network's port gets the lowest free VLAN: vm11's, freed.
	c.hv.AddVMPort("vm11b", "vm11", "fa:16:3e:00:01:0b")
	w.waitBound("vm11", "hv1")
	eventually(t, "vm11b tagged", func() (bool, string) {
		g := c.get("Port", "vm11b", "tag")
		return g != "4095" && g != "[]" && g != tag21, g
	})
}

// changedExceptPrivate lists rows whose _version differs, leaving out
// Chassis_Private (its nb_cfg follows the sync).
func changedExceptPrivate(a, b string) string {
	var out []string
	bs := map[string]bool{}
	for _, l := range strings.Split(b, "\n") {
		bs[l] = true
	}
	for _, l := range strings.Split(a, "\n") {
		if !bs[l] && !strings.HasPrefix(l, "Chassis_Private") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "; ")
}

// ovn-sbctl chassis-del on a live chassis: it registers again, logs it,
// and claims its ports again.
func TestChassisDeletedWhileRunning(t *testing.T) {
	t.Parallel()
	ovsdbtest.RequireBinaries(t, "ovn-sbctl")
	w := newWorld(t, true)
	w.seed()
	c := w.hypervisors("hv1")[0]
	c.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	c.start()
	w.waitBound("vm11", "hv1")
	old, _, _, _ := w.chassis("hv1")
	if out, err := exec.Command("ovn-sbctl", "--db="+w.sb.Endpoint(), "chassis-del", "hv1").CombinedOutput(); err != nil {
		t.Fatalf("ovn-sbctl chassis-del: %v: %s", err, out)
	}
	eventually(t, "registered again", func() (bool, string) {
		ch, cp, es, ok := w.chassis("hv1")
		return ok && ch.UUID != old.UUID && len(es) == 1 && cp.Chassis != nil && *cp.Chassis == ch.UUID, ch.UUID
	})
	w.waitBound("vm11", "hv1")
	if !strings.Contains(c.p.Output(), "registered again") {
		t.Errorf("no log line for the re-registration:\n%s", c.p.Output())
	}
}

// unregister refuses while the daemon holds the pid file, and removes the
// rows once it is stopped; northd then frees the DVR MAC.
func TestUnregister(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	c := w.hypervisors("hv1")[0]
	c.start()
	eventually(t, "registration", func() (bool, string) { _, _, _, ok := w.chassis("hv1"); return ok, "" })
	bin := ovsdbtest.Binary(t, "dvr-chassis")
	args := []string{"unregister", "--sb", w.sb.Endpoint(), "--ovs-db", c.hv.Endpoint(), "--pidfile", c.pidfile}
	out, err := c.hv.Exec(bin, args...)
	if err == nil || !strings.Contains(out, "refusing to unregister") {
		t.Fatalf("unregister with a live daemon: %v: %s", err, out)
	}
	if _, _, _, ok := w.chassis("hv1"); !ok {
		t.Fatal("a refused unregister removed rows")
	}
	c.stop()
	out, err = c.hv.Exec(bin, args...)
	if err != nil || !strings.Contains(out, "unregistered chassis hv1") {
		t.Fatalf("unregister: %v: %s", err, out)
	}
	ch, cp, _, _ := w.chassis("hv1")
	if ch.UUID != "" || cp.UUID != "" {
		t.Errorf("rows left: %+v %+v", ch, cp)
	}
	var encs []any
	if rows := ovsdbtest.SelectRows(t, w.sb.Endpoint(), "OVN_Southbound", "Encap"); len(rows) != 0 {
		t.Errorf("Encap rows left: %v %v", rows, encs)
	}
	eventually(t, "the DVR MAC freed", func() (bool, string) {
		rows := ovsdbtest.SelectRows(t, w.sb.Endpoint(), "OVN_Southbound", "DVR_MAC_Binding")
		return len(rows) == 0, ""
	})
	out, err = c.hv.Exec(bin, args...)
	if err != nil || !strings.Contains(out, "was not registered") {
		t.Errorf("a second unregister: %v: %s", err, out)
	}
}

// The local ovsdb-server and the SB server restart under a running
// chassis: it reconnects, re-reads, and rewrites nothing; the barrier
// works again.
func TestDatabaseRestarts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	c := w.hypervisors("hv1")[0]
	c.start()
	c.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	w.waitBound("vm11", "hv1")
	w.nbctl("--wait=hv", "sync")
	time.Sleep(300 * time.Millisecond)
	local, sb := c.localRows(), w.sbRows()
	if err := c.hv.RestartDB(); err != nil {
		t.Fatal(err)
	}
	w.sb.StopMember(w.sb.Members[0])
	if err := w.sb.RestartMember(w.sb.Members[0]); err != nil {
		t.Fatal(err)
	}
	w.sbc = ovsdbtest.SBClient(t, w.sb.Endpoint(), ovsdbtest.MonitorAll())
	w.nbctl("--wait=hv", "sync")
	time.Sleep(300 * time.Millisecond)
	if g := c.localRows(); g != local {
		t.Errorf("local rows changed over the restarts.\nbefore:\n%s\nafter:\n%s", local, g)
	}
	// A restarted standalone server gives every row a new _version:
	// compare the rows themselves (same UUIDs: not registered again).
	if g := w.sbRows(); g != sb {
		t.Errorf("SB rows changed over the restarts.\nbefore:\n%s\nafter:\n%s", sb, g)
	}
	if g := w.binding("vm11"); g != "hv1" {
		t.Errorf("vm11 bound to %q", g)
	}
}

// A tunnel port a previous run left (our owner mark, no longer desired)
// is swept at start; a foreign port on the same bridge, and one with
// another system-id's mark, survive.
func TestSweepsOnlyOwnPorts(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	c := w.hypervisors("hv1")[0]
	c.hv.MustVsctl("add-br", "br-tun", "--", "set", "Bridge", "br-tun", "datapath_type=netdev", "fail_mode=secure",
		"--", "add-port", "br-tun", "vx-c0a80063", "--", "set", "Interface", "vx-c0a80063", "type=vxlan",
		"options:remote_ip=192.168.0.99", "options:key=flow", "external_ids:"+chassis.OwnerKey+"=hv1",
		"--", "set", "Port", "vx-c0a80063", "external_ids:"+chassis.OwnerKey+"=hv1",
		"--", "add-port", "br-tun", "keepme", "--", "set", "Interface", "keepme", "type=internal",
		"--", "add-port", "br-tun", "other", "--", "set", "Interface", "other", "type=internal",
		"--", "set", "Port", "other", "external_ids:"+chassis.OwnerKey+"=hv9")
	c.start()
	eventually(t, "the stale tunnel swept", func() (bool, string) {
		g := strings.Join(c.ports("br-tun"), " ")
		return g == "keepme other patch-int", g
	})
}
