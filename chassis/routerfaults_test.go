package chassis_test

import (
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/chassis/router"
)

// A dvr-chassis killed with -9 leaves its router namespace; what the SB no
// longer asks for is swept at the next start (its qr- ports leave br-int
// first), while a foreign qrouter-x namespace and a foreign br-int port
// survive, as does what the SB still asks for.
func TestStaleRoutersSweptForeignKept(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	c := w.hypervisors("hv1")[0]
	c.start()
	vm11 := c.hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	w.waitBound("vm11", "hv1")
	r1, lrp1 := w.lrp("r1-sw1")
	ns := router.NSName(r1)
	eventually(t, "r1 hosted", func() (bool, string) { g := c.routerState(); return strings.Contains(g, router.DevName(lrp1)), g })
	c.hv.MustExec("ip", "netns", "add", "qrouter-foreign")
	c.hv.MustVsctl("add-port", "br-int", "foreign0", "--", "set", "Interface", "foreign0", "type=internal")

	c.p.Kill()
	if err := vm11.Unplug(); err != nil {
		t.Fatal(err)
	}
	c.start()
	w.waitBound("vm11", "")
	eventually(t, "r1's namespace swept", func() (bool, string) {
		g := c.routerState()
		return !strings.Contains(g, ns) && !strings.Contains(g, router.OuterPrefix), g
	})
	if out := c.hv.MustExec("ip", "netns", "list"); !strings.Contains(out, "qrouter-foreign") {
		t.Errorf("the foreign namespace was swept: %s", out)
	}
	if ps := strings.Join(c.ports("br-int"), " "); !strings.Contains(ps, "foreign0") {
		t.Errorf("the foreign port was swept: %s", ps)
	}
}

// A VM's IP, then its MAC, changes: the router's ARP entry follows and no
// stale entry survives (Neutron leaves one).
func TestAddressChangeLeavesNoStaleARP(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	cs := w.hypervisors("hv1", "hv2")
	for _, c := range cs {
		c.start()
	}
	cs[0].hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	cs[1].hv.AddVMPort("vm12", "vm12", "fa:16:3e:00:01:0c")
	w.waitBound("vm11", "hv1")
	w.waitBound("vm12", "hv2")
	hv1 := cs[0]
	has := func(want, not string) func() (bool, string) {
		return func() (bool, string) {
			g := hv1.routerState()
			return strings.Contains(g, want) && (not == "" || !strings.Contains(g, not)), g
		}
	}
	eventually(t, "vm12's entry", has("10.0.1.12 lladdr fa:16:3e:00:01:0c PERMANENT", ""))
	w.nbctl("lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.42")
	eventually(t, "vm12's new IP, the old one gone", has("10.0.1.42 lladdr fa:16:3e:00:01:0c PERMANENT", "10.0.1.12 "))
	w.nbctl("lsp-set-addresses", "vm12", "fa:16:3e:00:01:4c 10.0.1.42")
	eventually(t, "vm12's new MAC", has("10.0.1.42 lladdr fa:16:3e:00:01:4c PERMANENT", "fa:16:3e:00:01:0c"))
}
