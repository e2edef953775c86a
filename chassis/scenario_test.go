package chassis_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

const goldenFlows = "../ovsdb-fixtures/chassis/flows"

// installedFlows is what a hypervisor's bridges hold of ours (learned
// flows left out), in the golden files' symbolic form, one flow a line
// under "# br-int" and "# br-tun". Real port names map to the fixture's:
// vx-<ip> → vxlan-<ip>, qo-<lrp uuid> → qr-<lrp name>.
func (c *chassisRun) installedFlows() string {
	c.w.t.Helper()
	ports := c.ofports()
	vlans := c.vlanNames()
	var b strings.Builder
	for _, br := range []flows.Bridge{flows.BrInt, flows.BrTun} {
		out, err := c.hv.Ofctl("-O", "OpenFlow13", "--no-names", "--no-stats", "dump-flows", br.String())
		if err != nil {
			c.w.t.Fatalf("%s dump-flows %s: %v: %s", c.hv.Name, br, err, out)
		}
		es, err := flows.ParseDump(out)
		if err != nil {
			c.w.t.Fatal(err)
		}
		var lines []string
		for _, e := range es {
			if e.Cookie.Ours() && !e.Cookie.Learned() {
				lines = append(lines, flows.Symbolize(e, br, flows.Names{Ports: ports[br.String()], VLANs: vlans}))
			}
		}
		sortFlows(lines)
		fmt.Fprintf(&b, "# %s\n%s\n", br, strings.Join(lines, "\n"))
	}
	return b.String()
}

// goldenFile is a golden file's flows in installedFlows' form.
func goldenFile(t testing.TB, step, ch string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(goldenFlows, step, ch+".flows"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var lines []string
	section := ""
	flush := func() {
		if section != "" {
			sortFlows(lines)
			fmt.Fprintf(&b, "# %s\n%s\n", section, strings.Join(lines, "\n"))
		}
		lines = nil
	}
	for _, l := range strings.Split(string(raw), "\n") {
		switch {
		case l == "# br-int" || l == "# br-tun":
			flush()
			section = strings.TrimPrefix(l, "# ")
		case strings.HasPrefix(l, "# "):
			flush()
			section = ""
		case l != "" && section != "":
			lines = append(lines, l)
		}
	}
	flush()
	return b.String()
}

// sortFlows orders lines by table then as text (dump-flows' order is
// OVS's, the golden files' is the computation's).
func sortFlows(lines []string) { sort.Strings(lines) }

// ofports maps each bridge's ofports to the fixture's port names.
func (c *chassisRun) ofports() map[string]map[int32]string {
	lrpName := map[string]string{}
	var pbs []sbdb.PortBinding
	c.w.list(&pbs)
	for _, pb := range pbs {
		if u := pb.ExternalIDs["logical-router-port"]; u != "" {
			lrpName[router.OuterName(router.DevName(u))] = "qr-" + pb.LogicalPort
		}
	}
	out := map[string]map[int32]string{}
	for _, br := range []string{"br-int", "br-tun"} {
		out[br] = map[int32]string{}
		for _, p := range c.ports(br) {
			n, err := strconv.Atoi(c.get("Interface", p, "ofport"))
			if err != nil {
				continue
			}
			name := p
			switch {
			case strings.HasPrefix(p, "vx-"):
				name = "vxlan-" + strings.TrimPrefix(p, "vx-")
			case lrpName[p] != "":
				name = lrpName[p]
			}
			out[br][int32(n)] = name
		}
	}
	return out
}

// vlanNames maps this hypervisor's local VLANs to network names.
func (c *chassisRun) vlanNames() map[uint16]string {
	var dps []sbdb.DatapathBinding
	c.w.list(&dps)
	name := map[string]string{}
	for _, dp := range dps {
		if u := dp.ExternalIDs["logical-switch"]; u != "" {
			name[u] = dp.ExternalIDs["name"]
		}
	}
	out := map[uint16]string{}
	for _, p := range c.ports("br-int") {
		tag, err := strconv.Atoi(c.get("Port", p, "tag"))
		net := strings.Trim(c.get("Port", p, "other_config:"+chassis.NetworkKey), `"`)
		if err == nil && tag != chassis.DeadVLAN && name[net] != "" {
			out[uint16(tag)] = name[net]
		}
	}
	return out
}

// routersBrief is each qrouter namespace with its qr- devices named by
// their LRP, their addresses and the IPs of their permanent ARP entries.
func (c *chassisRun) routersBrief() string {
	c.w.t.Helper()
	names := map[string]string{} // NB UUID → name, routers and LRPs
	var pbs []sbdb.PortBinding
	var dps []sbdb.DatapathBinding
	c.w.list(&pbs)
	c.w.list(&dps)
	for _, pb := range pbs {
		if u := pb.ExternalIDs["logical-router-port"]; u != "" {
			names[router.DevName(u)] = pb.LogicalPort
		}
	}
	for _, dp := range dps {
		if u := dp.ExternalIDs["logical-router"]; u != "" {
			names[router.NSName(u)] = dp.ExternalIDs["name"]
		}
	}
	var lines []string
	ns := ""
	for _, l := range strings.Split(c.routerState(), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case strings.HasPrefix(f[0], router.NSPrefix):
			ns = names[f[0]]
			if ns == "" {
				ns = f[0]
			}
			lines = append(lines, ns+":")
		case strings.HasPrefix(f[0], router.DevPrefix):
			lines = append(lines, fmt.Sprintf("  %s %s", names[f[0]], strings.TrimPrefix(f[3], "addrs=")))
		case len(f) > 2 && f[1] == "lladdr":
			lines[len(lines)-1] += " " + f[0]
		}
	}
	// Devices sort by name (their UUIDs sort any way).
	var out, devs []string
	flush := func() { sort.Strings(devs); out = append(out, devs...); devs = nil }
	for _, l := range lines {
		if strings.HasPrefix(l, "  ") {
			devs = append(devs, l)
			continue
		}
		flush()
		out = append(out, l)
	}
	flush()
	return strings.Join(out, "\n")
}

// seedScenario runs the seed scenario's steps on w; after runs after each
// step's change and before its --wait=hv (nil: nothing).
func seedScenario(t *testing.T, w *world, after func(step string)) {
	cs, _ := w.onUnderlay(3)
	byName := map[string]*chassisRun{}
	for _, c := range cs {
		byName[c.hv.Name] = c
	}
	vms := map[string]*hvtest.VMPort{}
	type expect map[string]string // chassis → routersBrief
	steps := []struct {
		name    string
		do      func()
		running []string
		routers expect
	}{
		{"01-router-created", func() { w.nbctl("lr-add", "r1") }, nil, nil},
		{"02-interfaces-added", func() {
			w.nbctl("ls-add", "sw1", "--", "ls-add", "sw2",
				"--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
				"--", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24")
		}, nil, nil},
		{"03-vms-added", func() {
			w.nbctl("lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11",
				"--", "lsp-add", "sw1", "vm12", "--", "lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12",
				"--", "lsp-add", "sw2", "vm21", "--", "lsp-set-addresses", "vm21", "fa:16:3e:00:02:0b 10.0.2.11",
				"--", "lsp-add", "sw2", "vm22", "--", "lsp-set-addresses", "vm22", "fa:16:3e:00:02:0c 10.0.2.12")
		}, nil, nil},
		{"04-chassis-added", func() {
			// One after the other, each with its DVR MAC before the next
			// registers, so the MACs are the fixture's.
			for _, c := range cs {
				c.start()
				eventually(t, c.hv.Name+"'s DVR MAC", func() (bool, string) { return macOf(t, w, c.hv.Name) != "", "" })
			}
		}, []string{"hv1", "hv2", "hv3"}, expect{"hv1": "", "hv2": "", "hv3": ""}},
		{"05-vms-bound", func() {
			for _, p := range [][3]string{{"hv1", "vm11", "fa:16:3e:00:01:0b"}, {"hv1", "vm21", "fa:16:3e:00:02:0b"},
				{"hv2", "vm12", "fa:16:3e:00:01:0c"}, {"hv3", "vm22", "fa:16:3e:00:02:0c"}} {
				vms[p[1]] = byName[p[0]].hv.AddVMPort(p[1], p[1], p[2])
			}
			for _, p := range []string{"vm11", "vm21", "vm12", "vm22"} {
				w.waitUp(p)
			}
		}, []string{"hv1", "hv2", "hv3"}, expect{
			"hv1": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11 10.0.2.12",
			"hv2": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11 10.0.2.12",
			"hv3": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11 10.0.2.12"}},
		{"06-vm-removed", func() { w.nbctl("lsp-del", "vm22") }, []string{"hv1", "hv2", "hv3"}, expect{
			"hv1": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11",
			"hv2": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11",
			"hv3": ""}},
		{"07-interface-removed", func() { w.nbctl("lr-detach", "r1-sw2") }, []string{"hv1", "hv2", "hv3"}, expect{
			"hv1": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12",
			"hv2": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12",
			"hv3": ""}},
		{"08-chassis-removed", func() {
			hv2 := byName["hv2"]
			hv2.stop()
			out, err := hv2.hv.Exec(ovsdbtest.Binary(t, "dvr-chassis"), append([]string{"unregister", "--sb", w.sbEP(),
				"--ovs-db", hv2.hv.Endpoint(), "--pidfile", hv2.pidfile}, w.tlsFlags("hv2")...)...)
			if err != nil {
				t.Fatalf("unregister hv2: %v: %s", err, out)
			}
		}, []string{"hv1", "hv3"}, expect{
			"hv1": "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11",
			"hv3": ""}},
	}
	for _, s := range steps {
		s.do()
		if after != nil {
			after(s.name)
		}
		w.nbctl("--wait=hv", "sync")
		for _, name := range s.running {
			c := byName[name]
			want := goldenFile(t, s.name, name)
			// --wait=hv returned: the flows are there now.
			if g := c.installedFlows(); g != want {
				t.Errorf("%s after %s: flows differ from %s/%s.flows:\n%s\ngot:\n%s\nwant:\n%s", name, s.name, s.name, name, diffLines(want, g), g, want)
			}
			if g, want := c.routersBrief(), s.routers[name]; g != want {
				t.Errorf("%s after %s: routers\n%s\nwant\n%s", name, s.name, g, want)
			}
		}
		// Real packets where the step changes a path.
		switch s.name {
		case "05-vms-bound":
			w.checkPaths(byName["hv1"], byName["hv3"])
			pingVM22(t, vms["vm11"], vms["vm22"])
			localRoute(t, vms["vm11"], vms["vm21"])
		case "06-vm-removed":
			localRoute(t, vms["vm11"], vms["vm21"])
		case "07-interface-removed", "08-chassis-removed":
			switched(t, vms["vm11"], vms["vm12"], s.name == "07-interface-removed")
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}

// trace runs dvr-trace inside the hypervisor on its running dataplane.
func (c *chassisRun) trace(bridge, packet string) string {
	c.w.t.Helper()
	out, err := c.hv.Exec(ovsdbtest.Binary(c.w.t, "dvr-trace"), "--sb", c.w.sb.Endpoint(), "--ovs-rundir", c.hv.RunDir(),
		"--bridge", bridge, packet)
	if err != nil {
		c.w.t.Fatalf("dvr-trace %s %s: %v\n%s", bridge, packet, err, out)
	}
	return out
}

// checkPaths proves the seed's packet paths on hv1's real dataplane with
// ofproto/trace (through dvr-trace): a frame routed by r1 on hv1 leaves
// toward hv3 with hv1's DVR MAC and sw2's VNI; a routed frame from hv3
// (its DVR MAC as source) reaches vm21 with the gateway MAC as source;
// ARP for the gateway never leaves toward a tunnel; a frame to a qr MAC
// from the tunnel side never reaches the host's ports.
func (w *world) checkPaths(hv1, hv3 *chassisRun) {
	t := w.t
	t.Helper()
	_, lrp2 := w.lrp("r1-sw2")
	qo2 := router.OuterName(router.DevName(lrp2))
	mac1, mac3 := macOf(t, w, "hv1"), macOf(t, w, "hv3")
	var vni2 string
	for _, r := range ovsdbtest.SelectRows(t, w.sb.Endpoint(), "OVN_Southbound", "Datapath_Binding", "tunnel_key", "external_ids") {
		if ovsdbtest.StringMap(r["external_ids"])["name"] == "sw2" {
			vni2 = fmt.Sprintf("%#x", int(r["tunnel_key"].(float64)))
		}
	}
	for _, c := range []struct {
		what, bridge, packet string
		want, not            []string
	}{
		{"routed on hv1 to vm22 on hv3", "br-int",
			"in_port=" + qo2 + ",ip,dl_src=fa:16:3e:00:ff:02,dl_dst=fa:16:3e:00:02:0c,nw_src=10.0.1.11,nw_dst=10.0.2.12,nw_ttl=63",
			[]string{"=> left via vx-c0a80003 to chassis hv3", "with VNI " + vni2 + " (network sw2)", "src " + mac1 + " (the DVR MAC of chassis hv1)"}, nil},
		{"routed on hv3 to vm21 on hv1", "br-tun",
			"in_port=vx-c0a80003,tun_id=" + vni2 + ",tun_src=192.168.0.3,tun_dst=192.168.0.1,ip,dl_src=" + mac3 +
				",dl_dst=fa:16:3e:00:02:0b,nw_src=10.0.1.12,nw_dst=10.0.2.11,nw_ttl=63",
			[]string{"=> delivered to vm21", "src fa:16:3e:00:ff:02"}, []string{"LEARN_FROM_TUN", "TRANSIENT(60) prio 1 "}},
		{"ARP for the gateway from vm11", "br-int",
			"in_port=vm11,arp,dl_src=fa:16:3e:00:01:0b,dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_spa=10.0.1.11,arp_tpa=10.0.1.1,arp_sha=fa:16:3e:00:01:0b",
			[]string{"qo-"}, []string{"left via vx-"}},
		{"a frame to the qr MAC from hv3", "br-tun",
			"in_port=vx-c0a80003,tun_id=" + vni2 + ",tun_src=192.168.0.3,tun_dst=192.168.0.1,ip,dl_src=" + mac3 +
				",dl_dst=fa:16:3e:00:ff:02,nw_src=10.0.1.12,nw_dst=10.0.2.1",
			[]string{"=> dropped"}, []string{"delivered to", "left via"}},
	} {
		out := hv1.trace(c.bridge, c.packet)
		for _, s := range c.want {
			if !strings.Contains(out, s) {
				t.Errorf("%s: the trace lacks %q:\n%s", c.what, s, out)
			}
		}
		for _, s := range c.not {
			if strings.Contains(out, s) {
				t.Errorf("%s: the trace has %q:\n%s", c.what, s, out)
			}
		}
	}
}

func macOf(t testing.TB, w *world, ch string) string {
	for _, r := range ovsdbtest.SelectRows(t, w.sb.Endpoint(), "OVN_Southbound", "DVR_MAC_Binding") {
		if fmt.Sprint(r["chassis_name"]) == ch {
			return fmt.Sprint(r["mac"])
		}
	}
	return ""
}

// waitUp waits until dvr-nbctl lsp-get-up says the port is up.
func (w *world) waitUp(port string) {
	w.t.Helper()
	eventually(w.t, port+" up", func() (bool, string) {
		out, err := w.nbctlTimeout(5e9, "lsp-get-up", port)
		return err == nil && out == "up\n", out
	})
}

func diffLines(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// localRoute: vm11 → vm21, both on hv1, on two subnets: routed on hv1
// (TTL 63, from sw2's gateway MAC) and never on the wire.
func localRoute(t *testing.T, vm11, vm21 *hvtest.VMPort) {
	t.Helper()
	p := received(t, "echo vm11→vm21 on hv1", func() {
		if err := vm11.Receive(icmp("fa:16:3e:00:01:0b", "fa:16:3e:00:ff:01", "10.0.1.11", "10.0.2.11", 8)); err != nil {
			t.Fatal(err)
		}
	}, vm21, func(p *hvtest.Packet) bool { return p.ICMP != nil && p.IPv4.Dst.String() == "10.0.2.11" })
	if p.Src.String() != "fa:16:3e:00:ff:02" || p.IPv4.TTL != 63 {
		t.Errorf("at vm21: %s; want src fa:16:3e:00:ff:02, TTL 63", p)
	}
	if f := onWire(vm11.HV, func(v uint32, in *hvtest.Packet) bool { return in.IPv4 != nil && in.IPv4.Dst.String() == "10.0.2.11" }); len(f) > 0 {
		t.Errorf("a route between two VMs of hv1 crossed the wire: %v", f)
	}
}

// switched: vm11 (hv1) → vm12 (sw1): while hv2 serves vm12 the echo is
// switched across the wire (TTL 64, vm11's MAC); once hv2 is gone
// (unregistered, its dvr-chassis stopped) nothing reaches vm12.
func switched(t *testing.T, vm11, vm12 *hvtest.VMPort, served bool) {
	t.Helper()
	echo := icmp("fa:16:3e:00:01:0b", "fa:16:3e:00:01:0c", "10.0.1.11", "10.0.1.12", 8)
	is := func(p *hvtest.Packet) bool { return p.ICMP != nil && p.IPv4.Dst.String() == "10.0.1.12" }
	if served {
		p := received(t, "echo vm11→vm12", func() {
			if err := vm11.Receive(echo); err != nil {
				t.Fatal(err)
			}
		}, vm12, is)
		if p.Src.String() != "fa:16:3e:00:01:0b" || p.IPv4.TTL != 64 {
			t.Errorf("at vm12: %s; want src fa:16:3e:00:01:0b, TTL 64 (switched)", p)
		}
		return
	}
	before, _ := vm12.Sent()
	if err := vm11.Receive(echo); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	after, _ := vm12.Sent()
	n := 0
	for _, p := range after[len(before):] {
		if is(p) {
			n++
		}
	}
	if n > 0 {
		t.Errorf("an echo reached vm12 on hv2, which is gone")
	}
}

// The seed scenario the other way round: the hypervisors and their VMs
// first (each VM plugged before its logical port exists, so nothing names
// it yet), then the router, the interfaces and the ports, in the same NB
// order as northd's fixtures. It ends exactly where the forward order
// does: the golden flows of 05-vms-bound on every chassis, the same
// routers, and a routed packet.
func TestSeedScenarioReverseOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	cs, _ := w.onUnderlay(3)
	byName := map[string]*chassisRun{}
	for _, c := range cs {
		byName[c.hv.Name] = c
		c.start()
		eventually(t, c.hv.Name+"'s DVR MAC", func() (bool, string) { return macOf(t, w, c.hv.Name) != "", "" })
	}
	vms := map[string]*hvtest.VMPort{}
	for _, p := range [][3]string{{"hv1", "vm11", "fa:16:3e:00:01:0b"}, {"hv1", "vm21", "fa:16:3e:00:02:0b"},
		{"hv2", "vm12", "fa:16:3e:00:01:0c"}, {"hv3", "vm22", "fa:16:3e:00:02:0c"}} {
		vms[p[1]] = byName[p[0]].hv.AddVMPort(p[1], p[1], p[2])
	}
	w.nbctl("--wait=hv", "sync")
	w.nbctl("lr-add", "r1")
	w.nbctl("ls-add", "sw1", "--", "ls-add", "sw2",
		"--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
		"--", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24")
	w.nbctl("lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11",
		"--", "lsp-add", "sw1", "vm12", "--", "lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12",
		"--", "lsp-add", "sw2", "vm21", "--", "lsp-set-addresses", "vm21", "fa:16:3e:00:02:0b 10.0.2.11",
		"--", "lsp-add", "sw2", "vm22", "--", "lsp-set-addresses", "vm22", "fa:16:3e:00:02:0c 10.0.2.12")
	for _, p := range []string{"vm11", "vm21", "vm12", "vm22"} {
		w.waitUp(p)
	}
	w.nbctl("--wait=hv", "sync")
	const r1 = "r1:\n  r1-sw1 [10.0.1.1/24] 10.0.1.11 10.0.1.12\n  r1-sw2 [10.0.2.1/24] 10.0.2.11 10.0.2.12"
	for _, c := range cs {
		want := goldenFile(t, "05-vms-bound", c.hv.Name)
		eventually(t, c.hv.Name+" at the forward order's end", func() (bool, string) {
			g := c.installedFlows()
			return g == want, diffLines(want, g)
		})
		eventually(t, c.hv.Name+"'s routers", func() (bool, string) { g := c.routersBrief(); return g == r1, g })
	}
	pingVM22(t, vms["vm11"], vms["vm22"])
	localRoute(t, vms["vm11"], vms["vm21"])
}
