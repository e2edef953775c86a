package router

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
)

// Input is what the chassis knows about the routers it hosts.
type Input struct {
	// UnderlayMTU is the MTU of the tunnel underlay; qr- devices get 50 less.
	UnderlayMTU int
	Routers     []Router
}

// Router is one router hosted here (a DVR_Router_Binding for this chassis).
type Router struct {
	UUID       string // NB Logical_Router UUID
	Interfaces []Interface
	// Ports are the VM ports bound on the networks the router is attached
	// to; each IP gets a neighbour entry on the interface whose subnet holds it.
	Ports []VMPort
}

// Interface is one distributed-router-interface Port_Binding.
type Interface struct {
	LRP   string   // NB Logical_Router_Port UUID
	MAC   string   // gateway MAC
	Addrs []string // "ip/prefix", IPv4 and IPv6
	VLAN  int      // the network's local VLAN on br-int
}

// VMPort is a bound VM port.
type VMPort struct {
	Name string // logical port, for logs
	MAC  string
	IPs  []string
}

// State is what should exist: the namespaces, sorted by name.
type State struct {
	Namespaces []Namespace
}

// Namespace is one qrouter namespace.
type Namespace struct {
	Name    string
	Router  string
	Sysctls []Sysctl // in the order they must be written
	Devices []Device // sorted by name
}

// Sysctl is one /proc/sys/net setting (Key relative to /proc/sys).
type Sysctl struct{ Key, Value string }

// Device is one qr- device.
type Device struct {
	Name       string
	Outer      string // the br-int end of its veth
	LRP        string
	MAC        string // canonical lower-case
	MTU        int
	VLAN       int
	Addrs      []netip.Prefix // IPv4 only, sorted
	Neighbours []Neighbour    // sorted by IP
}

// Neighbour is one permanent ARP entry.
type Neighbour struct {
	IP  netip.Addr
	MAC string
}

// Skipped is an input item the desired state leaves out, for one log line.
type Skipped struct {
	Router, Port, Item, Reason string
}

// Sysctls are Neutron's namespace settings; IPv6 goes off first, before
// any device enters (no RS/NS/MLD chatter from a fresh qr-).
func Sysctls() []Sysctl {
	return []Sysctl{
		{"net/ipv6/conf/all/disable_ipv6", "1"},
		{"net/ipv6/conf/default/disable_ipv6", "1"},
		{"net/ipv4/ip_forward", "1"},
		{"net/ipv4/conf/all/arp_ignore", "1"},
		{"net/ipv4/conf/all/arp_announce", "2"},
	}
}

// Desired computes the state for in. It is pure and deterministic.
func Desired(in Input) (State, []Skipped) {
	var st State
	var skipped []Skipped
	mtu := in.UnderlayMTU - MTUOverhead
	for _, r := range in.Routers {
		ns := Namespace{Name: NSName(r.UUID), Router: r.UUID, Sysctls: Sysctls()}
		for _, itf := range r.Interfaces {
			if mtu < 68 { // the IPv4 minimum; an unset underlay MTU lands here
				skipped = append(skipped, Skipped{r.UUID, itf.LRP, fmt.Sprint(in.UnderlayMTU), "underlay MTU too small"})
				continue
			}
			mac, err := net.ParseMAC(itf.MAC)
			if err != nil || len(mac) != 6 {
				skipped = append(skipped, Skipped{r.UUID, itf.LRP, itf.MAC, "bad gateway MAC"})
				continue
			}
			d := Device{Name: DevName(itf.LRP), LRP: itf.LRP, MAC: mac.String(), MTU: mtu, VLAN: itf.VLAN}
			d.Outer = OuterName(d.Name)
			for _, a := range itf.Addrs {
				p, err := netip.ParsePrefix(a)
				switch {
				case err != nil:
					skipped = append(skipped, Skipped{r.UUID, itf.LRP, a, "bad address"})
				case !p.Addr().Is4():
					skipped = append(skipped, Skipped{r.UUID, itf.LRP, a, "IPv6 not supported"})
				default:
					d.Addrs = append(d.Addrs, p)
				}
			}
			sort.Slice(d.Addrs, func(i, j int) bool { return lessPrefix(d.Addrs[i], d.Addrs[j]) })
			d.Addrs = uniqPrefixes(d.Addrs)
			ns.Devices = append(ns.Devices, d)
		}
		sort.Slice(ns.Devices, func(i, j int) bool { return ns.Devices[i].Name < ns.Devices[j].Name })
		skipped = append(skipped, placeNeighbours(r, ns.Devices)...)
		st.Namespaces = append(st.Namespaces, ns)
	}
	sort.Slice(st.Namespaces, func(i, j int) bool { return st.Namespaces[i].Name < st.Namespaces[j].Name })
	return st, skipped
}

// placeNeighbours puts every VM IPv4 address on the device whose subnet
// holds it (the longest prefix; ties go to the first device by name).
func placeNeighbours(r Router, devs []Device) []Skipped {
	var skipped []Skipped
	seen := map[netip.Addr]int{} // ip -> device index
	for _, p := range r.Ports {
		mac, err := net.ParseMAC(p.MAC)
		if err != nil || len(mac) != 6 {
			skipped = append(skipped, Skipped{r.UUID, p.Name, p.MAC, "bad port MAC"})
			continue
		}
		for _, s := range p.IPs {
			ip, err := netip.ParseAddr(s)
			if err != nil {
				// Port_Binding.mac may carry "ip/prefix" in places; accept it.
				pfx, perr := netip.ParsePrefix(s)
				if perr != nil {
					skipped = append(skipped, Skipped{r.UUID, p.Name, s, "bad IP"})
					continue
				}
				ip = pfx.Addr()
			}
			if !ip.Is4() {
				skipped = append(skipped, Skipped{r.UUID, p.Name, s, "IPv6 not supported"})
				continue
			}
			best, bits := -1, -1
			for i, d := range devs {
				for _, a := range d.Addrs {
					if a.Masked().Contains(ip) && a.Bits() > bits {
						if a.Addr() == ip {
							continue // the gateway's own address
						}
						best, bits = i, a.Bits()
					}
				}
			}
			if best < 0 {
				skipped = append(skipped, Skipped{r.UUID, p.Name, s, "on no attached subnet"})
				continue
			}
			if _, dup := seen[ip]; dup {
				skipped = append(skipped, Skipped{r.UUID, p.Name, s, "IP of another port"})
				continue
			}
			seen[ip] = best
			devs[best].Neighbours = append(devs[best].Neighbours, Neighbour{IP: ip, MAC: mac.String()})
		}
	}
	for i := range devs {
		n := devs[i].Neighbours
		sort.Slice(n, func(a, b int) bool { return n[a].IP.Less(n[b].IP) })
	}
	return skipped
}

func lessPrefix(a, b netip.Prefix) bool {
	if a.Addr() != b.Addr() {
		return a.Addr().Less(b.Addr())
	}
	return a.Bits() < b.Bits()
}

func uniqPrefixes(ps []netip.Prefix) []netip.Prefix {
	out := ps[:0]
	for i, p := range ps {
		if i == 0 || p != ps[i-1] {
			out = append(out, p)
		}
	}
	return out
}
