package fixtures

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
)

// Topology is an NB scenario: distributed routers with their subnets and VM
// ports, and the chassis the VM ports are placed on.
type Topology struct {
	Routers []Router
	// Chassis are the chassis names (OVS system-ids), in order.
	Chassis []string
}

// Router is one Logical_Router and the subnets attached to it.
type Router struct {
	Name    string
	Subnets []Subnet
}

// Subnet is one Logical_Switch attached to its router: the router interface
// (a Logical_Router_Port named LRP with MAC and Network) and, on the switch,
// the router-type Logical_Switch_Port named RouterLSP.
type Subnet struct {
	Switch    string
	LRP       string
	RouterLSP string
	// MAC is the router interface (gateway) MAC.
	MAC string
	// Network is the gateway address with the subnet's prefix length, as in
	// Logical_Router_Port.networks ("10.0.1.1/24").
	Network netip.Prefix
	Ports   []Port
}

// Port is one VM Logical_Switch_Port.
type Port struct {
	Name string
	MAC  string
	IP   netip.Addr
	// Chassis is where the VM runs ("" when unplaced).
	Chassis string
}

// CIDR is the subnet ("10.0.1.0/24").
func (s Subnet) CIDR() netip.Prefix { return s.Network.Masked() }

// Gateway is the router interface address ("10.0.1.1").
func (s Subnet) Gateway() netip.Addr { return s.Network.Addr() }

// Addresses is the port's Logical_Switch_Port.addresses entry ("MAC IP").
func (p Port) Addresses() string { return p.MAC + " " + p.IP.String() }

// Placement maps each chassis to the VM ports placed on it, in topology
// order. Every chassis of the topology has an entry, possibly empty.
type Placement map[string][]string

// Placement returns where every VM port runs.
func (t Topology) Placement() Placement {
	p := make(Placement, len(t.Chassis))
	for _, c := range t.Chassis {
		p[c] = []string{}
	}
	t.EachPort(func(_ Router, _ Subnet, port Port) {
		if port.Chassis != "" {
			p[port.Chassis] = append(p[port.Chassis], port.Name)
		}
	})
	return p
}

// ChassisOf returns the chassis port is placed on, or "".
func (p Placement) ChassisOf(port string) string {
	for c, ports := range p {
		for _, q := range ports {
			if q == port {
				return c
			}
		}
	}
	return ""
}

// EachPort calls fn for every VM port, in order.
func (t Topology) EachPort(fn func(Router, Subnet, Port)) {
	for _, r := range t.Routers {
		for _, s := range r.Subnets {
			for _, p := range s.Ports {
				fn(r, s, p)
			}
		}
	}
}

// Counts returns the number of routers, subnets and VM ports.
func (t Topology) Counts() (routers, subnets, ports int) {
	for _, r := range t.Routers {
		routers++
		for _, s := range r.Subnets {
			subnets++
			ports += len(s.Ports)
		}
	}
	return
}

// Validate checks what the NB and dvr-nbctl would refuse and what the
// scenario promises: unique names per table, valid MACs, every IP inside its
// subnet and distinct from its gateway, no duplicate IP or MAC anywhere, no
// overlapping subnets, and every port placed on a known chassis (or none).
func (t Topology) Validate() error {
	names := map[string]string{} // "table/name" → owner, for a clear error
	claim := func(table, name, what string) error {
		if name == "" {
			return fmt.Errorf("%s: empty name", what)
		}
		k := table + "/" + name
		if prev, ok := names[k]; ok {
			return fmt.Errorf("duplicate %s name %q (%s and %s)", table, name, prev, what)
		}
		names[k] = what
		return nil
	}
	macs := map[string]string{}
	ips := map[netip.Addr]string{}
	useMAC := func(mac, what string) error {
		hw, err := net.ParseMAC(mac)
		if err != nil || len(hw) != 6 {
			return fmt.Errorf("%s: invalid MAC %q", what, mac)
		}
		if hw[0]&1 == 1 {
			return fmt.Errorf("%s: multicast MAC %q", what, mac)
		}
		k := hw.String()
		if prev, ok := macs[k]; ok {
			return fmt.Errorf("duplicate MAC %s (%s and %s)", mac, prev, what)
		}
		macs[k] = what
		return nil
	}
	useIP := func(ip netip.Addr, what string) error {
		if prev, ok := ips[ip]; ok {
			return fmt.Errorf("duplicate IP %s (%s and %s)", ip, prev, what)
		}
		ips[ip] = what
		return nil
	}
	chassis := map[string]bool{}
	for _, c := range t.Chassis {
		if err := claim("Chassis", c, "chassis "+c); err != nil {
			return err
		}
		chassis[c] = true
	}
	var cidrs []cidrOwner
	for _, r := range t.Routers {
		if err := claim("Logical_Router", r.Name, "router "+r.Name); err != nil {
			return err
		}
		for _, s := range r.Subnets {
			what := fmt.Sprintf("subnet %s of router %s", s.Switch, r.Name)
			if err := claim("Logical_Switch", s.Switch, what); err != nil {
				return err
			}
			if err := claim("Logical_Router_Port", s.LRP, what); err != nil {
				return err
			}
			if err := claim("Logical_Switch_Port", s.RouterLSP, what); err != nil {
				return err
			}
			if !s.Network.IsValid() || !isHost(s.CIDR(), s.Gateway()) {
				return fmt.Errorf("%s: network %s is not a gateway address with a prefix length", what, s.Network)
			}
			cidrs = append(cidrs, cidrOwner{s.CIDR(), what})
			if err := useMAC(s.MAC, "LRP "+s.LRP); err != nil {
				return err
			}
			if err := useIP(s.Gateway(), "LRP "+s.LRP); err != nil {
				return err
			}
			for _, p := range s.Ports {
				pw := "port " + p.Name
				if err := claim("Logical_Switch_Port", p.Name, pw); err != nil {
					return err
				}
				if err := useMAC(p.MAC, pw); err != nil {
					return err
				}
				if !isHost(s.CIDR(), p.IP) {
					return fmt.Errorf("%s: IP %s is not a host address in %s", pw, p.IP, s.CIDR())
				}
				if err := useIP(p.IP, pw); err != nil {
					return err
				}
				if p.Chassis != "" && !chassis[p.Chassis] {
					return fmt.Errorf("%s: placed on unknown chassis %q", pw, p.Chassis)
				}
			}
		}
	}
	// Two prefixes overlap only if one holds the other; sorted by address
	// then length, a prefix that holds others is followed by one of them.
	sort.Slice(cidrs, func(i, j int) bool {
		a, b := cidrs[i].p, cidrs[j].p
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c < 0
		}
		return a.Bits() < b.Bits()
	})
	for i := 1; i < len(cidrs); i++ {
		if cidrs[i-1].p.Overlaps(cidrs[i].p) {
			return fmt.Errorf("%s: %s overlaps %s (%s)", cidrs[i].what, cidrs[i].p, cidrs[i-1].p, cidrs[i-1].what)
		}
	}
	return nil
}

type cidrOwner struct {
	p    netip.Prefix
	what string
}

// isHost tells whether ip is a host address of cidr: inside it, neither its
// network address nor (IPv4, prefix shorter than /31) its broadcast address.
func isHost(cidr netip.Prefix, ip netip.Addr) bool {
	if !cidr.Contains(ip) {
		return false
	}
	if cidr.Bits() >= ip.BitLen()-1 {
		return true
	}
	if ip == cidr.Addr() {
		return false
	}
	if ip.Is4() {
		b := ip.As4()
		host := uint32(1)<<(32-cidr.Bits()) - 1
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		return v&host != host
	}
	return true
}
