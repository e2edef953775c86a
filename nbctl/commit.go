package nbctl

import (
	"errors"
	"fmt"
	"sort"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// errRetry means a wait failed: something this run read has changed, so the
// whole chain must run again on fresh reads.
var errRetry = errors.New("database changed while the command ran")

// insertOrder puts referenced (non-root) rows before the rows naming them.
var insertOrder = map[string]int{
	nbdb.LogicalSwitchPortTable: 0, nbdb.LogicalRouterPortTable: 0,
	nbdb.LogicalSwitchTable: 1, nbdb.LogicalRouterTable: 1, nbdb.NBGlobalTable: 2,
}

// writes builds the write operations staged in t (without the waits).
func (t *txn) writes() ([]ovsdb.Operation, error) {
	var ops []ovsdb.Operation
	created := make([]*row, 0, len(t.created))
	for _, r := range t.created {
		if !r.deleted {
			created = append(created, r)
		}
	}
	sort.SliceStable(created, func(i, j int) bool { return insertOrder[created[i].table] < insertOrder[created[j].table] })
	for _, r := range created {
		rw, err := t.rowOf(r, nil)
		if err != nil {
			return nil, err
		}
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: r.table, Row: rw, UUIDName: r.uuid})
	}
	existing := make([]*row, 0, len(t.rows))
	for _, r := range t.rows {
		if !r.created {
			existing = append(existing, r)
		}
	}
	sort.Slice(existing, func(i, j int) bool { return existing[i].uuid < existing[j].uuid })
	for _, r := range existing {
		if r.deleted {
			if r.table == nbdb.LogicalSwitchTable || r.table == nbdb.LogicalRouterTable {
				ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationDelete, Table: r.table, Where: []ovsdb.Condition{ovsdbops.UUIDCond(r.uuid)}})
			}
			continue
		}
		if len(r.dirty) > 0 {
			cols := make([]string, 0, len(r.dirty))
			for c := range r.dirty {
				cols = append(cols, c)
			}
			sort.Strings(cols)
			rw, err := t.rowOf(r, cols)
			if err != nil {
				return nil, err
			}
			ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: r.table, Row: rw, Where: []ovsdb.Condition{ovsdbops.UUIDCond(r.uuid)}})
		}
		for _, kind := range []struct {
			m   map[string][]string
			mut ovsdb.Mutator
		}{{r.del, ovsdb.MutateOperationDelete}, {r.add, ovsdb.MutateOperationInsert}} {
			cols := make([]string, 0, len(kind.m))
			for c, us := range kind.m {
				if len(us) > 0 {
					cols = append(cols, c)
				}
			}
			sort.Strings(cols)
			for _, c := range cols {
				ops = append(ops, ovsdb.Operation{
					Op: ovsdb.OperationMutate, Table: r.table, Where: []ovsdb.Condition{ovsdbops.UUIDCond(r.uuid)},
					Mutations: []ovsdb.Mutation{*ovsdb.NewMutation(c, kind.mut, ovsdbops.UUIDSet(kind.m[c]))},
				})
			}
		}
	}
	return ops, nil
}

// rowOf renders r's columns (all non-default ones when cols is nil).
func (t *txn) rowOf(r *row, cols []string) (ovsdb.Row, error) {
	info, err := t.dbm.NewModelInfo(r.m)
	if err != nil {
		return nil, err
	}
	if cols == nil {
		return t.dbm.Mapper.NewRow(info)
	}
	ts := t.dbm.Schema.Table(r.table)
	out := ovsdb.Row{}
	for _, c := range cols {
		v, err := info.FieldByColumn(c)
		if err != nil {
			return nil, err
		}
		ov, err := ovsdb.NativeToOvs(ts.Column(c), v)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", r.table, c, err)
		}
		out[c] = ov
	}
	return out, nil
}

// firstError is the first error in a transact reply to n operations
// (Index -1 for the commit's own error or a short reply).
func firstError(res []ovsdb.OperationResult, n int) *ovsdbrpc.OpError {
	return ovsdbrpc.FirstError(nil, n, res)
}
