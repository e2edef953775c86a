package chassis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// pingVM22 sends an echo from vm11 (hv1) to vm22 and waits until vm22's
// port on at gets it, routed (TTL 63, from its gateway MAC), and returns
// the VXLAN frames of it on hv1's wire.
func pingVM22(t *testing.T, vm11, vm22 *hvtest.VMPort) []*hvtest.Packet {
	t.Helper()
	p := received(t, "echo vm11→vm22 on "+vm22.HV.Name, func() {
		if err := vm11.Receive(icmp("fa:16:3e:00:01:0b", "fa:16:3e:00:ff:01", "10.0.1.11", "10.0.2.12", 8)); err != nil {
			t.Fatal(err)
		}
	}, vm22, func(p *hvtest.Packet) bool {
		return p.ICMP != nil && p.ICMP.Type == 8 && p.IPv4.Src.String() == "10.0.1.11"
	})
	if p.Src.String() != "fa:16:3e:00:ff:02" || p.IPv4.TTL != 63 {
		t.Errorf("at vm22 on %s: %s; want src fa:16:3e:00:ff:02, TTL 63", vm22.HV.Name, p)
	}
	return onWire(vm11.HV, func(v uint32, in *hvtest.Packet) bool {
		return in.IPv4 != nil && in.IPv4.Src.String() == "10.0.1.11" && in.IPv4.Dst.String() == "10.0.2.12"
	})
}

// A VM moves from hv3 to hv2 (plugged on the new host before it is
// unplugged on the old, as a live migration does): it is not fought over,
// hv2 claims it once hv3 releases it, hv1's l2pop flows and packets follow
// it to hv2's tunnel, its ARP entry stays right on every host, and nothing
// of it is left on hv3 (which then hosts no router).
func TestVMMoveAcrossHypervisors(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	cs, _ := w.onUnderlay(3)
	for _, c := range cs {
		c.start()
	}
	hv1, hv2, hv3 := cs[0], cs[1], cs[2]
	vm11 := hv1.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	hv2.hv.AddVMPort("vm12", "vm12", "fa:16:3e:00:01:0c")
	old := hv3.hv.AddVMPort("vm22", "vm22", "fa:16:3e:00:02:0c")
	for _, p := range []string{"vm11", "vm12", "vm22"} {
		w.waitUp(p)
	}
	w.nbctl("--wait=hv", "sync")
	if f := pingVM22(t, vm11, old); len(f) == 0 || f[0].IPv4.Dst.String() != "192.168.0.3" {
		t.Fatalf("before the move, the echo did not leave hv1 toward hv3: %v", f)
	}

	moved := hv2.hv.AddVMPort("vm22", "vm22", "fa:16:3e:00:02:0c")
	time.Sleep(500 * time.Millisecond)
	if b := w.binding("vm22"); b != "hv3" {
		t.Fatalf("vm22 plugged on hv2 while still on hv3: bound to %q, want hv3 (not fought over)", b)
	}
	if err := old.Unplug(); err != nil {
		t.Fatal(err)
	}
	w.waitBound("vm22", "hv2")
	w.waitUp("vm22")
	w.nbctl("--wait=hv", "sync")
	eventually(t, "hv1's l2pop for vm22 toward hv2", func() (bool, string) {
		g := hv1.installedFlows()
		return strings.Contains(g, "dl_dst=fa:16:3e:00:02:0c actions=pop_vlan,set_field:0x3->tun_id,output:vxlan-c0a80002"), g
	})
	if f := pingVM22(t, vm11, moved); len(f) == 0 || f[len(f)-1].IPv4.Dst.String() != "192.168.0.2" {
		t.Errorf("after the move, the echo did not leave hv1 toward hv2: %v", f)
	}
	for _, c := range []*chassisRun{hv1, hv2} {
		if g := c.routersBrief(); !strings.Contains(g, "10.0.2.12") {
			t.Errorf("%s lost vm22's ARP entry:\n%s", c.hv.Name, g)
		}
	}
	eventually(t, "nothing of vm22 left on hv3", func() (bool, string) {
		g := hv3.installedFlows() + hv3.routersBrief()
		return !strings.Contains(g, "fa:16:3e:00:02:0c") && !strings.Contains(g, "r1:"), g
	})
}

// dvr-northd killed with -9 mid-sequence, a standby taking over: the
// next steps (a VM plugged, an interface removed and added back) are
// carried out, --wait=hv returns, and packets keep flowing.
func TestNorthdFailoverMidSequence(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	standby := ovsdbtest.StartDaemon(t, "dvr-northd", "--nb", w.nb.Endpoint(), "--sb", w.sb.Endpoint())
	w.seed()
	cs, _ := w.onUnderlay(3)
	for _, c := range cs {
		c.start()
	}
	hv1, hv3 := cs[0], cs[2]
	vm11 := hv1.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	w.waitUp("vm11")
	w.northd.Kill()
	vm22 := hv3.hv.AddVMPort("vm22", "vm22", "fa:16:3e:00:02:0c")
	w.waitUp("vm22")
	w.nbctl("--wait=hv", "sync")
	pingVM22(t, vm11, vm22)
	if !strings.Contains(standby.Output(), "now active") {
		t.Errorf("the standby never took over:\n%s", standby.Output())
	}
	w.nbctl("--wait=hv", "lr-detach", "r1-sw2")
	eventually(t, "r1-sw2 gone on hv1", func() (bool, string) { g := hv1.routersBrief(); return !strings.Contains(g, "r1-sw2"), g })
	w.nbctl("--wait=hv", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24")
	eventually(t, "r1-sw2 back on hv1", func() (bool, string) { g := hv1.routersBrief(); return strings.Contains(g, "r1-sw2"), g })
	pingVM22(t, vm11, vm22)
}
