package translate

import (
	"fmt"
	"net/netip"
	"sort"
)

// ChassisRow is an SB Chassis row with its encapsulations, as the
// translation checks it.
type ChassisRow struct {
	UUID   string
	Name   string
	Encaps []Encap
}

// Encap is one of a chassis' tunnel endpoints.
type Encap struct {
	Type string
	IP   string
}

// EncapVXLAN is the one encapsulation DVR tunnels over.
const EncapVXLAN = "vxlan"

// CheckChassis returns the names of the chassis that can take part in DVR
// (sorted) and a Problem for each that cannot: a chassis without a name,
// without a vxlan Encap, or whose vxlan Encap's ip is not an IP address
// could be tunnelled to by no other chassis. Such a chassis is not
// registered for the translation: it gets no DVR MAC and hosts no router,
// and its claims count for nothing, until its row is fixed.
func CheckChassis(rows []ChassisRow) ([]string, []Problem) {
	var names []string
	var ps []Problem
	for _, c := range rows {
		if err := chassisProblem(c); err != "" {
			name := c.Name
			if name == "" {
				name = "(uuid " + c.UUID + ")"
			}
			ps = append(ps, Problem{Table: "Chassis", Name: name, Reason: err})
			continue
		}
		names = append(names, c.Name)
	}
	sort.Strings(names)
	return names, ps
}

func chassisProblem(c ChassisRow) string {
	if c.Name == "" {
		return "empty name: no DVR MAC, no router hosting"
	}
	var vxlan []Encap
	for _, e := range c.Encaps {
		if e.Type == EncapVXLAN {
			vxlan = append(vxlan, e)
		}
	}
	if len(vxlan) == 0 {
		return "no vxlan Encap: no DVR MAC, no router hosting"
	}
	for _, e := range vxlan {
		ip, err := netip.ParseAddr(e.IP)
		if err != nil || ip.IsUnspecified() || ip.IsMulticast() || ip.Zone() != "" {
			return fmt.Sprintf("vxlan Encap ip %q is not a unicast IP address: no DVR MAC, no router hosting", e.IP)
		}
	}
	return ""
}
