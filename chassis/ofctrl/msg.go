package ofctrl

import (
	"encoding/binary"

	of "github.com/contiv/libOpenflow/openflow13"
)

// OpenFlow 1.3 wire constants this package uses.
const (
	version13 = 4

	typeHello        = 0
	typeError        = 1
	typeEchoRequest  = 2
	typeEchoReply    = 3
	typeExperimenter = 4
	typeFlowMod      = 14
	typeMultipartReq = 18
	typeMultipartRep = 19
	typeBarrierReq   = 20
	typeBarrierRep   = 21

	flowModAdd          = 0
	flowModDeleteStrict = 4

	multipartFlow = 1
	multipartMore = 1

	anyPort  = 0xffffffff // OFPP_ANY
	anyGroup = 0xffffffff // OFPG_ANY
	allTable = 0xff       // OFPTT_ALL

	headerLen         = 8
	flowModFixed      = 48 // ofp_flow_mod up to its match
	bundleAddOverhead = 24 // experimenter header, bundle id, flags
	maxMessage        = 0xffff
)

// header writes an OpenFlow 1.3 header at b[0:8].
func header(b []byte, typ uint8, length int, xid uint32) {
	b[0], b[1] = version13, typ
	binary.BigEndian.PutUint16(b[2:], uint16(length))
	binary.BigEndian.PutUint32(b[4:], xid)
}

// hello offers OpenFlow 1.3 only: version 4 in the header and a version
// bitmap with bit 4 alone (libOpenflow's Hello offers 1.0 too, and OVS
// would then pick 1.0 on a bridge limited to it).
func hello(xid uint32) []byte {
	b := make([]byte, 16)
	header(b, typeHello, 16, xid)
	binary.BigEndian.PutUint16(b[8:], 1) // OFPHET_VERSIONBITMAP
	binary.BigEndian.PutUint16(b[10:], 8)
	binary.BigEndian.PutUint32(b[12:], 1<<version13)
	return b
}

// simple is a message with no body (echo request, barrier request).
func simple(typ uint8, xid uint32) []byte {
	b := make([]byte, headerLen)
	header(b, typ, headerLen, xid)
	return b
}

// matchLen is the padded length of an ofp_match holding these TLVs.
func matchLen(tlvs []byte) int { return (4 + len(tlvs) + 7) / 8 * 8 }

// appendMatch appends an OXM ofp_match, padded to 8 bytes.
func appendMatch(b, tlvs []byte) []byte {
	var h [4]byte
	binary.BigEndian.PutUint16(h[0:], of.MatchType_OXM)
	binary.BigEndian.PutUint16(h[2:], uint16(4+len(tlvs)))
	b = append(b, h[:]...)
	b = append(b, tlvs...)
	for n := matchLen(tlvs) - 4 - len(tlvs); n > 0; n-- {
		b = append(b, 0)
	}
	return b
}

func flowModLen(c compiled) int { return flowModFixed + matchLen(c.match) + len(c.instr) }

// flowMod is an ofp_flow_mod, written here rather than with
// libOpenflow's FlowMod, whose MarshalBinary puts OutPort into out_group
// as well. Deletes carry no instructions and out_port = out_group = ANY.
type flowMod struct {
	command    uint8
	table      uint8
	priority   uint16
	cookie     uint64
	cookieMask uint64
	c          compiled
}

func (f flowMod) len() int {
	if f.command == flowModDeleteStrict {
		return flowModFixed + matchLen(f.c.match)
	}
	return flowModLen(f.c)
}

// appendTo appends the flow-mod with that xid.
func (f flowMod) appendTo(b []byte, xid uint32) []byte {
	start := len(b)
	b = append(b, make([]byte, flowModFixed)...)
	h := b[start:]
	header(h, typeFlowMod, f.len(), xid)
	binary.BigEndian.PutUint64(h[8:], f.cookie)
	binary.BigEndian.PutUint64(h[16:], f.cookieMask)
	h[24], h[25] = f.table, f.command
	// idle and hard timeout 0
	binary.BigEndian.PutUint16(h[30:], f.priority)
	binary.BigEndian.PutUint32(h[32:], 0xffffffff) // buffer_id: none
	binary.BigEndian.PutUint32(h[36:], anyPort)
	binary.BigEndian.PutUint32(h[40:], anyGroup)
	// flags 0, pad
	b = appendMatch(b, f.c.match)
	if f.command != flowModDeleteStrict {
		b = append(b, f.c.instr...)
	}
	return b
}

// rawMessage is already-encoded bytes as a libOpenflow message, for
// libOpenflow's BundleAdd.
type rawMessage []byte

func (r rawMessage) Len() uint16                    { return uint16(len(r)) }
func (r rawMessage) MarshalBinary() ([]byte, error) { return r, nil }
func (r rawMessage) UnmarshalBinary([]byte) error   { return nil }

// bundleControl is an ONF bundle control message (OpenFlow 1.3 extension).
func bundleControl(xid, id uint32, typ uint16) ([]byte, error) {
	m := of.NewBundleControl(&of.BundleControl{BundleID: id, Type: typ, Flags: of.OFPBCT_ATOMIC | of.OFPBCT_ORDERED})
	m.Header.Xid = xid
	return m.MarshalBinary()
}

// bundleAdd wraps an encoded message (whose xid must be xid: OVS requires
// the inner xid to equal the outer one).
func bundleAdd(xid, id uint32, inner []byte) ([]byte, error) {
	m := of.NewBundleAdd(&of.BundleAdd{BundleID: id, Flags: of.OFPBCT_ATOMIC | of.OFPBCT_ORDERED, Message: rawMessage(inner)})
	m.Header.Xid = xid
	return m.MarshalBinary()
}

// flowStatsRequest asks for every flow (all tables) whose cookie matches
// cookie under mask.
func flowStatsRequest(xid uint32, cookie, mask uint64) []byte {
	b := make([]byte, 16+32)
	header(b, typeMultipartReq, 0, xid)
	binary.BigEndian.PutUint16(b[8:], multipartFlow)
	p := b[16:]
	p[0] = allTable
	binary.BigEndian.PutUint32(p[4:], anyPort)
	binary.BigEndian.PutUint32(p[8:], anyGroup)
	binary.BigEndian.PutUint64(p[16:], cookie)
	binary.BigEndian.PutUint64(p[24:], mask)
	b = appendMatch(b, nil)
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}
