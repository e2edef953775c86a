package chassis

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

func ptr[T any](v T) *T { return &v }

// sbFixture: chassis hv1 (self), hv2, hv3 with vxlan encaps; switches
// sw1 (dp-s1), sw2 (dp-s2); router r1 (dp-r1) with interfaces on both.
func sbFixture() *SBView {
	v := &SBView{
		Chassis: map[string]sbdb.Chassis{}, ChassisPrivate: map[string]sbdb.ChassisPrivate{},
		Encaps: map[string]sbdb.Encap{}, Datapaths: map[string]sbdb.DatapathBinding{},
		Ports: map[string]sbdb.PortBinding{}, MACs: map[string]string{},
	}
	for i, n := range []string{"hv1", "hv2", "hv3"} {
		v.Chassis["c-"+n] = sbdb.Chassis{UUID: "c-" + n, Name: n, Encaps: []string{"e-" + n}}
		v.Encaps["e-"+n] = sbdb.Encap{UUID: "e-" + n, Type: sbdb.EncapTypeVxlan, IP: netip.AddrFrom4([4]byte{192, 168, 0, byte(i + 1)}).String(), ChassisName: n}
	}
	v.Datapaths["dp-s1"] = sbdb.DatapathBinding{UUID: "dp-s1", ExternalIDs: map[string]string{sbkeys.KeyLogicalSwitch: "ls1"}}
	v.Datapaths["dp-s2"] = sbdb.DatapathBinding{UUID: "dp-s2", ExternalIDs: map[string]string{sbkeys.KeyLogicalSwitch: "ls2"}}
	v.Datapaths["dp-r1"] = sbdb.DatapathBinding{UUID: "dp-r1", ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: "lr1"}}
	v.Ports["ri1"] = sbdb.PortBinding{UUID: "ri1", LogicalPort: "r1-sw1", Type: sbkeys.TypeRouterInterface, Datapath: "dp-s1", ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: "lr1"}}
	v.Ports["ri2"] = sbdb.PortBinding{UUID: "ri2", LogicalPort: "r1-sw2", Type: sbkeys.TypeRouterInterface, Datapath: "dp-s2", ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: "lr1"}}
	for _, p := range []struct{ u, name, dp string }{{"p11", "vm11", "dp-s1"}, {"p12", "vm12", "dp-s1"}, {"p21", "vm21", "dp-s2"}, {"p22", "vm22", "dp-s2"}} {
		v.Ports[p.u] = sbdb.PortBinding{UUID: p.u, LogicalPort: p.name, Datapath: p.dp}
	}
	return v
}

func bind(v *SBView, port, chassis string) {
	pb := v.Ports[port]
	pb.Chassis = ptr("c-" + chassis)
	v.Ports[port] = pb
}

func names(ts []Tunnel) []string {
	out := []string{}
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return out
}

func TestTunnelName(t *testing.T) {
	if g := TunnelName(netip.MustParseAddr("192.168.0.2")); g != "vx-c0a80002" || len(g) > 15 {
		t.Errorf("TunnelName = %q", g)
	}
}

// Sharing: VM-VM on one network, and VM-hosted router interface.
func TestDesiredTunnels(t *testing.T) {
	v := sbFixture()
	if g := names(DesiredTunnels(v, "hv1", "c-hv1", nil)); len(g) != 0 {
		t.Errorf("no VM anywhere: %v", g)
	}
	bind(v, "p11", "hv1")
	bind(v, "p12", "hv2")
	if g := names(DesiredTunnels(v, "hv1", "c-hv1", nil)); !reflect.DeepEqual(g, []string{"vx-c0a80002"}) {
		t.Errorf("hv1 with vm11, hv2 with vm12: %v", g)
	}
	// hv3 has no VM but hosts r1 (interface on sw1): shared with hv1's vm11.
	v.RouterBindings = []sbdb.DVRRouterBinding{{Datapath: "dp-r1", ChassisName: "hv3"}}
	if g := names(DesiredTunnels(v, "hv1", "c-hv1", nil)); !reflect.DeepEqual(g, []string{"vx-c0a80002", "vx-c0a80003"}) {
		t.Errorf("with r1 hosted on hv3: %v", g)
	}
	// From hv3's side too; and hv3 does not tunnel to a chassis with only
	// a hosted router (router-router is not sharing).
	if g := names(DesiredTunnels(v, "hv3", "c-hv3", nil)); !reflect.DeepEqual(g, []string{"vx-c0a80001", "vx-c0a80002"}) {
		t.Errorf("hv3: %v", g)
	}
	// The round's own claims override the SB for self.
	if g := names(DesiredTunnels(v, "hv1", "c-hv1", map[string]bool{})); len(g) != 0 {
		t.Errorf("hv1 releasing vm11: %v", g)
	}
	// A chassis without a usable encap gets no tunnel.
	e := v.Encaps["e-hv2"]
	e.IP = "not-an-ip"
	v.Encaps["e-hv2"] = e
	if g := names(DesiredTunnels(v, "hv1", "c-hv1", nil)); !reflect.DeepEqual(g, []string{"vx-c0a80003"}) {
		t.Errorf("hv2 without an IP: %v", g)
	}
}

func TestDecideClaims(t *testing.T) {
	v := sbFixture()
	bind(v, "p12", "hv2")
	bind(v, "p22", "hv1") // ours, but no interface any more: released
	ifaces := []LocalIface{
		{Port: "P1", Iface: "I1", Name: "a", IfaceID: "vm11", Ofport: 3},
		{Port: "P2", Iface: "I2", Name: "b", IfaceID: "vm12", Ofport: 4},
		{Port: "P3", Iface: "I3", Name: "c", IfaceID: "nope", Ofport: 5},
		{Port: "P4", Iface: "I4", Name: "d", IfaceID: "vm21", Ofport: -1},
		{Port: "P5", Iface: "I5", Name: "e", IfaceID: "r1-sw1", Ofport: 6},
	}
	p := DecideClaims(v, "c-hv1", ifaces, true)
	if !reflect.DeepEqual(p.Claim, []string{"p11"}) || !reflect.DeepEqual(p.Release, []string{"p22"}) {
		t.Errorf("claim %v release %v", p.Claim, p.Release)
	}
	want := map[string]string{"b": BoundElsewhere, "c": NoPortBinding, "d": OfportInvalid, "e": NotAVMPort}
	if !reflect.DeepEqual(p.Unserved, want) || p.Holder["b"] != "hv2" || p.Pending {
		t.Errorf("unserved %v holder %v pending %v", p.Unserved, p.Holder, p.Pending)
	}
	if len(p.Served) != 1 || p.Served[0].Network != "ls1" {
		t.Errorf("served %+v", p.Served)
	}
	// No DVR MAC: nothing new is claimed.
	if p := DecideClaims(v, "c-hv1", ifaces, false); len(p.Claim) != 0 || p.Unserved["a"] != WaitingForMAC {
		t.Errorf("without a DVR MAC: %+v", p)
	}
	// Its chassis gone: claimed. Not yet an ofport: pending (no report),
	// and a claim of ours is kept through a re-plug.
	pb := v.Ports["p12"]
	pb.Chassis = ptr("c-gone")
	v.Ports["p12"] = pb
	bind(v, "p21", "hv1")
	ifaces[3].Ofport = 0
	p = DecideClaims(v, "c-hv1", ifaces, true)
	if !reflect.DeepEqual(p.Claim, []string{"p11", "p12"}) || !p.Pending || !p.Bound["p21"] {
		t.Errorf("claim %v pending %v bound %v release %v", p.Claim, p.Pending, p.Bound, p.Release)
	}
	// Two interfaces with one iface-id: the higher ofport serves.
	two := []LocalIface{{Port: "P1", Iface: "I1", Name: "old", IfaceID: "vm11", Ofport: 3}, {Port: "P9", Iface: "I9", Name: "new", IfaceID: "vm11", Ofport: 9}}
	p = DecideClaims(v, "c-hv1", two, true)
	if len(p.Served) != 1 || p.Served[0].Name != "new" || p.Unserved["old"] != DuplicateIface {
		t.Errorf("duplicate iface-id: %+v", p)
	}
}

func TestAllocateVLANs(t *testing.T) {
	got, ex := AllocateVLANs([]string{"n3", "n1", "n2", "n1"}, map[string]int{"n2": 1, "n9": 2})
	if want := map[string]int{"n2": 1, "n1": 2, "n3": 3}; !reflect.DeepEqual(got, want) || ex != nil {
		t.Errorf("got %v %v, want %v", got, ex, want)
	}
	lv := &LocalView{Bridges: map[string]vswitchd.Bridge{"b": {UUID: "b", Name: "br-int", Ports: []string{"p1", "p2", "p3", "p4"}}},
		Ports: map[string]vswitchd.Port{
			"p1": {UUID: "p1", Tag: ptr(7), OtherConfig: map[string]string{NetworkKey: "nA"}},
			"p2": {UUID: "p2", Tag: ptr(5), OtherConfig: map[string]string{NetworkKey: "nA"}},
			"p3": {UUID: "p3", Tag: ptr(5), OtherConfig: map[string]string{NetworkKey: "nB"}},
			"p4": {UUID: "p4", Tag: ptr(DeadVLAN), OtherConfig: map[string]string{NetworkKey: "nC"}},
		}}
	if g := AdoptedVLANs(lv, "br-int"); !reflect.DeepEqual(g, map[string]int{"nA": 5}) {
		t.Errorf("adopted %v", g)
	}
}

// A restart with the rows as registered writes nothing; a changed encap IP
// updates the Encap in place; the status key comes and goes.
func TestPlanRegistration(t *testing.T) {
	v := sbFixture()
	id := Identity{Name: "hv1", Hostname: "h1", EncapIP: "192.168.0.1", DatapathType: "netdev"}
	ch := v.Chassis["c-hv1"]
	ch.Hostname, ch.OtherConfig = "h1", map[string]string{DatapathTypeKey: "netdev"}
	v.Chassis["c-hv1"] = ch
	v.ChassisPrivate["cp1"] = sbdb.ChassisPrivate{UUID: "cp1", Name: "hv1", Chassis: ptr("c-hv1")}
	if p := PlanRegistration(v, id, ""); len(p.Ops) != 0 || p.Fresh || p.Private != "cp1" {
		t.Errorf("registered already: %+v", p)
	}
	if p := PlanRegistration(v, id, StatusNoMAC); len(p.Ops) != 1 || p.Ops[0].Table != sbdb.ChassisPrivateTable {
		t.Errorf("status: %+v", p.Ops)
	}
	id.EncapIP = "192.168.0.9"
	if p := PlanRegistration(v, id, ""); len(p.Ops) != 1 || p.Ops[0].Table != sbdb.EncapTable || p.Ops[0].Op != "update" {
		t.Errorf("new IP: %+v", p.Ops)
	}
	delete(v.Chassis, "c-hv1")
	if p := PlanRegistration(v, id, ""); !p.Fresh || len(p.Ops) != 3 {
		t.Errorf("deleted: %+v", p.Ops)
	}
}

// PlanOVS on the state it produced plans nothing; foreign ports are left.
func TestPlanOVSIdempotentAndForeign(t *testing.T) {
	cfg := BridgeConfig{Integration: "br-int", Tunnel: "br-tun", DatapathType: "netdev", Owner: "hv1", LocalIP: "192.168.0.1"}
	secure := vswitchd.BridgeFailModeSecure
	own := map[string]string{OwnerKey: "hv1"}
	lv := &LocalView{Root: &vswitchd.OpenvSwitch{UUID: "root"},
		Bridges: map[string]vswitchd.Bridge{
			"bi": {UUID: "bi", Name: "br-int", FailMode: &secure, DatapathType: "netdev", Ports: []string{"pbi", "ppt", "pforeign"}},
			"bt": {UUID: "bt", Name: "br-tun", FailMode: &secure, DatapathType: "netdev", Ports: []string{"pbt", "ppi", "pvx", "pstale"}},
		},
		Ports: map[string]vswitchd.Port{
			"pbi":      {UUID: "pbi", Name: "br-int", Interfaces: []string{"ibi"}},
			"ppt":      {UUID: "ppt", Name: PatchToTun, Interfaces: []string{"ipt"}, ExternalIDs: own},
			"pforeign": {UUID: "pforeign", Name: "foreign", Interfaces: []string{"if"}},
			"pbt":      {UUID: "pbt", Name: "br-tun", Interfaces: []string{"ibt"}, ExternalIDs: own},
			"ppi":      {UUID: "ppi", Name: PatchToInt, Interfaces: []string{"ipi"}, ExternalIDs: own},
			"pvx":      {UUID: "pvx", Name: "vx-c0a80002", Interfaces: []string{"ivx"}, ExternalIDs: own},
			"pstale":   {UUID: "pstale", Name: "vx-c0a80009", Interfaces: []string{"ist"}, ExternalIDs: own},
		},
		Interfaces: map[string]vswitchd.Interface{
			"ipt": {UUID: "ipt", Name: PatchToTun, Type: "patch", Options: map[string]string{"peer": PatchToInt}, ExternalIDs: own},
			"ipi": {UUID: "ipi", Name: PatchToInt, Type: "patch", Options: map[string]string{"peer": PatchToTun}, ExternalIDs: own},
			"ivx": {UUID: "ivx", Name: "vx-c0a80002", Type: "vxlan", ExternalIDs: own,
				Options: map[string]string{"key": "flow", "remote_ip": "192.168.0.2", "local_ip": "192.168.0.1"}},
		},
	}
	tun := []Tunnel{{Name: "vx-c0a80002", RemoteIP: "192.168.0.2"}}
	p := PlanOVS(lv, cfg, tun, nil, nil)
	if len(p.Ops) != 1 || p.Ops[0].Op != "mutate" || p.Ops[0].Table != vswitchd.BridgeTable {
		t.Fatalf("want only the stale tunnel swept: %+v", p.Ops)
	}
	lv.Bridges["bt"] = vswitchd.Bridge{UUID: "bt", Name: "br-tun", FailMode: &secure, DatapathType: "netdev", Ports: []string{"pbt", "ppi", "pvx"}}
	if p := PlanOVS(lv, cfg, tun, nil, nil); len(p.Ops) != 0 || len(p.Blocked) != 0 {
		t.Errorf("converged state plans %+v", p)
	}
	// A foreign port with a name we want is left alone, and said so.
	lv.Ports["pforeign"] = vswitchd.Port{UUID: "pforeign", Name: "vx-c0a80003"}
	lv.Bridges["bt"] = vswitchd.Bridge{UUID: "bt", Name: "br-tun", FailMode: &secure, DatapathType: "netdev", Ports: []string{"pbt", "ppi", "pvx", "pforeign"}}
	lv.Bridges["bi"] = vswitchd.Bridge{UUID: "bi", Name: "br-int", FailMode: &secure, DatapathType: "netdev", Ports: []string{"pbi", "ppt"}}
	p = PlanOVS(lv, cfg, append(tun, Tunnel{Name: "vx-c0a80003", RemoteIP: "192.168.0.3"}), nil, nil)
	if len(p.Ops) != 0 || len(p.Blocked) != 1 {
		t.Errorf("foreign port: %+v", p)
	}
}

func TestPortTags(t *testing.T) {
	lv := &LocalView{Ports: map[string]vswitchd.Port{
		"P1": {UUID: "P1"}, "P2": {UUID: "P2"}, "P3": {UUID: "P3"},
		"P4": {UUID: "P4", Tag: ptr(3), OtherConfig: map[string]string{NetworkKey: "gone"}},
	}}
	ifaces := []LocalIface{{Port: "P1", Iface: "I1", Name: "a"}, {Port: "P2", Iface: "I2", Name: "b"},
		{Port: "P3", Iface: "I3", Name: "c"}, {Port: "P4", Iface: "I4", Name: "d"}}
	claims := ClaimPlan{Served: []Served{{LocalIface: ifaces[0], Network: "ls1"}},
		Unserved: map[string]string{"b": BoundElsewhere, "c": NoPortBinding, "d": NoPortBinding}}
	got := PortTags(lv, ifaces, claims, map[string]int{"ls1": 1})
	want := []PortTag{{Port: "P1", Tag: 1, Network: "ls1"}, {Port: "P2", Tag: DeadVLAN}, {Port: "P4", Tag: DeadVLAN}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("PortTags = %+v, want %+v", got, want)
	}
}
