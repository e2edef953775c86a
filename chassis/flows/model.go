package flows

import (
	"encoding/binary"
	"net"
	"net/netip"
	"sort"
	"strconv"
)

// Skip is something of the Input that Compute did not turn into flows, and
// why, for the daemon to log (once per object).
type Skip struct {
	Object string // the port, interface, network or chassis
	Value  string // the offending value
	Reason string
}

// model is the Input checked, parsed and indexed.
type model struct {
	ownMAC   string
	remotes  []*remote
	byName   map[string]*remote
	nets     []*network
	patchTun Port
	patchInt Port
	skipped  []skipRec
	// curNet is the network (tunnel key) whose input is being read, for
	// the skips (0: none).
	curNet uint32
}

// skipRec is a Skip and the network it belongs to (0: none).
type skipRec struct {
	Skip
	network uint32
}

type remote struct {
	Remote
	mac string // "" if none or unusable
	ip  uint32
}

type network struct {
	Network
	ifaces []*iface
	local  []*lport
	remote []*rport
}

type iface struct {
	Interface
	mac string
	v4  []netip.Prefix
	dp  uint32
}

type lport struct {
	LocalPort
	mac string
	v4  []netip.Addr
	gw  *iface // the interface whose subnet holds the port's IP, or nil
}

type rport struct {
	RemotePort
	mac string
	v4  []netip.Addr
	to  *remote
}

func (m *model) skip(obj, val, reason string) {
	m.skipped = append(m.skipped, skipRec{Skip{Object: obj, Value: val, Reason: reason}, m.curNet})
}

// ready: there is a usable DVR MAC and both patch ports are usable, so
// there are flows at all.
func (m *model) ready() bool {
	return m.ownMAC != "" && m.patchTun.Valid() && m.patchInt.Valid()
}

// sortedSkips are the skips by object, then value.
func (m *model) sortedSkips() []skipRec {
	sort.SliceStable(m.skipped, func(i, j int) bool {
		a, b := m.skipped[i], m.skipped[j]
		if a.Object != b.Object {
			return a.Object < b.Object
		}
		return a.Value < b.Value
	})
	return m.skipped
}

// parseMAC is a unicast Ethernet MAC in lower-case colon form, or "".
func parseMAC(s string) string {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 || hw[0]&1 != 0 {
		return ""
	}
	return hw.String()
}

// macObject is the low 40 bits of a MAC, a DVR MAC's cookie object.
func macObject(mac string) uint64 {
	o, _ := MACObject(mac)
	return o
}

func newModel(in Input) *model {
	m := &model{patchTun: in.PatchTun, patchInt: in.PatchInt, byName: map[string]*remote{}}
	if m.ownMAC = parseMAC(in.DVRMAC); m.ownMAC == "" && in.DVRMAC != "" {
		m.skip(in.Chassis, in.DVRMAC, "DVR MAC is not a unicast MAC: no DVR flows")
	}
	m.addRemotes(in.Remotes)
	byKey := m.addNetworks(in.Networks)
	m.addInterfaces(in.Interfaces, byKey)
	m.addLocalPorts(in.LocalPorts, byKey)
	m.addRemotePorts(in.RemotePorts, byKey)
	return m
}

func (m *model) addRemotes(rs []Remote) {
	seen := map[string]string{}
	for _, r := range sortedBy(rs, func(r Remote) string { return r.Name }) {
		if _, dup := m.byName[r.Name]; dup {
			m.skip(r.Name, "", "chassis listed twice")
			continue
		}
		x := &remote{Remote: r}
		if r.DVRMAC != "" {
			switch mac := parseMAC(r.DVRMAC); {
			case mac == "":
				m.skip(r.Name, r.DVRMAC, "DVR MAC is not a unicast MAC")
			case mac == m.ownMAC:
				m.skip(r.Name, r.DVRMAC, "DVR MAC is this chassis' own")
			case seen[mac] != "":
				m.skip(r.Name, r.DVRMAC, "DVR MAC is also "+seen[mac]+"'s")
			default:
				x.mac, seen[mac] = mac, r.Name
			}
		}
		if a, err := netip.ParseAddr(r.EncapIP); err == nil && a.Is4() {
			x.ip = binary.BigEndian.Uint32(a.AsSlice())
		} else if r.Tunnel.Valid() {
			m.skip(r.Name, r.EncapIP, "encap IP is not IPv4: no tunnel flows")
			x.Tunnel = Port{}
		}
		m.remotes = append(m.remotes, x)
		m.byName[r.Name] = x
	}
}

func (m *model) addNetworks(ns []Network) map[uint32]*network {
	byKey := map[uint32]*network{}
	vlans := map[uint16]string{}
	ns = append([]Network(nil), ns...)
	sort.SliceStable(ns, func(i, j int) bool { return ns[i].Key < ns[j].Key })
	defer func() { m.curNet = 0 }()
	for _, n := range ns {
		m.curNet = n.Key
		switch {
		case n.Key == 0 || n.Key > 1<<24-1:
			m.skip(n.Name, u32(n.Key), "tunnel key is not a VNI (1..16777215)")
		case n.VLAN == 0 || n.VLAN >= DeadVLAN:
			m.skip(n.Name, u32(uint32(n.VLAN)), "local VLAN is not 1..4094")
		case byKey[n.Key] != nil:
			m.skip(n.Name, u32(n.Key), "tunnel key listed twice")
		case vlans[n.VLAN] != "":
			m.skip(n.Name, u32(uint32(n.VLAN)), "local VLAN is also "+vlans[n.VLAN]+"'s")
		default:
			x := &network{Network: n}
			byKey[n.Key], vlans[n.VLAN] = x, n.Name
			m.nets = append(m.nets, x)
		}
	}
	return byKey
}

func (m *model) addInterfaces(is []Interface, byKey map[uint32]*network) {
	defer func() { m.curNet = 0 }()
	for _, i := range sortedBy(is, func(i Interface) string { return i.Name }) {
		m.curNet = i.Network
		n := byKey[i.Network]
		if n == nil {
			continue // not on a network present here
		}
		x := &iface{Interface: i, mac: parseMAC(i.MAC), dp: i.Network}
		if x.mac == "" {
			m.skip(i.Name, i.MAC, "router interface MAC is not a unicast MAC")
			continue
		}
		for _, a := range i.Addrs {
			p, err := netip.ParsePrefix(a)
			switch {
			case err != nil:
				m.skip(i.Name, a, "not an IP/prefix")
			case !p.Addr().Is4():
				m.skip(i.Name, a, "IPv6 address skipped (IPv4 only)")
			default:
				x.v4 = append(x.v4, p)
			}
		}
		n.ifaces = append(n.ifaces, x)
	}
}

func (m *model) addLocalPorts(ps []LocalPort, byKey map[uint32]*network) {
	defer func() { m.curNet = 0 }()
	for _, p := range sortedBy(ps, func(p LocalPort) string { return p.Name }) {
		m.curNet = p.Network
		n := byKey[p.Network]
		if n == nil {
			m.skip(p.Name, u32(p.Network), "network has no local VLAN")
			continue
		}
		if !p.Port.Valid() {
			m.skip(p.Name, p.Port.Name, "ofport not usable yet")
			continue
		}
		x := &lport{LocalPort: p, mac: parseMAC(p.MAC)}
		if x.mac == "" {
			m.skip(p.Name, p.MAC, "MAC is not a unicast MAC")
			continue
		}
		x.v4 = m.addrs(p.Name, p.IPs)
		x.gw = gateway(n.ifaces, x.v4)
		n.local = append(n.local, x)
	}
}

func (m *model) addRemotePorts(ps []RemotePort, byKey map[uint32]*network) {
	defer func() { m.curNet = 0 }()
	for _, p := range sortedBy(ps, func(p RemotePort) string { return p.Name }) {
		m.curNet = p.Network
		n := byKey[p.Network]
		if n == nil {
			continue // nothing here needs it
		}
		x := &rport{RemotePort: p, mac: parseMAC(p.MAC), to: m.byName[p.Chassis]}
		if x.mac == "" {
			m.skip(p.Name, p.MAC, "MAC is not a unicast MAC")
			continue
		}
		x.v4 = m.addrs(p.Name, p.IPs)
		n.remote = append(n.remote, x)
	}
}

// addrs are a VM port's IPv4 addresses; the rest is reported.
func (m *model) addrs(port string, ips []string) []netip.Addr {
	var v4 []netip.Addr
	for _, s := range ips {
		a, err := netip.ParseAddr(s)
		if err != nil {
			if p, perr := netip.ParsePrefix(s); perr == nil {
				a, err = p.Addr(), nil
			}
		}
		switch {
		case err != nil:
			m.skip(port, s, "not an IP address")
		case !a.Is4():
			m.skip(port, s, "IPv6 address skipped (IPv4 only)")
		default:
			v4 = append(v4, a)
		}
	}
	return v4
}

// gateway is the router interface whose subnet holds the port's first IP
// that any interface's subnet holds; between several, the lowest router
// port name (ifaces are sorted by name).
func gateway(ifaces []*iface, ips []netip.Addr) *iface {
	for _, ip := range ips {
		for _, i := range ifaces {
			for _, p := range i.v4 {
				if p.Masked().Contains(ip) {
					return i
				}
			}
		}
	}
	return nil
}

// hostedQRs are the network's interfaces with a usable local qr- port.
func (n *network) hostedQRs() []*iface {
	var qs []*iface
	for _, i := range n.ifaces {
		if i.Hosted && i.QR.Valid() {
			qs = append(qs, i)
		}
	}
	return qs
}

func sortedBy[T any](xs []T, key func(T) string) []T {
	out := append([]T(nil), xs...)
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

func u32(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
