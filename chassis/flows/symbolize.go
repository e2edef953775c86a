package flows

import (
	"fmt"
	"strconv"
	"strings"
)

// Names maps what a bridge's numbers stand for: ofports to port names and
// local VLANs to network names, as a hypervisor shows them (its OVSDB).
type Names struct {
	Ports map[int32]string
	VLANs map[uint16]string
}

// Symbolize renders an installed entry (read back from OVS) in the golden
// form Flow.Symbolic gives a computed flow: tables by name, the cookie
// described, ofports and local VLANs by name. So what a real hypervisor
// holds compares with the golden files without knowing its ofport and
// VLAN numbers. Numbers it cannot name stay numbers.
func Symbolize(e Entry, b Bridge, n Names) string {
	var s strings.Builder
	fmt.Fprintf(&s, "table=%s priority=%d cookie=%s", tableOf(b, e.Table).Name(), e.Priority, e.Cookie.Describe())
	if e.Match != "" {
		s.WriteString(" " + n.match(e.Match))
	}
	s.WriteString(" actions=" + n.actions(b, e.Actions))
	return s.String()
}

func tableOf(b Bridge, num uint8) Table { return Table(uint16(b)<<8 | uint16(num)) }

func (n Names) port(v string) string {
	if p, err := strconv.ParseInt(v, 10, 32); err == nil {
		if name, ok := n.Ports[int32(p)]; ok {
			return name
		}
	}
	return v
}

func (n Names) vlan(v string, kind vlanKind) string {
	id, err := strconv.ParseUint(v, 0, 16)
	if err != nil {
		return v
	}
	if kind == vlanVID {
		id &^= 0x1000
	}
	name, ok := n.VLANs[uint16(id)]
	if !ok {
		return v
	}
	return vlan{net: name, kind: kind}.sym()
}

func (n Names) match(m string) string {
	fs := strings.Split(m, ",")
	for i, f := range fs {
		k, v, ok := strings.Cut(f, "=")
		switch {
		case !ok:
		case k == "in_port":
			fs[i] = k + "=" + n.port(v)
		case k == "dl_vlan" && v != u32(DeadVLAN):
			fs[i] = k + "=" + n.vlan(v, vlanMatch)
		case k == NetReg:
			fs[i] = k + "=" + n.vlan(v, vlanReg)
		}
	}
	return strings.Join(fs, ",")
}

func (n Names) actions(b Bridge, a string) string {
	parts := splitTop(a)
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, "output:"):
			parts[i] = "output:" + n.port(strings.TrimPrefix(p, "output:"))
		case strings.HasPrefix(p, "goto_table:"):
			if t, err := strconv.ParseUint(strings.TrimPrefix(p, "goto_table:"), 10, 8); err == nil {
				parts[i] = "goto_table:" + tableOf(b, uint8(t)).Name()
			}
		case strings.HasPrefix(p, "set_field:") && strings.HasSuffix(p, "->"+NetReg):
			v := strings.TrimSuffix(strings.TrimPrefix(p, "set_field:"), "->"+NetReg)
			parts[i] = "set_field:" + n.vlan(v, vlanReg) + "->" + NetReg
		case strings.HasPrefix(p, "set_field:") && strings.HasSuffix(p, "->vlan_vid"):
			v := strings.TrimSuffix(strings.TrimPrefix(p, "set_field:"), "->vlan_vid")
			parts[i] = "set_field:" + n.vlan(v, vlanVID) + "->vlan_vid"
		case strings.HasPrefix(p, "learn(") && strings.HasSuffix(p, ")"):
			in := splitTop(strings.TrimSuffix(strings.TrimPrefix(p, "learn("), ")"))
			for j, q := range in {
				k, v, _ := strings.Cut(q, "=")
				switch k {
				case "table":
					if t, err := strconv.ParseUint(v, 10, 8); err == nil {
						in[j] = "table=" + tableOf(b, uint8(t)).Name()
					}
				case "cookie":
					if c, err := strconv.ParseUint(v, 0, 64); err == nil {
						in[j] = "cookie=" + Cookie(c).sym()
					}
				}
			}
			parts[i] = "learn(" + strings.Join(in, ",") + ")"
		}
	}
	return strings.Join(parts, ",")
}

// SplitTop splits ovs-ofctl text (actions, a learn spec, datapath
// actions) at the commas outside parentheses: the one place that knows
// how nested actions are written. Unbalanced parentheses are an error.
func SplitTop(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced ')' in %q", s)
			}
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced '(' in %q", s)
	}
	return append(out, s[start:]), nil
}

// splitTop is SplitTop for text that is ours or OVS's (balanced); on an
// error it keeps the text whole.
func splitTop(s string) []string {
	out, err := SplitTop(s)
	if err != nil {
		return []string{s}
	}
	return out
}
