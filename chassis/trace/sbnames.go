package trace

import (
	"net/netip"
	"strings"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// SBRows are the SB rows the names come from.
type SBRows struct {
	Datapaths []sbdb.DatapathBinding
	Ports     []sbdb.PortBinding
	MACs      []sbdb.DVRMACBinding
	Chassis   []sbdb.Chassis
	Encaps    []sbdb.Encap
}

// SBNames is a Resolver over a snapshot of SB rows.
type SBNames struct {
	dps     map[uint32]Datapath
	dpByRow map[string]uint32 // Datapath_Binding UUID → tunnel_key
	ports   map[[2]uint32]Binding
	byName  map[string]Binding
	byDev   map[string]Binding
	byMAC   map[string]Binding // router interfaces
	macs    map[uint64]MACBinding
	ips     map[netip.Addr]string
}

// NewSBNames indexes the rows.
func NewSBNames(r SBRows) *SBNames {
	n := &SBNames{dps: map[uint32]Datapath{}, dpByRow: map[string]uint32{}, ports: map[[2]uint32]Binding{},
		byName: map[string]Binding{}, byDev: map[string]Binding{}, byMAC: map[string]Binding{}, macs: map[uint64]MACBinding{}, ips: map[netip.Addr]string{}}
	for _, d := range r.Datapaths {
		k := uint32(d.TunnelKey)
		n.dps[k] = Datapath{Key: k, Name: d.ExternalIDs[sbkeys.KeyName], Router: d.ExternalIDs[sbkeys.KeyLogicalRouter] != ""}
		n.dpByRow[d.UUID] = k
	}
	chassis := map[string]string{}
	for _, c := range r.Chassis {
		chassis[c.UUID] = c.Name
	}
	for _, p := range r.Ports {
		b := Binding{LogicalPort: p.LogicalPort, Type: p.Type, Key: uint16(p.TunnelKey), Router: p.Options[sbkeys.OptRouter]}
		if dk, ok := n.dpByRow[p.Datapath]; ok {
			b.Datapath = n.dps[dk]
		}
		if len(p.MAC) > 0 {
			b.MAC, _, _ = strings.Cut(p.MAC[0], " ")
		}
		if p.Chassis != nil {
			b.Chassis = chassis[*p.Chassis]
		}
		n.ports[[2]uint32{b.Datapath.Key, uint32(b.Key)}] = b
		n.byName[b.LogicalPort] = b
		if p.Type == sbkeys.TypeRouterInterface {
			n.byMAC[strings.ToLower(b.MAC)] = b
		}
		if lrp := p.ExternalIDs[sbkeys.KeyLogicalRouterPort]; p.Type == sbkeys.TypeRouterInterface && lrp != "" {
			dev := router.DevName(lrp)
			n.byDev[dev], n.byDev[router.OuterName(dev)] = b, b
		}
	}
	for _, m := range r.MACs {
		if o, ok := flows.MACObject(m.MAC); ok {
			n.macs[o] = MACBinding{Chassis: m.ChassisName, MAC: m.MAC}
		}
	}
	for _, e := range r.Encaps {
		if ip, err := netip.ParseAddr(e.IP); err == nil {
			n.ips[ip] = e.ChassisName
		}
	}
	return n
}

func (n *SBNames) Datapath(key uint32) (Datapath, bool) { d, ok := n.dps[key]; return d, ok }

func (n *SBNames) Port(dp uint32, key uint16) (Binding, bool) {
	b, ok := n.ports[[2]uint32{dp, uint32(key)}]
	return b, ok
}

func (n *SBNames) PortByName(lp string) (Binding, bool) { b, ok := n.byName[lp]; return b, ok }

func (n *SBNames) RouterPortByDevice(dev string) (Binding, bool) { b, ok := n.byDev[dev]; return b, ok }

func (n *SBNames) RouterPortByMAC(mac string) (Binding, bool) {
	b, ok := n.byMAC[strings.ToLower(mac)]
	return b, ok
}

func (n *SBNames) DVRMAC(o uint64) (MACBinding, bool) { m, ok := n.macs[o]; return m, ok }

func (n *SBNames) ChassisByIP(ip netip.Addr) (string, bool) { c, ok := n.ips[ip]; return c, ok }
