package chassis_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// The scenario and fault suite (issue 13, item 4), in one sequence on one
// world: NB, SB, dvr-northd and a standby, three hypervisors on an
// underlay switch, each with its dvr-chassis. After every step each
// running chassis is checked: its flows (the golden files of the seed
// step whose state it is in, or a snapshot taken before a fault), its
// router namespaces with their qr- devices and permanent ARP entries, and
// --wait=hv returned; real packets where the step changes a path and after
// every fault.
//
//	01..05   the seed's scenario in northd's order (golden files)
//	kill -9  hv1's dvr-chassis, restarted: nothing changes anywhere (no
//	         flow-mod), packets flow while it is down and after
//	SB       the SB ovsdb-server stopped (packets flow) and started again,
//	         hv2's local ovsdb-server restarted: nothing changes anywhere
//	vswitchd hv3's ovs-vswitchd restarted: its flows come back as they were
//	address  vm22's IP, then its MAC, changes: every host's ARP entry and
//	         l2pop flows follow, no stale entry; packets to the new address;
//	         changed back: the golden files again
//	northd   killed -9; the standby carries out everything that follows
//	move     vm22 from hv3 to hv2 (plugged there first: not fought over),
//	         l2pop, ARP and packets follow, nothing left on hv3; and back:
//	         the golden files again
//	06..08   the rest of the seed's scenario; 08 unregisters hv2: its DVR
//	         MAC freed, its tunnel and flows gone from hv1 and hv3
func TestScenarioAndFaultSuite(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	standby := ovsdbtest.StartDaemon(t, "dvr-northd", "--nb", w.nb.Endpoint(), "--sb", w.sb.Endpoint())
	cs, sw := w.onUnderlay(3)
	byName := map[string]*chassisRun{}
	for _, c := range cs {
		byName[c.hv.Name] = c
	}
	hv1, hv2, hv3 := cs[0], cs[1], cs[2]
	vms := map[string]*hvtest.VMPort{}
	const (
		r1All  = "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11 10.0.2.12"
		vm22   = "fa:16:3e:00:02:0c 10.0.2.12"
		gw1    = "fa:16:3e:00:ff:01"
		gw2    = "fa:16:3e:00:ff:02"
		mac11  = "fa:16:3e:00:01:0b"
		mac22b = "fa:16:3e:00:02:4c"
	)
	running := []*chassisRun{}
	// golden checks every running chassis against a seed step's golden
	// flows and the routers it should have.
	golden := func(step string, routers map[string]string) {
		t.Helper()
		for _, c := range running {
			want := goldenFile(t, step, c.hv.Name)
			if g := c.installedFlows(); g != want {
				t.Errorf("%s at %s: flows differ from %s/%s.flows:\n%s", c.hv.Name, step, step, c.hv.Name, diffLines(want, g))
			}
			if g := c.routersBrief(); g != routers[c.hv.Name] {
				t.Errorf("%s at %s: routers\n%s\nwant\n%s", c.hv.Name, step, g, routers[c.hv.Name])
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	all := map[string]string{"hv1": r1All, "hv2": r1All, "hv3": r1All}
	// seedPackets: the seed's paths at 05, with real packets: routed
	// across (both ways), routed on one host, switched across.
	seedPackets := func(what string) {
		t.Helper()
		pingVM22(t, vms["vm11"], vms["vm22"])
		echo(t, what+": reply vm22→vm11", vms["vm22"], gw2, "10.0.2.12", vms["vm11"], "10.0.1.11", mac11, gw1)
		localRoute(t, vms["vm11"], vms["vm21"])
		switched(t, vms["vm11"], vms["vm12"], true)
	}
	// snapshot is every running chassis' dataplane and raw flows, and the
	// count of rounds that sent flow-mods, to prove a fault changed none.
	type snap struct {
		plane, raw map[string]string
		mods       map[string]int
	}
	snapshot := func() snap {
		s := snap{map[string]string{}, map[string]string{}, map[string]int{}}
		for _, c := range running {
			s.plane[c.hv.Name], s.raw[c.hv.Name], s.mods[c.hv.Name] = c.dataplane(), c.rawFlows(), c.flowMods()
		}
		return s
	}
	unchanged := func(what string, before snap, mods bool) {
		t.Helper()
		for _, c := range running {
			n := c.hv.Name
			if g := c.dataplane(); g != before.plane[n] {
				t.Errorf("%s changed %s's dataplane:\n%s", what, n, diffLines(before.plane[n], g))
			}
			if g := c.rawFlows(); g != before.raw[n] {
				t.Errorf("%s changed %s's flows:\n%s", what, n, diffLines(before.raw[n], g))
			}
			if d := c.flowMods() - before.mods[n]; mods && d != 0 {
				t.Errorf("%s: %s's chassis sent flow-mods in %d rounds:\n%s", what, n, d, c.p.Output())
			}
		}
	}

	// 01..05: the seed's scenario.
	w.nbctl("--wait=hv", "lr-add", "r1")
	w.nbctl("--wait=hv", "ls-add", "sw1", "--", "ls-add", "sw2",
		"--", "lr-attach", "r1", "sw1", "r1-sw1", gw1, "10.0.1.1/24",
		"--", "lr-attach", "r1", "sw2", "r1-sw2", gw2, "10.0.2.1/24")
	w.nbctl("--wait=hv", "lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", mac11+" 10.0.1.11",
		"--", "lsp-add", "sw1", "vm12", "--", "lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12",
		"--", "lsp-add", "sw2", "vm21", "--", "lsp-set-addresses", "vm21", "fa:16:3e:00:02:0b 10.0.2.11",
		"--", "lsp-add", "sw2", "vm22", "--", "lsp-set-addresses", "vm22", vm22)
	// 04: one after the other, each with its DVR MAC before the next
	// registers, so the MACs are the fixture's.
	for _, c := range cs {
		c.start()
		eventually(t, c.hv.Name+"'s DVR MAC", func() (bool, string) { return macOf(t, w, c.hv.Name) != "", "" })
		running = append(running, c)
	}
	w.nbctl("--wait=hv", "sync")
	golden("04-chassis-added", map[string]string{"hv1": "", "hv2": "", "hv3": ""})
	for _, p := range [][3]string{{"hv1", "vm11", mac11}, {"hv1", "vm21", "fa:16:3e:00:02:0b"},
		{"hv2", "vm12", "fa:16:3e:00:01:0c"}, {"hv3", "vm22", "fa:16:3e:00:02:0c"}} {
		vms[p[1]] = byName[p[0]].hv.AddVMPort(p[1], p[1], p[2])
	}
	for _, p := range []string{"vm11", "vm21", "vm12", "vm22"} {
		w.waitUp(p)
	}
	w.nbctl("--wait=hv", "sync")
	golden("05-vms-bound", all)
	w.checkPaths(hv1, hv3)
	seedPackets("05")

	// dvr-chassis killed -9 on hv1 (and hv2's stopped the ordinary way):
	// forwarding goes on while they are down (the flows are in
	// ovs-vswitchd, the namespaces kept by the holder); restarted, they
	// change nothing anywhere, not even with a flow-mod.
	before := snapshot()
	hv1.p.Kill()
	hv2.stop()
	pingVM22(t, vms["vm11"], vms["vm22"])
	localRoute(t, vms["vm11"], vms["vm21"])
	switched(t, vms["vm11"], vms["vm12"], true)
	hv1.start()
	hv2.start()
	for _, c := range []*chassisRun{hv1, hv2} {
		eventually(t, c.hv.Name+"'s restarted chassis to run", func() (bool, string) {
			return strings.Count(c.p.Output(), "has its DVR MAC") == 2, ""
		})
	}
	w.nbctl("--wait=hv", "sync") // the restarted chassis reported
	time.Sleep(300 * time.Millisecond)
	unchanged("hv1's dvr-chassis killed -9 and hv2's stopped, both restarted", before, true)
	golden("05-vms-bound", all)
	seedPackets("after hv1's chassis restart")

	// The SB ovsdb-server stopped: packets flow while it is down; started
	// again (and hv2's local ovsdb-server restarted), every chassis
	// resyncs and changes nothing.
	before = snapshot()
	w.sb.StopMember(w.sb.Members[0])
	pingVM22(t, vms["vm11"], vms["vm22"])
	pingRouted(t, "while the SB is down", vms["vm21"], vms["vm12"])
	if err := hv2.hv.RestartDB(); err != nil {
		t.Fatal(err)
	}
	if err := w.sb.RestartMember(w.sb.Members[0]); err != nil {
		t.Fatal(err)
	}
	w.sbc = ovsdbtest.SBClient(t, w.sb.Endpoint(), ovsdbtest.MonitorAll())
	w.nbctl("--wait=hv", "sync")
	time.Sleep(300 * time.Millisecond)
	unchanged("the SB and hv2's local ovsdb-server restarted", before, true)
	golden("05-vms-bound", all)
	seedPackets("after the SB restart")

	// hv3's ovs-vswitchd restarted: its flows are gone until its chassis
	// re-applies them, then exactly the same; the others see nothing.
	before = snapshot()
	if err := hv3.hv.RestartVswitchd(); err != nil {
		t.Fatal(err)
	}
	if err := sw.PopulateARP(); err != nil { // the new one's tunnel neighbours
		t.Fatal(err)
	}
	eventually(t, "hv3's flows back after the ovs-vswitchd restart", func() (bool, string) {
		g := hv3.dataplane()
		return g == before.plane["hv3"], diffLines(before.plane["hv3"], g)
	})
	w.nbctl("--wait=hv", "sync")
	w.waitUp("vm22")
	golden("05-vms-bound", all)
	for _, c := range []*chassisRun{hv1, hv2} {
		if g := c.rawFlows(); g != before.raw[c.hv.Name] {
			t.Errorf("hv3's ovs-vswitchd restart changed %s's flows:\n%s", c.hv.Name, diffLines(before.raw[c.hv.Name], g))
		}
	}
	seedPackets("after hv3's ovs-vswitchd restart")

	// vm22's IP changes, then its MAC: every host's ARP entry follows
	// (no stale one), l2pop carries the new MAC, packets reach the new
	// address; changed back, everything is as in the golden files.
	hasARP := func(what, want string, not ...string) {
		t.Helper()
		for _, c := range running {
			g := c.routerState()
			if !strings.Contains(g, want) {
				t.Errorf("%s: %s lacks %q:\n%s", what, c.hv.Name, want, g)
			}
			for _, n := range not {
				if strings.Contains(g, n) {
					t.Errorf("%s: %s still has %q:\n%s", what, c.hv.Name, n, g)
				}
			}
		}
	}
	w.nbctl("--wait=hv", "lsp-set-addresses", "vm22", "fa:16:3e:00:02:0c 10.0.2.42")
	hasARP("vm22's new IP", "10.0.2.42 lladdr fa:16:3e:00:02:0c PERMANENT", "10.0.2.12 ")
	echo(t, "echo vm11→vm22's new IP", vms["vm11"], gw1, "10.0.1.11", vms["vm22"], "10.0.2.42", "fa:16:3e:00:02:0c", gw2)
	w.nbctl("--wait=hv", "lsp-set-addresses", "vm22", mac22b+" 10.0.2.42")
	hasARP("vm22's new MAC", "10.0.2.42 lladdr "+mac22b+" PERMANENT", "fa:16:3e:00:02:0c")
	for _, c := range []*chassisRun{hv1, hv2} {
		if g := c.installedFlows(); !strings.Contains(g, "dl_dst="+mac22b) || strings.Contains(g, "fa:16:3e:00:02:0c") {
			t.Errorf("%s's flows after vm22's MAC change:\n%s", c.hv.Name, g)
		}
	}
	echo(t, "echo vm11→vm22's new MAC", vms["vm11"], gw1, "10.0.1.11", vms["vm22"], "10.0.2.42", mac22b, gw2)
	w.nbctl("--wait=hv", "lsp-set-addresses", "vm22", vm22)
	golden("05-vms-bound", all)
	seedPackets("vm22's address back")

	// dvr-northd killed -9: the standby takes over and carries out all
	// that follows.
	w.northd.Kill()

	// vm22 moves from hv3 to hv2, plugged there first (a live migration):
	// not fought over; once hv3 lets it go, hv2 claims it, hv1's l2pop and
	// packets follow it, its ARP entry stays, nothing of it is left on hv3.
	moved := hv2.hv.AddVMPort("vm22", "vm22", "fa:16:3e:00:02:0c")
	time.Sleep(500 * time.Millisecond)
	if b := w.binding("vm22"); b != "hv3" {
		t.Fatalf("vm22 plugged on hv2 while still on hv3: bound to %q, want hv3 (not fought over)", b)
	}
	if err := vms["vm22"].Unplug(); err != nil {
		t.Fatal(err)
	}
	w.waitBound("vm22", "hv2")
	w.waitUp("vm22")
	w.nbctl("--wait=hv", "sync")
	if !strings.Contains(standby.Output(), "now active") {
		t.Errorf("the standby never took over:\n%s", standby.Output())
	}
	if g := hv1.installedFlows(); !strings.Contains(g, "dl_dst=fa:16:3e:00:02:0c actions=pop_vlan,set_field:0x3->tun_id,output:vxlan-c0a80002") {
		t.Errorf("hv1 has no l2pop for vm22 toward hv2:\n%s", g)
	}
	for _, c := range []*chassisRun{hv1, hv2} {
		if g := c.routersBrief(); g != r1All {
			t.Errorf("%s's routers after the move:\n%s\nwant\n%s", c.hv.Name, g, r1All)
		}
	}
	if g := hv3.installedFlows() + hv3.routersBrief(); strings.Contains(g, "fa:16:3e:00:02:0c") || strings.Contains(g, "r1:") {
		t.Errorf("vm22's state left on hv3 after the move:\n%s", g)
	}
	if f := pingVM22(t, vms["vm11"], moved); len(f) == 0 || f[len(f)-1].IPv4.Dst.String() != "192.168.0.2" {
		t.Errorf("after the move, the echo did not leave hv1 toward hv2: %v", f)
	}
	echo(t, "reply from vm22 on hv2", moved, gw2, "10.0.2.12", vms["vm11"], "10.0.1.11", mac11, gw1)
	// And back to hv3: the golden files again, nothing stale anywhere.
	vms["vm22"] = hv3.hv.AddVMPort("vm22", "vm22", "fa:16:3e:00:02:0c")
	if err := moved.Unplug(); err != nil {
		t.Fatal(err)
	}
	w.waitBound("vm22", "hv3")
	w.waitUp("vm22")
	w.nbctl("--wait=hv", "sync")
	golden("05-vms-bound", all)
	seedPackets("vm22 back on hv3")

	// 06..08: the rest of the seed's scenario, by the standby.
	w.nbctl("--wait=hv", "lsp-del", "vm22")
	golden("06-vm-removed", map[string]string{
		"hv1": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11",
		"hv2": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11",
		"hv3": ""})
	localRoute(t, vms["vm11"], vms["vm21"])
	switched(t, vms["vm11"], vms["vm12"], true)
	w.nbctl("--wait=hv", "lr-detach", "r1-sw2")
	golden("07-interface-removed", map[string]string{
		"hv1": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12",
		"hv2": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12",
		"hv3": ""})
	switched(t, vms["vm11"], vms["vm12"], true)
	mac2 := macOf(t, w, "hv2")
	hv2.stop()
	out, err := hv2.hv.Exec(ovsdbtest.Binary(t, "dvr-chassis"), "unregister", "--sb", w.sb.Endpoint(),
		"--ovs-db", hv2.hv.Endpoint(), "--pidfile", hv2.pidfile)
	if err != nil {
		t.Fatalf("unregister hv2: %v: %s", err, out)
	}
	running = []*chassisRun{hv1, hv3}
	w.nbctl("--wait=hv", "sync")
	golden("08-chassis-removed", map[string]string{"hv1": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11", "hv3": ""})
	eventually(t, "hv2's DVR MAC freed", func() (bool, string) { g := macOf(t, w, "hv2"); return g == "", g })
	if ch, cp, _, _ := w.chassis("hv2"); ch.UUID != "" || cp.UUID != "" {
		t.Errorf("hv2's Chassis or Chassis_Private still in the SB: %+v %+v", ch, cp)
	}
	for _, c := range running {
		if g := c.tunnels(); strings.Contains(g, "vx-c0a80002") {
			t.Errorf("%s still has a tunnel to hv2: %s", c.hv.Name, g)
		}
		if g := c.rawFlows(); strings.Contains(g, mac2) || strings.Contains(g, "192.168.0.2") {
			t.Errorf("%s still has flows of hv2 (DVR MAC %s):\n%s", c.hv.Name, mac2, g)
		}
	}
	switched(t, vms["vm11"], vms["vm12"], false)
}

// echo injects an ICMP echo at from (to its gateway MAC gw) for dstIP and
// waits until it reaches to, routed once (TTL 63, from recvGW, to dstMAC).
func echo(t *testing.T, what string, from *hvtest.VMPort, gw, srcIP string, to *hvtest.VMPort, dstIP, dstMAC, recvGW string) {
	t.Helper()
	p := received(t, what, func() {
		if err := from.Receive(icmp(from.MAC, gw, srcIP, dstIP, 8)); err != nil {
			t.Fatal(err)
		}
	}, to, func(p *hvtest.Packet) bool {
		return p.ICMP != nil && p.IPv4.Src.String() == srcIP && p.IPv4.Dst.String() == dstIP
	})
	if p.Src.String() != recvGW || p.Dst.String() != dstMAC || p.IPv4.TTL != 63 {
		t.Errorf("%s: at %s on %s: %s; want %s > %s, TTL 63", what, to.Name, to.HV.Name, p, recvGW, dstMAC)
	}
}
