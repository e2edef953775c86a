package router

import (
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

const netUp = net.FlagUp

// reconcileDevices makes the qr- devices of ns what it says and removes
// our qr- devices it does not name. Unmarked devices are never touched.
func (a *Applier) reconcileDevices(root, h *netlink.Handle, nsh netns.NsHandle, ns Namespace, res *Result) error {
	mark := Mark(a.SystemID)
	links, err := h.LinkList()
	if err != nil {
		return err
	}
	have := map[string]netlink.Link{}
	for _, l := range links {
		have[l.Attrs().Name] = l
	}
	var errs []error
	want := map[string]bool{}
	for _, d := range ns.Devices {
		want[d.Name] = true
		if err := a.ensureDevice(root, h, nsh, ns, d, have[d.Name], res); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Name, err))
		}
	}
	for _, l := range links {
		n := l.Attrs().Name
		if want[n] || l.Attrs().Alias != mark || !strings.HasPrefix(n, DevPrefix) {
			continue
		}
		if err := a.removeDevice(h, ns.Name, l, res); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeDevice takes a qr- device out of OVS, then deletes it (and with it
// the veth's outer end and its neighbour entries).
func (a *Applier) removeDevice(h *netlink.Handle, ns string, l netlink.Link, res *Result) error {
	name := l.Attrs().Name
	p := Port{Router: strings.TrimPrefix(ns, NSPrefix), Device: name, Outer: OuterName(name)}
	if err := a.Plumber.Unplug(p); err != nil {
		return fmt.Errorf("%s: unplug: %w", name, err)
	}
	if err := h.LinkDel(l); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	res.add("%s: %s deleted", ns, name)
	a.Log.WithField("namespace", ns).WithField("port", name).Info("qr- device deleted")
	return nil
}

func (a *Applier) ensureDevice(root, h *netlink.Handle, nsh netns.NsHandle, ns Namespace, d Device, l netlink.Link, res *Result) error {
	mark := Mark(a.SystemID)
	mac, _ := net.ParseMAC(d.MAC) // Desired checked it
	if l != nil && l.Attrs().Alias != mark {
		return fmt.Errorf("a device of that name is not ours (alias %q): left alone", l.Attrs().Alias)
	}
	outer, oerr := root.LinkByName(d.Outer)
	if l != nil && oerr != nil {
		// The pair lost its outer end (cannot happen with a veth; a
		// foreign tampering): start again.
		if err := h.LinkDel(l); err != nil {
			return err
		}
		l = nil
	}
	created := false
	if l == nil {
		if oerr == nil {
			// A stale outer end under our name, peer elsewhere: only ours goes.
			if outer.Attrs().Alias != mark {
				return fmt.Errorf("%s exists and is not ours", d.Outer)
			}
			if err := a.Plumber.Unplug(Port{Router: ns.Router, Device: d.Name, Outer: d.Outer}); err != nil {
				return err
			}
			if err := root.LinkDel(outer); err != nil {
				return err
			}
		}
		v := &netlink.Veth{
			LinkAttrs:        netlink.LinkAttrs{Name: d.Outer, MTU: d.MTU},
			PeerName:         d.Name,
			PeerHardwareAddr: mac,
			PeerNamespace:    netlink.NsFd(int(nsh)),
		}
		if err := root.LinkAdd(v); err != nil {
			return fmt.Errorf("veth %s/%s: %w", d.Outer, d.Name, err)
		}
		created = true
		res.add("%s: %s created (veth, outer %s)", ns.Name, d.Name, d.Outer)
		var err error
		if l, err = h.LinkByName(d.Name); err != nil {
			return err
		}
		if outer, err = root.LinkByName(d.Outer); err != nil {
			return err
		}
	}
	if err := configureLink(root, outer, mark, d.MTU, nil); err != nil {
		return fmt.Errorf("%s: %w", d.Outer, err)
	}
	if err := configureLinkLogged(h, l, mark, d.MTU, mac, ns.Name, res); err != nil {
		return err
	}
	if err := a.Plumber.Plug(Port{Router: ns.Router, Device: d.Name, Outer: d.Outer, VLAN: d.VLAN, Replug: created}); err != nil {
		return fmt.Errorf("plug: %w", err)
	}
	if err := reconcileAddrs(h, l, d, ns.Name, res); err != nil {
		return err
	}
	return reconcileNeighbours(h, l, d, ns.Name, res)
}

// configureLinkLogged is configureLink that records each change.
func configureLinkLogged(h *netlink.Handle, l netlink.Link, mark string, mtu int, mac net.HardwareAddr, ns string, res *Result) error {
	at := l.Attrs()
	name := at.Name
	if at.Alias != mark {
		res.add("%s: %s alias", ns, name)
	}
	if mac != nil && at.HardwareAddr.String() != mac.String() {
		res.add("%s: %s mac %s", ns, name, mac)
	}
	if at.MTU != mtu {
		res.add("%s: %s mtu %d", ns, name, mtu)
	}
	if at.Flags&netUp == 0 {
		res.add("%s: %s up", ns, name)
	}
	return configureLink(h, l, mark, mtu, mac)
}

// configureLink sets alias, MAC (with the link down), MTU and up, each
// only when it differs.
func configureLink(h *netlink.Handle, l netlink.Link, mark string, mtu int, mac net.HardwareAddr) error {
	at := l.Attrs()
	if at.Alias != mark {
		if err := h.LinkSetAlias(l, mark); err != nil {
			return err
		}
	}
	up := at.Flags&netUp != 0
	if mac != nil && at.HardwareAddr.String() != mac.String() {
		if up {
			if err := h.LinkSetDown(l); err != nil {
				return err
			}
			up = false
		}
		if err := h.LinkSetHardwareAddr(l, mac); err != nil {
			return err
		}
	}
	if at.MTU != mtu {
		if err := h.LinkSetMTU(l, mtu); err != nil {
			return err
		}
	}
	if !up {
		return h.LinkSetUp(l)
	}
	return nil
}
