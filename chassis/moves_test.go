package chassis_test

import (
	"testing"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// pingVM22 sends an echo from vm11 (hv1) to vm22 and waits until vm22's
// port on at gets it, routed (TTL 63, from its gateway MAC), and returns
// the VXLAN frames of it on hv1's wire.
func pingVM22(t *testing.T, vm11, vm22 *hvtest.VMPort) []*hvtest.Packet {
	t.Helper()
	p := received(t, "echo vm11→vm22 on "+vm22.HV.Name, func() {
		if err := vm11.Receive(icmp("fa:16:3e:00:01:0b", "fa:16:3e:00:ff:01", "10.0.1.11", "10.0.2.12", 8)); err != nil {
			t.Fatal(err)
		}
	}, vm22, func(p *hvtest.Packet) bool {
		return p.ICMP != nil && p.ICMP.Type == 8 && p.IPv4.Src.String() == "10.0.1.11"
	})
	if p.Src.String() != "fa:16:3e:00:ff:02" || p.IPv4.TTL != 63 {
		t.Errorf("at vm22 on %s: %s; want src fa:16:3e:00:ff:02, TTL 63", vm22.HV.Name, p)
	}
	return onWire(vm11.HV, func(v uint32, in *hvtest.Packet) bool {
		return in.IPv4 != nil && in.IPv4.Src.String() == "10.0.1.11" && in.IPv4.Dst.String() == "10.0.2.12"
	})
}
