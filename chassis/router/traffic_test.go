package router_test

import (
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// The veth driver carries traffic: with br-int NORMAL (the chassis' flows
// are not installed yet), a frame from vm1 to its gateway is routed by the
// kernel in the qrouter namespace to vm2 on the other subnet (TTL 63, the
// second qr- MAC as source, untagged at vm2).
func TestRoutedThroughVeth(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := twoInterfaces()
	const vm1, vm2, q1, q2 = "fa:16:3e:00:00:01", "fa:16:3e:00:00:02", "fa:16:3e:00:01:01", "fa:16:3e:00:02:01"
	v1 := f.hv.AddVMPort("vm1", "lsp-vm1", vm1)
	v2 := f.hv.AddVMPort("vm2", "lsp-vm2", vm2)
	f.hv.MustVsctl("set", "Port", "vm1", "tag=1", "--", "set", "Port", "vm2", "tag=2")
	f.hv.MustOfctl("add-flow", "br-int", "priority=0,actions=NORMAL")
	f.apply(in)
	ping := "eth(src=" + vm1 + ",dst=" + q1 + "),eth_type(0x0800),ipv4(src=10.1.0.11,dst=10.2.0.12,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)"
	var got []*hvtest.Packet
	for i := 0; i < 5 && len(got) == 0; i++ {
		if err := v1.Receive(ping); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(time.Second)
		for time.Now().Before(deadline) && len(got) == 0 {
			pkts, _ := v2.Sent()
			for _, p := range pkts {
				if p.ICMP != nil {
					got = append(got, p)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(got) == 0 {
		out, _ := f.hv.Exec("ip", "-n", nsR, "-s", "link")
		t.Fatalf("no routed frame reached vm2; router counters:\n%s", out)
	}
	if p := got[0]; p.Src.String() != q2 || p.Dst.String() != vm2 || p.IPv4.TTL != 63 || p.VLAN != -1 {
		t.Errorf("vm2 received %s, want src %s dst %s ttl 63 untagged", p, q2, vm2)
	}
}
