package flows

import (
	"fmt"
	"testing"
)

// benchTopo is issue 12's benchmark shape: routers × 10 subnets × perSubnet
// VM ports, every 10th port bound to the chassis under test (hv0), the
// rest spread over 50 remote chassis; every router is hosted on hv0.
func benchTopo(routers, perSubnet int) topo {
	t := topo{hosted: map[string][]string{}}
	for c := 0; c <= 50; c++ {
		t.chassis = append(t.chassis, tChassis{fmt.Sprintf("hv%d", c),
			fmt.Sprintf("fa:16:3f:00:%02x:%02x", c>>8, c&0xff), fmt.Sprintf("10.%d.%d.1", 200+c>>8, c&0xff)})
	}
	key, n := uint32(1), 0
	for r := 0; r < routers; r++ {
		router := fmt.Sprintf("r%d", r)
		t.hosted[router] = []string{"hv0"}
		for s := 0; s < 10; s++ {
			sub := r*10 + s
			key++
			t.nets = append(t.nets, Network{Name: fmt.Sprintf("sw%d", sub), Key: key})
			ip := func(h int) string { return fmt.Sprintf("10.%d.%d.%d", sub>>8, sub&0xff, h) }
			t.ifaces = append(t.ifaces, Interface{Name: fmt.Sprintf("%s-sw%d", router, sub), Network: key, Key: 1,
				MAC: fmt.Sprintf("fa:16:3e:%02x:%02x:01", sub>>8, sub&0xff), Addrs: []string{ip(1) + "/24"}, Router: router})
			for p := 0; p < perSubnet; p++ {
				ch := "hv0"
				if n%10 != 0 {
					ch = fmt.Sprintf("hv%d", 1+n%50)
				}
				t.vms = append(t.vms, tVM{fmt.Sprintf("vm%d", n), key, uint16(p + 2),
					fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", n>>16, (n>>8)&0xff, n&0xff), []string{ip(p + 10)}, ch})
				n++
			}
		}
	}
	return t
}

// BenchmarkCompute: a full recompute of one chassis' flows at 10,000 and
// 20,000 ports (go test ./chassis/flows -run X -bench Compute -benchmem).
func BenchmarkCompute(b *testing.B) {
	for _, per := range []int{10, 20} {
		in := benchTopo(100, per).input("hv0")
		b.Run(fmt.Sprintf("ports=%d", 100*10*per), func(b *testing.B) {
			var r Result
			for i := 0; i < b.N; i++ {
				r = Compute(in)
			}
			b.ReportMetric(float64(len(r.Int)+len(r.Tun)), "flows")
		})
	}
}

// BenchmarkDiff: br-tun desired against installed when one remote port
// went (its UCAST_TO_TUN and ARP_RESPONDER flows).
func BenchmarkDiff(b *testing.B) {
	in := benchTopo(100, 20).input("hv0")
	old := Entries(Compute(in).Tun)
	in.RemotePorts = in.RemotePorts[1:]
	neu := Entries(Compute(in).Tun)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c := Diff(neu, old); len(c.Delete) != 2 {
			b.Fatalf("%d deletes", len(c.Delete))
		}
	}
}
