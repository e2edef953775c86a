package chassis_test

import (
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// dataplane is what a hypervisor forwards with: its flows (golden form)
// and its router namespaces.
func (c *chassisRun) dataplane() string {
	return c.installedFlows() + c.routerState()
}

// rawFlows is both bridges' dump, counters and durations stripped, with
// numeric ofports and VLANs: a restart that renumbered or rewrote a flow
// would show (a re-add keeps the text, so flowMods checks that too).
func (c *chassisRun) rawFlows() string {
	c.w.t.Helper()
	var b strings.Builder
	for _, br := range []string{"br-int", "br-tun"} {
		b.WriteString(c.hv.MustOfctl("-O", "OpenFlow13", "--no-stats", "--no-names", "dump-flows", br))
	}
	return b.String()
}

// flowMods counts the rounds in which the chassis sent flow-mods, from its
// debug log: full rounds ("flows: applied the difference") and incremental
// ones (flow_mods=N, N > 0).
func (c *chassisRun) flowMods() int {
	n := 0
	for _, l := range strings.Split(c.p.Output(), "\n") {
		if strings.Contains(l, "flows: applied the difference") ||
			strings.Contains(l, "incremental round") && !strings.Contains(l, "flow_mods=0 ") {
			n++
		}
	}
	return n
}

// seedOn plugs the seed's VMs on two hypervisors (vm11, vm21 on the first,
// vm12 on the second) and waits until they are up and hv's are synced.
// It returns vm21 and vm12 (on different subnets and hypervisors).
func (w *world) seedOn(a, b *chassisRun) (vm21, vm12 *hvtest.VMPort) {
	w.t.Helper()
	a.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	vm21 = a.hv.AddVMPort("vm21", "vm21", "fa:16:3e:00:02:0b")
	vm12 = b.hv.AddVMPort("vm12", "vm12", "fa:16:3e:00:01:0c")
	for _, p := range []string{"vm11", "vm21", "vm12"} {
		w.waitUp(p)
	}
	w.nbctl("--wait=hv", "sync")
	return vm21, vm12
}

// pingRouted proves the routed path vm21 (sw2, hv1) → vm12 (sw1, hv2) and
// back with real packets: routed once on each side (TTL 63, the gateway
// MAC at the receiver).
func pingRouted(t *testing.T, what string, vm21, vm12 *hvtest.VMPort) {
	t.Helper()
	for _, c := range []struct {
		from, to                  *hvtest.VMPort
		mac, gw, src, dst, recvGW string
	}{
		{vm21, vm12, "fa:16:3e:00:02:0b", "fa:16:3e:00:ff:02", "10.0.2.11", "10.0.1.12", "fa:16:3e:00:ff:01"},
		{vm12, vm21, "fa:16:3e:00:01:0c", "fa:16:3e:00:ff:01", "10.0.1.12", "10.0.2.11", "fa:16:3e:00:ff:02"},
	} {
		p := received(t, what+": "+c.from.Name+"→"+c.to.Name, func() {
			if err := c.from.Receive(icmp(c.mac, c.gw, c.src, c.dst, 8)); err != nil {
				t.Fatal(err)
			}
		}, c.to, func(p *hvtest.Packet) bool {
			return p.ICMP != nil && p.IPv4.Src.String() == c.src && p.IPv4.Dst.String() == c.dst
		})
		if p.Src.String() != c.recvGW || p.IPv4.TTL != 63 {
			t.Errorf("%s: at %s: %s; want src %s, TTL 63", what, c.to.Name, p, c.recvGW)
		}
	}
}

// A VM bound before its router interface exists, and the reverse, end in
// the same state (neutron-dvr §7 invariant c).
func TestOrderIndependence(t *testing.T) {
	t.Parallel()
	run := func(vmFirst bool) string {
		w := newWorld(t, true)
		w.nbctl("lr-add", "r1", "--", "ls-add", "sw1", "--", "ls-add", "sw2",
			"--", "lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11",
			"--", "lsp-add", "sw2", "vm21", "--", "lsp-set-addresses", "vm21", "fa:16:3e:00:02:0b 10.0.2.11")
		cs := w.hypervisors("hv1", "hv2")
		for _, c := range cs {
			c.start()
			eventually(t, c.hv.Name+"'s DVR MAC", func() (bool, string) { return macOf(t, w, c.hv.Name) != "", "" })
		}
		plug := func() {
			cs[0].hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
			cs[1].hv.AddVMPort("vm21", "vm21", "fa:16:3e:00:02:0b")
			w.waitUp("vm11")
			w.waitUp("vm21")
		}
		attach := func() {
			w.nbctl("lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
				"--", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24")
		}
		if vmFirst {
			plug()
			w.nbctl("--wait=hv", "sync")
			attach()
		} else {
			attach()
			w.nbctl("--wait=hv", "sync")
			plug()
		}
		w.nbctl("--wait=hv", "sync")
		var b strings.Builder
		for _, c := range cs {
			eventually(t, c.hv.Name+" hosts r1", func() (bool, string) {
				g := c.routersBrief()
				return strings.Count(g, "r1-sw") == 2, g
			})
			b.WriteString(c.hv.Name + "\n" + c.installedFlows() + c.routersBrief() + "\n")
		}
		return b.String()
	}
	if a, b := run(true), run(false); a != b {
		t.Errorf("VM first and router first end differently:\n%s", diffLines(a, b))
	}
}
