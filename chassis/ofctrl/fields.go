package ofctrl

import (
	"fmt"
	"strconv"
	"strings"

	of "github.com/contiv/libOpenflow/openflow13"
)

// nxField is a field as move, load and learn name it (ovs-ofctl prints
// NXM names there, and OXM_OF_IN_PORT for the 32-bit in_port): its
// header and width.
type nxField struct {
	class uint16
	field uint8
	bytes uint8
}

// lookupNX is a field move, load and learn may name: the ones
// chassis/flows emits, and their obvious neighbours.
func lookupNX(name string) (nxField, bool) {
	switch name {
	case "NXM_OF_IN_PORT":
		return nxField{of.OXM_CLASS_NXM_0, of.NXM_OF_IN_PORT, 2}, true
	case "NXM_OF_ETH_DST":
		return nxField{of.OXM_CLASS_NXM_0, of.NXM_OF_ETH_DST, 6}, true
	case "NXM_OF_ETH_SRC":
		return nxField{of.OXM_CLASS_NXM_0, of.NXM_OF_ETH_SRC, 6}, true
	case "NXM_OF_ETH_TYPE":
		return nxField{of.OXM_CLASS_NXM_0, of.NXM_OF_ETH_TYPE, 2}, true
	case "NXM_OF_VLAN_TCI":
		return nxField{of.OXM_CLASS_NXM_0, of.NXM_OF_VLAN_TCI, 2}, true
	case "NXM_OF_ARP_OP":
		return nxField{of.OXM_CLASS_NXM_0, of.NXM_OF_ARP_OP, 2}, true
	case "NXM_OF_ARP_SPA":
		return nxField{of.OXM_CLASS_NXM_0, of.NXM_OF_ARP_SPA, 4}, true
	case "NXM_OF_ARP_TPA":
		return nxField{of.OXM_CLASS_NXM_0, of.NXM_OF_ARP_TPA, 4}, true
	case "NXM_NX_TUN_ID":
		return nxField{of.OXM_CLASS_NXM_1, of.NXM_NX_TUN_ID, 8}, true
	case "NXM_NX_ARP_SHA":
		return nxField{of.OXM_CLASS_NXM_1, of.NXM_NX_ARP_SHA, 6}, true
	case "NXM_NX_ARP_THA":
		return nxField{of.OXM_CLASS_NXM_1, of.NXM_NX_ARP_THA, 6}, true
	case "NXM_NX_REG6":
		return nxField{of.OXM_CLASS_NXM_1, of.NXM_NX_REG6, 4}, true
	case "OXM_OF_IN_PORT":
		return nxField{of.OXM_CLASS_OPENFLOW_BASIC, of.OXM_FIELD_IN_PORT, 4}, true
	}
	return nxField{}, false
}

// header is the field as a libOpenflow header (no value).
func (f nxField) header() *of.MatchField {
	return &of.MatchField{Class: f.class, Field: f.field, Length: f.bytes}
}

// subfield is NAME[], NAME[a..b] or NAME[a] of a field move, load and
// learn accept.
type subfield struct {
	name  string
	f     nxField
	ofs   uint16
	nbits uint16
}

func parseSubfield(s string) (subfield, error) {
	name, rng, ok := strings.Cut(s, "[")
	if !ok || !strings.HasSuffix(rng, "]") {
		return subfield{}, fmt.Errorf("%q is not a field reference NAME[...]", s)
	}
	f, ok := lookupNX(name)
	if !ok {
		return subfield{}, fmt.Errorf("field %q is not supported", name)
	}
	width := uint16(f.bytes) * 8
	sf := subfield{name: name, f: f, nbits: width}
	rng = strings.TrimSuffix(rng, "]")
	if rng == "" {
		return sf, nil
	}
	lo, hi, isRange := strings.Cut(rng, "..")
	if !isRange {
		hi = lo
	}
	a, err1 := strconv.ParseUint(lo, 10, 16)
	b, err2 := strconv.ParseUint(hi, 10, 16)
	if err1 != nil || err2 != nil || a > b || b >= uint64(width) {
		return subfield{}, fmt.Errorf("bad bit range in %q", s)
	}
	sf.ofs, sf.nbits = uint16(a), uint16(b-a+1)
	return sf, nil
}

// ofsNbits is the subfield in NXAST_REG_LOAD's ofs_nbits form.
func (s subfield) ofsNbits() uint16 { return s.ofs<<6 | (s.nbits - 1) }
