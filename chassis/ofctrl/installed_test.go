package ofctrl

import (
	"testing"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// installedState is a state holding es as installed (compiled as send
// records them).
func installedState(t *testing.T, h hasher, es ...flows.Entry) *state {
	t.Helper()
	s := &state{gen: 1, installed: map[flowID]instFlow{}, rejected: map[flows.Key]flows.Entry{}}
	s.index()
	for _, e := range es {
		c, err := compile(e)
		if err != nil {
			t.Fatal(err)
		}
		s.put(h.id(e.Key), installedFlow(h, e, c.match))
	}
	return s
}

func netEntry(scope uint32, match, actions string) flows.Entry {
	return flows.Entry{Key: flows.Key{Table: 60, Priority: 20, Match: match},
		Cookie: flows.NewCookie(flows.CatNetwork, uint64(scope)), Actions: actions}
}

// The compact record tells apart what the text did: a flow whose
// actions, or cookie, changed is a modify; the same flow is no change;
// identity is table, priority and match (a flow in another table, or of
// another priority, is another flow).
func TestInstalledCompareLikeText(t *testing.T) {
	h := newHasher()
	a := netEntry(5, "dl_vlan=5,dl_dst=fa:16:3e:00:00:01", "pop_vlan,output:1")
	s := installedState(t, h, a)
	if ch := s.diff(h, []flows.Entry{a}, nil); !ch.empty() {
		t.Fatalf("same flow: %+v", ch)
	}
	other := a
	other.Actions = "pop_vlan,output:2"
	if ch := s.diff(h, []flows.Entry{other}, nil); len(ch.modify) != 1 || len(ch.add)+len(ch.del) != 0 || ch.modify[0].e != other {
		t.Fatalf("actions differ: %+v, want one modify", ch)
	}
	cookie := a
	cookie.Cookie = flows.NewCookie(flows.CatNetwork, 6)
	if ch := s.diff(h, []flows.Entry{cookie}, nil); len(ch.modify) != 1 || len(ch.add)+len(ch.del) != 0 {
		t.Fatalf("cookie differs: %+v, want one modify", ch)
	}
	for _, k := range []flows.Key{{Table: 61, Priority: 20, Match: a.Match}, {Table: 60, Priority: 21, Match: a.Match},
		{Table: 60, Priority: 20, Match: "dl_vlan=5,dl_dst=fa:16:3e:00:00:02"}} {
		e := a
		e.Key = k
		ch := s.diff(h, []flows.Entry{e}, nil)
		if len(ch.add) != 1 || len(ch.del) != 1 || len(ch.modify) != 0 {
			t.Fatalf("%v: %+v, want an add and a delete", k, ch)
		}
		if d := ch.del[0].f; d.table != 60 || d.priority != 20 || d.cookie != a.Cookie {
			t.Fatalf("deletion %+v is not the installed flow", d)
		}
	}
}

// A deletion carries the wire match its strict delete needs (the text is
// not kept), equal to the compiled match of the flow once installed.
func TestInstalledDeleteHasMatch(t *testing.T) {
	h := newHasher()
	a := netEntry(5, "arp,dl_vlan=5,arp_tpa=10.0.0.1", "drop")
	s := installedState(t, h, a)
	ch := s.diff(h, nil, nil)
	if len(ch.del) != 1 {
		t.Fatalf("%+v, want one deletion", ch)
	}
	want, _ := compileMatch(a.Match)
	if ch.del[0].f.match != string(want) {
		t.Fatalf("deletion's match %x, want %x", ch.del[0].f.match, want)
	}
	b := Bridge{hash: h, st: *s}
	var rep Report
	ops, _ := b.plan(ch, &rep)
	if len(ops) != 1 || ops[0].kind != opDelete || ops[0].fm.command != flowModDeleteStrict || string(ops[0].fm.c.match) != string(want) ||
		ops[0].fm.table != 60 || ops[0].fm.priority != 20 {
		t.Fatalf("delete op %+v", ops)
	}
}

// Scoped: only the desired scopes' installed flows are deleted; a flow
// taking the identity another scope's flow holds is a modify.
func TestInstalledScoped(t *testing.T) {
	h := newHasher()
	a := netEntry(5, "dl_vlan=5", "drop")
	b := netEntry(6, "dl_vlan=6", "drop")
	s := installedState(t, h, a, b)
	only5 := func(sc flows.Scope) bool { return sc == 5 }
	if ch := s.diff(h, nil, only5); len(ch.del) != 1 || ch.del[0].f.cookie != a.Cookie {
		t.Fatalf("scope 5 emptied: %+v, want a's deletion only", ch)
	}
	moved := b
	moved.Cookie = a.Cookie // scope 5 now wants the identity scope 6 holds
	ch := s.diff(h, []flows.Entry{a, moved}, only5)
	if len(ch.modify) != 1 || len(ch.add)+len(ch.del) != 0 {
		t.Fatalf("moved: %+v, want one modify", ch)
	}
	s.put(ch.modify[0].id, installedFlow(h, moved, nil))
	if len(s.scopes[6]) != 0 || len(s.scopes[5]) != 2 || len(s.installed) != 2 {
		t.Fatalf("scope index after the move: %v", s.scopes)
	}
	s.drop(h.id(a.Key))
	if len(s.scopes[5]) != 1 || len(s.installed) != 1 {
		t.Fatalf("after a drop: %v", s.scopes)
	}
}

// Read-back: a flow OVS returns with its match fields in another order
// and our instructions is the desired flow, unchanged; with other
// instructions or another cookie it is a modify; a flow no desired flow
// names is deleted with the match OVS gave.
func TestReadRecordCompare(t *testing.T) {
	h := newHasher()
	d := netEntry(5, "dl_vlan=5,dl_dst=fa:16:3e:00:00:01,arp,arp_op=2", "pop_vlan,output:1")
	idx := index([]flows.Entry{d})
	c, err := compile(d)
	if err != nil {
		t.Fatal(err)
	}
	ovsOrder, err := compileMatch("arp,arp_op=2,dl_dst=fa:16:3e:00:00:01,dl_vlan=5")
	if err != nil {
		t.Fatal(err)
	}
	read := func(cookie flows.Cookie, match, instr []byte) *state {
		s := &state{gen: 1, installed: map[flowID]instFlow{}}
		id, r, err := h.readRecord(idx, readFlow{table: 60, priority: 20, cookie: cookie, match: match, instr: instr})
		if err != nil {
			t.Fatal(err)
		}
		s.installed[id] = r
		s.index()
		return s
	}
	if ch := read(d.Cookie, ovsOrder, c.instr).diff(h, []flows.Entry{d}, nil); !ch.empty() {
		t.Fatalf("read back equal: %+v", ch)
	}
	other, _ := compileActions("drop")
	if ch := read(d.Cookie, ovsOrder, other).diff(h, []flows.Entry{d}, nil); len(ch.modify) != 1 || len(ch.add)+len(ch.del) != 0 {
		t.Fatalf("other instructions: %+v, want a modify", ch)
	}
	if ch := read(flows.NewCookie(flows.CatNetwork, 9), ovsOrder, c.instr).diff(h, []flows.Entry{d}, nil); len(ch.modify) != 1 {
		t.Fatalf("other cookie: %+v, want a modify", ch)
	}
	stale, _ := compileMatch("dl_vlan=97")
	ch := read(d.Cookie, stale, c.instr).diff(h, []flows.Entry{d}, nil)
	if len(ch.add) != 1 || len(ch.del) != 1 || ch.del[0].f.match != string(stale) {
		t.Fatalf("stale flow: %+v, want an add and the stale one deleted by its own match", ch)
	}
}

// Diff of a Bridge whose installed set is unknown: every desired flow is
// an add; known, it is the changes, with a deletion shown by its match.
func TestBridgeDiff(t *testing.T) {
	h := newHasher()
	a := netEntry(5, "dl_vlan=5", "drop")
	b := &Bridge{hash: h}
	if ch := b.Diff([]flows.Entry{a}); len(ch.Add) != 1 || ch.Add[0] != a {
		t.Fatalf("unknown: %+v", ch)
	}
	b.st = *installedState(t, h, a)
	if ch := b.Diff([]flows.Entry{a}); !ch.Empty() {
		t.Fatalf("same: %+v", ch)
	}
	ch := b.Diff(nil)
	if len(ch.Delete) != 1 || ch.Delete[0].Table != 60 || ch.Delete[0].Cookie != a.Cookie {
		t.Fatalf("deletion: %+v", ch)
	}
}
