package ofctrl

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	of "github.com/contiv/libOpenflow/openflow13"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// compiled is one flow in OpenFlow 1.3 wire form: the OXM TLVs of its
// match (prerequisites first, unpadded) and its instructions, encoded the
// way ovs-vswitchd 3.1 encodes them back in a flow-stats reply, so that
// a flow read back compares equal byte for byte (readback.go).
type compiled struct {
	match []byte
	instr []byte
}

// compile turns a flow in ovs-ofctl text (the subset chassis/flows
// emits, see doc.go) into wire form. Anything else is an error naming the
// token and the flow.
func compile(e flows.Entry) (compiled, error) {
	m, err := compileMatch(e.Match)
	if err != nil {
		return compiled{}, fmt.Errorf("flow %q: %w", e.String(), err)
	}
	in, err := compileActions(e.Actions)
	if err != nil {
		return compiled{}, fmt.Errorf("flow %q: %w", e.String(), err)
	}
	c := compiled{match: m, instr: in}
	if n := flowModLen(c); n > maxMessage-bundleAddOverhead {
		return compiled{}, fmt.Errorf("flow %q: flow-mod of %d bytes does not fit in one bundled message", e.String(), n)
	}
	return c, nil
}

// compileMatch encodes a match: "arp" first (it is every ARP field's
// prerequisite, and OVS checks prerequisites in TLV order), then the
// fields in the order written.
func compileMatch(text string) ([]byte, error) {
	if text == "" {
		return nil, nil
	}
	var pre, rest []of.MatchField
	for _, tok := range strings.Split(text, ",") {
		if tok == "arp" {
			pre = append(pre, *of.NewEthTypeField(0x0806))
			continue
		}
		f, err := matchField(tok)
		if err != nil {
			return nil, fmt.Errorf("match %q: %w", tok, err)
		}
		rest = append(rest, *f)
	}
	var out []byte
	for _, f := range append(pre, rest...) {
		b, err := f.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func matchField(tok string) (*of.MatchField, error) {
	k, v, ok := strings.Cut(tok, "=")
	if !ok {
		return nil, fmt.Errorf("not a supported match field")
	}
	switch k {
	case "in_port":
		n, err := parseUint(v, 32)
		return of.NewInPortField(uint32(n)), err
	case "dl_vlan":
		// dl_vlan=N is vlan_vid=N|OFPVID_PRESENT, as libOpenflow writes it.
		n, err := parseUint(v, 12)
		return of.NewVlanIdField(uint16(n), nil), err
	case "dl_src", "dl_dst", "arp_tha", "arp_sha":
		val, mask, masked := strings.Cut(v, "/")
		mac, err := parseMAC(val)
		if err != nil {
			return nil, err
		}
		var mp *net.HardwareAddr
		if masked {
			m, err := parseMAC(mask)
			if err != nil {
				return nil, err
			}
			mp = &m
		}
		switch {
		case k == "dl_src":
			return of.NewEthSrcField(mac, mp), nil
		case k == "dl_dst":
			return of.NewEthDstField(mac, mp), nil
		case masked:
			return nil, fmt.Errorf("mask not supported")
		case k == "arp_tha":
			return of.NewArpThaField(mac), nil
		default:
			return of.NewArpShaField(mac), nil
		}
	case "arp_op":
		n, err := parseUint(v, 16)
		return of.NewArpOperField(uint16(n)), err
	case "arp_tpa", "arp_spa":
		ip, err := parseIPv4(v)
		if err != nil {
			return nil, err
		}
		if k == "arp_tpa" {
			return of.NewArpTpaField(ip), nil
		}
		return of.NewArpSpaField(ip), nil
	case "tun_id":
		n, err := parseUint(v, 64)
		return of.NewTunnelIdField(n), err
	case flows.NetReg:
		n, err := parseUint(v, 32)
		return of.NewRegMatchField(6, uint32(n), nil), err
	}
	return nil, fmt.Errorf("not a supported match field")
}

// compileActions encodes actions as instructions: one apply-actions (if
// there are actions), then goto_table (which must come last).
func compileActions(text string) ([]byte, error) {
	if text == "drop" {
		return nil, nil
	}
	toks, err := flows.SplitTop(text)
	if err != nil {
		return nil, err
	}
	apply := of.NewInstrApplyActions()
	var gotoT *of.InstrGotoTable
	for i, tok := range toks {
		if t, ok := strings.CutPrefix(tok, "goto_table:"); ok {
			if i != len(toks)-1 {
				return nil, fmt.Errorf("action %q: goto_table must be the last action", tok)
			}
			n, err := parseUint(t, 8)
			if err != nil {
				return nil, fmt.Errorf("action %q: %w", tok, err)
			}
			gotoT = of.NewInstrGotoTable(uint8(n))
			continue
		}
		a, err := action(tok)
		if err != nil {
			return nil, fmt.Errorf("action %q: %w", tok, err)
		}
		_ = apply.AddAction(a, false)
	}
	var out []byte
	if len(apply.Actions) > 0 {
		b, err := apply.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	if gotoT != nil {
		b, err := gotoT.MarshalBinary()
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

// Reserved ports (OpenFlow 1.3).
const (
	portInPort = 0xfffffff8
	portNormal = 0xfffffffa
)

func action(tok string) (of.Action, error) {
	switch tok {
	case "NORMAL":
		return output(portNormal), nil
	case "IN_PORT":
		return output(portInPort), nil
	case "pop_vlan":
		return of.NewActionPopVlan(), nil
	case "push_vlan:0x8100":
		return of.NewActionPushVlan(0x8100), nil
	case "drop":
		return nil, fmt.Errorf("drop must be the only action")
	}
	name, arg, _ := strings.Cut(tok, ":")
	if strings.HasPrefix(tok, "learn(") {
		name, arg = "learn", tok
	}
	switch name {
	case "output":
		n, err := parseUint(arg, 32)
		if err != nil || n == 0 || n >= 0xffffff00 {
			return nil, fmt.Errorf("not a port number")
		}
		return output(uint32(n)), nil
	case "set_field":
		return setField(arg)
	case "move":
		src, dst, ok := strings.Cut(arg, "->")
		if !ok {
			return nil, fmt.Errorf("want move:SRC[]->DST[]")
		}
		s, err := parseSubfield(src)
		if err != nil {
			return nil, err
		}
		d, err := parseSubfield(dst)
		if err != nil {
			return nil, err
		}
		if s.nbits != d.nbits {
			return nil, fmt.Errorf("source has %d bits, destination %d", s.nbits, d.nbits)
		}
		return of.NewNXActionRegMove(s.nbits, s.ofs, d.ofs, s.f.header(), d.f.header()), nil
	case "load":
		val, dst, ok := strings.Cut(arg, "->")
		if !ok {
			return nil, fmt.Errorf("want load:VALUE->DST[]")
		}
		d, err := parseSubfield(dst)
		if err != nil {
			return nil, err
		}
		n, err := parseUint(val, int(d.nbits))
		if err != nil {
			return nil, err
		}
		return of.NewNXActionRegLoad(d.ofsNbits(), d.f.header(), n), nil
	case "learn":
		return learn(arg)
	}
	return nil, fmt.Errorf("not a supported action")
}

// output is OFPAT_OUTPUT with max_len 0, as ovs-ofctl writes it for any
// port but CONTROLLER (libOpenflow's default is 256).
func output(port uint32) *of.ActionOutput {
	a := of.NewActionOutput(port)
	a.MaxLen = 0
	return a
}

func setField(arg string) (of.Action, error) {
	val, dst, ok := strings.Cut(arg, "->")
	if !ok {
		return nil, fmt.Errorf("want set_field:VALUE->FIELD")
	}
	var f *of.MatchField
	switch dst {
	case "eth_src", "eth_dst", "arp_sha":
		mac, err := parseMAC(val)
		if err != nil {
			return nil, err
		}
		switch dst {
		case "eth_src":
			f = of.NewEthSrcField(mac, nil)
		case "eth_dst":
			f = of.NewEthDstField(mac, nil)
		default:
			f = of.NewArpShaField(mac)
		}
	case "arp_spa":
		ip, err := parseIPv4(val)
		if err != nil {
			return nil, err
		}
		f = of.NewArpSpaField(ip)
	case "vlan_vid":
		n, err := parseUint(val, 13)
		if err != nil {
			return nil, err
		}
		if n&0x1000 == 0 {
			return nil, fmt.Errorf("vlan_vid %d lacks OFPVID_PRESENT (0x1000)", n)
		}
		f = of.NewVlanIdField(uint16(n), nil)
	case "tun_id":
		n, err := parseUint(val, 64)
		if err != nil {
			return nil, err
		}
		f = of.NewTunnelIdField(n)
	case flows.NetReg:
		n, err := parseUint(val, 32)
		if err != nil {
			return nil, err
		}
		f = of.NewRegMatchField(6, uint32(n), nil)
	default:
		return nil, fmt.Errorf("set_field to %q is not supported", dst)
	}
	return of.NewActionSetField(*f), nil
}

func parseUint(s string, bits int) (uint64, error) {
	n, err := strconv.ParseUint(s, 0, bits)
	if err != nil {
		return 0, fmt.Errorf("%q is not a %d-bit number", s, bits)
	}
	return n, nil
}

func parseMAC(s string) (net.HardwareAddr, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return nil, fmt.Errorf("%q is not a MAC", s)
	}
	return hw, nil
}

func parseIPv4(s string) (net.IP, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return nil, fmt.Errorf("%q is not an IPv4 address", s)
	}
	return net.IP(a.AsSlice()), nil
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
