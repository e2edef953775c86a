package chassis_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/sbdb"
)

const conditional = "--monitor=conditional"

// restartAs stops the chassis and starts it again with other flags.
func (c *chassisRun) restartAs(extra ...string) {
	c.w.t.Helper()
	c.stop()
	c.p, c.extra = nil, extra
	c.start()
}

// state is what a chassis made of its hypervisor: the local OVSDB rows
// it owns (with UUIDs: a row rewritten shows) and its router namespaces.
func (c *chassisRun) state() string {
	return c.localRows() + c.routerState()
}

// settle waits until the chassis' state and the SB rows chassis write
// hold still for a second (longer than a monitor replacement window).
func (w *world) settle(cs ...*chassisRun) {
	w.t.Helper()
	snap := func() string {
		s := w.sbRows() + "\n" + w.sbVersions()
		for _, c := range cs {
			s += c.state()
		}
		return s
	}
	last := snap()
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); {
		time.Sleep(time.Second)
		cur := snap()
		if cur == last {
			return
		}
		last = cur
	}
	w.t.Fatal("the state does not settle")
}

var cacheLine = regexp.MustCompile(`msg="SB cache size changed".* port_bindings=(\d+)`)

// cachedPorts is the chassis' last logged SB cache size (Port_Bindings).
func (c *chassisRun) cachedPorts() int {
	m := cacheLine.FindAllStringSubmatch(c.p.Output(), -1)
	if len(m) == 0 {
		return -1
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

// The seed scenario (plus sw3, a network no conditional chassis serves,
// and vm29 on sw2 outside r1's subnet) on three hypervisors, hv1 and hv3 in conditional mode, hv2 in all
// mode: VMs placed, --wait=hv returns only once the conditional chassis
// claimed theirs (the barrier waits for the interest), one VM moved, one
// removed, a router interface removed. Then each chassis is restarted in
// the other mode: it must find nothing to change, in the SB (no row
// written), in its local OVSDB (same rows, same UUIDs, tags, tunnels)
// and in its router namespaces; and a conditional chassis' cache holds
// fewer Port_Bindings than the SB.
func TestConditionalMonitorEndsInTheAllState(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	w.nbctl("ls-add", "sw3", "--", "lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.0.3.11",
		"--", "lsp-add", "sw3", "vm32", "--", "lsp-set-addresses", "vm32", "fa:16:3e:00:03:0c 10.0.3.12",
		"--", "lsp-add", "sw2", "vm29", "--", "lsp-set-addresses", "vm29", "fa:16:3e:00:02:1d 10.0.9.29")
	cs := w.hypervisors("hv1", "hv2", "hv3")
	hv1, hv2, hv3 := cs[0], cs[1], cs[2]
	hv1.extra, hv3.extra = []string{conditional}, []string{conditional}
	for _, c := range cs {
		c.start()
	}
	// vm29 is on sw2 but outside r1's subnet: hv3 hosts no router, and
	// shares sw2 with hv2 only through r1 hosted there (the tunnel rule
	// needs r1's router bindings in hv3's view).
	placed := map[string]*chassisRun{"vm11": hv1, "vm21": hv1, "vm12": hv2, "vm31": hv2, "vm29": hv3}
	macs := map[string]string{"vm11": "fa:16:3e:00:01:0b", "vm21": "fa:16:3e:00:02:0b", "vm12": "fa:16:3e:00:01:0c",
		"vm31": "fa:16:3e:00:03:0b", "vm29": "fa:16:3e:00:02:1d"}
	for vm, c := range placed {
		c.hv.AddVMPort(vm, vm, macs[vm])
	}
	w.nbctl("--wait=hv", "sync")
	for vm, c := range placed {
		if g := w.binding(vm); g != c.hv.Name {
			t.Errorf("after --wait=hv sync, %s is bound to %q, want %s", vm, g, c.hv.Name)
		}
	}
	const vx1, vx2, vx3 = "vx-c0a80001", "vx-c0a80002", "vx-c0a80003"
	for c, want := range map[*chassisRun]string{hv1: vx2 + " " + vx3, hv2: vx1 + " " + vx3, hv3: vx1 + " " + vx2} {
		eventually(t, c.hv.Name+" tunnels", func() (bool, string) { g := c.tunnels(); return g == want, g })
	}

	// vm21 moves from hv1 to hv3 (claimed there once hv1 released it).
	hv1.hv.MustVsctl("del-port", "br-int", "vm21")
	w.waitBound("vm21", "")
	hv3.hv.AddVMPort("vm21", "vm21", macs["vm21"])
	w.nbctl("--wait=hv", "sync")
	if g := w.binding("vm21"); g != "hv3" {
		t.Errorf("after --wait=hv sync, the moved vm21 is bound to %q, want hv3", g)
	}
	// vm12 goes; r1's interface on sw2 goes.
	hv2.hv.MustVsctl("del-port", "br-int", "vm12")
	w.waitBound("vm12", "")
	w.nbctl("lrp-del", "r1-sw2")
	w.nbctl("--wait=hv", "sync")
	w.settle(cs...)

	var pbs []sbdb.PortBinding
	w.list(&pbs)
	for _, c := range cs {
		n := c.cachedPorts()
		t.Logf("%s (%v): %d of %d Port_Bindings in its SB cache, %d monitor replacements", c.hv.Name, c.extra, n, len(pbs),
			strings.Count(c.p.Output(), "replacing the SB monitor"))
		switch {
		case len(c.extra) == 0 && n != len(pbs):
			t.Errorf("%s (all) caches %d Port_Bindings, the SB has %d", c.hv.Name, n, len(pbs))
		case len(c.extra) > 0 && (n <= 0 || n >= len(pbs)):
			t.Errorf("%s (conditional) caches %d Port_Bindings, the SB has %d", c.hv.Name, n, len(pbs))
		}
		// Every iface-id here has a Port_Binding: a partial view must not
		// say otherwise.
		if l := grepLines(c.p.Output(), "no Port_Binding has this iface-id"); l != "" {
			t.Errorf("%s:\n%s", c.hv.Name, l)
		}
		if r := strings.Count(c.p.Output(), "replacing the SB monitor"); r > 20 {
			t.Errorf("%s replaced its SB monitor %d times", c.hv.Name, r)
		}
	}

	// Each in the other mode: nothing to change.
	for _, c := range cs {
		other := []string{conditional}
		if len(c.extra) > 0 {
			other = nil
		}
		sbBefore, sbRows, before := w.sbVersions(), w.sbRows(), c.state()
		c.restartAs(other...)
		w.settle(cs...)
		if g := c.state(); g != before {
			t.Errorf("%s restarted with %v changed its state:\n%s\nwas:\n%s", c.hv.Name, other, g, before)
		}
		if g := w.sbRows(); g != sbRows {
			t.Errorf("%s restarted with %v changed the SB:\n%s\nwas:\n%s", c.hv.Name, other, g, sbRows)
		}
		if g := w.sbVersions(); g != sbBefore {
			t.Errorf("%s restarted with %v wrote to the SB", c.hv.Name, other)
		}
	}
	// And the barrier still holds for all of them.
	w.nbctl("--wait=hv", "sync")
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
