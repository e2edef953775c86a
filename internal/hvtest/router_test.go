package hvtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// What dvr-chassis will do, by hand: ovs-vswitchd's internal ports (taps
// in the hypervisor's netns) moved into a qrouter namespace made through
// Exec, a permanent neighbour entry, and a frame from one VM routed by the
// kernel to a VM on another subnet (TTL 63, src = the second qr- MAC).
func TestKernelRouterInPrivateNamespace(t *testing.T) {
	t.Parallel()
	hv := hvtest.Start(t, "hv")
	const (
		q1, q2   = "fa:16:3e:00:01:01", "fa:16:3e:00:02:01"
		vm1, vm2 = "fa:16:3e:00:00:01", "fa:16:3e:00:00:02"
	)
	hv.MustVsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=secure")
	v1 := hv.AddVMPort("vm1", "lsp-vm1", vm1)
	v2 := hv.AddVMPort("vm2", "lsp-vm2", vm2)
	hv.MustVsctl("set", "Port", "vm1", "tag=1", "--", "set", "Port", "vm2", "tag=2", "--",
		"add-port", "br-int", "qr-1", "tag=1", "--", "set", "Interface", "qr-1", "type=internal", "--",
		"add-port", "br-int", "qr-2", "tag=2", "--", "set", "Interface", "qr-2", "type=internal")
	hv.MustOfctl("add-flow", "br-int", "priority=0,actions=NORMAL")
	hv.MustExec("sh", "-c", `set -e
ip netns add qrouter-r1
ip netns exec qrouter-r1 sh -c 'echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6; echo 1 >/proc/sys/net/ipv4/ip_forward'
ip link set qr-1 netns qrouter-r1
ip link set qr-2 netns qrouter-r1
ip -n qrouter-r1 link set lo up
ip -n qrouter-r1 link set qr-1 address `+q1+` up
ip -n qrouter-r1 link set qr-2 address `+q2+` up
ip -n qrouter-r1 addr add 10.1.0.1/24 dev qr-1
ip -n qrouter-r1 addr add 10.2.0.1/24 dev qr-2
ip -n qrouter-r1 neigh replace 10.2.0.12 lladdr `+vm2+` dev qr-2 nud permanent`)
	// A separate, later process sees the router as the first one left it.
	if out := hv.MustExec("ip", "-n", "qrouter-r1", "neigh", "show", "10.2.0.12"); !strings.Contains(out, vm2) || !strings.Contains(out, "PERMANENT") {
		t.Fatalf("neighbour entry: %q", out)
	}
	ping := "eth(src=" + vm1 + ",dst=" + q1 + "),eth_type(0x0800),ipv4(src=10.1.0.11,dst=10.2.0.12,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)"
	var got []*hvtest.Packet
	for i := 0; i < 5 && len(got) == 0; i++ {
		if err := v1.Receive(ping); err != nil {
			t.Fatal(err)
		}
		waitFor(time.Second, func() bool {
			pkts, _ := v2.Sent()
			got = nil
			for _, p := range pkts {
				if p.ICMP != nil {
					got = append(got, p)
				}
			}
			return len(got) > 0
		})
	}
	if len(got) == 0 {
		out, _ := hv.Exec("ip", "-n", "qrouter-r1", "-s", "link")
		t.Fatalf("no routed frame reached vm2; router counters:\n%s", out)
	}
	p := got[0]
	if p.Src.String() != q2 || p.Dst.String() != vm2 || p.IPv4.TTL != 63 || p.VLAN != -1 {
		t.Errorf("vm2 received %s, want src %s dst %s ttl 63 untagged", p, q2, vm2)
	}
	t.Logf("routed by the kernel in qrouter-r1: %s", p)
}
