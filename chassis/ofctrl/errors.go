package ofctrl

import (
	"encoding/binary"
	"fmt"
)

// OFError is an OpenFlow ERROR message from ovs-vswitchd, in words.
type OFError struct {
	Type, Code   uint16
	Experimenter uint32 // for Type 0xffff (OFPET_EXPERIMENTER): the experimenter id; Code is its exp_code
}

func parseError(m []byte) *OFError {
	if len(m) < headerLen+4 {
		return &OFError{Type: 0xfffe}
	}
	e := &OFError{Type: binary.BigEndian.Uint16(m[8:]), Code: binary.BigEndian.Uint16(m[10:])}
	if e.Type == 0xffff && len(m) >= headerLen+8 {
		e.Experimenter = binary.BigEndian.Uint32(m[12:])
	}
	return e
}

func (e *OFError) Error() string {
	if e.Type == 0xffff {
		return fmt.Sprintf("%s (experimenter %#x error %d)", e.name(), e.Experimenter, e.Code)
	}
	return fmt.Sprintf("%s (OpenFlow error type %d code %d)", e.name(), e.Type, e.Code)
}

// name is the OpenFlow 1.3 name of the error (the ONF bundle extension's
// for experimenter 0x4f4e4600).
func (e *OFError) name() string {
	pick := func(prefix string, names ...string) string {
		if int(e.Code) < len(names) {
			return prefix + "_" + names[e.Code]
		}
		return fmt.Sprintf("%s code %d", prefix, e.Code)
	}
	switch e.Type {
	case 0:
		return pick("OFPHFC", "INCOMPATIBLE", "EPERM")
	case 1:
		return pick("OFPBRC", "BAD_VERSION", "BAD_TYPE", "BAD_MULTIPART", "BAD_EXPERIMENTER", "BAD_EXP_TYPE",
			"EPERM", "BAD_LEN", "BUFFER_EMPTY", "BUFFER_UNKNOWN", "BAD_TABLE_ID", "IS_SLAVE", "BAD_PORT",
			"BAD_PACKET", "MULTIPART_BUFFER_OVERFLOW")
	case 2:
		return pick("OFPBAC", "BAD_TYPE", "BAD_LEN", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_OUT_PORT",
			"BAD_ARGUMENT", "EPERM", "TOO_MANY", "BAD_QUEUE", "BAD_OUT_GROUP", "MATCH_INCONSISTENT",
			"UNSUPPORTED_ORDER", "BAD_TAG", "BAD_SET_TYPE", "BAD_SET_LEN", "BAD_SET_ARGUMENT")
	case 3:
		return pick("OFPBIC", "UNKNOWN_INST", "UNSUP_INST", "BAD_TABLE_ID", "UNSUP_METADATA",
			"UNSUP_METADATA_MASK", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_LEN", "EPERM")
	case 4:
		return pick("OFPBMC", "BAD_TYPE", "BAD_LEN", "BAD_TAG", "BAD_DL_ADDR_MASK", "BAD_NW_ADDR_MASK",
			"BAD_WILDCARDS", "BAD_FIELD", "BAD_VALUE", "BAD_MASK", "BAD_PREREQ", "DUP_FIELD", "EPERM")
	case 5:
		return pick("OFPFMFC", "UNKNOWN", "TABLE_FULL", "BAD_TABLE_ID", "OVERLAP", "EPERM", "BAD_TIMEOUT",
			"BAD_COMMAND", "BAD_FLAGS")
	case 0xffff:
		if e.Experimenter == 0x4f4e4600 && e.Code >= 2300 && e.Code <= 2315 {
			return "OFPBFC_" + []string{"UNKNOWN", "EPERM", "BAD_ID", "BUNDLE_EXIST", "BUNDLE_CLOSED",
				"OUT_OF_BUNDLES", "BAD_TYPE", "BAD_FLAGS", "MSG_BAD_LEN", "MSG_BAD_XID", "MSG_UNSUP",
				"MSG_CONFLICT", "MSG_TOO_MANY", "MSG_FAILED", "TIMEOUT", "BUNDLE_IN_PROGRESS"}[e.Code-2300]
		}
		return "OFPET_EXPERIMENTER"
	}
	return fmt.Sprintf("error type %d", e.Type)
}
