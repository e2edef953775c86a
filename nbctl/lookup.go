package nbctl

import (
	"fmt"
	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"slices"
	"strings"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
)

// Columns each table is read with, and the ones a wait re-asserts.
var (
	lsCols    = []string{"name", "other_config", "external_ids"}
	lsCheck   = []string{"name"}
	lspCols   = []string{"name", "type", "addresses", "options", "parent_name", "tag_request", "tag", "up", "enabled", "external_ids"}
	lspCheck  = []string{"name", "type", "addresses", "options"}
	lrCols    = []string{"name", "options", "enabled", "external_ids"}
	lrCheck   = []string{"name"}
	lrpCols   = []string{"name", "mac", "networks", "peer", "options", "enabled", "external_ids"}
	lrpCheck  = []string{"name", "mac", "networks", "peer"}
	tableCols = map[string][2][]string{
		nbdb.LogicalSwitchTable:     {lsCols, lsCheck},
		nbdb.LogicalSwitchPortTable: {lspCols, lspCheck},
		nbdb.LogicalRouterTable:     {lrCols, lrCheck},
		nbdb.LogicalRouterPortTable: {lrpCols, lrpCheck},
	}
	kindOf = map[string]string{
		nbdb.LogicalSwitchTable: "switch", nbdb.LogicalSwitchPortTable: "port",
		nbdb.LogicalRouterTable: "router", nbdb.LogicalRouterPortTable: "port",
	}
)

// nameOf returns the name column of an NB row.
func nameOf(r *row) string {
	switch m := r.m.(type) {
	case *nbdb.LogicalSwitch:
		return m.Name
	case *nbdb.LogicalSwitchPort:
		return m.Name
	case *nbdb.LogicalRouter:
		return m.Name
	case *nbdb.LogicalRouterPort:
		return m.Name
	}
	return ""
}

// byUUID reads one row of table by UUID (nil if absent or deleted here).
func (t *txn) byUUID(table, u string) (*row, error) {
	if r := t.rows[u]; r != nil && r.table == table && r.hasAll(tableCols[table][0]) {
		if r.deleted {
			return nil, nil
		}
		return r, nil
	}
	cols := tableCols[table]
	rs, err := t.read(query{table: table, where: []ovsdb.Condition{ovsdbops.UUIDCond(u)}, columns: cols[0], check: cols[1], verify: verifyRows})
	if err != nil || len(rs[0]) == 0 {
		return nil, err
	}
	return rs[0][0], nil
}

// byName returns every row of table with this name, as this run sees it:
// the server's rows (read once per run) minus the ones deleted here, plus
// the ones created here. Switch and router names have no index, so the
// result of the read is re-asserted at commit; port names are unique by
// the server's index, so only the rows found are.
func (t *txn) byName(table, name string) ([]*row, error) {
	unique := table == nbdb.LogicalSwitchPortTable || table == nbdb.LogicalRouterPortTable
	if unique {
		if rs := t.known(table, name); len(rs) > 0 {
			if !rs[0].hasAll(tableCols[table][0]) {
				// Read with fewer columns (a whole switch's ports): complete it.
				return []*row{rs[0]}, t.complete(rs[0])
			}
			return rs[:1], nil
		}
	}
	key := table + "\x00" + name
	server, ok := t.memo[key]
	if !ok {
		cols := tableCols[table]
		mode := verifyResult
		if unique {
			mode = verifyRows
		}
		rs, err := t.read(query{table: table, where: []ovsdb.Condition{nameCond(name)}, columns: cols[0], check: cols[1], verify: mode})
		if err != nil {
			return nil, err
		}
		server = rs[0]
		t.memo[key] = server
	}
	var out []*row
	for _, r := range server {
		if !r.deleted {
			out = append(out, r)
		}
	}
	for _, r := range t.known(table, name) {
		if r.created {
			out = append(out, r)
		}
	}
	return out, nil
}

// find resolves a name or UUID to exactly one row of table; missing rows
// are (nil, nil).
func (t *txn) find(table, arg string) (*row, error) {
	if isUUID(arg) {
		return t.byUUID(table, arg)
	}
	rs, err := t.byName(table, arg)
	if err != nil {
		return nil, err
	}
	switch len(rs) {
	case 0:
		return nil, nil
	case 1:
		return rs[0], nil
	}
	return nil, fmt.Errorf("Multiple logical %ses named '%s'.  Use a UUID.", kindOf[table], arg)
}

// must resolves arg or fails with OVN's "not found" wording.
func (t *txn) must(table, arg string) (*row, error) {
	r, err := t.find(table, arg)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return nil, notFound(table, arg)
	}
	return r, nil
}

// parentOf returns the switch (for an LSP) or router (for an LRP) holding
// port p.
func (t *txn) parentOf(p *row) (*row, error) {
	if u, ok := t.parent[p.uuid]; ok {
		return t.rows[u], nil
	}
	ptable := nbdb.LogicalSwitchTable
	if p.table == nbdb.LogicalRouterPortTable {
		ptable = nbdb.LogicalRouterTable
	}
	cols := tableCols[ptable]
	where := []ovsdb.Condition{ovsdb.NewCondition("ports", ovsdb.ConditionIncludes, ovsdbops.UUIDSet([]string{p.uuid}))}
	rs, err := t.read(query{table: ptable, where: where, columns: cols[0], check: cols[1], verify: verifyRows})
	if err != nil {
		return nil, err
	}
	for _, r := range rs[0] {
		t.parent[p.uuid] = r.uuid
		return r, nil
	}
	return nil, nil
}

// portsOf loads every port of a switch or router (sorted by name): its
// ports set, re-asserted at commit, and each port row with the columns
// the address checks and lists need (also re-asserted).
func (t *txn) portsOf(parent *row) ([]*row, error) {
	_, cols := childTable(parent)
	return t.children(parent, cols[1], true)
}

// childTable is the table of parent's ports and its read and check columns.
func childTable(parent *row) (string, [2][]string) {
	if parent.table == nbdb.LogicalRouterTable {
		return nbdb.LogicalRouterPortTable, tableCols[nbdb.LogicalRouterPortTable]
	}
	return nbdb.LogicalSwitchPortTable, tableCols[nbdb.LogicalSwitchPortTable]
}

// children loads parent's ports set and each port row with columns cols
// (sorted by name), through the raw path of rawread.go. With guard, the
// set and every row are re-asserted at commit (verifyRows; a row read
// before with other columns is re-asserted on its table's check columns,
// as t.read does); without, nothing is (verifyNone).
func (t *txn) children(parent *row, cols []string, guard bool) ([]*row, error) {
	if !parent.loaded["ports"] {
		if err := t.readByUUID(parent.table, []string{parent.uuid}, []string{"ports"}, guard); err != nil {
			return nil, err
		}
		if !parent.loaded["ports"] { // the parent is gone: its ports are none
			return nil, nil
		}
	}
	var uuids []string
	switch m := parent.m.(type) {
	case *nbdb.LogicalSwitch:
		uuids = m.Ports
	case *nbdb.LogicalRouter:
		uuids = m.Ports
	}
	ptable, tc := childTable(parent)
	mode, check := verifyNone, cols
	if guard {
		mode = verifyRows
		if len(cols) != len(tc[1]) { // only the address columns are guarded as read
			check = tc[1]
		}
	}
	// Only the columns needed: decoding whole rows is most of the cost of
	// reading a large switch.
	var fresh []string
	var partial []query
	for _, u := range uuids {
		r := t.rows[u]
		switch {
		case r != nil && r.hasAll(cols):
		case r == nil && (!guard || slices.Equal(check, cols)):
			fresh = append(fresh, u)
		default: // read before with other columns: merge the rest
			partial = append(partial, query{table: ptable, where: []ovsdb.Condition{ovsdbops.UUIDCond(u)}, columns: cols, check: check, verify: mode})
		}
	}
	if err := t.readByUUID(ptable, fresh, cols, guard); err != nil {
		return nil, err
	}
	for len(partial) > 0 {
		n := min(len(partial), 1000)
		if _, err := t.read(partial[:n]...); err != nil {
			return nil, err
		}
		partial = partial[n:]
	}
	var out []*row
	for _, u := range uuids {
		if r := t.rows[u]; r != nil && !r.deleted && r.hasAll(cols) {
			t.parent[u] = parent.uuid
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *row) int { return strings.Compare(nameOf(a), nameOf(b)) })
	return out, nil
}

// hasAll reports whether every column in cols is loaded.
func (r *row) hasAll(cols []string) bool {
	for _, c := range cols {
		if !r.loaded[c] {
			return false
		}
	}
	return true
}

// complete reads the columns of r not loaded yet.
func (t *txn) complete(r *row) error {
	if r.created {
		return nil
	}
	cols := tableCols[r.table]
	_, err := t.read(query{table: r.table, where: []ovsdb.Condition{ovsdbops.UUIDCond(r.uuid)}, columns: cols[0], check: cols[1], verify: verifyRows})
	return err
}
