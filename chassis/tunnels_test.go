package chassis_test

import (
	"strings"
	"testing"
	"time"
)

// Three hypervisors with the seed's VMs: each claims its ports on plug,
// gets one VXLAN port per chassis it shares a network with, and loses it
// when nothing is shared; unplug releases; --wait=hv sync returns only
// once every chassis has handled what was plugged.
func TestTunnelsClaimsAndBarrier(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	cs := w.hypervisors("hv1", "hv2", "hv3")
	hv1, hv2, hv3 := cs[0], cs[1], cs[2]
	for _, c := range cs {
		c.start()
	}
	const vx1, vx2, vx3 = "vx-c0a80001", "vx-c0a80002", "vx-c0a80003"
	w.nbctl("--wait=hv", "sync")
	for _, c := range cs {
		if g := c.tunnels(); g != "" {
			t.Errorf("%s has tunnels with no VM anywhere: %q", c.hv.Name, g)
		}
	}
	// Plug, then --wait=hv sync: when it returns every port is claimed.
	hv1.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	hv1.hv.AddVMPort("vm21", "vm21", "fa:16:3e:00:02:0b")
	hv2.hv.AddVMPort("vm12", "vm12", "fa:16:3e:00:01:0c")
	hv3.hv.AddVMPort("vm22", "vm22", "fa:16:3e:00:02:0c")
	w.nbctl("--wait=hv", "sync")
	for port, want := range map[string]string{"vm11": "hv1", "vm21": "hv1", "vm12": "hv2", "vm22": "hv3"} {
		if g := w.binding(port); g != want {
			t.Errorf("after --wait=hv sync, %s is bound to %q, want %s", port, g, want)
		}
	}
	// hv1 and hv2 share sw1 (vm11, vm12), hv1 and hv3 sw2 (vm21, vm22),
	// hv2 and hv3 sw1 through r1 hosted on hv3 (vm22 is in r1's subnet).
	want := map[*chassisRun]string{hv1: vx2 + " " + vx3, hv2: vx1 + " " + vx3, hv3: vx1 + " " + vx2}
	for c, w := range want {
		eventually(t, c.hv.Name+" tunnels", func() (bool, string) { g := c.tunnels(); return g == w, g })
	}
	opts := hv1.get("Interface", vx2, "options")
	for _, kv := range []string{"key=flow", `local_ip="192.168.0.1"`, `remote_ip="192.168.0.2"`} {
		if !strings.Contains(opts, kv) {
			t.Errorf("%s options %s lack %s", vx2, opts, kv)
		}
	}
	if g := hv1.get("Interface", vx2, "type"); g != "vxlan" {
		t.Errorf("%s type %q", vx2, g)
	}
	if g := hv1.get("Port", vx2, "external_ids:dvr-chassis-owner"); !strings.Contains(g, "hv1") {
		t.Errorf("%s owner mark %q", vx2, g)
	}
	// Same network, same VLAN on one host; different networks differ.
	if a, b := hv1.get("Port", "vm11", "tag"), hv1.get("Port", "vm21", "tag"); a == b || a == "4095" || b == "4095" {
		t.Errorf("hv1 tags vm11 %s vm21 %s", a, b)
	}

	// vm22 leaves hv3: hv3 has no VM and hosts no router any more, so no
	// network is shared with it.
	if out, err := hv3.hv.Vsctl("del-port", "br-int", "vm22"); err != nil {
		t.Fatal(err, out)
	}
	w.waitBound("vm22", "")
	want = map[*chassisRun]string{hv1: vx2, hv2: vx1, hv3: ""}
	for c, w := range want {
		eventually(t, c.hv.Name+" tunnels after vm22 left", func() (bool, string) { g := c.tunnels(); return g == w, g })
	}
	w.nbctl("--wait=hv", "sync")
	// The barrier waits for every chassis: with hv3's daemon stopped,
	// --wait=hv times out; restarted, it returns.
	hv3.stop()
	if _, err := w.nbctlTimeout(2*time.Second, "--wait=hv", "sync"); err == nil {
		t.Error("--wait=hv sync returned with hv3's dvr-chassis stopped")
	}
	hv3.start()
	w.nbctl("--wait=hv", "sync")
	// Idle: no round writes anything (no write loop on our own events).
	time.Sleep(300 * time.Millisecond)
	before := map[*chassisRun]int{}
	for _, c := range cs {
		before[c] = strings.Count(c.p.Output(), "round applied changes")
	}
	time.Sleep(1500 * time.Millisecond)
	for _, c := range cs {
		if n := strings.Count(c.p.Output(), "round applied changes") - before[c]; n != 0 {
			t.Errorf("%s wrote %d times while idle:\n%s", c.hv.Name, n, c.p.Output())
		}
		// Every commit showed in the monitor at once (no round waited).
		if strings.Contains(c.p.Output(), "did not show our commit") {
			t.Errorf("%s waited for its monitor:\n%s", c.hv.Name, c.p.Output())
		}
	}
}

// A port bound to another live chassis is not fought over: the conflict
// is logged once, and the port is claimed once the other side releases it.
// An iface-id naming no Port_Binding is logged and left alone.
func TestNoFightWithLiveChassis(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	cs := w.hypervisors("hv1", "hv2")
	hv1, hv2 := cs[0], cs[1]
	for _, c := range cs {
		c.start()
	}
	old := hv2.hv.AddVMPort("vm12", "vm12", "fa:16:3e:00:01:0c")
	w.waitBound("vm12", "hv2")
	hv1.hv.AddVMPort("vm12new", "vm12", "fa:16:3e:00:01:0c")
	hv1.hv.AddVMPort("ghost", "no-such-port", "fa:16:3e:00:09:09")
	eventually(t, "the conflict logged", func() (bool, string) {
		return strings.Contains(hv1.p.Output(), "bound to another live chassis (hv2)"), ""
	})
	time.Sleep(time.Second)
	if g := w.binding("vm12"); g != "hv2" {
		t.Fatalf("vm12 moved to %q while hv2 holds it", g)
	}
	if n := strings.Count(hv1.p.Output(), "bound to another live chassis"); n != 1 {
		t.Errorf("the conflict was logged %d times", n)
	}
	if g := hv1.get("Port", "vm12new", "tag"); g != "4095" {
		t.Errorf("vm12new tag %s, want the dead VLAN", g)
	}
	// An iface-id naming no Port_Binding may be another agent's port: untouched.
	if g := hv1.get("Port", "ghost", "tag"); g != "[]" {
		t.Errorf("ghost tag %s, want none (untouched)", g)
	}
	if !strings.Contains(hv1.p.Output(), "no Port_Binding has this iface-id") {
		t.Errorf("the unknown iface-id was not logged:\n%s", hv1.p.Output())
	}
	if err := old.Unplug(); err != nil {
		t.Fatal(err)
	}
	w.waitBound("vm12", "hv1")
	eventually(t, "vm12new tagged", func() (bool, string) {
		g := hv1.get("Port", "vm12new", "tag")
		return g != "4095" && g != "[]", g
	})
	// Unplugging on hv1 releases it (it is ours).
	if out, err := hv1.hv.Vsctl("del-port", "br-int", "vm12new"); err != nil {
		t.Fatal(err, out)
	}
	w.waitBound("vm12", "")
}

// A re-plug under a new interface name (a new ofport) keeps the port
// served; an interface OVS could not add (ofport -1) is not claimed and
// does not hold the barrier back.
func TestReplugAndInvalidOfport(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	c := w.hypervisors("hv1")[0]
	c.start()
	c.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	w.waitBound("vm11", "hv1")
	tag := c.get("Port", "vm11", "tag")
	c.hv.MustVsctl("del-port", "br-int", "vm11", "--", "add-port", "br-int", "vm11b", "--",
		"set", "Interface", "vm11b", "type=dummy", "external_ids:iface-id=vm11")
	eventually(t, "the re-plugged port tagged", func() (bool, string) {
		g := c.get("Port", "vm11b", "tag")
		return g == tag, g
	})
	if g := w.binding("vm11"); g != "hv1" {
		t.Errorf("vm11 bound to %q after the re-plug", g)
	}
	// No such device: ovs-vswitchd sets ofport -1 and an error.
	c.hv.MustVsctl("add-port", "br-int", "nodev0", "--", "set", "Interface", "nodev0", "type=system", "external_ids:iface-id=vm21")
	eventually(t, "ofport -1", func() (bool, string) { g := c.get("Interface", "nodev0", "ofport"); return g == "-1", g })
	w.nbctl("--wait=hv", "sync")
	if g := w.binding("vm21"); g != "" {
		t.Errorf("vm21 claimed through an interface with ofport -1: %q", g)
	}
	eventually(t, "the invalid ofport logged", func() (bool, string) {
		return strings.Contains(c.p.Output(), "ofport -1"), ""
	})
	if g := c.get("Port", "nodev0", "tag"); g != "4095" {
		t.Errorf("nodev0 tag %s, want the dead VLAN", g)
	}
}
