package main

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// The world of these tests: chassis hv1 (10.0.0.1, DVR MAC d1) and hv2
// (10.0.0.2, d2); router r1 with r1-sw1 (q1, 10.0.1.1/24) on sw1 (VNI
// 0x10) and r1-sw2 (q2, 10.0.2.1/24) on sw2 (VNI 0x11); vm11 and vm21 on
// hv1, vm12 and vm22 on hv2. hv1 is a simulated hypervisor (hvtest) with
// br-int/br-tun built as dvr-chassis names them (qo- ports, vx- tunnel,
// VM ports tap-<vm> with their iface-id) and the flows flows.Compute
// gives installed with ovs-ofctl; the SB is a real ovsdb-server with the
// matching rows.
const (
	d1, d2   = "fa:16:3f:00:00:01", "fa:16:3f:00:00:02"
	q1, q2   = "fa:16:3e:00:ff:01", "fa:16:3e:00:ff:02"
	m11, m21 = "fa:16:3e:00:01:0b", "fa:16:3e:00:02:0b"
	m12, m22 = "fa:16:3e:00:01:0c", "fa:16:3e:00:02:0c"
	lrp1     = "0a1b2c3d-1111-4000-8000-000000000001"
	lrp2     = "0b1b2c3d-2222-4000-8000-000000000002"
	lr1      = "0c1b2c3d-3333-4000-8000-000000000003"
	vni1     = 0x10
	vni2     = 0x11
)

var (
	qo1 = router.OuterName(router.DevName(lrp1))
	qo2 = router.OuterName(router.DevName(lrp2))
	vx2 = chassis.TunnelName(netip.MustParseAddr("10.0.0.2"))
)

func input() flows.Input {
	return flows.Input{
		Chassis: "hv1", DVRMAC: d1,
		PatchTun: flows.Port{Name: chassis.PatchToTun, OfPort: 1}, PatchInt: flows.Port{Name: chassis.PatchToInt, OfPort: 1},
		Remotes:  []flows.Remote{{Name: "hv2", DVRMAC: d2, EncapIP: "10.0.0.2", Tunnel: flows.Port{Name: vx2, OfPort: 2}}},
		Networks: []flows.Network{{Name: "sw1", Key: vni1, VLAN: 1}, {Name: "sw2", Key: vni2, VLAN: 2}},
		Interfaces: []flows.Interface{
			{Name: "r1-sw1", Network: vni1, Key: 1, MAC: q1, Addrs: []string{"10.0.1.1/24"}, Router: "r1", Hosted: true, QR: flows.Port{Name: qo1, OfPort: 2}},
			{Name: "r1-sw2", Network: vni2, Key: 1, MAC: q2, Addrs: []string{"10.0.2.1/24"}, Router: "r1", Hosted: true, QR: flows.Port{Name: qo2, OfPort: 3}},
		},
		LocalPorts: []flows.LocalPort{
			{Name: "vm11", Network: vni1, Key: 2, MAC: m11, IPs: []string{"10.0.1.11"}, Port: flows.Port{Name: "tap-vm11", OfPort: 4}},
			{Name: "vm21", Network: vni2, Key: 2, MAC: m21, IPs: []string{"10.0.2.11"}, Port: flows.Port{Name: "tap-vm21", OfPort: 5}},
		},
		RemotePorts: []flows.RemotePort{
			{Name: "vm12", Network: vni1, Key: 3, MAC: m12, IPs: []string{"10.0.1.12"}, Chassis: "hv2"},
			{Name: "vm22", Network: vni2, Key: 3, MAC: m22, IPs: []string{"10.0.2.12"}, Chassis: "hv2"},
		},
	}
}

// startHV1 builds hv1's bridges in a simulated hypervisor and installs its
// computed flows; br-phy holds the underlay address so that tunnel output
// resolves to tnl_push.
func startHV1(t *testing.T) *hvtest.HV {
	t.Helper()
	in := input()
	hv := hvtest.Start(t, "hv1")
	args := []string{
		"--", "add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=dummy", "fail-mode=secure",
		"--", "add-br", "br-tun", "--", "set", "bridge", "br-tun", "datapath_type=dummy", "fail-mode=secure",
		"--", "add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=dummy", "other-config:hwaddr=02:00:00:00:00:01",
		"--", "add-port", "br-phy", "wire", "--", "set", "Interface", "wire", "type=dummy",
	}
	port := func(br string, p flows.Port, iface ...string) {
		args = append(args, "--", "add-port", br, p.Name)
		args = append(args, "--", "set", "Interface", p.Name, fmt.Sprintf("ofport_request=%d", p.OfPort))
		args = append(args, iface...)
	}
	port("br-int", in.PatchTun, "type=patch", "options:peer="+in.PatchInt.Name)
	port("br-tun", in.PatchInt, "type=patch", "options:peer="+in.PatchTun.Name)
	vlan := map[uint32]uint16{}
	for _, n := range in.Networks {
		vlan[n.Key] = n.VLAN
	}
	for _, i := range in.Interfaces {
		port("br-int", i.QR, "type=dummy")
		args = append(args, "--", "set", "Port", i.QR.Name, fmt.Sprintf("tag=%d", vlan[i.Network]))
	}
	for _, p := range in.LocalPorts {
		port("br-int", p.Port, "type=dummy", "external_ids:iface-id="+p.Name)
		args = append(args, "--", "set", "Port", p.Port.Name, fmt.Sprintf("tag=%d", vlan[p.Network]))
	}
	for _, r := range in.Remotes {
		port("br-tun", r.Tunnel, "type=vxlan", "options:key=flow", "options:remote_ip="+r.EncapIP)
	}
	hv.MustVsctl(args...)
	hv.MustAppctl("netdev-dummy/ip4addr", "br-phy", "10.0.0.1/24")
	hv.MustAppctl("ovs/route/add", "10.0.0.0/24", "br-phy")
	hv.MustAppctl("tnl/neigh/set", "br-phy", "10.0.0.2", "02:00:00:00:00:02")
	r := flows.Compute(in)
	if len(r.Skipped) != 0 {
		t.Fatalf("skipped %v", r.Skipped)
	}
	for _, br := range []flows.Bridge{flows.BrInt, flows.BrTun} {
		file := filepath.Join(hv.RunDir(), br.String()+".flows")
		if err := os.WriteFile(file, []byte(flows.Render(r.Flows(br), false)), 0o644); err != nil {
			t.Fatal(err)
		}
		if out := hv.MustOfctl("add-flows", br.String(), file); out != "" {
			t.Fatalf("add-flows %s: %s", br, out)
		}
	}
	return hv
}

// startSB is a real SB ovsdb-server holding the rows hv1's flows come from.
func startSB(t *testing.T) *ovsdbtest.Server {
	t.Helper()
	sb := ovsdbtest.StartSB(t)
	c := ovsdbtest.SBClient(t, sb.Endpoint())
	str := func(s string) *string { return &s }
	rows := []model.Model{
		&sbdb.Encap{UUID: "en1", Type: sbdb.EncapTypeVxlan, IP: "10.0.0.1", ChassisName: "hv1"},
		&sbdb.Encap{UUID: "en2", Type: sbdb.EncapTypeVxlan, IP: "10.0.0.2", ChassisName: "hv2"},
		&sbdb.Chassis{UUID: "ch1", Name: "hv1", Hostname: "hv1", Encaps: []string{"en1"}},
		&sbdb.Chassis{UUID: "ch2", Name: "hv2", Hostname: "hv2", Encaps: []string{"en2"}},
		&sbdb.DVRMACBinding{UUID: "mac1", ChassisName: "hv1", MAC: d1},
		&sbdb.DVRMACBinding{UUID: "mac2", ChassisName: "hv2", MAC: d2},
		&sbdb.DatapathBinding{UUID: "dp1", TunnelKey: vni1, ExternalIDs: map[string]string{sbkeys.KeyName: "sw1", sbkeys.KeyLogicalSwitch: "0d1b2c3d-0000-4000-8000-000000000001"}},
		&sbdb.DatapathBinding{UUID: "dp2", TunnelKey: vni2, ExternalIDs: map[string]string{sbkeys.KeyName: "sw2", sbkeys.KeyLogicalSwitch: "0d1b2c3d-0000-4000-8000-000000000002"}},
		&sbdb.DatapathBinding{UUID: "dpr", TunnelKey: 0x12, ExternalIDs: map[string]string{sbkeys.KeyName: "r1", sbkeys.KeyLogicalRouter: lr1}},
	}
	iface := func(id, dp, name, mac, cidr, lrp string) *sbdb.PortBinding {
		return &sbdb.PortBinding{UUID: id, Datapath: dp, TunnelKey: 1, LogicalPort: name, Type: sbkeys.TypeRouterInterface,
			MAC: []string{mac + " " + cidr}, Options: map[string]string{sbkeys.OptRouter: "r1"},
			ExternalIDs: map[string]string{sbkeys.KeyLogicalRouterPort: lrp, sbkeys.KeyLogicalRouter: lr1}}
	}
	vm := func(id, dp string, key int, name, mac, ip, ch string) *sbdb.PortBinding {
		return &sbdb.PortBinding{UUID: id, Datapath: dp, TunnelKey: key, LogicalPort: name, MAC: []string{mac + " " + ip}, Chassis: str(ch)}
	}
	rows = append(rows,
		iface("pbr1", "dp1", "r1-sw1", q1, "10.0.1.1/24", lrp1), iface("pbr2", "dp2", "r1-sw2", q2, "10.0.2.1/24", lrp2),
		vm("pb11", "dp1", 2, "vm11", m11, "10.0.1.11", "ch1"), vm("pb21", "dp2", 2, "vm21", m21, "10.0.2.11", "ch1"),
		vm("pb12", "dp1", 3, "vm12", m12, "10.0.1.12", "ch2"), vm("pb22", "dp2", 3, "vm22", m22, "10.0.2.12", "ch2"))
	ops, err := c.Create(rows...)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Transact(ctxT(t), ops...)
	if err == nil {
		_, err = ovsdb.CheckOperationResults(res, ops)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sb
}
