package chassis

import (
	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// Local is what a round decided about this chassis before computing its
// dataplane: who it is, what it serves, and the local VLANs and tunnels.
type Local struct {
	Self     string // the chassis name
	SelfUUID string // its Chassis row
	MAC      string // its DVR MAC ("" while it has none)
	Claims   ClaimPlan
	Hosted   []Hosted
	VLANs    map[string]int // by network (NB logical switch UUID)
	Tunnels  []Tunnel
}

// Ofports reads the OpenFlow port numbers of a bridge's interfaces by
// name (0 while ovs-vswitchd has assigned none, -1 when it failed).
func Ofports(v *LocalView, bridge string) map[string]int32 {
	out := map[string]int32{}
	br, ok := v.BridgeByName(bridge)
	if !ok {
		return out
	}
	for _, pu := range br.Ports {
		for _, iu := range v.Ports[pu].Interfaces {
			if i, ok := v.Interfaces[iu]; ok && i.Ofport != nil {
				out[i.Name] = int32(*i.Ofport)
			}
		}
	}
	return out
}

// FlowInput is the flows.Input of this round: the SB view seen through
// what the round decided, and the ofports the local OVSDB shows.
func FlowInput(v *SBView, l Local, intPorts, tunPorts map[string]int32) flows.Input {
	return flowInput(v, l, intPorts, tunPorts, nil)
}

// flowInput is FlowInput with the ports of only some datapaths (by UUID;
// nil: every one), for flows.ComputeNetworks.
func flowInput(v *SBView, l Local, intPorts, tunPorts map[string]int32, only map[string]bool) flows.Input {
	in := flows.Input{Chassis: l.Self, DVRMAC: l.MAC,
		PatchTun: flows.Port{Name: PatchToTun, OfPort: intPorts[PatchToTun]},
		PatchInt: flows.Port{Name: PatchToInt, OfPort: tunPorts[PatchToInt]}}
	tunnelOf := map[string]string{} // chassis name → tunnel port
	for _, t := range l.Tunnels {
		for _, c := range t.Chassis {
			tunnelOf[c] = t.Name
		}
	}
	for _, c := range v.Chassis {
		if c.Name == l.Self {
			continue
		}
		r := flows.Remote{Name: c.Name, DVRMAC: v.MACs[c.Name]}
		if ip, ok := ChassisIP(v, c); ok {
			r.EncapIP = ip.String()
		}
		if t := tunnelOf[c.Name]; t != "" {
			r.Tunnel = flows.Port{Name: t, OfPort: tunPorts[t]}
		}
		in.Remotes = append(in.Remotes, r)
	}
	present := map[string]uint32{} // datapath UUID → VNI, for networks with a local VLAN
	for _, dp := range v.Datapaths {
		n := dp.ExternalIDs[sbkeys.KeyLogicalSwitch]
		vlan, ok := l.VLANs[n]
		if n == "" || !ok {
			continue
		}
		present[dp.UUID] = uint32(dp.TunnelKey)
		in.Networks = append(in.Networks, flows.Network{Name: dp.ExternalIDs[sbkeys.KeyName], Key: uint32(dp.TunnelKey), VLAN: uint16(vlan)})
	}
	hosted := map[string]bool{}
	for _, h := range l.Hosted {
		hosted[h.Router] = true
	}
	served := map[string]Served{}
	for _, s := range l.Claims.Served {
		served[s.Binding] = s
	}
	v.ensureIndex()
	for dp, key := range present {
		if only != nil && !only[dp] {
			continue
		}
		for u := range v.portsByDP[dp] {
			flowPort(&in, v, l, v.Ports[u], key, served, hosted, intPorts)
		}
	}
	return in
}

// flowInputFor is the flow input of an incremental round: the global
// parts as the last full round had them (remotes, patch ports), and the
// networks and ports of the given datapaths only, from the view's
// indexes (O(their ports), not O(networks)).
func (c *Chassis) flowInputFor(v *SBView, l Local, last *lastRound, servedBy map[string]Served, intPorts map[string]int32, present map[string]uint32, dps map[string]bool) flows.Input {
	in := flows.Input{Chassis: l.Self, DVRMAC: l.MAC, Remotes: last.remotes,
		PatchTun: flows.Port{Name: PatchToTun, OfPort: intPorts[PatchToTun]},
		PatchInt: flows.Port{Name: PatchToInt, OfPort: last.tunPorts[PatchToInt]}}
	hosted := make(map[string]bool, len(l.Hosted))
	for _, h := range l.Hosted {
		hosted[h.Router] = true
	}
	v.ensureIndex()
	served := map[string]Served{}
	for dp := range dps {
		for u := range v.portsByDP[dp] {
			if s, ok := servedBy[u]; ok {
				served[u] = s
			}
		}
	}
	for _, dp := range sortedKeys(dps) {
		key, ok := present[dp]
		if !ok {
			continue
		}
		d := v.Datapaths[dp]
		n := d.ExternalIDs[sbkeys.KeyLogicalSwitch]
		in.Networks = append(in.Networks, flows.Network{Name: d.ExternalIDs[sbkeys.KeyName], Key: key, VLAN: uint16(l.VLANs[n])})
		for u := range v.portsByDP[dp] {
			flowPort(&in, v, l, v.Ports[u], key, served, hosted, intPorts)
		}
	}
	return in
}

// flowPort adds one Port_Binding of a present network to in.
func flowPort(in *flows.Input, v *SBView, l Local, pb sbdb.PortBinding, key uint32, served map[string]Served, hosted map[string]bool, intPorts map[string]int32) {
	mac, rest := SplitMAC(pb.MAC)
	switch pb.Type {
	case sbkeys.TypeRouterInterface:
		i := flows.Interface{Name: pb.LogicalPort, Network: key, Key: uint16(pb.TunnelKey), MAC: mac, Addrs: rest,
			Router: pb.Options[sbkeys.OptRouter], Hosted: hosted[pb.ExternalIDs[sbkeys.KeyLogicalRouter]]}
		if i.Hosted {
			outer := router.OuterName(router.DevName(pb.ExternalIDs[sbkeys.KeyLogicalRouterPort]))
			i.QR = flows.Port{Name: outer, OfPort: intPorts[outer]}
		}
		in.Interfaces = append(in.Interfaces, i)
	case "":
		if s, ok := served[pb.UUID]; ok {
			in.LocalPorts = append(in.LocalPorts, flows.LocalPort{Name: pb.LogicalPort, Network: key, Key: uint16(pb.TunnelKey),
				MAC: mac, IPs: rest, Port: flows.Port{Name: s.Name, OfPort: int32(s.Ofport)}})
			return
		}
		if c := boundChassis(v, pb, l.Self, l.SelfUUID, l.Claims.Bound); c != "" && c != l.Self {
			in.RemotePorts = append(in.RemotePorts, flows.RemotePort{Name: pb.LogicalPort, Network: key,
				Key: uint16(pb.TunnelKey), MAC: mac, IPs: rest, Chassis: c})
		}
	}
}

// RouterInput is the router.Input of this round: every hosted router with
// its interfaces (on networks with a local VLAN) and every bound VM port
// on the networks it is attached to, wherever it is bound.
func RouterInput(v *SBView, l Local, underlayMTU int) router.Input {
	return routerInput(v, l, underlayMTU, nil)
}

// routerInput is RouterInput for only some hosted routers (by NB UUID;
// nil: every one). A router's VM ports are listed by Port_Binding UUID.
func routerInput(v *SBView, l Local, underlayMTU int, only map[string]bool) router.Input {
	in := router.Input{UnderlayMTU: underlayMTU}
	vms := map[string][]router.VMPort{} // datapath → bound VM ports
	vmsOn := func(dp string) []router.VMPort {
		if ps, ok := vms[dp]; ok {
			return ps
		}
		ps := []router.VMPort{}
		for _, u := range v.PortsOn(dp) {
			pb := v.Ports[u]
			if pb.Type != "" || boundChassis(v, pb, l.Self, l.SelfUUID, l.Claims.Bound) == "" {
				continue
			}
			mac, ips := SplitMAC(pb.MAC)
			ps = append(ps, router.VMPort{Name: pb.LogicalPort, MAC: mac, IPs: ips})
		}
		vms[dp] = ps
		return ps
	}
	for _, h := range l.Hosted {
		if only != nil && !only[h.Router] {
			continue
		}
		r := router.Router{UUID: h.Router}
		for _, pb := range h.Interfaces {
			vlan, ok := l.VLANs[Network(v, pb.Datapath)]
			if !ok {
				continue
			}
			mac, addrs := SplitMAC(pb.MAC)
			r.Interfaces = append(r.Interfaces, router.Interface{LRP: pb.ExternalIDs[sbkeys.KeyLogicalRouterPort],
				MAC: mac, Addrs: addrs, VLAN: vlan})
			r.Ports = append(r.Ports, vmsOn(pb.Datapath)...)
		}
		in.Routers = append(in.Routers, r)
	}
	return in
}
