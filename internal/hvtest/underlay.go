package hvtest

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// UnderlayBridge is the underlay switch's bridge (fail mode standalone:
// one NORMAL flow, MAC learning).
const UnderlayBridge = "br-ul"

// PhysBridge is each hypervisor's underlay bridge; its local port (a tap
// in the hypervisor's netns) holds the underlay IP.
const PhysBridge = "br-phy"

// Switch is the underlay: one more ovs-vswitchd and ovsdb-server, in a
// network namespace of their own, with one NORMAL bridge and one dummy
// port per attached hypervisor (type=dummy options:pstream=punix:...), as
// OVN's net_add. A point-to-point wire cannot join three hypervisors and a
// full mesh of wires loops; a learning switch does neither.
type Switch struct {
	*HV
	mu    sync.Mutex
	links []*Uplink
}

// Uplink is one hypervisor's attachment to the underlay.
type Uplink struct {
	HV         *HV
	Addr       netip.Prefix     // underlay IP on br-phy, e.g. 192.168.0.1/24
	MAC        net.HardwareAddr // br-phy's MAC (02:00 + the IPv4 address)
	SwitchPort string           // the pstream port on the underlay bridge
	Socket     string           // the unix socket joining the two
	TxPcap     string           // frames hv sent onto the wire
	RxPcap     string           // frames hv received from the wire
}

// IP is the uplink's address without the prefix length.
func (u *Uplink) IP() string { return u.Addr.Addr().String() }

// Underlay starts the underlay switch and registers its teardown.
func Underlay(tb testing.TB) *Switch {
	tb.Helper()
	sw := &Switch{HV: Start(tb, "underlay")}
	if err := sw.addBridge(); err != nil {
		tb.Fatal(err)
	}
	return sw
}

func (sw *Switch) addBridge() error {
	out, err := sw.Vsctl("add-br", UnderlayBridge, "--", "set", "Bridge", UnderlayBridge, "datapath_type=netdev")
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// Network starts an underlay and n hypervisors "hv1".."hvN" in parallel,
// and attaches hvK as 192.168.0.K/24. What does not depend on the switch
// (br-phy, its address, the route) is done while the switch comes up.
func Network(tb testing.TB, n int, opts ...Option) (*Switch, []*HV) {
	tb.Helper()
	Require(tb)
	sw, hvs, err := network(tb, n, opts...)
	if err != nil {
		tb.Fatal(err) // every hypervisor made has its cleanup registered
	}
	return sw, hvs
}

// network is Network for any runner; on error it returns what it made
// (nil entries for what it did not), for a caller that is not a test to
// close.
func network(r runner, n int, opts ...Option) (*Switch, []*HV, error) {
	names := []string{"underlay"}
	for i := 1; i <= n; i++ {
		names = append(names, fmt.Sprintf("hv%d", i))
	}
	sw := &Switch{}
	ready := make(chan struct{}) // closed once the switch's ports listen
	var swErr error
	links := make([]*Uplink, n)
	all, err := bootAll(r, names, func(i int, hv *HV, bootErr error) error {
		if i == 0 {
			defer close(ready)
			sw.HV = hv
			if swErr = bootErr; swErr != nil {
				return swErr
			}
			if swErr = sw.addBridge(); swErr != nil {
				return swErr
			}
			// All the switch's ports in one transaction.
			sw.mu.Lock()
			var args []string
			for k := 0; k < n; k++ {
				u := sw.newLink(fmt.Sprintf("hv%d", k+1))
				links[k] = u
				args = append(args, sw.portArgs(u)...)
			}
			sw.mu.Unlock()
			if out, err := sw.Vsctl(args...); err != nil {
				swErr = fmt.Errorf("%v: %s", err, out)
			}
			return swErr
		}
		if bootErr != nil {
			return bootErr
		}
		u, err := phys(hv, fmt.Sprintf("192.168.0.%d/24", i))
		if err != nil {
			return err
		}
		<-ready
		if swErr != nil {
			return fmt.Errorf("%s: underlay not ready", hv.Name)
		}
		l := links[i-1]
		u.SwitchPort, u.Socket = l.SwitchPort, l.Socket
		sw.mu.Lock()
		links[i-1] = u
		sw.links[i-1] = u
		sw.mu.Unlock()
		return wire(hv, u)
	}, opts...)
	sw.HV = all[0]
	return sw, all[1:], err
}

// Attach plugs a hypervisor into the underlay with address cidr (e.g.
// "192.168.0.1/24"; a bare address is taken as a /24), as OVN's
// net_attach: br-phy (datapath_type=netdev, hwaddr 02:00:<IPv4>), the
// address on its local port in the hypervisor's netns (the kernel's
// connected route is what ovs-vswitchd's tunnel code routes by), a dummy
// port "wire" with options:stream to a new pstream port on the switch, and
// external_ids:ovn-encap-ip. It returns once the wire is connected and
// ovs-vswitchd knows the route.
func (sw *Switch) Attach(hv *HV, cidr string) *Uplink {
	sw.tb.Helper()
	u, err := phys(hv, cidr)
	if err != nil {
		sw.tb.Fatal(err)
	}
	sw.mu.Lock()
	l := sw.newLink(hv.Name)
	u.SwitchPort, u.Socket = l.SwitchPort, l.Socket
	sw.links[len(sw.links)-1] = u
	sw.mu.Unlock()
	if out, err := sw.Vsctl(sw.portArgs(u)...); err != nil {
		sw.tb.Fatalf("%v: %s", err, out)
	}
	if err := wire(hv, u); err != nil {
		sw.tb.Fatal(err)
	}
	return u
}

// newLink reserves the next switch port (sw.mu held).
func (sw *Switch) newLink(hvName string) *Uplink {
	n := len(sw.links)
	u := &Uplink{
		SwitchPort: fmt.Sprintf("p%d", n),
		Socket:     filepath.Join(sw.Dir, fmt.Sprintf("p%d.sock", n)),
	}
	sw.links = append(sw.links, u)
	return u
}

// portArgs are the ovs-vsctl arguments adding a switch port.
func (sw *Switch) portArgs(u *Uplink) []string {
	return []string{"--", "add-port", UnderlayBridge, u.SwitchPort, "--",
		"set", "Interface", u.SwitchPort, "type=dummy", "options:pstream=punix:" + u.Socket}
}

// phys gives hv its br-phy with the address cidr and waits until
// ovs-vswitchd knows the connected route.
func phys(hv *HV, cidr string) (*Uplink, error) {
	if !strings.Contains(cidr, "/") {
		cidr += "/24"
	}
	pfx, err := netip.ParsePrefix(cidr)
	if err != nil || !pfx.Addr().Is4() {
		return nil, fmt.Errorf("attach %s: want an IPv4 address/prefix, got %q", hv.Name, cidr)
	}
	a := pfx.Addr().As4()
	u := &Uplink{
		HV: hv, Addr: pfx,
		MAC:    net.HardwareAddr{0x02, 0x00, a[0], a[1], a[2], a[3]},
		TxPcap: filepath.Join(hv.Dir, "wire-tx.pcap"),
		RxPcap: filepath.Join(hv.Dir, "wire-rx.pcap"),
	}
	if out, err := hv.Vsctl("--may-exist", "add-br", PhysBridge, "--",
		"set", "Bridge", PhysBridge, "datapath_type=netdev", fmt.Sprintf("other-config:hwaddr=%q", u.MAC.String()), "--",
		"set", "Open_vSwitch", ".", "external_ids:ovn-encap-ip="+u.IP()); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	if err := linkUp(hv.NetNS, PhysBridge, pfx.String()); err != nil {
		return nil, fmt.Errorf("%s: %w", hv.Name, err)
	}
	// ovs-vswitchd learns the connected route from its netns's kernel
	// table (netlink), asynchronously; tunnels cannot be routed before.
	net := pfx.Masked().String()
	err = waitUntil(10*time.Second, func() (bool, error) {
		out, err := hv.Appctl("ovs/route/show")
		return err == nil && strings.Contains(out, net) && strings.Contains(out, "dev "+PhysBridge), nil
	})
	if err != nil {
		out, _ := hv.Appctl("ovs/route/show")
		return nil, fmt.Errorf("%s: ovs-vswitchd never learned the route to %s:\n%s", hv.Name, net, out)
	}
	return u, nil
}

// wire plugs hv's br-phy into its switch port and waits until connected.
func wire(hv *HV, u *Uplink) error {
	if out, err := hv.Vsctl("add-port", PhysBridge, "wire", "--",
		"set", "Interface", "wire", "type=dummy", "options:stream=unix:"+u.Socket,
		"options:tx_pcap="+u.TxPcap, "options:rxq_pcap="+u.RxPcap); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	err := waitUntil(10*time.Second, func() (bool, error) {
		out, err := hv.Appctl("netdev-dummy/conn-state", "wire")
		return err == nil && strings.Contains(out, "connected"), nil
	})
	if err != nil {
		return fmt.Errorf("%s: wire to %s not connected", hv.Name, u.Socket)
	}
	hv.Uplink = u
	return nil
}

// Links are the uplinks attached so far.
func (sw *Switch) Links() []*Uplink {
	sw.mu.Lock()
	defer sw.mu.Unlock()
	return append([]*Uplink(nil), sw.links...)
}

// PopulateARP tells every attached hypervisor's tunnel code the MAC of
// every other (tnl/neigh/set, as OVN's ovn_populate_arp__), so the first
// tunnelled packet is not spent on ARP. Without it ARP works too (the
// first packet to a new neighbour is dropped while it resolves). The
// entries do not survive an ovs-vswitchd restart.
func (sw *Switch) PopulateARP() error {
	links := sw.Links()
	for _, a := range links {
		for _, b := range links {
			if a == b {
				continue
			}
			if out, err := a.HV.Appctl("tnl/neigh/set", PhysBridge, b.IP(), b.MAC.String()); err != nil {
				return fmt.Errorf("%v: %s", err, out)
			}
		}
	}
	return nil
}

// waitUntil polls cond every 10 ms until it holds, errs, or timeout passes.
func waitUntil(timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("condition not met within %v", timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
