package nbvalid

import (
	"fmt"
	"net/netip"

	"github.com/dvr-ovn/dvr/internal/addr"
)

// Subnet is a router interface's network on a switch, and who has it
// (e.g. "router port r1-sw1").
type Subnet struct {
	Prefix netip.Prefix
	Owner  string
}

// Reserved is an address of a subnet that no VM may take, and its name.
type Reserved struct {
	Addr netip.Addr
	What string // "network", "broadcast", "subnet-router anycast"
}

// ReservedAddrs are the addresses of p's subnet that are not a host's:
// for IPv4 the network and the broadcast address; for IPv6, which has no
// broadcast, the subnet-router anycast address (all host bits zero, RFC
// 4291 §2.6.1), which every router on the link answers. Subnets with
// fewer than two host bits (IPv4 /31 and /32, RFC 3021; IPv6 /127 and
// /128, RFC 6164) have none: every address is usable. The reserved
// anycast addresses at the top of an IPv6 subnet (RFC 2526) are not
// included: they are rare, and only defined for EUI-64 subnets.
func ReservedAddrs(p netip.Prefix) []Reserved {
	if p.Addr().BitLen()-p.Bits() < 2 {
		return nil
	}
	if p.Addr().Is4() {
		return []Reserved{{p.Masked().Addr(), "network"}, {addr.LastAddr(p), "broadcast"}}
	}
	return []Reserved{{p.Masked().Addr(), "subnet-router anycast"}}
}

// reservedAs says which reserved address of p (ReservedAddrs) ip is, if
// any, without allocating: it runs for every VM port and attached subnet.
func reservedAs(p netip.Prefix, ip netip.Addr) (string, bool) {
	if p.Addr().BitLen()-p.Bits() < 2 || ip.Is4() != p.Addr().Is4() {
		return "", false
	}
	switch {
	case ip == p.Masked().Addr() && ip.Is4():
		return "network", true
	case ip == p.Masked().Addr():
		return "subnet-router anycast", true
	case ip.Is4() && ip == addr.LastAddr(p):
		return "broadcast", true
	}
	return "", false
}

// VMOnSubnets refuses a VM IP that is a reserved address (ReservedAddrs)
// of a subnet of a router attached to the VM's switch. The VM is the one
// in the wrong: the router interface keeps its subnet.
func VMOnSubnets(ips []netip.Addr, subnets []Subnet) error {
	for _, ip := range ips {
		for _, s := range subnets {
			if what, ok := reservedAs(s.Prefix, ip); ok {
				return fmt.Errorf("%s: the %s address of subnet %s of %s, not a host address", ip, what, s.Prefix.Masked(), s.Owner)
			}
		}
	}
	return nil
}

// NetworksOverVMs refuses a router network whose reserved addresses a VM
// port on the switch it attaches to already uses: vmAt says which VM port
// (by description) has an IP, if any. It is VMOnSubnets seen from the
// router's side, for when the router comes second.
func NetworksOverVMs(networks []netip.Prefix, switchName string, vmAt func(netip.Addr) (string, bool)) error {
	for _, n := range networks {
		for _, r := range ReservedAddrs(n) {
			if who, ok := vmAt(r.Addr); ok {
				return fmt.Errorf("%s: its %s address %s is used by %s on switch %s", n, r.What, r.Addr, who, switchName)
			}
		}
	}
	return nil
}
