package router

import (
	"errors"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// reconcileAddrs adds the missing IPv4 addresses of d and deletes the others.
func reconcileAddrs(h *netlink.Handle, l netlink.Link, d Device, ns string, res *Result) error {
	cur, err := h.AddrList(l, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	want := map[netip.Prefix]bool{}
	for _, p := range d.Addrs {
		want[p] = true
	}
	have := map[netip.Prefix]bool{}
	var errs []error
	for _, a := range cur {
		p, ok := toPrefix(a.IPNet)
		if ok && want[p] {
			have[p] = true
			continue
		}
		if err := h.AddrDel(l, &a); err != nil {
			errs = append(errs, err)
			continue
		}
		res.add("%s: %s addr del %s", ns, d.Name, a.IPNet)
	}
	for _, p := range d.Addrs {
		if have[p] {
			continue
		}
		ipn := &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), 32)}
		if err := h.AddrAdd(l, &netlink.Addr{IPNet: ipn}); err != nil {
			errs = append(errs, err)
			continue
		}
		res.add("%s: %s addr add %s", ns, d.Name, p)
	}
	return errors.Join(errs...)
}

// reconcileNeighbours makes the permanent IPv4 neighbour entries on d's
// device exactly d.Neighbours: missing or changed MACs are replaced,
// permanent entries for other IPs deleted. Dynamic entries are the
// kernel's and are left alone.
func reconcileNeighbours(h *netlink.Handle, l netlink.Link, d Device, ns string, res *Result) error {
	idx := l.Attrs().Index
	cur, err := h.NeighList(idx, netlink.FAMILY_V4)
	if err != nil {
		return err
	}
	want := map[netip.Addr]string{}
	for _, n := range d.Neighbours {
		want[n.IP] = n.MAC
	}
	ok := map[netip.Addr]bool{}
	var errs []error
	for _, n := range cur {
		if n.State&unix.NUD_PERMANENT == 0 {
			continue
		}
		ip, valid := netip.AddrFromSlice(n.IP)
		ip = ip.Unmap()
		if valid && want[ip] != "" && want[ip] == n.HardwareAddr.String() {
			ok[ip] = true
			continue
		}
		if valid && want[ip] != "" {
			continue // a changed MAC: replaced below
		}
		if err := h.NeighDel(&n); err != nil {
			errs = append(errs, err)
			continue
		}
		res.add("%s: %s neigh del %s", ns, d.Name, n.IP)
	}
	for _, n := range d.Neighbours {
		if ok[n.IP] {
			continue
		}
		mac, _ := net.ParseMAC(n.MAC)
		e := &netlink.Neigh{LinkIndex: idx, Family: netlink.FAMILY_V4, State: unix.NUD_PERMANENT,
			IP: net.IP(n.IP.AsSlice()), HardwareAddr: mac}
		if err := h.NeighSet(e); err != nil {
			errs = append(errs, err)
			continue
		}
		res.add("%s: %s neigh replace %s lladdr %s", ns, d.Name, n.IP, n.MAC)
	}
	return errors.Join(errs...)
}

func toPrefix(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	bits, _ := n.Mask.Size()
	return netip.PrefixFrom(ip.Unmap(), bits), true
}
