package chassis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
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

// Bad SB rows, written with dvr-northd stopped (it repairs drift): a VM
// Port_Binding with an unparsable MAC (plugged and claimed here, remote
// there), a router interface with no IPv4, a DVR_MAC_Binding for a chassis
// the SB does not have. Each is logged and skipped; no daemon crashes and
// no good state goes. With northd back, the repairs flow through.
func TestBadSBRowsSkipped(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	cs := w.hypervisors("hv1", "hv2")
	for _, c := range cs {
		c.start()
	}
	w.seedOn(cs[0], cs[1])
	hv1, hv2 := cs[0], cs[1]
	before := hv1.dataplane()
	hv2.hv.AddVMPort("bad1", "bad1", "fa:16:3e:00:01:99")
	w.northd.Stop(5 * time.Second)

	var sw1, sw2PB string
	for _, r := range ovsdbtest.SelectRows(t, w.sb.Endpoint(), "OVN_Southbound", "Datapath_Binding", "_uuid", "external_ids") {
		if ovsdbtest.StringMap(r["external_ids"])["name"] == "sw1" {
			sw1 = ovsdbtest.Atoms(r["_uuid"])[0]
		}
	}
	for _, r := range ovsdbtest.SelectRows(t, w.sb.Endpoint(), "OVN_Southbound", "Port_Binding", "_uuid", "logical_port") {
		if ovsdbtest.Atoms(r["logical_port"])[0] == "r1-sw2" {
			sw2PB = ovsdbtest.Atoms(r["_uuid"])[0]
		}
	}
	ovsdbtest.Transact(t, w.sb.Endpoint(), "OVN_Southbound",
		map[string]any{"op": "insert", "table": "Port_Binding", "row": map[string]any{
			"logical_port": "bad1", "datapath": []any{"uuid", sw1}, "tunnel_key": 99,
			"mac": []any{"set", []any{"zz:zz:zz 10.0.1.99"}}}},
		map[string]any{"op": "update", "table": "Port_Binding", "where": []any{[]any{"_uuid", "==", []any{"uuid", sw2PB}}},
			"row": map[string]any{"mac": []any{"set", []any{"fa:16:3e:00:ff:02"}}}},
		map[string]any{"op": "insert", "table": "DVR_MAC_Binding", "row": map[string]any{
			"chassis_name": "ghost", "mac": "fa:16:3f:00:00:99"}})
	w.waitClaimed("bad1", "hv2") // northd is stopped: the claim is the binding
	for _, c := range []struct {
		run  *chassisRun
		line string
	}{
		{hv2, "MAC is not a unicast MAC"},
		{hv1, "MAC is not a unicast MAC"},
		{hv1, "a DVR_MAC_Binding for a chassis the SB does not have"},
	} {
		eventually(t, c.run.hv.Name+" logs "+c.line, func() (bool, string) { return strings.Contains(c.run.p.Output(), c.line), "" })
	}
	eventually(t, "r1-sw2 without its address", func() (bool, string) {
		g := hv1.routersBrief()
		return strings.Contains(g, "r1-sw2 []"), g
	})
	for _, c := range cs {
		if !c.p.Running() {
			t.Fatalf("%s's dvr-chassis died:\n%s", c.hv.Name, c.p.Output())
		}
	}
	g := hv1.dataplane()
	for _, want := range []string{"in_port=vm11", "10.0.1.12 lladdr fa:16:3e:00:01:0c PERMANENT", "10.0.1.11 lladdr"} {
		if !strings.Contains(g, want) {
			t.Errorf("good state lost (%s):\n%s", want, g)
		}
	}
	if strings.Contains(g, "10.0.1.99") || strings.Contains(g, "16:3f:00:00:99") {
		t.Errorf("a bad row made it into the dataplane:\n%s", g)
	}
	// northd back: it deletes what no NB row asks for and repairs r1-sw2.
	w.startNorthd()
	eventually(t, "the dataplane repaired", func() (bool, string) { g := hv1.dataplane(); return g == before, diffLines(before, g) })
}

// A chassis' DVR MAC changes (written with northd stopped, as after a
// chassis deleted and re-added): every flow that carried the old MAC is
// replaced, on that chassis and on the others; none of the old is left.
func TestDVRMACChangeReplacesFlows(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	cs := w.hypervisors("hv1", "hv2")
	for _, c := range cs {
		c.start()
	}
	w.seedOn(cs[0], cs[1])
	old := macOf(t, w, "hv1")
	const fresh = "fa:16:3f:00:00:77"
	for _, c := range cs {
		if g := c.installedFlows(); !strings.Contains(g, old) {
			t.Fatalf("%s has no flow with hv1's DVR MAC %s:\n%s", c.hv.Name, old, g)
		}
	}
	w.northd.Stop(5 * time.Second)
	ovsdbtest.Transact(t, w.sb.Endpoint(), "OVN_Southbound", map[string]any{"op": "update", "table": "DVR_MAC_Binding",
		"where": []any{[]any{"chassis_name", "==", "hv1"}}, "row": map[string]any{"mac": fresh}})
	for _, c := range cs {
		eventually(t, c.hv.Name+" on hv1's new DVR MAC", func() (bool, string) {
			g := c.installedFlows()
			return strings.Contains(g, fresh) && !strings.Contains(g, old), g
		})
	}
}
