package flows

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
)

// Cookie is the OpenFlow cookie of every flow dvr-chassis writes:
//
//	bits 63..48  0xd7c0, "ours" (CookieOwner under CookieOwnerMask)
//	bits 47..40  the Category: which kind of SB row the flow comes from
//	bits 39..0   the object: which row (see Category for its encoding)
//
// so an operator, the sweep and a later explain tool can map any flow back
// to its SB row, and flows of other owners (another agent on the same
// bridge) are never touched.
type Cookie uint64

// The owner part of a Cookie.
const (
	CookieOwner     Cookie = 0xd7c0 << 48
	CookieOwnerMask Cookie = 0xffff << 48
	categoryShift          = 40
	objectMask      Cookie = 1<<categoryShift - 1
)

// Category says what a flow belongs to, and how its object is encoded.
type Category uint8

// The categories.
const (
	// CatBase: the fixed pipeline (defaults, canary, NORMAL); object 0.
	CatBase Category = 1
	// CatOwnMAC: flows that exist because this chassis has a DVR MAC
	// (DVR_MAC_Binding of this chassis); object: the MAC's low 40 bits.
	CatOwnMAC Category = 2
	// CatRemoteMAC: another chassis' DVR MAC (its DVR_MAC_Binding);
	// object: the MAC's low 40 bits.
	CatRemoteMAC Category = 3
	// CatTunnel: the tunnel port toward another chassis (its Encap);
	// object: the remote IPv4 address.
	CatTunnel Category = 4
	// CatNetwork: a network present here (Datapath_Binding of a switch);
	// object: its tunnel key, the VNI.
	CatNetwork Category = 5
	// CatRouterPort: a router interface (distributed-router-interface
	// Port_Binding); object: PortObject(datapath key, port key).
	CatRouterPort Category = 6
	// CatLocalPort: a VM port bound here (Port_Binding, chassis = this);
	// object: PortObject.
	CatLocalPort Category = 7
	// CatRemotePort: a VM port bound elsewhere (l2pop); object: PortObject.
	CatRemotePort Category = 8
	// CatLearned: flows written by the learn action of LEARN_FROM_TUN.
	// They are OVS's, not desired state: never diffed, swept or compared.
	CatLearned Category = 9
)

func (c Category) String() string {
	switch c {
	case CatBase:
		return "base"
	case CatOwnMAC:
		return "own-dvr-mac"
	case CatRemoteMAC:
		return "remote-dvr-mac"
	case CatTunnel:
		return "tunnel"
	case CatNetwork:
		return "network"
	case CatRouterPort:
		return "router-port"
	case CatLocalPort:
		return "local-port"
	case CatRemotePort:
		return "remote-port"
	case CatLearned:
		return "learned"
	}
	return fmt.Sprintf("category(%d)", uint8(c))
}

// NewCookie is our cookie for a category and object (the object is cut to
// 40 bits).
func NewCookie(c Category, object uint64) Cookie {
	return CookieOwner | Cookie(c)<<categoryShift | Cookie(object)&objectMask
}

// PortObject is the object of a port's flows: the datapath's tunnel key
// (24 bits) and the port's tunnel key within it (16 bits), which together
// name one Port_Binding.
func PortObject(datapath uint32, port uint16) uint64 {
	return uint64(datapath&0xffffff)<<16 | uint64(port)
}

// PortKeys splits a port object (PortObject) back into the datapath's
// and the port's tunnel keys.
func PortKeys(object uint64) (datapath uint32, port uint16) {
	return uint32(object>>16) & 0xffffff, uint16(object)
}

// MACObject is the object of a DVR MAC's flows: the MAC's low 40 bits
// (false if mac is not a MAC).
func MACObject(mac string) (uint64, bool) {
	hw, err := net.ParseMAC(mac)
	if err != nil || len(hw) != 6 {
		return 0, false
	}
	var b [8]byte
	copy(b[2:], hw)
	return binary.BigEndian.Uint64(b[:]) & uint64(objectMask), true
}

// IPv4Object is the object of a tunnel's flows: the remote IPv4 address.
func IPv4Object(ip netip.Addr) uint64 {
	b := ip.As4()
	return uint64(binary.BigEndian.Uint32(b[:]))
}

// IPv4 is the address a tunnel object (IPv4Object) stands for.
func IPv4(object uint64) netip.Addr {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(object))
	return netip.AddrFrom4(b)
}

// Ours reports whether the cookie is dvr-chassis'.
func (c Cookie) Ours() bool { return c&CookieOwnerMask == CookieOwner }

// Category is the cookie's category (meaningful only if Ours).
func (c Cookie) Category() Category { return Category(c >> categoryShift) }

// Object is the cookie's object.
func (c Cookie) Object() uint64 { return uint64(c & objectMask) }

// Learned reports whether the flow was written by our learn action.
func (c Cookie) Learned() bool { return c.Ours() && c.Category() == CatLearned }

func (c Cookie) String() string { return fmt.Sprintf("%#x", uint64(c)) }

// Describe is the cookie's category and object in words, e.g.
// "router-port(datapath=2,port=1)", for logs, golden files and an explain
// tool; "foreign" for a cookie that is not ours.
func (c Cookie) Describe() string {
	if !c.Ours() {
		return "foreign"
	}
	o := c.Object()
	switch cat := c.Category(); cat {
	case CatOwnMAC, CatRemoteMAC:
		return fmt.Sprintf("%s(xx:%02x:%02x:%02x:%02x:%02x)", cat, byte(o>>32), byte(o>>24), byte(o>>16), byte(o>>8), byte(o))
	case CatTunnel:
		return fmt.Sprintf("%s(%s)", cat, IPv4(o))
	case CatNetwork:
		return fmt.Sprintf("%s(vni=%d)", cat, o)
	case CatRouterPort, CatLocalPort, CatRemotePort:
		dp, port := PortKeys(o)
		return fmt.Sprintf("%s(datapath=%d,port=%d)", cat, dp, port)
	default:
		return cat.String()
	}
}

// Scope is the part of a bridge's flows one network owns, so that a change
// on one network can be diffed and installed alone: the network's VNI for
// the flows of CatNetwork, CatRouterPort, CatLocalPort and CatRemotePort
// (whose objects carry the datapath's tunnel key), ScopeGlobal for every
// other flow (the fixed pipeline, DVR MACs, tunnels) and for cookies that
// are not ours.
type Scope uint32

// ScopeGlobal is the scope of the flows that belong to no network.
const ScopeGlobal Scope = 0

// Scope is the cookie's scope.
func (c Cookie) Scope() Scope {
	if !c.Ours() {
		return ScopeGlobal
	}
	switch c.Category() {
	case CatNetwork:
		return Scope(c.Object() & 0xffffff)
	case CatRouterPort, CatLocalPort, CatRemotePort:
		dp, _ := PortKeys(c.Object())
		return Scope(dp)
	}
	return ScopeGlobal
}

// ByScope splits entries by their cookie's scope.
func ByScope(es []Entry) map[Scope][]Entry {
	out := map[Scope][]Entry{}
	for _, e := range es {
		s := e.Cookie.Scope()
		out[s] = append(out[s], e)
	}
	return out
}
