package addr

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ParseMAC accepts a unicast Ethernet address in the colon form OVN uses
// ("fa:16:3e:00:01:0b") and returns it lower-cased.
func ParseMAC(s string) (string, error) {
	if len(s) != 17 {
		return "", fmt.Errorf("%s: invalid MAC address", s)
	}
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 || strings.Count(s, ":") != 5 {
		return "", fmt.Errorf("%s: invalid MAC address", s)
	}
	if hw[0]&1 == 1 {
		return "", fmt.Errorf("%s: MAC address is multicast (or broadcast), a port needs a unicast MAC", s)
	}
	if hw.String() == "00:00:00:00:00:00" {
		return "", fmt.Errorf("%s: MAC address is all zeros", s)
	}
	return hw.String(), nil
}

// ParseIP accepts an IPv4 or IPv6 host address (no prefix length, no zone).
func ParseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("%s: invalid IP address", s)
	}
	if a.Is4In6() {
		return netip.Addr{}, fmt.Errorf("%s: IPv4-mapped IPv6 addresses are not accepted, write the IPv4 address", s)
	}
	if a.IsUnspecified() || a.IsMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
		return netip.Addr{}, fmt.Errorf("%s: not a unicast host address", s)
	}
	return a, nil
}

// PortAddress is one parsed element of Logical_Switch_Port.addresses.
type PortAddress struct {
	Keyword string // "router" or "unknown"; empty for MAC [IP...]
	MAC     string
	IPs     []netip.Addr
}

// ParsePortAddress parses one addresses element: "MAC [IP...]", "router" or
// "unknown". "dynamic" forms are refused: there is no IPAM.
func ParsePortAddress(s string) (PortAddress, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return PortAddress{}, fmt.Errorf("%q: empty address", s)
	}
	for _, f := range fields {
		if f == "dynamic" {
			return PortAddress{}, fmt.Errorf("%s: dynamic addresses are not supported (dvr-nbctl has no IPAM); give \"MAC IP...\"", s)
		}
	}
	if len(fields) == 1 && (fields[0] == "router" || fields[0] == "unknown") {
		return PortAddress{Keyword: fields[0]}, nil
	}
	mac, err := ParseMAC(fields[0])
	if err != nil {
		if _, ipErr := netip.ParseAddr(fields[0]); ipErr == nil {
			return PortAddress{}, fmt.Errorf("%s: invalid address format: the MAC must come before the IP addresses, in one argument", s)
		}
		return PortAddress{}, err
	}
	pa := PortAddress{MAC: mac}
	seen := map[netip.Addr]bool{}
	for _, f := range fields[1:] {
		if strings.Contains(f, "/") {
			return PortAddress{}, fmt.Errorf("%s: a port address takes no prefix length", f)
		}
		ip, err := ParseIP(f)
		if err != nil {
			return PortAddress{}, err
		}
		if seen[ip] {
			return PortAddress{}, fmt.Errorf("%s: IP address listed twice in %q", f, s)
		}
		seen[ip] = true
		pa.IPs = append(pa.IPs, ip)
	}
	return pa, nil
}

// String renders the address the way it is stored.
func (pa PortAddress) String() string {
	if pa.Keyword != "" {
		return pa.Keyword
	}
	parts := []string{pa.MAC}
	for _, ip := range pa.IPs {
		parts = append(parts, ip.String())
	}
	return strings.Join(parts, " ")
}

// ParseNetwork parses a router network "IP/PREFIX": the prefix length is
// required and not 0, and the address is a host of the subnet, not its
// network or (IPv4) broadcast address.
func ParseNetwork(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		return netip.Prefix{}, fmt.Errorf("%s: invalid network: a prefix length is required (e.g. 10.0.1.1/24)", s)
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s: invalid network address", s)
	}
	a := p.Addr()
	if a.Zone() != "" || a.Is4In6() {
		return netip.Prefix{}, fmt.Errorf("%s: invalid network address", s)
	}
	if p.Bits() == 0 {
		return netip.Prefix{}, fmt.Errorf("%s: invalid network: prefix length 0", s)
	}
	if a.IsMulticast() || a.IsUnspecified() {
		return netip.Prefix{}, fmt.Errorf("%s: invalid network: not a unicast address", s)
	}
	hostBits := a.BitLen() - p.Bits()
	if hostBits >= 2 {
		if a == p.Masked().Addr() {
			return netip.Prefix{}, fmt.Errorf("%s: invalid network: %s is the subnet's network address, not a host", s, a)
		}
		if a.Is4() && a == LastAddr(p) {
			return netip.Prefix{}, fmt.Errorf("%s: invalid network: %s is the subnet's broadcast address", s, a)
		}
	}
	return p, nil
}

// LastAddr is the highest address of p's subnet.
func LastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// Overlaps reports whether two networks share any address.
func Overlaps(a, b netip.Prefix) bool {
	return a.Masked().Overlaps(b.Masked())
}
