package flows

import (
	"fmt"
	"strconv"
	"strings"
)

// Flow is one desired flow: its identity is (table, priority, match).
// Match and Actions are ovs-ofctl text (OpenFlow 1.3, written as
// `ovs-ofctl -O OpenFlow13 dump-flows` prints it back), kept as pieces so
// that ofports and VLANs can also be rendered by name for golden files.
type Flow struct {
	Table    Table
	Priority uint16
	Cookie   Cookie
	Match    Text
	Actions  Text
}

// Key is a flow's identity on its bridge.
type Key struct {
	Table    uint8
	Priority uint16
	Match    string
}

// Entry is a flow as the diff sees it: identity, cookie and actions, in
// numeric ovs-ofctl text. Installed flows read back from OVS are given to
// Diff in this form.
type Entry struct {
	Key
	Cookie  Cookie
	Actions string
}

// Key is the flow's identity.
func (f Flow) Key() Key {
	return Key{Table: f.Table.Num(), Priority: f.Priority, Match: f.Match.String()}
}

// Entry is the flow in the diff's form.
func (f Flow) Entry() Entry {
	return Entry{Key: f.Key(), Cookie: f.Cookie, Actions: f.Actions.String()}
}

// String is the flow as one `ovs-ofctl add-flows` line.
func (f Flow) String() string { return f.Entry().String() }

// String is the entry as one `ovs-ofctl add-flows` line.
func (e Entry) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cookie=%#x,table=%d,priority=%d", uint64(e.Cookie), e.Table, e.Priority)
	if e.Match != "" {
		b.WriteString("," + e.Match)
	}
	b.WriteString(" actions=" + e.Actions)
	return b.String()
}

// Symbolic is the flow with tables, cookies, ofports and VLANs by name, as
// the golden files hold it (ofport and VLAN numbers depend on creation
// order; names do not).
func (f Flow) Symbolic() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table=%s priority=%d cookie=%s", f.Table.Name(), f.Priority, f.Cookie.Describe())
	if m := f.Match.Symbolic(); m != "" {
		b.WriteString(" " + m)
	}
	b.WriteString(" actions=" + f.Actions.Symbolic())
	return b.String()
}

// Text is ovs-ofctl text made of literal pieces, ports, VLANs and tables.
type Text []piece

type piece interface {
	num() string
	sym() string
}

type lit string

func (l lit) num() string { return string(l) }
func (l lit) sym() string { return string(l) }

func (p Port) num() string { return strconv.Itoa(int(p.OfPort)) }
func (p Port) sym() string { return p.Name }

// vlan is a network's local VLAN, rendered as a dl_vlan match (decimal),
// a register value (hex, as dump-flows prints registers) or a vlan_vid
// set_field value (decimal, with OFPVID_PRESENT).
type vlan struct {
	net  string
	id   uint16
	kind vlanKind
}

type vlanKind uint8

const (
	vlanMatch vlanKind = iota
	vlanReg
	vlanVID
)

func (v vlan) num() string {
	switch v.kind {
	case vlanReg:
		return fmt.Sprintf("%#x", v.id)
	case vlanVID:
		return strconv.Itoa(int(v.id) | 0x1000)
	}
	return strconv.Itoa(int(v.id))
}

func (v vlan) sym() string {
	if v.kind == vlanVID {
		return "<vid:" + v.net + ">"
	}
	return "<vlan:" + v.net + ">"
}

func (t Table) num() string { return strconv.Itoa(int(t.Num())) }
func (t Table) sym() string { return t.Name() }

func (c Cookie) num() string { return fmt.Sprintf("%#x", uint64(c)) }
func (c Cookie) sym() string { return c.Category().String() }

// txt builds a Text; strings are literal.
func txt(parts ...any) Text {
	t := make(Text, 0, len(parts))
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			t = append(t, lit(v))
		case piece:
			t = append(t, v)
		case Text:
			t = append(t, v...)
		default:
			panic(fmt.Sprintf("flows: txt piece of type %T", p))
		}
	}
	return t
}

// String is the numeric ovs-ofctl text.
func (t Text) String() string {
	var b strings.Builder
	for _, p := range t {
		b.WriteString(p.num())
	}
	return b.String()
}

// Symbolic is the text with ports, VLANs and tables by name.
func (t Text) Symbolic() string {
	var b strings.Builder
	for _, p := range t {
		b.WriteString(p.sym())
	}
	return b.String()
}

// Render is flows as an `ovs-ofctl add-flows` file (numeric) or as the
// golden form (symbolic), one flow a line.
func Render(fs []Flow, symbolic bool) string {
	var b strings.Builder
	for _, f := range fs {
		if symbolic {
			b.WriteString(f.Symbolic())
		} else {
			b.WriteString(f.String())
		}
		b.WriteByte('\n')
	}
	return b.String()
}
