package ofctrl

import (
	"testing"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// inputs are chassis that between them produce every kind of flow
// chassis/flows computes: two routers on one network, a router on two
// networks, local and remote VMs, several tunnels (a flood flow with more
// than one output), a remote with no tunnel, remote DVR MACs, learn.
func inputs() []flows.Input {
	small := flows.Input{
		Chassis:  "hv1",
		DVRMAC:   "fa:16:3f:00:00:01",
		PatchTun: flows.Port{Name: "patch-tun", OfPort: 1},
		PatchInt: flows.Port{Name: "patch-int", OfPort: 2},
		Remotes: []flows.Remote{
			{Name: "hv2", DVRMAC: "fa:16:3f:00:00:02", EncapIP: "192.168.0.2", Tunnel: flows.Port{Name: "vxlan-c0a80002", OfPort: 3}},
		},
		Networks: []flows.Network{{Name: "sw1", Key: 2, VLAN: 5}},
		Interfaces: []flows.Interface{
			{Name: "r1-sw1", Network: 2, Key: 1, MAC: "fa:16:3e:00:ff:01", Addrs: []string{"10.0.1.1/24"}, Router: "r1",
				Hosted: true, QR: flows.Port{Name: "qr-r1-sw1", OfPort: 7}},
			{Name: "r2-sw1", Network: 2, Key: 4, MAC: "fa:16:3e:00:ee:01", Addrs: []string{"10.0.3.1/24"}, Router: "r2",
				Hosted: true, QR: flows.Port{Name: "qr-r2-sw1", OfPort: 10}},
		},
		LocalPorts: []flows.LocalPort{
			{Name: "vm11", Network: 2, Key: 2, MAC: "fa:16:3e:00:01:0b", IPs: []string{"10.0.1.11"}, Port: flows.Port{Name: "vm11", OfPort: 8}},
			{Name: "vm31", Network: 2, Key: 5, MAC: "fa:16:3e:00:03:1f", IPs: []string{"10.0.3.31"}, Port: flows.Port{Name: "vm31", OfPort: 11}},
		},
		RemotePorts: []flows.RemotePort{
			{Name: "vm12", Network: 2, Key: 3, MAC: "fa:16:3e:00:01:0c", IPs: []string{"10.0.1.12"}, Chassis: "hv2"},
		},
	}
	wide := flows.Input{
		Chassis:  "hv1",
		DVRMAC:   "fa:16:3f:00:00:01",
		PatchTun: flows.Port{Name: "patch-tun", OfPort: 1},
		PatchInt: flows.Port{Name: "patch-int", OfPort: 1},
		Remotes: []flows.Remote{
			{Name: "hv2", DVRMAC: "fa:16:3f:00:00:02", EncapIP: "192.168.0.2", Tunnel: flows.Port{Name: "vxlan-c0a80002", OfPort: 2}},
			{Name: "hv3", DVRMAC: "fa:16:3f:00:00:03", EncapIP: "192.168.0.3", Tunnel: flows.Port{Name: "vxlan-c0a80003", OfPort: 3}},
			{Name: "hv4", DVRMAC: "fa:16:3f:00:00:04", EncapIP: "192.168.0.4"},
		},
		Networks: []flows.Network{{Name: "sw1", Key: 2, VLAN: 1}, {Name: "sw2", Key: 0x123456, VLAN: 4094}},
		Interfaces: []flows.Interface{
			{Name: "r1-sw1", Network: 2, Key: 1, MAC: "fa:16:3e:00:ff:01", Addrs: []string{"10.0.1.1/24"}, Router: "r1",
				Hosted: true, QR: flows.Port{Name: "qr-r1-sw1", OfPort: 2}},
			{Name: "r1-sw2", Network: 0x123456, Key: 1, MAC: "fa:16:3e:00:ff:02", Addrs: []string{"10.0.2.1/24", "10.0.4.1/24"},
				Router: "r1", Hosted: true, QR: flows.Port{Name: "qr-r1-sw2", OfPort: 3}},
		},
		LocalPorts: []flows.LocalPort{
			{Name: "vm11", Network: 2, Key: 2, MAC: "fa:16:3e:00:01:0b", IPs: []string{"10.0.1.11"}, Port: flows.Port{Name: "vm11", OfPort: 4}},
			{Name: "vm21", Network: 0x123456, Key: 2, MAC: "fa:16:3e:00:02:0b", IPs: []string{"10.0.2.11"}, Port: flows.Port{Name: "vm21", OfPort: 65000}},
			{Name: "vm99", Network: 2, Key: 9, MAC: "fa:16:3e:00:09:09", IPs: []string{"10.9.9.9"}, Port: flows.Port{Name: "vm99", OfPort: 6}},
		},
		RemotePorts: []flows.RemotePort{
			{Name: "vm12", Network: 2, Key: 3, MAC: "fa:16:3e:00:01:0c", IPs: []string{"10.0.1.12", "10.0.1.13"}, Chassis: "hv2"},
			{Name: "vm13", Network: 2, Key: 4, MAC: "fa:16:3e:00:01:0d", IPs: []string{"10.0.1.14"}, Chassis: "hv3"},
			{Name: "vm22", Network: 0x123456, Key: 3, MAC: "fa:16:3e:00:02:0c", IPs: []string{"10.0.2.12"}, Chassis: "hv3"},
			{Name: "vm23", Network: 0x123456, Key: 4, MAC: "fa:16:3e:00:02:0d", IPs: []string{"10.0.2.13"}, Chassis: "hv4"},
		},
	}
	return []flows.Input{small, wide}
}

// Every flow of the computed chassis, compiled to binary and installed
// through our connection, dumps back (ovs-ofctl) exactly as computed; a
// new connection reads them back as installed (our encoding is OVS's,
// byte for byte) and sends nothing.
func TestCompileExactOnOVS(t *testing.T) {
	for i, in := range inputs() {
		t.Run(in.Chassis+"-"+string(rune('a'+i)), func(t *testing.T) {
			o := startOVS(t)
			o.addChassis(in)
			r := flows.Compute(in)
			if len(r.Skipped) != 0 {
				t.Fatalf("skipped: %v", r.Skipped)
			}
			for _, br := range []flows.Bridge{flows.BrInt, flows.BrTun} {
				want := flows.Entries(r.Flows(br))
				b := o.installer(br.String())
				rep := b.sync(t, want)
				mustNoRejection(t, rep)
				if rep.Added != len(want) || rep.FlowMods != len(want) || !rep.ReadBack {
					t.Fatalf("%s: report %+v, want %d adds after a read-back", br, rep, len(want))
				}
				o.mustMatch(br.String(), want)
				if b.Installed() != len(want) {
					t.Fatalf("%s: Installed() = %d, want %d", br, b.Installed(), len(want))
				}
				b.Drop()
				b.waitPoke(t)
				rep = b.sync(t, want)
				if !rep.ReadBack || rep.FlowMods != 0 || b.Installed() != len(want) {
					t.Fatalf("%s: after a reconnect: report %+v, installed %d; want a read-back of %d flows and nothing sent",
						br, rep, b.Installed(), len(want))
				}
			}
		})
	}
}
