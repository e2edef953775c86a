package flows

import (
	"fmt"
	"sort"
	"strconv"
)

// Result is the desired state of both bridges.
type Result struct {
	Int, Tun []Flow // sorted by table, priority (highest first), match
	// Skipped is what the Input held that gave no flows, and why (IPv6
	// addresses, unparsable values, conflicts), sorted, for the daemon to
	// log once per object.
	Skipped []Skip
}

// Flows is the bridge's desired flows.
func (r Result) Flows(b Bridge) []Flow {
	if b == BrInt {
		return r.Int
	}
	return r.Tun
}

// Compute is the desired br-int and br-tun flows of one chassis: a pure
// function of its Input. Without a usable DVR MAC there are no flows at
// all (DESIGN §4: never half in DVR mode).
func Compute(in Input) Result {
	m := newModel(in)
	var r Result
	if m.ownMAC != "" {
		if !m.patchTun.Valid() || !m.patchInt.Valid() {
			m.skip(in.Chassis, fmt.Sprintf("%s=%d %s=%d", m.patchTun.Name, m.patchTun.OfPort,
				m.patchInt.Name, m.patchInt.OfPort), "patch ports not usable yet: no flows")
		} else {
			r.Int = m.dedupe(m.intFlows())
			r.Tun = m.dedupe(m.tunFlows())
		}
	}
	for _, s := range m.sortedSkips() {
		r.Skipped = append(r.Skipped, s.Skip)
	}
	return r
}

// dedupe keeps one flow per identity, the first generated (inputs are
// sorted, so which one is deterministic), reports the others if they
// differ, and sorts as dump-flows does within a table: table number,
// priority (highest first), match text.
func (m *model) dedupe(fs []Flow) []Flow {
	type keyed struct {
		k Key
		f Flow
	}
	seen := make(map[Key]int, len(fs))
	ks := make([]keyed, 0, len(fs))
	for _, f := range fs {
		k := f.Key()
		if i, dup := seen[k]; dup {
			if g := ks[i].f; g.Actions.String() != f.Actions.String() || g.Cookie != f.Cookie {
				m.curNet = uint32(f.Cookie.Scope())
				m.skip(f.Table.String(), "priority="+strconv.Itoa(int(f.Priority))+","+k.Match,
					"two rows want this flow ("+g.Cookie.String()+", "+f.Cookie.String()+"): kept the first")
				m.curNet = 0
			}
			continue
		}
		seen[k] = len(ks)
		ks = append(ks, keyed{k, f})
	}
	order := make([]int32, len(ks)) // sort indices: a Flow is too big to swap
	for i := range order {
		order[i] = int32(i)
	}
	sort.Slice(order, func(i, j int) bool { return keyLess(ks[order[i]].k, ks[order[j]].k) })
	out := make([]Flow, len(ks))
	for i, o := range order {
		out[i] = ks[o].f
	}
	return out
}

func keyLess(a, b Key) bool {
	if a.Table != b.Table {
		return a.Table < b.Table
	}
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.Match < b.Match
}
