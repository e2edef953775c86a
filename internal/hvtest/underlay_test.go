package hvtest_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

const vni = 0x1234

// tunnel gives hv a br-int/br-tun pair as the reference sandbox script
// does (patch pair, a VXLAN port to peer with key=flow) and the fewest
// flows that carry vm's frames to the peer in VNI vni and deliver what
// comes back from the peer to vm.
func tunnel(t *testing.T, hv, peer *hvtest.HV, vm *hvtest.VMPort) {
	t.Helper()
	vx := "vxlan-" + peer.Name
	hv.MustVsctl(
		"--may-exist", "add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=secure", "--",
		"add-br", "br-tun", "--", "set", "Bridge", "br-tun", "datapath_type=netdev", "fail_mode=secure", "--",
		"add-port", "br-int", "patch-tun", "--", "set", "Interface", "patch-tun", "type=patch", "options:peer=patch-int", "--",
		"add-port", "br-tun", "patch-int", "--", "set", "Interface", "patch-int", "type=patch", "options:peer=patch-tun", "--",
		"add-port", "br-tun", vx, "--", "set", "Interface", vx, "type=vxlan", "options:key=flow",
		"options:remote_ip="+peer.Uplink.IP(), "options:local_ip="+hv.Uplink.IP())
	hv.MustOfctl("add-flow", "br-int", "table=0,priority=10,in_port="+vm.Name+",actions=output:patch-tun")
	hv.MustOfctl("add-flow", "br-int", "table=0,priority=10,in_port=patch-tun,actions=output:"+vm.Name)
	hv.MustOfctl("add-flow", "br-tun", fmt.Sprintf("table=0,priority=10,in_port=patch-int,actions=set_field:%#x->tun_id,output:%s", vni, vx))
	hv.MustOfctl("add-flow", "br-tun", fmt.Sprintf("table=0,priority=10,in_port=%s,tun_id=%#x,actions=output:patch-int", vx, vni))
}

// vxlanFrames are the VXLAN frames of a pcap.
func vxlanFrames(t *testing.T, path string) []*hvtest.Packet {
	t.Helper()
	pkts, err := hvtest.ReadPcap(path)
	if err != nil {
		t.Fatal(err)
	}
	var vx []*hvtest.Packet
	for _, p := range pkts {
		if p.VXLAN != nil {
			vx = append(vx, p)
		}
	}
	return vx
}

// Three hypervisors on one underlay switch: every pair resolves each other
// (kernel ARP over the switch), and a frame injected at a VM on hv1 arrives
// at a VM on hv2 through VXLAN, with the VNI on the wire, and never
// reaches hv3 (the switch learned where hv2 is).
func TestThreeHypervisorsVXLANOverUnderlay(t *testing.T) {
	t.Parallel()
	t0 := time.Now()
	sw := hvtest.Underlay(t)
	hvs := hvtest.StartAll(t, []string{"hv1", "hv2", "hv3"})
	for i, hv := range hvs {
		sw.Attach(hv, fmt.Sprintf("192.168.0.%d", i+1))
	}
	t.Logf("underlay, then 3 hypervisors started and attached one by one in %v (boot: underlay %v, hv1 %v, hv2 %v, hv3 %v)",
		time.Since(t0), sw.BootTime(), hvs[0].BootTime(), hvs[1].BootTime(), hvs[2].BootTime())
	hv1, hv2, hv3 := hvs[0], hvs[1], hvs[2]

	// Underlay L2 between every pair, through the kernels' own ARP.
	for _, pair := range [][2]*hvtest.HV{{hv3, hv1}, {hv3, hv2}, {hv2, hv1}, {hv1, hv2}} {
		from, to := pair[0], pair[1]
		from.MustExec("bash", "-c", fmt.Sprintf("echo hi >/dev/udp/%s/9", to.Uplink.IP()))
		if !waitFor(5*time.Second, func() bool {
			out, _ := from.Exec("ip", "neigh", "show", to.Uplink.IP(), "dev", hvtest.PhysBridge)
			return strings.Contains(out, "lladdr "+to.Uplink.MAC.String())
		}) {
			out, _ := from.Exec("ip", "neigh")
			t.Fatalf("%s never resolved %s (%s) over the underlay: %s", from.Name, to.Name, to.Uplink.IP(), out)
		}
	}

	const mac1, mac2 = "fa:16:3e:00:00:01", "fa:16:3e:00:00:02"
	hv1.MustVsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=secure")
	hv2.MustVsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=secure")
	vm1 := hv1.AddVMPort("vm1", "lsp-vm1", mac1)
	vm2 := hv2.AddVMPort("vm2", "lsp-vm2", mac2)
	tunnel(t, hv1, hv2, vm1)
	tunnel(t, hv2, hv1, vm2)

	frame := fmt.Sprintf("eth(src=%s,dst=%s),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1234,dst=5678)", mac1, mac2)
	// The first frame may be spent on ARP by hv1's tunnel code (if it did
	// not snoop the kernels' exchange): resend until one arrives.
	sent, neighKnown := 0, false
	for got := 0; got == 0 && sent < 5; {
		if err := vm1.Receive(frame); err != nil {
			t.Fatal(err)
		}
		sent++
		known := neighKnown
		waitFor(time.Second, func() bool {
			p, _ := vm2.Sent()
			got = len(p)
			if got == 0 && !known {
				n, _ := hv1.Appctl("tnl/neigh/show")
				neighKnown = strings.Contains(n, hv2.Uplink.IP()+" ")
				return neighKnown // resolved now: resend at once
			}
			return got > 0
		})
	}
	in, err := hvtest.ReadPcap(vm1.RxPcap)
	if err != nil || len(in) != sent {
		t.Fatalf("vm1 rx pcap: %d frames, %v (sent %d)", len(in), err, sent)
	}
	var out []*hvtest.Packet
	waitFor(time.Second, func() bool { out, _ = vm2.Sent(); return len(out) > 0 })
	if len(out) == 0 {
		tr, _ := hv1.Appctl("ofproto/trace", "br-int", "in_port=vm1,udp,dl_src="+mac1+",dl_dst="+mac2)
		t.Fatalf("nothing reached vm2 after %d frames; trace on hv1:\n%s", sent, tr)
	}
	t.Logf("vm1 sent %d, vm2 received %d: %s", sent, len(out), out[0])
	for _, p := range out {
		if !bytes.Equal(p.Data, in[0].Data) {
			t.Errorf("vm2 received %s, want the frame vm1 sent: %s", p, in[0])
		}
	}

	// On the wire: VXLAN from hv1's to hv2's underlay address and MAC,
	// the VNI set by br-tun, the VM's frame inside, on both ends.
	tx1 := vxlanFrames(t, hv1.Uplink.TxPcap)
	waitFor(time.Second, func() bool { return len(vxlanFrames(t, hv2.Uplink.RxPcap)) >= len(out) })
	rx2 := vxlanFrames(t, hv2.Uplink.RxPcap)
	if len(tx1) < len(out) || len(rx2) != len(tx1) {
		t.Errorf("VXLAN frames: hv1 sent %d, hv2 received %d, vm2 got %d", len(tx1), len(rx2), len(out))
	}
	for _, p := range append(tx1, rx2...) {
		if p.Src.String() != hv1.Uplink.MAC.String() || p.Dst.String() != hv2.Uplink.MAC.String() ||
			p.IPv4.Src.String() != hv1.Uplink.IP() || p.IPv4.Dst.String() != hv2.Uplink.IP() ||
			p.VXLAN.VNI != vni || !bytes.Equal(p.VXLAN.Inner.Data, in[0].Data) {
			t.Errorf("wire frame %s: want %s>%s, %s>%s, vni=%d, the VM frame inside",
				p, hv1.Uplink.MAC, hv2.Uplink.MAC, hv1.Uplink.IP(), hv2.Uplink.IP(), vni)
		}
	}
	if len(tx1) > 0 {
		t.Logf("on the wire: %s", tx1[0])
	}
	if vx3 := vxlanFrames(t, hv3.Uplink.RxPcap); len(vx3) != 0 {
		t.Errorf("hv3 received %d VXLAN frames meant for hv2 (a hub, not a switch): %s", len(vx3), vx3[0])
	}

	// Counters agree with the captures.
	st1, err := hv1.PortStats("br-int", "vm1")
	if err != nil {
		t.Fatal(err)
	}
	st2, err := hv2.PortStats("br-int", "vm2")
	if err != nil {
		t.Fatal(err)
	}
	if st1.RxPackets != uint64(sent) || st2.TxPackets != uint64(len(out)) {
		t.Errorf("counters: vm1 rx %d (want %d), vm2 tx %d (want %d)", st1.RxPackets, sent, st2.TxPackets, len(out))
	}

	// ofproto/trace sees the same path: tunnel push with the VNI, out br-phy.
	tr := hv1.MustAppctl("ofproto/trace", "br-int", "in_port=vm1,udp,dl_src="+mac1+",dl_dst="+mac2+",nw_src=10.0.0.1,nw_dst=10.0.0.2")
	for _, want := range []string{"tnl_push(", fmt.Sprintf("vni=%#x", vni), "dst=" + hv2.Uplink.IP()} {
		if !strings.Contains(tr, want) {
			t.Errorf("trace on hv1 lacks %q:\n%s", want, tr)
		}
	}

	// And back: vm2 -> vm1.
	back := fmt.Sprintf("eth(src=%s,dst=%s),eth_type(0x0800),ipv4(src=10.0.0.2,dst=10.0.0.1,proto=17,tos=0,ttl=64,frag=no),udp(src=5678,dst=1234)", mac2, mac1)
	for i := 0; i < 5; i++ {
		if err := vm2.Receive(back); err != nil {
			t.Fatal(err)
		}
		if waitFor(time.Second, func() bool { p, _ := vm1.Sent(); return len(p) > 0 }) {
			break
		}
	}
	if p, _ := vm1.Sent(); len(p) == 0 || p[0].IPv4 == nil || p[0].IPv4.Src.String() != "10.0.0.2" {
		t.Errorf("vm1 received %v, want the frame from vm2", p)
	}
}

// PopulateARP fills every hypervisor's tunnel neighbour table up front;
// VM ports carry their iface-id.
func TestPopulateARPAndVMPort(t *testing.T) {
	t.Parallel()
	sw, hvs := hvtest.Network(t, 2)
	if err := sw.PopulateARP(); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]*hvtest.HV{{hvs[0], hvs[1]}, {hvs[1], hvs[0]}} {
		out := pair[0].MustAppctl("tnl/neigh/show")
		if !strings.Contains(out, pair[1].Uplink.IP()) || !strings.Contains(out, pair[1].Uplink.MAC.String()) {
			t.Errorf("%s tnl/neigh/show lacks %s %s:\n%s", pair[0].Name, pair[1].Uplink.IP(), pair[1].Uplink.MAC, out)
		}
	}
	if got := strings.TrimSpace(hvs[0].MustVsctl("get", "Open_vSwitch", ".", "external_ids:ovn-encap-ip")); got != `"192.168.0.1"` {
		t.Errorf("ovn-encap-ip = %s, want the uplink's address", got)
	}
	vm := hvs[0].AddVMPort("vm1", "lsp-1", "fa:16:3e:00:00:01")
	if got := strings.TrimSpace(hvs[0].MustVsctl("get", "Interface", vm.Name, "external_ids:iface-id", "type")); got != "lsp-1\ndummy" {
		t.Errorf("vm1 iface-id and type: %q", got)
	}
	if got := strings.TrimSpace(hvs[0].MustVsctl("get", "Bridge", "br-int", "datapath_type", "fail_mode")); got != "netdev\nsecure" {
		t.Errorf("br-int made by AddVMPort: %q", got)
	}
}
