package ovsdbops

import (
	"fmt"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
)

// UUIDCond matches one row by UUID.
func UUIDCond(u string) ovsdb.Condition {
	return ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, ovsdb.UUID{GoUUID: u})
}

// UUIDSet is an OVSDB set of UUIDs (real or named).
func UUIDSet(us []string) ovsdb.OvsSet {
	s := ovsdb.OvsSet{GoSet: make([]interface{}, len(us))}
	for i, u := range us {
		s.GoSet[i] = ovsdb.UUID{GoUUID: u}
	}
	return s
}

// Row renders m's columns: every non-default column when cols is empty,
// else exactly cols.
func Row(dbm model.DatabaseModel, m model.Model, cols ...string) (ovsdb.Row, error) {
	info, err := dbm.NewModelInfo(m)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return dbm.Mapper.NewRow(info)
	}
	ts := info.Metadata.TableSchema
	out := ovsdb.Row{}
	for _, c := range cols {
		v, err := info.FieldByColumn(c)
		if err != nil {
			return nil, err
		}
		cs := ts.Column(c)
		if cs == nil {
			return nil, fmt.Errorf("%s has no column %s", info.Metadata.TableName, c)
		}
		ov, err := ovsdb.NativeToOvs(cs, v)
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", info.Metadata.TableName, c, err)
		}
		out[c] = ov
	}
	return out, nil
}

// Insert inserts m as a new row named by the named UUID name.
func Insert(dbm model.DatabaseModel, table string, m model.Model, name string) (ovsdb.Operation, error) {
	r, err := Row(dbm, m)
	if err != nil {
		return ovsdb.Operation{}, err
	}
	delete(r, "_uuid")
	return ovsdb.Operation{Op: ovsdb.OperationInsert, Table: table, Row: r, UUIDName: name}, nil
}

// Update writes cols of m to the row with UUID u.
func Update(dbm model.DatabaseModel, table, u string, m model.Model, cols ...string) (ovsdb.Operation, error) {
	r, err := Row(dbm, m, cols...)
	if err != nil {
		return ovsdb.Operation{}, err
	}
	return ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: table, Row: r, Where: []ovsdb.Condition{UUIDCond(u)}}, nil
}

// Delete deletes the row with UUID u.
func Delete(table, u string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationDelete, Table: table, Where: []ovsdb.Condition{UUIDCond(u)}}
}

// SetMapKey sets key=value in a map column of row u (delete then insert,
// as OVSDB's map insert does not overwrite).
func SetMapKey(table, u, col, key, value string) []ovsdb.Operation {
	where := []ovsdb.Condition{UUIDCond(u)}
	return []ovsdb.Operation{
		{Op: ovsdb.OperationMutate, Table: table, Where: where, Mutations: []ovsdb.Mutation{
			*ovsdb.NewMutation(col, ovsdb.MutateOperationDelete, ovsdb.OvsSet{GoSet: []interface{}{key}})}},
		{Op: ovsdb.OperationMutate, Table: table, Where: where, Mutations: []ovsdb.Mutation{
			*ovsdb.NewMutation(col, ovsdb.MutateOperationInsert, ovsdb.OvsMap{GoMap: map[interface{}]interface{}{key: value}})}},
	}
}

// WaitHasKey succeeds only if exactly one row of table has key=value in
// map column col (used to fence writers by an epoch).
func WaitHasKey(table, col, key, value string) ovsdb.Operation {
	return ovsdb.Operation{
		Op: ovsdb.OperationWait, Table: table, Timeout: Ptr(0), Until: string(ovsdb.WaitConditionEqual),
		Where:   []ovsdb.Condition{ovsdb.NewCondition(col, ovsdb.ConditionIncludes, ovsdb.OvsMap{GoMap: map[interface{}]interface{}{key: value}})},
		Columns: []string{}, Rows: []ovsdb.Row{{}},
	}
}

// Assert asserts that the session holds lock.
func Assert(lock string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationAssert, Lock: &lock}
}

// Ptr returns a pointer to a copy of v (for optional fields).
func Ptr[T any](v T) *T { return &v }
