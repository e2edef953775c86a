package chassis

import (
	"sort"
	"strings"

	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// Hosted is one router this chassis hosts (a DVR_Router_Binding names
// it), with its interfaces.
type Hosted struct {
	Router     string // NB Logical_Router UUID (qrouter-<Router>)
	Name       string // NB router name, for logs
	Interfaces []sbdb.PortBinding
}

// HostedRouters lists the routers with a DVR_Router_Binding for chassis
// self, sorted by UUID, each with its distributed-router-interface
// Port_Bindings (on switch datapaths only), sorted by logical_port.
func HostedRouters(v *SBView, self string) []Hosted {
	byDP := map[string]*Hosted{}
	byRouter := map[string]*Hosted{}
	for _, rb := range v.RouterBindings {
		if rb.ChassisName != self {
			continue
		}
		dp, ok := v.Datapaths[rb.Datapath]
		if !ok || dp.ExternalIDs[sbkeys.KeyLogicalRouter] == "" || byDP[dp.UUID] != nil {
			continue
		}
		h := &Hosted{Router: dp.ExternalIDs[sbkeys.KeyLogicalRouter], Name: dp.ExternalIDs[sbkeys.KeyName]}
		byDP[dp.UUID], byRouter[h.Router] = h, h
	}
	for _, pb := range v.Ports {
		if pb.Type != sbkeys.TypeRouterInterface {
			continue
		}
		h := byRouter[pb.ExternalIDs[sbkeys.KeyLogicalRouter]]
		if h == nil || pb.ExternalIDs[sbkeys.KeyLogicalRouterPort] == "" {
			continue
		}
		if dp, ok := v.Datapaths[pb.Datapath]; !ok || dp.ExternalIDs[sbkeys.KeyLogicalSwitch] == "" {
			continue
		}
		h.Interfaces = append(h.Interfaces, pb)
	}
	out := make([]Hosted, 0, len(byDP))
	for _, h := range byDP {
		sort.Slice(h.Interfaces, func(i, j int) bool { return h.Interfaces[i].LogicalPort < h.Interfaces[j].LogicalPort })
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Router < out[j].Router })
	return out
}

// Network is the identity of a switch datapath as the chassis keys local
// VLANs: the NB logical switch UUID ("" for a router datapath).
func Network(v *SBView, datapath string) string {
	return v.Datapaths[datapath].ExternalIDs[sbkeys.KeyLogicalSwitch]
}

// NeededNetworks are the networks that need a local VLAN here: those of
// the served VM ports and those of the hosted routers' interfaces (their
// qr- ports), sorted, each once.
func NeededNetworks(v *SBView, claims ClaimPlan, hosted []Hosted) []string {
	seen := map[string]bool{}
	for _, s := range claims.Served {
		seen[s.Network] = true
	}
	for _, h := range hosted {
		for _, pb := range h.Interfaces {
			seen[Network(v, pb.Datapath)] = true
		}
	}
	delete(seen, "")
	return sortedKeys(seen)
}

// SplitMAC splits a Port_Binding mac column in OVN's encoding ("MAC IP
// [IP...]" for a VM port, "MAC IP/prefix [...]" for an interface) into
// the MAC and the rest; a VM port with several elements contributes the
// IPs of every element carrying the first MAC.
func SplitMAC(mac []string) (string, []string) {
	var first string
	var rest []string
	for _, m := range mac {
		words := strings.Fields(m)
		if len(words) == 0 {
			continue
		}
		if first == "" {
			first = words[0]
		}
		if words[0] == first {
			rest = append(rest, words[1:]...)
		}
	}
	return first, rest
}

// boundChassis is the chassis name a VM Port_Binding is bound to ("" when
// unbound or bound to a chassis that is gone); for this chassis the
// round's own claim plan decides.
func boundChassis(v *SBView, pb sbdb.PortBinding, self, selfUUID string, bound map[string]bool) string {
	if bound[pb.UUID] {
		return self
	}
	if pb.Chassis == nil || *pb.Chassis == selfUUID {
		return ""
	}
	if c, ok := v.Chassis[*pb.Chassis]; ok {
		return c.Name
	}
	return ""
}

// UnknownMACs are the DVR_MAC_Bindings naming no Chassis row (a bad row:
// northd deletes a binding with its chassis), sorted by chassis name.
func UnknownMACs(v *SBView) []string {
	known := map[string]bool{}
	for _, c := range v.Chassis {
		known[c.Name] = true
	}
	var out []string
	for _, n := range sortedKeys(v.MACs) {
		if !known[n] {
			out = append(out, n)
		}
	}
	return out
}
