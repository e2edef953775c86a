package flows

import (
	"fmt"
	"sort"
	"strings"
)

// topo is a whole deployment as the SB describes it; input derives what
// one chassis knows, as the daemon will (networks present where a VM is
// bound or a hosted router has an interface; a tunnel toward every chassis
// sharing a network; ofports and VLANs numbered in order).
type topo struct {
	chassis []tChassis
	nets    []Network // VLAN left 0: assigned per chassis
	ifaces  []Interface
	vms     []tVM
	hosted  map[string][]string // router → chassis
}

type tChassis struct{ name, mac, ip string }

type tVM struct {
	name    string
	net     uint32
	key     uint16
	mac     string
	ips     []string
	chassis string
}

// seed is the seed topology after 05-vms-bound (ovsdb-fixtures/northd/05-vms-bound.sb).
func seed() topo {
	return topo{
		chassis: []tChassis{
			{"hv1", "fa:16:3f:00:00:01", "192.168.0.1"},
			{"hv2", "fa:16:3f:00:00:02", "192.168.0.2"},
			{"hv3", "fa:16:3f:00:00:03", "192.168.0.3"},
		},
		nets: []Network{{Name: "sw1", Key: 2}, {Name: "sw2", Key: 3}},
		ifaces: []Interface{
			{Name: "r1-sw1", Network: 2, Key: 1, MAC: "fa:16:3e:00:ff:01", Addrs: []string{"10.0.1.1/24"}, Router: "r1"},
			{Name: "r1-sw2", Network: 3, Key: 1, MAC: "fa:16:3e:00:ff:02", Addrs: []string{"10.0.2.1/24"}, Router: "r1"},
		},
		vms: []tVM{
			{"vm11", 2, 2, "fa:16:3e:00:01:0b", []string{"10.0.1.11"}, "hv1"},
			{"vm12", 2, 3, "fa:16:3e:00:01:0c", []string{"10.0.1.12"}, "hv2"},
			{"vm21", 3, 2, "fa:16:3e:00:02:0b", []string{"10.0.2.11"}, "hv1"},
			{"vm22", 3, 3, "fa:16:3e:00:02:0c", []string{"10.0.2.12"}, "hv3"},
		},
		hosted: map[string][]string{"r1": {"hv1", "hv2", "hv3"}},
	}
}

func (t topo) isHosted(router, ch string) bool {
	for _, c := range t.hosted[router] {
		if c == ch {
			return true
		}
	}
	return false
}

// present is the set of networks a chassis serves: a bound VM, or a qr-.
func (t topo) present(ch string) map[uint32]bool {
	p := map[uint32]bool{}
	for _, v := range t.vms {
		if v.chassis == ch {
			p[v.net] = true
		}
	}
	for _, i := range t.ifaces {
		if t.isHosted(i.Router, ch) {
			p[i.Network] = true
		}
	}
	return p
}

// shares: one has a VM on N, the other a VM or a qr- on N (issue 12 item 4).
func (t topo) shares(a, b string) bool {
	vm := func(ch string, n uint32) bool {
		for _, v := range t.vms {
			if v.chassis == ch && v.net == n {
				return true
			}
		}
		return false
	}
	pa, pb := t.present(a), t.present(b)
	for n := range pa {
		if pb[n] && (vm(a, n) || vm(b, n)) {
			return true
		}
	}
	return false
}

// ofports, for the real test to build the same bridges: br-int: patch-tun
// 1, then qr- ports, then VMs; br-tun: patch-int 1, then tunnels.
func (t topo) input(ch string) Input {
	in := Input{Chassis: ch, PatchTun: Port{"patch-tun", 1}, PatchInt: Port{"patch-int", 1}}
	pres := t.present(ch)
	tun := int32(2)
	for _, c := range t.chassis {
		if c.name == ch {
			in.DVRMAC = c.mac
			continue
		}
		r := Remote{Name: c.name, DVRMAC: c.mac, EncapIP: c.ip}
		if t.shares(ch, c.name) {
			r.Tunnel = Port{tunnelName(c.ip), tun}
			tun++
		}
		in.Remotes = append(in.Remotes, r)
	}
	vl := uint16(1)
	for _, n := range t.nets {
		if pres[n.Key] {
			n.VLAN = vl
			vl++
			in.Networks = append(in.Networks, n)
		}
	}
	of := int32(2)
	for _, i := range t.ifaces {
		if !pres[i.Network] {
			continue
		}
		i.Hosted = t.isHosted(i.Router, ch)
		if i.Hosted {
			i.QR = Port{"qr-" + i.Name, of}
			of++
		}
		in.Interfaces = append(in.Interfaces, i)
	}
	for _, v := range t.vms {
		switch {
		case v.chassis == ch:
			in.LocalPorts = append(in.LocalPorts, LocalPort{Name: v.name, Network: v.net, Key: v.key,
				MAC: v.mac, IPs: v.ips, Port: Port{v.name, of}})
			of++
		case pres[v.net]:
			in.RemotePorts = append(in.RemotePorts, RemotePort{Name: v.name, Network: v.net, Key: v.key,
				MAC: v.mac, IPs: v.ips, Chassis: v.chassis})
		}
	}
	return in
}

// tunnelName is the VXLAN port's name from the remote IP (15 chars at most).
func tunnelName(ip string) string {
	var b [4]int
	fmt.Sscanf(ip, "%d.%d.%d.%d", &b[0], &b[1], &b[2], &b[3])
	return fmt.Sprintf("vxlan-%02x%02x%02x%02x", b[0], b[1], b[2], b[3])
}

// golden is the symbolic rendering of a Result, as the golden files hold it.
func golden(in Input, r Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# chassis %s: desired flows (chassis/flows, symbolic ports and VLANs)\n", in.Chassis)
	for _, br := range []Bridge{BrInt, BrTun} {
		fmt.Fprintf(&b, "\n# %s\n", br)
		b.WriteString(Render(r.Flows(br), true))
	}
	if len(r.Skipped) > 0 {
		b.WriteString("\n# skipped\n")
		for _, s := range r.Skipped {
			fmt.Fprintf(&b, "%s %q: %s\n", s.Object, s.Value, s.Reason)
		}
	}
	return b.String()
}

func chassisNames(t topo) []string {
	var ns []string
	for _, c := range t.chassis {
		ns = append(ns, c.name)
	}
	sort.Strings(ns)
	return ns
}
