package chassis

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// Tunnel is one VXLAN port on br-tun toward a remote chassis.
type Tunnel struct {
	Name     string // TunnelName(RemoteIP)
	RemoteIP string
	Chassis  []string // remote chassis names behind that IP
}

// TunnelName names the VXLAN port toward ip: "vx-" and the IPv4 address in
// hex (11 characters; interface names hold at most 15).
func TunnelName(ip netip.Addr) string {
	b := ip.As4()
	return fmt.Sprintf("vx-%02x%02x%02x%02x", b[0], b[1], b[2], b[3])
}

// ChassisIP is a chassis' vxlan Encap IP when it is a unicast IPv4 address.
func ChassisIP(v *SBView, c sbdb.Chassis) (netip.Addr, bool) {
	for _, eu := range c.Encaps {
		e, ok := v.Encaps[eu]
		if !ok || e.Type != sbdb.EncapTypeVxlan {
			continue
		}
		a, err := netip.ParseAddr(e.IP)
		if err == nil && a.Is4() && !a.IsUnspecified() && !a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

// DesiredTunnels is the set of VXLAN ports this chassis (named self) needs:
// one per remote chassis IP it shares a network with. Two chassis share
// network N when one has a bound VM port on N and the other a bound VM port
// or a hosted router (DVR_Router_Binding) with an interface on N. bound
// overrides, for our own chassis, which Port_Bindings are bound here (what
// this round's claims make of the SB). Remote chassis without a usable
// vxlan IPv4 Encap, or with our own IP, get no tunnel.
func DesiredTunnels(v *SBView, self string, selfUUID string, bound map[string]bool) []Tunnel {
	vm := map[string]map[string]bool{}     // chassis name → switch datapaths with a bound VM port
	router := map[string]map[string]bool{} // chassis name → switch datapaths of hosted routers' interfaces
	add := func(m map[string]map[string]bool, c, dp string) {
		if m[c] == nil {
			m[c] = map[string]bool{}
		}
		m[c][dp] = true
	}
	routerDP := map[string]string{} // NB router UUID → router datapath UUID
	for _, dp := range v.Datapaths {
		if r := dp.ExternalIDs[sbkeys.KeyLogicalRouter]; r != "" {
			routerDP[r] = dp.UUID
		}
	}
	ifacesOf := map[string][]string{} // router datapath → switch datapaths of its interfaces
	for _, pb := range v.Ports {
		switch pb.Type {
		case "":
			switch {
			case bound != nil && bound[pb.UUID]:
				add(vm, self, pb.Datapath)
			case pb.Chassis == nil:
			case *pb.Chassis == selfUUID:
				if bound == nil {
					add(vm, self, pb.Datapath)
				}
			default:
				if c, ok := v.Chassis[*pb.Chassis]; ok {
					add(vm, c.Name, pb.Datapath)
				}
			}
		case sbkeys.TypeRouterInterface:
			if rdp, ok := routerDP[pb.ExternalIDs[sbkeys.KeyLogicalRouter]]; ok {
				ifacesOf[rdp] = append(ifacesOf[rdp], pb.Datapath)
			}
		}
	}
	for _, rb := range v.RouterBindings {
		for _, sw := range ifacesOf[rb.Datapath] {
			add(router, rb.ChassisName, sw)
		}
	}
	shares := func(a, b string) bool {
		for n := range vm[a] {
			if vm[b][n] || router[b][n] {
				return true
			}
		}
		for n := range vm[b] {
			if vm[a][n] || router[a][n] {
				return true
			}
		}
		return false
	}
	var ownIP netip.Addr
	if c, ok := v.ChassisByName(self); ok {
		ownIP, _ = ChassisIP(v, c)
	}
	byIP := map[netip.Addr]*Tunnel{}
	for _, c := range v.Chassis {
		if c.Name == self || !shares(self, c.Name) {
			continue
		}
		ip, ok := ChassisIP(v, c)
		if !ok || ip == ownIP {
			continue
		}
		t := byIP[ip]
		if t == nil {
			t = &Tunnel{Name: TunnelName(ip), RemoteIP: ip.String()}
			byIP[ip] = t
		}
		t.Chassis = append(t.Chassis, c.Name)
	}
	out := make([]Tunnel, 0, len(byIP))
	for _, t := range byIP {
		sort.Strings(t.Chassis)
		out = append(out, *t)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name < out[b].Name })
	return out
}
