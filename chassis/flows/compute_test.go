package flows

import (
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

const (
	dself = "fa:16:3f:00:00:01"
	dhv2  = "fa:16:3f:00:00:02"
	q1    = "fa:16:3e:00:ff:01"
	vm11  = "fa:16:3e:00:01:0b"
	vm12  = "fa:16:3e:00:01:0c"
)

func TestNoDVRMACNoFlows(t *testing.T) {
	in := small()
	in.DVRMAC = ""
	r := Compute(in)
	if len(r.Int)+len(r.Tun) != 0 {
		t.Fatalf("without a DVR MAC: %d+%d flows, want none", len(r.Int), len(r.Tun))
	}
	in.DVRMAC = "01:00:5e:00:00:01" // multicast
	r = Compute(in)
	if len(r.Int)+len(r.Tun) != 0 || len(r.Skipped) == 0 || r.Skipped[0].Object != "hv1" {
		t.Fatalf("multicast DVR MAC: %d+%d flows, skipped %v; want none and a report", len(r.Int), len(r.Tun), r.Skipped)
	}
}

func TestPatchPortsNotReadyNoFlows(t *testing.T) {
	in := small()
	in.PatchTun.OfPort = -1
	r := Compute(in)
	if len(r.Int)+len(r.Tun) != 0 || len(r.Skipped) != 1 {
		t.Fatalf("patch-tun ofport -1: %d+%d flows, skipped %v", len(r.Int), len(r.Tun), r.Skipped)
	}
}

func TestBaseFlows(t *testing.T) {
	r := Compute(small())
	mustFind(t, r, IntLocalSwitching, PrioIntDeadVLAN, "dl_vlan=4095", "drop")
	mustFind(t, r, IntLocalSwitching, PrioIntDefault, "", "goto_table:60")
	mustFind(t, r, IntDVRToSrcMAC, PrioIntSrcDrop, "", "drop")
	mustFind(t, r, IntCanary, PrioIntCanary, "", "drop")
	mustFind(t, r, IntTransient, PrioIntNormal, "", "NORMAL")
	mustFind(t, r, TunLocalSwitching, PrioTunDefault, "", "drop")
	mustFind(t, r, TunLocalSwitching, PrioTunInPort, "in_port=2", "goto_table:1")
	mustFind(t, r, TunDVRProcess, PrioTunDefault, "", "goto_table:2")
	mustFind(t, r, TunPatchLVToTun, PrioTunBcastARP, "arp,dl_dst=ff:ff:ff:ff:ff:ff", "goto_table:21")
	mustFind(t, r, TunPatchLVToTun, PrioTunSplit, "dl_dst=00:00:00:00:00:00/01:00:00:00:00:00", "goto_table:20")
	mustFind(t, r, TunPatchLVToTun, PrioTunSplit, "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", "goto_table:22")
	mustFind(t, r, TunVXLANToLV, PrioTunDefault, "", "drop")
	mustFind(t, r, TunDVRNotLearn, PrioTunDefault, "", "goto_table:10")
	f := mustFind(t, r, TunLearnFromTun, PrioTunLearn, "",
		"learn(table=20,hard_timeout=300,priority=1,cookie=0xd7c0090000000000,NXM_OF_VLAN_TCI[0..11],"+
			"NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],"+
			"output:OXM_OF_IN_PORT[]),output:2")
	if f.Cookie.Learned() {
		t.Error("the learn flow itself is desired state, not learned")
	}
	mustFind(t, r, TunUcastToTun, PrioTunDefault, "", "goto_table:22")
	mustFind(t, r, TunARPResponder, PrioTunDefault, "", "goto_table:22")
	mustFind(t, r, TunFloodToTun, PrioTunDefault, "", "drop")
}

func TestDVRMACFlows(t *testing.T) {
	in := small()
	in.Remotes = append(in.Remotes,
		Remote{Name: "hv3"}, // no DVR MAC yet
		Remote{Name: "hv4", DVRMAC: "FA:16:3F:00:00:04"},
		Remote{Name: "hv5", DVRMAC: dhv2},                // a MAC given twice: the first chassis keeps it
		Remote{Name: "hv6", DVRMAC: dself},               // our own
		Remote{Name: "hv2", DVRMAC: "fa:16:3f:00:00:77"}, // listed twice: the second goes
	)
	r := Compute(in)
	f := mustFind(t, r, IntLocalSwitching, PrioIntOwnDVRMAC, "in_port=1,dl_dst="+dself, "goto_table:3")
	if f.Cookie.Category() != CatOwnMAC || f.Cookie.Object() != 0x163f000001 {
		t.Errorf("own DVR MAC cookie %v: category %v object %#x", f.Cookie, f.Cookie.Category(), f.Cookie.Object())
	}
	for _, mac := range []string{dhv2, "fa:16:3f:00:00:04"} {
		f := mustFind(t, r, IntLocalSwitching, PrioIntRemoteDVR, "in_port=1,dl_src="+mac, "goto_table:1")
		if f.Cookie.Category() != CatRemoteMAC || f.Cookie.Object() != macObject(mac) {
			t.Errorf("%s: cookie %v", mac, f.Cookie)
		}
		mustFind(t, r, TunDVRNotLearn, PrioTunDVRMAC, "dl_src="+mac, "output:2")
	}
	if n := count(r, IntLocalSwitching, PrioIntRemoteDVR); n != 2 {
		t.Errorf("%d remote DVR MAC flows on br-int, want 2: %v", n, lines(r, IntLocalSwitching))
	}
	if n := count(r, TunDVRNotLearn, PrioTunDVRMAC); n != 2 {
		t.Errorf("%d DVR_NOT_LEARN flows, want 2", n)
	}
	var objs []string
	for _, s := range r.Skipped {
		objs = append(objs, s.Object)
	}
	if !reflect.DeepEqual(objs, []string{"hv2", "hv5", "hv6"}) {
		t.Errorf("skipped %v, want hv2 (twice), hv5 (MAC also hv2's) and hv6 (our own MAC)", r.Skipped)
	}
}

func TestTunnelFlows(t *testing.T) {
	r := Compute(small())
	f := mustFind(t, r, TunLocalSwitching, PrioTunInPort, "in_port=3", "goto_table:4")
	if f.Cookie.Category() != CatTunnel || f.Cookie.Object() != 0xc0a80002 {
		t.Errorf("tunnel cookie %v", f.Cookie)
	}
	f = mustFind(t, r, TunVXLANToLV, PrioTunVNI, "tun_id=0x2", "push_vlan:0x8100,set_field:4101->vlan_vid,goto_table:9")
	if f.Cookie != NewCookie(CatNetwork, 2) {
		t.Errorf("network cookie %v", f.Cookie)
	}
}

func TestRouterInterfaceFlows(t *testing.T) {
	r := Compute(small())
	c := NewCookie(CatRouterPort, PortObject(2, 1))
	for _, f := range []Flow{
		mustFind(t, r, IntLocalSwitching, PrioIntLocalPortIn, "in_port=7", "set_field:0x5->reg6,goto_table:60"),
		mustFind(t, r, IntLocalSwitching, PrioIntARPReplyGW,
			"arp,dl_vlan=5,dl_dst="+dself+",arp_op=2,arp_tha="+q1, "set_field:"+q1+"->eth_dst,goto_table:60"),
		mustFind(t, r, IntARPDVRMACToDstMAC, PrioIntToQR, "dl_vlan=5,dl_dst="+dself,
			"set_field:"+q1+"->eth_dst,pop_vlan,output:7"),
		mustFind(t, r, TunDVRProcess, PrioTunQRDstDrop, "dl_vlan=5,dl_dst="+q1, "drop"),
		mustFind(t, r, TunDVRProcess, PrioTunQRSrc, "dl_vlan=5,dl_src="+q1, "set_field:"+dself+"->eth_src,goto_table:2"),
		mustFind(t, r, TunFloodToTun, PrioTunRouterARP, "arp,dl_vlan=5,arp_tpa=10.0.1.1", "drop"),
	} {
		if f.Cookie != c {
			t.Errorf("%s: cookie %v, want %v", lineOf(f), f.Cookie, c)
		}
	}

	// Not hosted here: frames to and from the qr MAC are still kept on
	// the host and rewritten, but there is no qr- port to deliver to.
	in := small()
	in.Interfaces[0].Hosted, in.Interfaces[0].QR = false, Port{}
	r = Compute(in)
	mustNotFind(t, r, IntLocalSwitching, PrioIntARPReplyGW, "arp,dl_vlan=5,dl_dst="+dself+",arp_op=2,arp_tha="+q1)
	mustNotFind(t, r, IntARPDVRMACToDstMAC, PrioIntToQR, "dl_vlan=5,dl_dst="+dself)
	mustNotFind(t, r, IntLocalSwitching, PrioIntLocalPortIn, "in_port=7")
	mustFind(t, r, TunDVRProcess, PrioTunQRDstDrop, "dl_vlan=5,dl_dst="+q1, "drop")
	mustFind(t, r, TunFloodToTun, PrioTunRouterARP, "arp,dl_vlan=5,arp_tpa=10.0.1.1", "drop")
	// Hosted, qr- not plugged yet (ofport -1): no qr- flows either.
	in.Interfaces[0].Hosted, in.Interfaces[0].QR = true, Port{"qr-r1-sw1", -1}
	r = Compute(in)
	mustNotFind(t, r, IntARPDVRMACToDstMAC, PrioIntToQR, "dl_vlan=5,dl_dst="+dself)

	// The ARP drop matches every IPv4 of the interface, the port's own IP
	// (not a subnet gateway: neutron-dvr §7 item 17); IPv6 is reported.
	in = small()
	in.Interfaces[0].Addrs = []string{"10.0.1.254/24", "10.0.9.1/24", "fd00::1/64"}
	r = Compute(in)
	mustFind(t, r, TunFloodToTun, PrioTunRouterARP, "arp,dl_vlan=5,arp_tpa=10.0.1.254", "drop")
	mustFind(t, r, TunFloodToTun, PrioTunRouterARP, "arp,dl_vlan=5,arp_tpa=10.0.9.1", "drop")
	if n := count(r, TunFloodToTun, PrioTunRouterARP); n != 2 {
		t.Errorf("%d ARP drops, want 2", n)
	}
	if len(r.Skipped) != 1 || r.Skipped[0].Object != "r1-sw1" || r.Skipped[0].Value != "fd00::1/64" {
		t.Errorf("skipped %v, want the IPv6 prefix of r1-sw1", r.Skipped)
	}
}

func TestLocalPortFlows(t *testing.T) {
	r := Compute(small())
	c := NewCookie(CatLocalPort, PortObject(2, 2))
	for _, f := range []Flow{
		mustFind(t, r, IntLocalSwitching, PrioIntLocalPortIn, "in_port=8", "set_field:0x5->reg6,goto_table:60"),
		mustFind(t, r, IntDVRToSrcMAC, PrioIntToLocalVM, "dl_vlan=5,dl_dst="+vm11, "set_field:"+q1+"->eth_src,goto_table:60"),
		mustFind(t, r, IntTransient, PrioIntDirectVM, "dl_vlan=5,dl_dst="+vm11, "pop_vlan,output:8"),
	} {
		if f.Cookie != c {
			t.Errorf("%s: cookie %v, want %v", lineOf(f), f.Cookie, c)
		}
	}
	// Nothing in DVR_TO_SRC_MAC or TRANSIENT ever goes to NORMAL for a
	// routed frame.
	for _, tb := range []Table{IntDVRToSrcMAC, IntARPDVRMACToDstMAC} {
		for _, l := range lines(r, tb) {
			if strings.Contains(l, "NORMAL") {
				t.Errorf("%s: %s", tb, l)
			}
		}
	}

	// A VM on no routed subnet: its network is recorded, nothing else.
	in := small()
	in.LocalPorts[0].IPs = []string{"10.9.9.9"}
	r = Compute(in)
	mustFind(t, r, IntLocalSwitching, PrioIntLocalPortIn, "in_port=8", "set_field:0x5->reg6,goto_table:60")
	mustNotFind(t, r, IntDVRToSrcMAC, PrioIntToLocalVM, "dl_vlan=5,dl_dst="+vm11)
	mustNotFind(t, r, IntTransient, PrioIntDirectVM, "dl_vlan=5,dl_dst="+vm11)

	// Unusable ofport, unknown network, bad MAC: skipped and reported.
	in = small()
	in.LocalPorts = append(in.LocalPorts,
		LocalPort{Name: "vmA", Network: 2, Key: 9, MAC: "fa:16:3e:00:01:aa", Port: Port{"vmA", -1}},
		LocalPort{Name: "vmB", Network: 99, Key: 9, MAC: "fa:16:3e:00:01:bb", Port: Port{"vmB", 20}},
		LocalPort{Name: "vmC", Network: 2, Key: 10, MAC: "zz", Port: Port{"vmC", 21}})
	r = Compute(in)
	if len(r.Skipped) != 3 {
		t.Errorf("skipped %v, want vmA, vmB, vmC", r.Skipped)
	}
	if n := count(r, IntLocalSwitching, PrioIntLocalPortIn); n != 2 {
		t.Errorf("%d local port flows, want 2 (qr- and vm11)", n)
	}
}

func TestRemotePortFlows(t *testing.T) {
	r := Compute(small())
	c := NewCookie(CatRemotePort, PortObject(2, 3))
	for _, f := range []Flow{
		mustFind(t, r, IntTransient, PrioIntDirectTun, "reg6=0x5,dl_dst="+vm12,
			"push_vlan:0x8100,set_field:4101->vlan_vid,output:1"),
		mustFind(t, r, TunUcastToTun, PrioTunUcast, "dl_vlan=5,dl_dst="+vm12, "pop_vlan,set_field:0x2->tun_id,output:3"),
		mustFind(t, r, TunARPResponder, PrioTunARPAnswer, "arp,dl_vlan=5,arp_tpa=10.0.1.12",
			"move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:"+vm12+"->eth_src,load:0x2->NXM_OF_ARP_OP[],"+
				"move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],"+
				"set_field:"+vm12+"->arp_sha,set_field:10.0.1.12->arp_spa,IN_PORT"),
	} {
		if f.Cookie != c {
			t.Errorf("%s: cookie %v, want %v", lineOf(f), f.Cookie, c)
		}
	}
	f := mustFind(t, r, TunFloodToTun, PrioTunFlood, "dl_vlan=5", "pop_vlan,set_field:0x2->tun_id,output:3")
	if f.Cookie != NewCookie(CatNetwork, 2) {
		t.Errorf("flood cookie %v", f.Cookie)
	}

	// Two remote chassis on the network: the flood reaches both, once
	// each, in chassis-name order; a chassis with no tunnel port yet gets
	// no unicast flow and no flood, but its port's IP is still answered.
	in := small()
	in.Remotes = append(in.Remotes,
		Remote{Name: "hv0", DVRMAC: "fa:16:3f:00:00:10", EncapIP: "192.168.0.10", Tunnel: Port{"vxlan-c0a8000a", 9}},
		Remote{Name: "hv7", DVRMAC: "fa:16:3f:00:00:07", EncapIP: "192.168.0.7"})
	in.RemotePorts = append(in.RemotePorts,
		RemotePort{Name: "vm13", Network: 2, Key: 4, MAC: "fa:16:3e:00:01:0d", IPs: []string{"10.0.1.13"}, Chassis: "hv0"},
		RemotePort{Name: "vm14", Network: 2, Key: 5, MAC: "fa:16:3e:00:01:0e", IPs: []string{"10.0.1.14"}, Chassis: "hv2"},
		RemotePort{Name: "vm15", Network: 2, Key: 6, MAC: "fa:16:3e:00:01:0f", IPs: []string{"10.0.1.15", "fd00::15"}, Chassis: "hv7"},
		RemotePort{Name: "vm99", Network: 77, Key: 1, MAC: "fa:16:3e:00:09:09", Chassis: "hv2"}) // network not here
	r = Compute(in)
	mustFind(t, r, TunFloodToTun, PrioTunFlood, "dl_vlan=5", "pop_vlan,set_field:0x2->tun_id,output:9,output:3")
	mustNotFind(t, r, TunUcastToTun, PrioTunUcast, "dl_vlan=5,dl_dst=fa:16:3e:00:01:0f")
	mustFind(t, r, TunARPResponder, PrioTunARPAnswer, "arp,dl_vlan=5,arp_tpa=10.0.1.15",
		"move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[],set_field:fa:16:3e:00:01:0f->eth_src,load:0x2->NXM_OF_ARP_OP[],"+
			"move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[],move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[],"+
			"set_field:fa:16:3e:00:01:0f->arp_sha,set_field:10.0.1.15->arp_spa,IN_PORT")
	if n := count(r, TunARPResponder, PrioTunARPAnswer); n != 4 {
		t.Errorf("%d ARP answers, want 4 (IPv4 only)", n)
	}
	if n := count(r, IntTransient, PrioIntDirectTun); n != 4 {
		t.Errorf("%d TRANSIENT flows toward patch-tun, want 4", n)
	}
	if len(r.Skipped) != 1 || r.Skipped[0].Object != "vm15" || r.Skipped[0].Value != "fd00::15" {
		t.Errorf("skipped %v, want vm15's IPv6 address", r.Skipped)
	}
}

// Two routers with interfaces on one network (northd allows it).
func TestTwoRoutersOnOneNetwork(t *testing.T) {
	in := small()
	// r2 on the same network: a second subnet, and the first one again
	// with another IP.
	in.Interfaces = append(in.Interfaces, Interface{Name: "r2-sw1", Network: 2, Key: 4, MAC: "fa:16:3e:00:ee:01",
		Addrs: []string{"10.0.3.1/24", "10.0.1.254/24"}, Router: "r2", Hosted: true, QR: Port{"qr-r2-sw1", 10}})
	in.LocalPorts = append(in.LocalPorts,
		LocalPort{Name: "vm31", Network: 2, Key: 5, MAC: "fa:16:3e:00:03:1f", IPs: []string{"10.0.3.31"}, Port: Port{"vm31", 11}},
		LocalPort{Name: "vm32", Network: 2, Key: 6, MAC: "fa:16:3e:00:03:20", IPs: []string{"10.0.9.9", "10.0.3.32"}, Port: Port{"vm32", 12}})
	r := Compute(in)
	// vm11 (10.0.1.11) is in both r1-sw1's and r2-sw1's subnets: the
	// lowest router port name, r1-sw1, wins.
	mustFind(t, r, IntDVRToSrcMAC, PrioIntToLocalVM, "dl_vlan=5,dl_dst="+vm11, "set_field:"+q1+"->eth_src,goto_table:60")
	// vm31 is only in r2's subnet; vm32's first routed IP too.
	mustFind(t, r, IntDVRToSrcMAC, PrioIntToLocalVM, "dl_vlan=5,dl_dst=fa:16:3e:00:03:1f",
		"set_field:fa:16:3e:00:ee:01->eth_src,goto_table:60")
	mustFind(t, r, IntDVRToSrcMAC, PrioIntToLocalVM, "dl_vlan=5,dl_dst=fa:16:3e:00:03:20",
		"set_field:fa:16:3e:00:ee:01->eth_src,goto_table:60")
	// Two qr- ports on the network: no ARP_DVR_MAC_TO_DST_MAC redirect
	// (it would be last-writer-wins, neutron-dvr §7 item 16); each qr-
	// keeps its own ARP-reply rewrite.
	mustNotFind(t, r, IntARPDVRMACToDstMAC, PrioIntToQR, "dl_vlan=5,dl_dst="+dself)
	if n := count(r, IntLocalSwitching, PrioIntARPReplyGW); n != 2 {
		t.Errorf("%d ARP-reply rewrites, want 2", n)
	}
	// Both interfaces' MACs and IPs are kept on the host.
	for _, mac := range []string{q1, "fa:16:3e:00:ee:01"} {
		mustFind(t, r, TunDVRProcess, PrioTunQRDstDrop, "dl_vlan=5,dl_dst="+mac, "drop")
		mustFind(t, r, TunDVRProcess, PrioTunQRSrc, "dl_vlan=5,dl_src="+mac, "set_field:"+dself+"->eth_src,goto_table:2")
	}
	for _, ip := range []string{"10.0.1.1", "10.0.1.254", "10.0.3.1"} {
		mustFind(t, r, TunFloodToTun, PrioTunRouterARP, "arp,dl_vlan=5,arp_tpa="+ip, "drop")
	}
	// Only r2 hosted here: it alone owns the redirect.
	in.Interfaces[0].Hosted, in.Interfaces[0].QR = false, Port{}
	r = Compute(in)
	mustFind(t, r, IntARPDVRMACToDstMAC, PrioIntToQR, "dl_vlan=5,dl_dst="+dself,
		"set_field:fa:16:3e:00:ee:01->eth_dst,pop_vlan,output:10")
	// The gateway choice does not depend on hosting.
	mustFind(t, r, IntDVRToSrcMAC, PrioIntToLocalVM, "dl_vlan=5,dl_dst="+vm11, "set_field:"+q1+"->eth_src,goto_table:60")
}

func TestNetworkChecks(t *testing.T) {
	in := small()
	in.Networks = append(in.Networks,
		Network{Name: "bad-vni", Key: 1 << 24, VLAN: 9},
		Network{Name: "no-vlan", Key: 30, VLAN: 0},
		Network{Name: "dead", Key: 31, VLAN: 4095},
		Network{Name: "dup-vlan", Key: 32, VLAN: 5},
		Network{Name: "dup-key", Key: 2, VLAN: 10})
	r := Compute(in)
	if len(r.Skipped) != 5 {
		t.Errorf("skipped %v, want 5 networks", r.Skipped)
	}
	if n := count(r, TunVXLANToLV, PrioTunVNI); n != 1 {
		t.Errorf("%d VNI flows, want 1", n)
	}
}

// The same rows in any order give the same flows; the Input is not changed.
func TestDeterministic(t *testing.T) {
	s := seed()
	for _, ch := range chassisNames(s) {
		in := s.input(ch)
		want := Compute(in)
		rng := rand.New(rand.NewSource(1))
		for i := 0; i < 20; i++ {
			sh := in
			sh.Remotes = shuffled(rng, in.Remotes)
			sh.Networks = shuffled(rng, in.Networks)
			sh.Interfaces = shuffled(rng, in.Interfaces)
			sh.LocalPorts = shuffled(rng, in.LocalPorts)
			sh.RemotePorts = shuffled(rng, in.RemotePorts)
			before := Render(Compute(sh).Int, false)
			if got := Compute(sh); !reflect.DeepEqual(got, want) {
				t.Fatalf("%s: shuffled input gives other flows", ch)
			}
			if Render(Compute(sh).Int, false) != before {
				t.Fatalf("%s: Compute changed its input", ch)
			}
		}
	}
}

func shuffled[T any](rng *rand.Rand, xs []T) []T {
	out := append([]T(nil), xs...)
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Every flow's identity is unique on its bridge, every cookie is ours
// with a known category, and no desired flow is of the learned category.
func TestSeedInvariants(t *testing.T) {
	s := seed()
	for _, ch := range chassisNames(s) {
		r := Compute(s.input(ch))
		if len(r.Skipped) != 0 {
			t.Errorf("%s: skipped %v", ch, r.Skipped)
		}
		for _, br := range []Bridge{BrInt, BrTun} {
			seen := map[Key]bool{}
			for _, f := range r.Flows(br) {
				if f.Table.Bridge() != br {
					t.Errorf("%s %s: flow of %s", ch, br, f.Table)
				}
				if seen[f.Key()] {
					t.Errorf("%s %s: duplicate %v", ch, br, f.Key())
				}
				seen[f.Key()] = true
				if !f.Cookie.Ours() || f.Cookie.Learned() || strings.HasPrefix(f.Cookie.Category().String(), "category(") {
					t.Errorf("%s: %s: cookie %v", ch, lineOf(f), f.Cookie)
				}
			}
		}
	}
}
