package fixtures

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestGenerateNaming(t *testing.T) {
	topo := MustGenerate(2, 3, 4, 3)
	if r, s, p := topo.Counts(); r != 2 || s != 6 || p != 24 {
		t.Fatalf("counts = %d routers, %d subnets, %d ports; want 2, 6, 24", r, s, p)
	}
	if !slices.Equal(topo.Chassis, []string{"hv1", "hv2", "hv3"}) {
		t.Fatalf("chassis = %v", topo.Chassis)
	}
	r := topo.Routers[1]
	s := r.Subnets[2] // router 2, subnet 3: n = (2-1)*3 + (3-1) = 5
	p := s.Ports[3]   // port 4: global index 5*4 + 3 = 23
	got := []string{r.Name, s.Switch, s.LRP, s.RouterLSP, s.MAC, s.Network.String(), s.CIDR().String(),
		s.Gateway().String(), p.Name, p.MAC, p.IP.String(), p.Addresses(), p.Chassis}
	want := []string{"r2", "ls2-3", "lrp2-3", "ls2-3-r2", "fa:16:3d:00:00:05", "10.0.5.1/24", "10.0.5.0/24",
		"10.0.5.1", "vm2-3-4", "fa:16:3e:00:00:17", "10.0.5.13", "fa:16:3e:00:00:17 10.0.5.13", "hv3"}
	if !slices.Equal(got, want) {
		t.Fatalf("router 2 subnet 3 port 4:\n got %q\nwant %q", got, want)
	}
	first := topo.Routers[0].Subnets[0]
	if first.MAC != "fa:16:3d:00:00:00" || first.Network.String() != "10.0.0.1/24" ||
		first.Ports[0].IP.String() != "10.0.0.10" || first.Ports[0].MAC != "fa:16:3e:00:00:00" {
		t.Fatalf("first subnet %+v", first)
	}
}

func TestGenerateAddressPlanEdges(t *testing.T) {
	// 256 x 256 = 65,536 subnets: the whole of 10.0.0.0/8.
	topo, err := Generate(256, 256, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	last := topo.Routers[255].Subnets[255]
	if last.CIDR().String() != "10.255.255.0/24" || last.MAC != "fa:16:3d:00:ff:ff" ||
		last.Ports[0].MAC != "fa:16:3e:00:ff:ff" || last.Switch != "ls256-256" {
		t.Fatalf("last subnet %s %s %s %s", last.Switch, last.CIDR(), last.MAC, last.Ports[0].MAC)
	}
	mid := topo.Routers[1].Subnets[0] // n = 256
	if mid.CIDR().String() != "10.1.0.0/24" || mid.MAC != "fa:16:3d:00:01:00" {
		t.Fatalf("subnet 256: %s %s", mid.CIDR(), mid.MAC)
	}
	if err := topo.Validate(); err != nil {
		t.Fatal(err)
	}
	// The largest port index (65,536 subnets x 240 ports - 1) still fits
	// fa:16:3e:xx:xx:xx.
	if got := mac(0x3e, MaxSubnets*MaxPortsPerSubnet-1); got != "fa:16:3e:ef:ff:ff" {
		t.Fatalf("last VM MAC %s", got)
	}
	// A full subnet: VMs .10 .. .249.
	full := MustGenerate(1, 1, MaxPortsPerSubnet, 1).Routers[0].Subnets[0]
	if full.Ports[0].IP.String() != "10.0.0.10" || full.Ports[239].IP.String() != "10.0.0.249" {
		t.Fatalf("full subnet %s..%s", full.Ports[0].IP, full.Ports[239].IP)
	}
}

func TestGenerateRefusesTooBig(t *testing.T) {
	for _, c := range []struct {
		r, s, p, ch int
		want        string
	}{
		{1, 1, 241, 1, "241 ports per subnet"},
		{257, 256, 1, 1, "more than 65536"},
		{65537, 1, 0, 0, "more than 65536"},
		{1, 65537, 0, 0, "more than 65536"},
		{-1, 1, 1, 1, "negative"},
		{1, 1, 1, -1, "negative"},
	} {
		_, err := Generate(c.r, c.s, c.p, c.ch)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Generate(%d, %d, %d, %d) = %v; want an error with %q", c.r, c.s, c.p, c.ch, err, c.want)
		}
	}
	if _, err := Generate(65536, 1, 0, 0); err != nil {
		t.Errorf("65,536 routers of one subnet: %v", err)
	}
	if _, err := Generate(0, 0, 0, 0); err != nil {
		t.Errorf("empty: %v", err)
	}
}

// No IP or MAC is used twice anywhere (ports and gateways), no name twice
// per table, every address inside its subnet: Validate checks all of it.
func TestGenerateUniqueAddresses(t *testing.T) {
	for _, sz := range [][4]int{{1, 1, 1, 1}, {3, 7, 240, 5}, {40, 50, 50, 16}} {
		topo := MustGenerate(sz[0], sz[1], sz[2], sz[3])
		if err := topo.Validate(); err != nil {
			t.Fatalf("Generate%v: %v", sz, err)
		}
		// Independently of Validate: count distinct values.
		ips, macs := map[netip.Addr]bool{}, map[string]bool{}
		n := 0
		for _, r := range topo.Routers {
			for _, s := range r.Subnets {
				ips[s.Gateway()], macs[s.MAC] = true, true
				n++
				for _, p := range s.Ports {
					ips[p.IP], macs[p.MAC] = true, true
					n++
				}
			}
		}
		if len(ips) != n || len(macs) != n {
			t.Fatalf("Generate%v: %d addresses, %d distinct IPs, %d distinct MACs", sz, n, len(ips), len(macs))
		}
	}
}

func TestValidateCatchesMistakes(t *testing.T) {
	mutate := map[string]func(*Topology){
		"duplicate IP":        func(t *Topology) { t.Routers[0].Subnets[0].Ports[1].IP = t.Routers[0].Subnets[0].Ports[0].IP },
		"duplicate MAC":       func(t *Topology) { t.Routers[0].Subnets[1].Ports[0].MAC = t.Routers[0].Subnets[0].MAC },
		"invalid MAC":         func(t *Topology) { t.Routers[0].Subnets[0].Ports[0].MAC = "fa:16:3e:00:01" },
		"not a host address":  func(t *Topology) { t.Routers[0].Subnets[0].Ports[0].IP = netip.MustParseAddr("10.0.1.255") },
		"not a host address ": func(t *Topology) { t.Routers[0].Subnets[0].Ports[0].IP = netip.MustParseAddr("10.0.2.99") },
		"overlaps":            func(t *Topology) { t.Routers[0].Subnets[1].Network = netip.MustParsePrefix("10.0.0.1/16") },
		"duplicate Logical_Switch_Port name": func(t *Topology) {
			t.Routers[0].Subnets[1].Ports[0].Name = "sw1-r1"
		},
		"unknown chassis": func(t *Topology) { t.Routers[0].Subnets[0].Ports[0].Chassis = "hv9" },
	}
	for want, f := range mutate {
		topo := Seed()
		f(&topo)
		if err := topo.Validate(); err == nil || !strings.Contains(err.Error(), strings.TrimSpace(want)) {
			t.Errorf("%s: Validate() = %v", want, err)
		}
	}
}

func TestGeneratePlacementRoundRobin(t *testing.T) {
	topo := MustGenerate(1, 2, 5, 3)
	want := Placement{
		"hv1": {"vm1-1-1", "vm1-1-4", "vm1-2-2", "vm1-2-5"},
		"hv2": {"vm1-1-2", "vm1-1-5", "vm1-2-3"},
		"hv3": {"vm1-1-3", "vm1-2-1", "vm1-2-4"},
	}
	if got := topo.Placement(); !reflect.DeepEqual(got, want) {
		t.Fatalf("placement = %v; want %v", got, want)
	}
	if c := want.ChassisOf("vm1-2-4"); c != "hv3" {
		t.Fatalf("ChassisOf = %q", c)
	}
	// More chassis than ports: every chassis listed, some empty.
	p := MustGenerate(1, 1, 2, 4).Placement()
	if len(p) != 4 || len(p["hv3"]) != 0 || p["hv2"][0] != "vm1-1-2" {
		t.Fatalf("placement = %v", p)
	}
	// No chassis: nothing placed.
	if p := MustGenerate(1, 1, 2, 0).Placement(); len(p) != 0 {
		t.Fatalf("placement without chassis = %v", p)
	}
}

func TestNbctlBatches(t *testing.T) {
	topo := MustGenerate(2, 2, 1, 1)
	b := NbctlBatches(topo)
	if len(b) != 2 {
		t.Fatalf("%d batches; want one per router", len(b))
	}
	want := []string{
		"lr-add", "r2",
		"--", "ls-add", "ls2-1",
		"--", "lr-attach", "r2", "ls2-1", "lrp2-1", "fa:16:3d:00:00:02", "10.0.2.1/24",
		"--", "lsp-add", "ls2-1", "vm2-1-1",
		"--", "lsp-set-addresses", "vm2-1-1", "fa:16:3e:00:00:02 10.0.2.10",
		"--", "ls-add", "ls2-2",
		"--", "lr-attach", "r2", "ls2-2", "lrp2-2", "fa:16:3d:00:00:03", "10.0.3.1/24",
		"--", "lsp-add", "ls2-2", "vm2-2-1",
		"--", "lsp-set-addresses", "vm2-2-1", "fa:16:3e:00:00:03 10.0.3.10",
	}
	if !slices.Equal(b[1], want) {
		t.Fatalf("batch 2:\n got %q\nwant %q", b[1], want)
	}
	o := OVNNbctlBatches(topo)
	attach := []string{"lrp-add", "r1", "lrp1-1", "fa:16:3d:00:00:00", "10.0.0.1/24",
		"--", "lsp-add", "ls1-1", "ls1-1-r1",
		"--", "lsp-set-type", "ls1-1-r1", "router",
		"--", "lsp-set-addresses", "ls1-1-r1", "router",
		"--", "lsp-set-options", "ls1-1-r1", "router-port=lrp1-1"}
	if len(o) != 2 || !slices.Equal(o[0][6:6+len(attach)], attach) {
		t.Fatalf("ovn-nbctl batch 1: %q", o[0])
	}
}

func TestNBRowsShape(t *testing.T) {
	rows := MustGenerate(2, 3, 4, 1).NBRows()
	if len(rows.Routers) != 2 || len(rows.RouterPorts) != 6 || len(rows.Switches) != 6 ||
		len(rows.SwitchPorts) != 6*(1+4) {
		t.Fatalf("rows: %d LR, %d LRP, %d LS, %d LSP", len(rows.Routers), len(rows.RouterPorts),
			len(rows.Switches), len(rows.SwitchPorts))
	}
	if got := rows.Switches[5].Ports; !slices.Equal(got, []string{"lsp_ls2_3_r2", "lsp_vm2_3_1", "lsp_vm2_3_2",
		"lsp_vm2_3_3", "lsp_vm2_3_4"}) {
		t.Fatalf("ls2-3 ports %v", got)
	}
	if got := rows.Routers[1].Ports; !slices.Equal(got, []string{"lrp_lrp2_1", "lrp_lrp2_2", "lrp_lrp2_3"}) {
		t.Fatalf("r2 ports %v", got)
	}
	res := rows.Resolved()
	if res.Switches[5].Ports[0] != res.SwitchPorts[25].UUID || res.SwitchPorts[25].Name != "ls2-3-r2" ||
		res.SwitchPorts[25].UUID != FixedUUID("lsp_ls2_3_r2") || len(res.SwitchPorts[25].UUID) != 36 {
		t.Fatalf("resolved: %v %+v", res.Switches[5].Ports, res.SwitchPorts[25])
	}
	if rows.Switches[5].Ports[0] != "lsp_ls2_3_r2" {
		t.Fatal("Resolved changed its input")
	}
	// The JSON form does not depend on which UUIDs the rows carry.
	a, err := MarshalNBJSON(rows)
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalNBJSON(res)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Fatalf("named and resolved rows render differently:\n%s\n%s", a, b)
	}
}
