package nbvalid

import (
	"fmt"
	"net/netip"

	"github.com/dvr-ovn/dvr/internal/addr"
)

// Router is a valid router port's mac and networks.
type Router struct {
	MAC      string         // lower-cased
	Networks []netip.Prefix // in the row's order; no two overlap
}

// RouterPort checks a Logical_Router_Port's mac, networks and peer: a
// unicast MAC; at least one network, each a host address with a prefix
// length (addr.ParseNetwork), none on a special range (Network), no two
// overlapping; a peer, when set, not empty (ovn-nbctl refuses "peer=":
// OVSDB spells "no peer" as an absent value, never as "").
func RouterPort(mac string, networks []string, peer *string) (Router, error) {
	var r Router
	m, err := addr.ParseMAC(mac)
	if err != nil {
		return Router{}, fieldErr("mac", mac, err)
	}
	r.MAC = m
	if len(networks) == 0 {
		return Router{}, fieldErr("networks", "", fmt.Errorf("at least one NETWORK is required"))
	}
	for _, s := range networks {
		n, err := Network(s)
		if err != nil {
			return Router{}, fieldErr("networks", s, err)
		}
		for _, o := range r.Networks {
			if addr.Overlaps(o, n) {
				return Router{}, fieldErr("networks", s, fmt.Errorf("%s: network overlaps %s on the same port", n, o))
			}
		}
		r.Networks = append(r.Networks, n)
	}
	if peer != nil && *peer == "" {
		return Router{}, fieldErr("peer", "", fmt.Errorf(`peer=: empty peer (leave peer unset for none)`))
	}
	return r, nil
}

// Network parses one router network: addr.ParseNetwork, and the subnet
// must not overlap a range no router interface can serve: 0.0.0.0/8
// ("this network", RFC 1122), 127.0.0.0/8 (loopback), 224.0.0.0/4
// (multicast), 255.255.255.255 (the limited broadcast); for IPv6 ::
// (unspecified), ::1 (loopback), ff00::/8 (multicast).
func Network(s string) (netip.Prefix, error) {
	n, err := addr.ParseNetwork(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	for _, sp := range specialRanges {
		if sp.p.Addr().Is4() == n.Addr().Is4() && n.Masked().Overlaps(sp.p) {
			return netip.Prefix{}, fmt.Errorf("%s: invalid network: it overlaps %s (%s)", s, sp.p, sp.what)
		}
	}
	return n, nil
}

var thisNetwork = netip.MustParsePrefix("0.0.0.0/8")

// specialRanges are the ranges a router network must not overlap.
var specialRanges = []struct {
	p    netip.Prefix
	what string
}{
	{thisNetwork, "this network, 0.0.0.0"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the limited broadcast"},
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}
