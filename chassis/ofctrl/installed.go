package ofctrl

import (
	"encoding/hex"
	"hash/maphash"
	"sort"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// The installed set holds one compact record per flow of ours on the
// bridge (~70k at 20,000 ports), not its text: the identity
// (flows.Key: table, priority, match text) as a 128-bit hash, the cookie,
// a 64-bit hash of the actions text, and the match in wire form, which a
// strict delete needs once the flow is no longer desired (its text is
// gone with the desired flow that had it). A desired flow is compared by
// hashing its key and actions; two flows differing in anything but their
// text's hash are seen as different, and the chance that a change of
// actions keeps the same 64-bit hash, or that two of 70k identities share
// a 128-bit one, is negligible (2^-64, 2^-94). The seeds are random per
// Bridge: nothing hashed here leaves the process.

// flowID is a flow's identity (table, priority, match text), hashed.
type flowID struct{ a, b uint64 }

// instFlow is one installed flow.
type instFlow struct {
	cookie   flows.Cookie
	actions  uint64 // hasher.actions of its actions text
	match    string // OXM TLVs (ours, or as read back), for the strict delete
	priority uint16
	table    uint8
}

// hasher hashes keys and actions with the Bridge's seeds.
type hasher struct{ a, b maphash.Seed }

func newHasher() hasher { return hasher{a: maphash.MakeSeed(), b: maphash.MakeSeed()} }

func (h hasher) id(k flows.Key) flowID {
	return flowID{a: keyHash(h.a, k), b: keyHash(h.b, k)}
}

func keyHash(seed maphash.Seed, k flows.Key) uint64 {
	var m maphash.Hash
	m.SetSeed(seed)
	m.WriteByte(k.Table)
	m.WriteByte(byte(k.Priority >> 8))
	m.WriteByte(byte(k.Priority))
	m.WriteString(k.Match)
	return m.Sum64()
}

func (h hasher) actions(s string) uint64 { return maphash.String(h.a, s) }

// entry is the installed flow in the diff's form, for a deletion's
// report: its match text is gone, so Match shows its wire form.
func (f instFlow) entry() flows.Entry {
	return flows.Entry{Key: flows.Key{Table: f.table, Priority: f.priority,
		Match: "<installed: match " + hex.EncodeToString([]byte(f.match)) + ">"},
		Cookie: f.cookie, Actions: "<installed>"}
}

// change is a desired flow to add or modify, with its identity.
type change struct {
	e  flows.Entry
	id flowID
}

// deletion is an installed flow to delete.
type deletion struct {
	id flowID
	f  instFlow
}

// changes is what makes the installed set the desired one.
type changes struct {
	add, modify []change
	del         []deletion
	conflicts   []flows.Entry
}

func (c changes) empty() bool { return len(c.add)+len(c.modify)+len(c.del)+len(c.conflicts) == 0 }

// diff is flows.Diff of desired against the installed set: a desired flow
// (learned ones left out; of two with one identity, the last) is added
// when no installed flow has its identity, modified when the installed
// one has another cookie or other actions, and a conflict when the
// installed one is not ours (or learned); the installed flows of ours that
// inScope accepts (nil: every one) and no desired flow names are deleted.
// Adds and modifies are sorted as Diff sorts them, deletions by table,
// priority (highest first) and wire match.
func (s *state) diff(h hasher, desired []flows.Entry, inScope func(flows.Scope) bool) changes {
	want := make(map[flowID]int32, len(desired))
	for i, e := range desired {
		if !e.Cookie.Learned() {
			want[h.id(e.Key)] = int32(i)
		}
	}
	var c changes
	for id, i := range want {
		e := desired[i]
		f, ok := s.installed[id]
		switch {
		case !ok:
			c.add = append(c.add, change{e, id})
		case !f.cookie.Ours() || f.cookie.Learned():
			c.conflicts = append(c.conflicts, e)
		case f.cookie != e.Cookie || f.actions != h.actions(e.Actions):
			c.modify = append(c.modify, change{e, id})
		}
	}
	del := func(id flowID) {
		if _, ok := want[id]; ok {
			return
		}
		if f := s.installed[id]; f.cookie.Ours() && !f.cookie.Learned() {
			c.del = append(c.del, deletion{id, f})
		}
	}
	if inScope == nil {
		for id := range s.installed {
			del(id)
		}
	} else {
		for sc, ids := range s.scopes {
			if inScope(sc) {
				for id := range ids {
					del(id)
				}
			}
		}
	}
	for _, l := range [][]change{c.add, c.modify} {
		sort.Slice(l, func(i, j int) bool { return keyLess(l[i].e.Key, l[j].e.Key) })
	}
	sort.Slice(c.conflicts, func(i, j int) bool { return keyLess(c.conflicts[i].Key, c.conflicts[j].Key) })
	sort.Slice(c.del, func(i, j int) bool {
		a, b := c.del[i].f, c.del[j].f
		if a.table != b.table {
			return a.table < b.table
		}
		if a.priority != b.priority {
			return a.priority > b.priority
		}
		return a.match < b.match
	})
	return c
}

// keyLess is flows.Diff's order: table, priority (highest first), match.
func keyLess(a, b flows.Key) bool {
	if a.Table != b.Table {
		return a.Table < b.Table
	}
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.Match < b.Match
}

// index builds the scope index of the installed set.
func (s *state) index() {
	s.scopes = map[flows.Scope]map[flowID]struct{}{}
	for id, f := range s.installed {
		s.scopeSet(f.cookie.Scope())[id] = struct{}{}
	}
}

func (s *state) scopeSet(sc flows.Scope) map[flowID]struct{} {
	m := s.scopes[sc]
	if m == nil {
		m = map[flowID]struct{}{}
		s.scopes[sc] = m
	}
	return m
}

// put records f as installed under id (replacing the flow of its
// identity).
func (s *state) put(id flowID, f instFlow) {
	if old, ok := s.installed[id]; ok && old.cookie.Scope() != f.cookie.Scope() {
		s.unindex(id, old)
	}
	s.installed[id] = f
	s.scopeSet(f.cookie.Scope())[id] = struct{}{}
}

// drop records the flow of identity id as gone.
func (s *state) drop(id flowID) {
	if old, ok := s.installed[id]; ok {
		s.unindex(id, old)
		delete(s.installed, id)
	}
}

func (s *state) unindex(id flowID, f instFlow) {
	sc := f.cookie.Scope()
	if m := s.scopes[sc]; m != nil {
		delete(m, id)
		if len(m) == 0 {
			delete(s.scopes, sc)
		}
	}
}

// installedFlow is the record of a desired flow installed from its
// compiled form.
func installedFlow(h hasher, e flows.Entry, match []byte) instFlow {
	return instFlow{cookie: e.Cookie, actions: h.actions(e.Actions), match: string(match), priority: e.Priority, table: e.Table}
}
