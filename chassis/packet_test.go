package chassis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// received waits until the VM got a frame cond accepts (what OVS sent out
// of its port) after the call began: a frame of an earlier send (the same
// echo before a fault, say) does not count. It resends the injected frame
// every second, up to 5 times (a first frame may be spent on a neighbour
// lookup).
func received(t *testing.T, what string, send func(), vm *hvtest.VMPort, cond func(*hvtest.Packet) bool) *hvtest.Packet {
	t.Helper()
	old, _ := vm.Sent()
	skip := len(old)
	for try := 0; try < 5; try++ {
		send()
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			ps, _ := vm.Sent()
			for i, p := range ps {
				if i >= skip && cond(p) {
					return p
				}
			}
		}
	}
	ps, _ := vm.Sent()
	if len(ps) >= skip {
		ps = ps[skip:]
	}
	t.Fatalf("%s: never arrived at %s on %s; since the first send it got: %v", what, vm.Name, vm.HV.Name, ps)
	return nil
}

// onWire finds, in a hypervisor's underlay capture, the VXLAN frames whose
// inner frame cond accepts.
func onWire(hv *hvtest.HV, cond func(vni uint32, inner *hvtest.Packet) bool) []*hvtest.Packet {
	ps, _ := hvtest.ReadPcap(hv.Uplink.TxPcap)
	var out []*hvtest.Packet
	for _, p := range ps {
		if p.VXLAN != nil && p.VXLAN.Inner != nil && cond(p.VXLAN.VNI, p.VXLAN.Inner) {
			out = append(out, p)
		}
	}
	return out
}

func icmp(srcMAC, dstMAC, src, dst string, typ int) string {
	return fmt.Sprintf("eth(src=%s,dst=%s),eth_type(0x0800),ipv4(src=%s,dst=%s,proto=1,tos=0,ttl=64,frag=no),icmp(type=%d,code=0)",
		srcMAC, dstMAC, src, dst, typ)
}

// Real packets across three hypervisors on an underlay switch, the seed's
// VMs placed as the seed says: an ICMP echo from vm11@hv1 (sw1) to
// vm22@hv3 (sw2) is routed once on hv1 (TTL 63 at vm22), crosses the wire
// in VXLAN with sw2's VNI and hv1's DVR MAC as inner source, and reaches
// vm22 from its gateway MAC; the reply is routed on hv3 the same way;
// ARP for the gateway is answered on hv1 and never crosses the wire;
// same-subnet traffic across hypervisors is switched, not routed.
func TestRoutedPacketsAcrossHypervisors(t *testing.T) {
	t.Parallel()
	routedPackets(t, newWorld(t, true))
}

// The same packets with every connection of the pipeline on SSL:
// dvr-nbctl, dvr-northd (NB and SB) and each dvr-chassis are given only
// the databases' ssl: remotes and a certificate of their own signed by
// one ovs-pki CA (a chassis' CN is its name), and the servers verify
// them; the hypervisors reach the SSL remotes through their forwards.
func TestRoutedPacketsOverTLS(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true, overTLS())
	if !strings.HasPrefix(w.sbEP(), "ssl:") || !strings.HasPrefix(w.nbEP(), "ssl:") {
		t.Fatalf("programs' endpoints: NB %s, SB %s", w.nbEP(), w.sbEP())
	}
	routedPackets(t, w)
}

func routedPackets(t *testing.T, w *world) {
	w.seed()
	cs, _ := w.onUnderlay(3)
	for _, c := range cs {
		c.start()
	}
	hv1, hv2, hv3 := cs[0], cs[1], cs[2]
	const (
		gw1, gw2         = "fa:16:3e:00:ff:01", "fa:16:3e:00:ff:02"
		mac11, mac12     = "fa:16:3e:00:01:0b", "fa:16:3e:00:01:0c"
		mac21, mac22     = "fa:16:3e:00:02:0b", "fa:16:3e:00:02:0c"
		ip11, ip12, ip22 = "10.0.1.11", "10.0.1.12", "10.0.2.12"
	)
	vm11 := hv1.hv.AddVMPort("vm11", "vm11", mac11)
	hv1.hv.AddVMPort("vm21", "vm21", mac21)
	vm12 := hv2.hv.AddVMPort("vm12", "vm12", mac12)
	vm22 := hv3.hv.AddVMPort("vm22", "vm22", mac22)
	for _, p := range []string{"vm11", "vm21", "vm12", "vm22"} {
		w.waitUp(p)
	}
	w.nbctl("--wait=hv", "sync")
	vni := map[string]uint32{}
	for _, r := range ovsdbtest.SelectRows(t, w.sb.Endpoint(), "OVN_Southbound", "Datapath_Binding", "tunnel_key", "external_ids") {
		vni[ovsdbtest.StringMap(r["external_ids"])["name"]] = uint32(r["tunnel_key"].(float64))
	}
	dvr1, dvr3 := macOf(t, w, "hv1"), macOf(t, w, "hv3")

	// vm11 → vm22: routed on hv1 (pingVM22 checks TTL 63 and the gateway
	// MAC at vm22, and returns the frames on hv1's wire).
	wire := pingVM22(t, vm11, vm22)
	if len(wire) == 0 {
		t.Fatal("no VXLAN frame of the echo on hv1's wire")
	}
	for _, f := range wire {
		if in := f.VXLAN.Inner; f.VXLAN.VNI != vni["sw2"] || in.Src.String() != dvr1 || in.Dst.String() != mac22 || in.IPv4.TTL != 63 {
			t.Errorf("on the wire: %s; want VNI %d (sw2), inner src %s (hv1's DVR MAC), dst %s, TTL 63", f, vni["sw2"], dvr1, mac22)
		}
	}

	// The reply, routed on hv3.
	p := received(t, "reply vm22→vm11", func() {
		if err := vm22.Receive(icmp(mac22, gw2, ip22, ip11, 0)); err != nil {
			t.Fatal(err)
		}
	}, vm11, func(p *hvtest.Packet) bool { return p.ICMP != nil && p.ICMP.Type == 0 && p.IPv4.Src.String() == ip22 })
	if p.Src.String() != gw1 || p.Dst.String() != mac11 || p.IPv4.TTL != 63 {
		t.Errorf("at vm11: %s; want src %s, dst %s, TTL 63", p, gw1, mac11)
	}
	back := onWire(hv3.hv, func(v uint32, in *hvtest.Packet) bool { return in.IPv4 != nil && in.IPv4.Src.String() == ip22 })
	if len(back) == 0 {
		t.Error("no VXLAN frame of the reply on hv3's wire")
	}
	for _, f := range back {
		if in := f.VXLAN.Inner; f.VXLAN.VNI != vni["sw1"] || in.Src.String() != dvr3 {
			t.Errorf("reply on hv3's wire: %s; want VNI %d (sw1), inner src %s (hv3's DVR MAC)", f, vni["sw1"], dvr3)
		}
	}

	// ARP for the gateway: answered on hv1, never on the wire.
	arp := "eth(src=" + mac11 + ",dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=" + ip11 + ",tip=10.0.1.1,op=1,sha=" + mac11 + ",tha=00:00:00:00:00:00)"
	p = received(t, "ARP reply for the gateway", func() {
		if err := vm11.Receive(arp); err != nil {
			t.Fatal(err)
		}
	}, vm11, func(p *hvtest.Packet) bool {
		return p.ARP != nil && p.ARP.Op == 2 && p.ARP.SenderIP.String() == "10.0.1.1"
	})
	if p.ARP.SenderMAC.String() != gw1 {
		t.Errorf("the gateway's ARP reply: %s; want sender %s", p, gw1)
	}
	for _, h := range cs {
		if f := onWire(h.hv, func(v uint32, in *hvtest.Packet) bool { return in.ARP != nil && in.ARP.TargetIP.String() == "10.0.1.1" }); len(f) > 0 {
			t.Errorf("ARP for the gateway crossed %s's wire: %v", h.hv.Name, f)
		}
	}

	// vm11 → vm12, same subnet on hv2: switched (TTL 64, vm11's MAC).
	p = received(t, "echo vm11→vm12", func() {
		if err := vm11.Receive(icmp(mac11, mac12, ip11, ip12, 8)); err != nil {
			t.Fatal(err)
		}
	}, vm12, func(p *hvtest.Packet) bool { return p.ICMP != nil && p.IPv4.Dst.String() == ip12 })
	if p.Src.String() != mac11 || p.IPv4.TTL != 64 {
		t.Errorf("at vm12: %s; want src %s, TTL 64 (switched, not routed)", p, mac11)
	}
	same := onWire(hv1.hv, func(v uint32, in *hvtest.Packet) bool { return in.IPv4 != nil && in.IPv4.Dst.String() == ip12 })
	if len(same) == 0 {
		t.Error("no VXLAN frame of the switched echo on hv1's wire")
	}
	for _, f := range same {
		if f.VXLAN.VNI != vni["sw1"] || f.VXLAN.Inner.Src.String() != mac11 {
			t.Errorf("switched frame on the wire: %s; want VNI %d, inner src %s", f, vni["sw1"], mac11)
		}
	}
	if t.Failed() {
		for _, c := range cs {
			t.Logf("%s:\n%s", c.hv.Name, strings.Join([]string{c.installedFlows(), c.routerState()}, "\n"))
		}
	}
}
