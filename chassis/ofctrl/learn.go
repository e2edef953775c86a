package ofctrl

import (
	"encoding/binary"
	"fmt"
	"strings"

	of "github.com/contiv/libOpenflow/openflow13"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// learn encodes NXAST_LEARN from "learn(...)": table, idle_timeout,
// hard_timeout, priority and cookie, then specs of the forms
//
//	FIELD[..]            match the field against its own value
//	DST[..]=SRC[..]      match DST against SRC's value
//	load:VALUE->DST[..]  load a constant
//	load:SRC[..]->DST[..]
//	output:SRC[..]       output to the port SRC holds
func learn(tok string) (of.Action, error) {
	body, ok := strings.CutPrefix(tok, "learn(")
	if !ok || !strings.HasSuffix(body, ")") {
		return nil, fmt.Errorf("want learn(...)")
	}
	args, err := flows.SplitTop(strings.TrimSuffix(body, ")"))
	if err != nil {
		return nil, err
	}
	a := of.NewNXActionLearn()
	for _, arg := range args {
		if err := learnArg(a, arg); err != nil {
			return nil, fmt.Errorf("learn argument %q: %w", arg, err)
		}
	}
	return a, nil
}

func learnArg(a *of.NXActionLearn, arg string) error {
	k, v, isKV := strings.Cut(arg, "=")
	if isKV && !strings.Contains(k, "[") {
		var bits int
		switch k {
		case "table":
			bits = 8
		case "idle_timeout", "hard_timeout", "priority":
			bits = 16
		case "cookie":
			bits = 64
		default:
			return fmt.Errorf("not a supported learn argument")
		}
		n, err := parseUint(v, bits)
		if err != nil {
			return err
		}
		switch k {
		case "table":
			a.TableID = uint8(n)
		case "idle_timeout":
			a.IdleTimeout = uint16(n)
		case "hard_timeout":
			a.HardTimeout = uint16(n)
		case "priority":
			a.Priority = uint16(n)
		case "cookie":
			a.Cookie = n
		}
		return nil
	}
	var spec *of.NXLearnSpec
	switch {
	case strings.HasPrefix(arg, "load:"):
		src, dst, ok := strings.Cut(strings.TrimPrefix(arg, "load:"), "->")
		if !ok {
			return fmt.Errorf("want load:SRC->DST[]")
		}
		d, err := parseSubfield(dst)
		if err != nil {
			return err
		}
		if strings.Contains(src, "[") {
			s, err := parseSubfield(src)
			if err != nil {
				return err
			}
			if s.nbits != d.nbits {
				return fmt.Errorf("source has %d bits, destination %d", s.nbits, d.nbits)
			}
			spec = &of.NXLearnSpec{Header: of.NewLearnHeaderLoadFromField(d.nbits),
				SrcField: learnField(s), DstField: learnField(d)}
		} else {
			n, err := parseUint(src, int(d.nbits))
			if err != nil {
				return err
			}
			spec = &of.NXLearnSpec{Header: of.NewLearnHeaderLoadFromValue(d.nbits),
				SrcValue: learnValue(n, d.nbits), DstField: learnField(d)}
		}
	case strings.HasPrefix(arg, "output:"):
		s, err := parseSubfield(strings.TrimPrefix(arg, "output:"))
		if err != nil {
			return err
		}
		spec = &of.NXLearnSpec{Header: of.NewLearnHeaderOutputFromField(s.nbits), SrcField: learnField(s)}
	case isKV:
		d, err := parseSubfield(k)
		if err != nil {
			return err
		}
		s, err := parseSubfield(v)
		if err != nil {
			return err
		}
		if s.nbits != d.nbits {
			return fmt.Errorf("source has %d bits, destination %d", s.nbits, d.nbits)
		}
		spec = &of.NXLearnSpec{Header: of.NewLearnHeaderMatchFromField(d.nbits),
			SrcField: learnField(s), DstField: learnField(d)}
	default:
		f, err := parseSubfield(arg)
		if err != nil {
			return err
		}
		spec = &of.NXLearnSpec{Header: of.NewLearnHeaderMatchFromField(f.nbits),
			SrcField: learnField(f), DstField: learnField(f)}
	}
	a.LearnSpecs = append(a.LearnSpecs, spec)
	return nil
}

func learnField(s subfield) *of.NXLearnSpecField {
	return &of.NXLearnSpecField{Field: s.f.header(), Ofs: s.ofs}
}

// learnValue is a constant as learn carries it: right-aligned in
// 2*ceil(nbits/16) bytes.
func learnValue(n uint64, nbits uint16) []byte {
	size := 2 * int((nbits+15)/16)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	if size > 8 {
		out := make([]byte, size)
		copy(out[size-8:], b[:])
		return out
	}
	return append([]byte(nil), b[8-size:]...)
}
