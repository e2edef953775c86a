package chassis

import (
	"sort"

	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// LocalIface is a VM interface on br-int: an Interface whose
// external_ids:iface-id names a logical port.
type LocalIface struct {
	Port, Iface string // UUIDs of its Port and Interface rows
	Name        string
	IfaceID     string
	// Ofport is the OpenFlow port number; 0 while ovs-vswitchd has not
	// assigned one, -1 when it failed.
	Ofport int
}

// LocalIfaces lists the VM interfaces on bridge, sorted by name.
func LocalIfaces(v *LocalView, bridge string) []LocalIface {
	br, ok := v.BridgeByName(bridge)
	if !ok {
		return nil
	}
	var out []LocalIface
	for _, pu := range br.Ports {
		p, ok := v.Ports[pu]
		if !ok {
			continue
		}
		for _, iu := range p.Interfaces {
			i, ok := v.Interfaces[iu]
			if !ok || i.ExternalIDs["iface-id"] == "" {
				continue
			}
			li := LocalIface{Port: pu, Iface: iu, Name: i.Name, IfaceID: i.ExternalIDs["iface-id"]}
			if i.Ofport != nil {
				li.Ofport = *i.Ofport
			}
			out = append(out, li)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}

// Why a VM interface is not served.
const (
	NoPortBinding   = "no Port_Binding has this iface-id as logical_port"
	NotAVMPort      = "its Port_Binding is not a VM port"
	BoundElsewhere  = "its Port_Binding is bound to another live chassis"
	OfportInvalid   = "ovs-vswitchd could not add the interface (ofport -1)"
	OfportPending   = "ovs-vswitchd has not assigned an ofport yet"
	WaitingForMAC   = "this chassis has no DVR MAC yet"
	DuplicateIface  = "another interface on the bridge has the same iface-id"
	NoSwitchNetwork = "its datapath is not a logical switch"
	ClaimedByGone   = "its port is still claimed by a chassis that is gone (dvr-northd removes that claim)"
)

// Served is a VM interface this chassis serves: its Port_Binding is (or
// this round makes it) bound here.
type Served struct {
	LocalIface
	Binding  string // Port_Binding UUID
	Network  string // NB logical switch UUID (the datapath's identity)
	Datapath string
}

// ClaimPlan is what DecideClaims decided.
type ClaimPlan struct {
	Claim   []string // Port_Binding UUIDs to bind here
	Release []string // Port_Binding UUIDs bound here with no interface left
	Served  []Served
	// Unserved says, by interface name, why an interface is not served.
	Unserved map[string]string
	// Holder names, by interface, the live chassis that holds its port.
	Holder map[string]string
	// Pending: some interface cannot be decided yet (no ofport): the
	// round must not report nb_cfg.
	Pending bool
	// Bound is every Port_Binding bound here once the plan is applied.
	Bound map[string]bool
	// Drop are logical ports this chassis holds claims on that no local
	// interface names and whose Port_Binding is not in the view (deleted
	// while bound here): their claims are deleted.
	Drop []string
}

// DecideClaims decides which Port_Bindings this chassis (Chassis row
// self) claims and releases. An interface claims the VM Port_Binding whose
// logical_port is its iface-id when that binding is unbound or its chassis
// is gone; one bound to another live chassis is left alone (a VM moving:
// it is claimed once released). A binding bound here whose interface is
// gone is released. With active false (no DVR MAC yet) nothing new is
// claimed: the chassis never serves half-DVR.
func DecideClaims(v *SBView, self string, ifaces []LocalIface, active bool) ClaimPlan {
	p := ClaimPlan{Unserved: map[string]string{}, Holder: map[string]string{}, Bound: map[string]bool{}}
	// One interface per iface-id: the one with the highest valid ofport
	// (a re-plug under a new name before the old one is gone).
	chosen := map[string]LocalIface{}
	for _, li := range ifaces {
		if c, ok := chosen[li.IfaceID]; !ok || li.Ofport > c.Ofport {
			chosen[li.IfaceID] = li
		}
	}
	for _, li := range ifaces {
		if chosen[li.IfaceID].Iface != li.Iface {
			p.Unserved[li.Name] = DuplicateIface
			continue
		}
		pb, ok := v.PortNamed(li.IfaceID)
		switch {
		case !ok:
			p.Unserved[li.Name] = NoPortBinding
			continue
		case pb.Type != "":
			p.Unserved[li.Name] = NotAVMPort
			continue
		case li.Ofport == 0:
			p.Unserved[li.Name] = OfportPending
			p.Pending = true
			if pb.Chassis != nil && *pb.Chassis == self {
				p.Bound[pb.UUID] = true // a re-plug: keep the claim until the new ofport comes
			}
			continue
		case li.Ofport < 0:
			p.Unserved[li.Name] = OfportInvalid
			continue
		}
		dp, ok := v.Datapaths[pb.Datapath]
		if !ok || dp.ExternalIDs[sbkeys.KeyLogicalSwitch] == "" {
			p.Unserved[li.Name] = NoSwitchNetwork
			continue
		}
		if who := v.StaleClaim(pb.LogicalPort); who != "" {
			p.Unserved[li.Name] = ClaimedByGone
			p.Holder[li.Name] = who
			continue
		}
		holder := ""
		if pb.Chassis != nil {
			if c, live := v.Chassis[*pb.Chassis]; live {
				holder = c.UUID
				if holder != self {
					p.Unserved[li.Name] = BoundElsewhere
					p.Holder[li.Name] = c.Name
					continue
				}
			}
		}
		if holder != self {
			if !active {
				p.Unserved[li.Name] = WaitingForMAC
				continue
			}
			p.Claim = append(p.Claim, pb.UUID)
		}
		p.Bound[pb.UUID] = true
		p.Served = append(p.Served, Served{LocalIface: li, Binding: pb.UUID,
			Network: dp.ExternalIDs[sbkeys.KeyLogicalSwitch], Datapath: dp.UUID})
	}
	for _, u := range v.PortsBoundTo(self) {
		pb := v.Ports[u]
		if pb.Chassis != nil && *pb.Chassis == self && !p.Bound[u] {
			p.Release = append(p.Release, u)
		}
	}
	for _, lp := range v.OwnClaimed() {
		if _, local := chosen[lp]; !local {
			if _, ok := v.PortNamed(lp); !ok {
				p.Drop = append(p.Drop, lp)
			}
		}
	}
	sort.Strings(p.Claim)
	return p
}
