package ovsdbtest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// binder is a partial bijection between real UUIDs and expected names,
// with a trail so a failed match can be undone.
type binder struct {
	a2e, e2a map[string]string
	trail    []string
}

func newBinder() *binder {
	return &binder{a2e: map[string]string{}, e2a: map[string]string{}}
}

// bind maps real UUID act to name exp, or says the mapping contradicts one
// already made.
func (b *binder) bind(act, exp string) bool {
	if n, ok := b.a2e[act]; ok {
		return n == exp
	}
	if a, ok := b.e2a[exp]; ok {
		return a == act
	}
	if isUUID(exp) && exp != act {
		return false // an expected real UUID stands for itself only
	}
	b.a2e[act], b.e2a[exp] = exp, act
	b.trail = append(b.trail, act)
	return true
}

func (b *binder) mark() int { return len(b.trail) }

func (b *binder) undo(mark int) {
	for len(b.trail) > mark {
		act := b.trail[len(b.trail)-1]
		b.trail = b.trail[:len(b.trail)-1]
		delete(b.e2a, b.a2e[act])
		delete(b.a2e, act)
	}
}

// name shows a real UUID as its expected name, or abbreviated if unbound.
func (b *binder) name(act string) string {
	if n, ok := b.a2e[act]; ok {
		return displayName(n)
	}
	if len(act) > 8 {
		return "~" + act[:8]
	}
	return "~" + act
}

func isUUID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil && len(s) == 36
}

// unnamedPrefix marks names the matcher gives to expected rows without one.
const unnamedPrefix = "\x00row"

func displayName(n string) string {
	if strings.HasPrefix(n, unnamedPrefix) {
		return "(unnamed)"
	}
	return n
}

// staticKey is an element's sort key with UUID atoms blanked out.
func (e elem) staticKey() string {
	k, v := e.key.s, e.val.s
	if e.key.uuid {
		k = "\x01"
	}
	if e.val.uuid {
		v = "\x01"
	}
	return k + "\x00" + v
}

// translate replaces bound UUID atoms by their names; ok is false when an
// atom is unbound.
func (b *binder) translate(e elem) (elem, bool) {
	for _, a := range []*atom{&e.key, &e.val} {
		if !a.uuid || a.s == "" {
			continue
		}
		n, ok := b.a2e[a.s]
		if !ok {
			return e, false
		}
		a.s = n
	}
	return e, true
}

// cellMatch compares an expected cell to an actual one, binding UUIDs.
// Elements whose UUIDs are already bound must match exactly; the rest are
// paired in order of their non-UUID content and bound.
func (b *binder) cellMatch(ec, ac cell) bool {
	if !ec.refs {
		return ec.equalStatic(ac)
	}
	if len(ec.elems) != len(ac.elems) {
		return false
	}
	usedE := make([]bool, len(ec.elems))
	var pendA []elem
	for _, ae := range ac.elems {
		tr, ok := b.translate(ae)
		if !ok {
			pendA = append(pendA, ae)
			continue
		}
		found := false
		for i, ee := range ec.elems {
			if !usedE[i] && ee.sortKey() == tr.sortKey() {
				usedE[i], found = true, true
				break
			}
		}
		if !found {
			return false
		}
	}
	var pendE []elem
	for i, ee := range ec.elems {
		if !usedE[i] {
			pendE = append(pendE, ee)
		}
	}
	byStatic := func(es []elem) {
		sort.SliceStable(es, func(i, j int) bool {
			if es[i].staticKey() != es[j].staticKey() {
				return es[i].staticKey() < es[j].staticKey()
			}
			return es[i].sortKey() < es[j].sortKey()
		})
	}
	byStatic(pendA)
	byStatic(pendE)
	for i := range pendA {
		ea, ee := pendA[i], pendE[i]
		if ea.staticKey() != ee.staticKey() {
			return false
		}
		if ea.key.uuid && !b.bind(ea.key.s, ee.key.s) {
			return false
		}
		if ea.val.uuid && !b.bind(ea.val.s, ee.val.s) {
			return false
		}
	}
	return true
}

// rowMatch compares an expected row to an actual one of the same table,
// binding the actual row's UUID to the expected row's name.
func (b *binder) rowMatch(e, a *grow) bool {
	if !b.bind(a.uuid, e.uuid) {
		return false
	}
	for name, ec := range e.cols {
		if !b.cellMatch(ec, a.cols[name]) {
			return false
		}
	}
	return true
}

// staticMatch compares the columns that hold no UUIDs.
func staticMatch(e, a *grow) bool {
	for name, ec := range e.cols {
		if !ec.refs && !ec.equalStatic(a.cols[name]) {
			return false
		}
	}
	return true
}

// cellDiffs lists the columns where an expected and an actual row differ,
// as displayed under the binder's current mapping.
func (b *binder) cellDiffs(e, a *grow) []string {
	var out []string
	for _, name := range e.columnNames() {
		want := e.cols[name].format(displayName)
		got := a.cols[name].format(b.name)
		if want != got {
			out = append(out, fmt.Sprintf("%s: want %s, got %s", name, want, got))
		}
	}
	return out
}

// sameIdentity says whether two rows share a non-default, UUID-free column
// value (a name, a logical_port...), so a diff between them is worth
// showing column by column rather than as one missing and one unexpected row.
func sameIdentity(e, a *grow) bool {
	for name, ec := range e.cols {
		if !ec.refs && !ec.isDefault() && ec.equalStatic(a.cols[name]) {
			return true
		}
	}
	return false
}
