package ovsdbtest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ovn-org/libovsdb/ovsdb"
)

// searchBudget bounds the backtracking search; past it, the greedy
// assignment decides (and may report a difference that a deeper search
// would have resolved, for pathological inputs only).
const searchBudget = 200000

// diffRows compares expected to actual rows of the given tables, ignoring
// UUIDs, and returns "" when they match or a readable report.
func diffRows(schema ovsdb.DatabaseSchema, tables []string, exp, act map[string][]*grow) string {
	prebind := newBinder()
	for _, rows := range exp {
		for _, r := range rows {
			if isUUID(r.uuid) {
				prebind.bind(r.uuid, r.uuid)
			}
		}
	}
	sorted := tableOrder(schema, tables)
	s := &search{exp: exp, act: act, b: prebind, used: map[*grow]bool{}, tables: sorted}
	s.cands = map[*grow][]*grow{}
	for _, t := range sorted {
		rows := append([]*grow(nil), exp[t]...)
		for _, e := range rows {
			for _, a := range act[t] {
				if staticMatch(e, a) {
					s.cands[e] = append(s.cands[e], a)
				}
			}
		}
		// Most constrained rows first: fewer choices to backtrack over.
		sort.SliceStable(rows, func(i, j int) bool { return len(s.cands[rows[i]]) < len(s.cands[rows[j]]) })
		s.order = append(s.order, rows...)
	}
	countsEqual := true
	for _, t := range tables {
		countsEqual = countsEqual && len(exp[t]) == len(act[t])
	}
	mark := s.b.mark()
	if countsEqual && s.run(0) {
		return ""
	}
	s.b.undo(mark)
	return s.report()
}

type search struct {
	tables   []string // referenced tables first
	order    []*grow
	exp, act map[string][]*grow
	cands    map[*grow][]*grow
	used     map[*grow]bool
	b        *binder
	steps    int
}

// run assigns order[i:] to unused actual rows, backtracking.
func (s *search) run(i int) bool {
	if i == len(s.order) {
		return true
	}
	e := s.order[i]
	for _, a := range s.cands[e] {
		if s.used[a] {
			continue
		}
		if s.steps++; s.steps > searchBudget {
			return false
		}
		mark := s.b.mark()
		if s.b.rowMatch(e, a) {
			s.used[a] = true
			if s.run(i + 1) {
				return true
			}
			s.used[a] = false
		}
		s.b.undo(mark)
	}
	return false
}

// report matches greedily, then pairs what is left by identity and lists
// differing columns, missing rows and unexpected rows per table.
func (s *search) report() string {
	s.used = map[*grow]bool{}
	matched := map[*grow]bool{}
	for _, e := range s.order {
		for _, a := range s.cands[e] {
			if s.used[a] {
				continue
			}
			mark := s.b.mark()
			if s.b.rowMatch(e, a) {
				s.used[a], matched[e] = true, true
				break
			}
			s.b.undo(mark)
		}
	}
	var out []string
	for _, t := range s.tables {
		var es, as []*grow
		for _, e := range s.exp[t] {
			if !matched[e] {
				es = append(es, e)
			}
		}
		for _, a := range s.act[t] {
			if !s.used[a] {
				as = append(as, a)
			}
		}
		out = append(out, s.reportTable(t, es, as)...)
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n")
}

func (s *search) reportTable(table string, es, as []*grow) []string {
	type pair struct {
		e, a  *grow
		diffs []string
	}
	var pairs []pair
	for _, e := range es {
		for _, a := range as {
			if sameIdentity(e, a) {
				pairs = append(pairs, pair{e, a, s.b.cellDiffs(e, a)})
			}
		}
	}
	sort.SliceStable(pairs, func(i, j int) bool { return len(pairs[i].diffs) < len(pairs[j].diffs) })
	doneE, doneA := map[*grow]bool{}, map[*grow]bool{}
	var out []string
	for _, p := range pairs {
		if doneE[p.e] || doneA[p.a] {
			continue
		}
		doneE[p.e], doneA[p.a] = true, true
		s.b.bind(p.a.uuid, p.e.uuid)
		// Recompute: the binding above may render references by name now.
		diffs := s.b.cellDiffs(p.e, p.a)
		if len(diffs) == 0 {
			diffs = []string{"references differ from the expected rows' (UUID mapping is inconsistent)"}
		}
		out = append(out, fmt.Sprintf("%s: row %s differs (actual %s):", table, label(p.e, p.a), p.a.uuid))
		for _, d := range diffs {
			out = append(out, "    "+d)
		}
	}
	for _, e := range es {
		if !doneE[e] {
			out = append(out, fmt.Sprintf("%s: missing row %s %s", table, displayName(e.uuid), e.format(displayName)))
		}
	}
	for _, a := range as {
		if !doneA[a] {
			out = append(out, fmt.Sprintf("%s: unexpected row %s %s", table, a.uuid, a.format(s.b.name)))
		}
	}
	return out
}

// label names a paired row by its expected name and the first column that
// identified the pair.
func label(e, a *grow) string {
	id := ""
	for _, n := range e.columnNames() {
		ec := e.cols[n]
		if !ec.refs && !ec.isDefault() && ec.equalStatic(a.cols[n]) {
			id = n + "=" + ec.format(displayName)
			break
		}
	}
	switch {
	case strings.HasPrefix(e.uuid, unnamedPrefix):
		return id
	case id == "":
		return e.uuid
	default:
		return e.uuid + " (" + id + ")"
	}
}

// tableOrder sorts tables so that referenced tables come first: a row's
// references are then bound by the time it is compared.
func tableOrder(schema ovsdb.DatabaseSchema, tables []string) []string {
	depth := map[string]int{}
	var visit func(t string, seen map[string]bool) int
	visit = func(t string, seen map[string]bool) int {
		if d, ok := depth[t]; ok {
			return d
		}
		if seen[t] {
			return 0 // cycle: break it here
		}
		seen[t] = true
		d := 0
		if ts := schema.Table(t); ts != nil {
			for _, col := range ts.Columns {
				for _, bt := range refTypes(col) {
					if ref, err := bt.RefTable(); err == nil && ref != "" && ref != t {
						if rd := visit(ref, seen) + 1; rd > d {
							d = rd
						}
					}
				}
			}
		}
		depth[t] = d
		return d
	}
	sorted := append([]string(nil), tables...)
	sort.SliceStable(sorted, func(i, j int) bool {
		di, dj := visit(sorted[i], map[string]bool{}), visit(sorted[j], map[string]bool{})
		if di != dj {
			return di < dj
		}
		return sorted[i] < sorted[j]
	})
	return sorted
}

func refTypes(col *ovsdb.ColumnSchema) []*ovsdb.BaseType {
	var out []*ovsdb.BaseType
	if col.TypeObj == nil {
		return nil
	}
	for _, bt := range []*ovsdb.BaseType{col.TypeObj.Key, col.TypeObj.Value} {
		if bt != nil && bt.Type == ovsdb.TypeUUID {
			out = append(out, bt)
		}
	}
	return out
}
