package trace

import (
	"os"
	"testing"

	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// seedNames are the SB rows behind the captured traces (testdata/): the
// seed topology on hv1 as chassis/flows' tests build it (chassis hv1..hv3
// at 192.168.0.1..3, sw1 VNI 2, sw2 VNI 3, router r1 with r1-sw1 and
// r1-sw2, vm11 and vm21 on hv1, vm12 on hv2, vm22 on hv3).
func seedNames() *SBNames {
	ch := func(n string) *string { s := "ch-" + n; return &s }
	vm := func(dp string, key int, name, mac, chassis string) sbdb.PortBinding {
		return sbdb.PortBinding{LogicalPort: name, Datapath: dp, TunnelKey: key, MAC: []string{mac + " 10.0.0.99"}, Chassis: ch(chassis)}
	}
	iface := func(dp string, name, mac, lrp string) sbdb.PortBinding {
		return sbdb.PortBinding{LogicalPort: name, Datapath: dp, TunnelKey: 1, Type: sbkeys.TypeRouterInterface,
			MAC: []string{mac + " 10.0.0.1/24"}, Options: map[string]string{sbkeys.OptRouter: "r1"},
			ExternalIDs: map[string]string{sbkeys.KeyLogicalRouterPort: lrp, sbkeys.KeyLogicalRouter: "lr-uuid"}}
	}
	r := SBRows{
		Datapaths: []sbdb.DatapathBinding{
			{UUID: "dp-sw1", TunnelKey: 2, ExternalIDs: map[string]string{sbkeys.KeyName: "sw1", sbkeys.KeyLogicalSwitch: "u1"}},
			{UUID: "dp-sw2", TunnelKey: 3, ExternalIDs: map[string]string{sbkeys.KeyName: "sw2", sbkeys.KeyLogicalSwitch: "u2"}},
			{UUID: "dp-r1", TunnelKey: 1, ExternalIDs: map[string]string{sbkeys.KeyName: "r1", sbkeys.KeyLogicalRouter: "lr-uuid"}},
		},
		Ports: []sbdb.PortBinding{
			iface("dp-sw1", "r1-sw1", "fa:16:3e:00:ff:01", "0a1b2c3d-4e5f-6a7b-8c9d-000000000001"),
			iface("dp-sw2", "r1-sw2", "fa:16:3e:00:ff:02", "0a1b2c3d-4e5f-6a7b-8c9d-000000000002"),
			vm("dp-sw1", 2, "vm11", "fa:16:3e:00:01:0b", "hv1"),
			vm("dp-sw1", 3, "vm12", "fa:16:3e:00:01:0c", "hv2"),
			vm("dp-sw2", 2, "vm21", "fa:16:3e:00:02:0b", "hv1"),
			vm("dp-sw2", 3, "vm22", "fa:16:3e:00:02:0c", "hv3"),
		},
	}
	for i, n := range []string{"hv1", "hv2", "hv3"} {
		d := string(rune('1' + i))
		r.Chassis = append(r.Chassis, sbdb.Chassis{UUID: "ch-" + n, Name: n})
		r.Encaps = append(r.Encaps, sbdb.Encap{ChassisName: n, IP: "192.168.0." + d, Type: sbdb.EncapTypeVxlan})
		r.MACs = append(r.MACs, sbdb.DVRMACBinding{ChassisName: n, MAC: "fa:16:3f:00:00:0" + d})
	}
	return NewSBNames(r)
}

func captured(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// explain parses and explains a captured trace with the seed's names and
// hv1's ports.
func explain(t *testing.T, name string, r Resolver) Report {
	t.Helper()
	tr, err := Parse(captured(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return Explain(tr, Options{Ports: ParseDpifShow(captured(t, "dpifshow")), Resolver: r})
}
