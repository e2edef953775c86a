package benchkit

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// DB is one raw JSON-RPC session (internal/ovsdbrpc) to one database, for
// the benchmarks' own reads and writes and their floors. It works the same
// on our schemas and on OVN's, which share the names the benchmarks use.
type DB struct {
	c    *ovsdbrpc.Conn
	name string
}

// Dial opens a session to database name at endpoint.
func Dial(ctx context.Context, endpoint, name string) (*DB, error) {
	c, err := ovsdbrpc.Dial(ctx, endpoint, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", endpoint, err)
	}
	return &DB{c: c, name: name}, nil
}

// On wraps a session already open (it is closed by its owner).
func On(c *ovsdbrpc.Conn, name string) *DB { return &DB{c: c, name: name} }

// Conn is the session, for what DB does not wrap.
func (d *DB) Conn() *ovsdbrpc.Conn { return d.c }

// Name is the database's name.
func (d *DB) Name() string { return d.name }

// Close ends the session.
func (d *DB) Close() { d.c.Close() }

// Transact runs ops as one transaction; any failed operation is an error.
func (d *DB) Transact(ctx context.Context, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
	res, err := d.c.Transact(ctx, d.name, ops...)
	if err != nil {
		return nil, err
	}
	if e := ovsdbrpc.FirstError(ops, 0, res); e != nil {
		return nil, fmt.Errorf("%s: %w", d.name, e)
	}
	if len(res) > len(ops) {
		return nil, fmt.Errorf("%s: %v", d.name, res[len(ops):])
	}
	return res, nil
}

// Select reads the columns of the rows where holds (every row for none).
func (d *DB) Select(ctx context.Context, table string, cols []string, where ...ovsdb.Condition) ([]ovsdb.Row, error) {
	if where == nil {
		where = []ovsdb.Condition{}
	}
	res, err := d.Transact(ctx, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: table, Where: where, Columns: cols})
	if err != nil {
		return nil, err
	}
	return res[0].Rows, nil
}

// Count counts the rows where holds.
func (d *DB) Count(ctx context.Context, table string, where ...ovsdb.Condition) (int, error) {
	rows, err := d.Select(ctx, table, []string{"_uuid"}, where...)
	return len(rows), err
}

// ByName maps a table's name column to _uuid.
func (d *DB) ByName(ctx context.Context, table, nameCol string) (map[string]string, error) {
	rows, err := d.Select(ctx, table, []string{"_uuid", nameCol})
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r[nameCol].(string)] = r["_uuid"].(ovsdb.UUID).GoUUID
	}
	return m, nil
}

// UUIDIs is the condition _uuid == u.
func UUIDIs(u string) ovsdb.Condition {
	return ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, ovsdb.UUID{GoUUID: u})
}

// ToInt reads an integer column value as the JSON decoder left it.
func ToInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case float64:
		return int(x)
	case json.Number:
		n, _ := x.Int64()
		return int(n)
	}
	return 0
}

// BumpNbCfg increments NB_Global.nb_cfg and returns the new value.
func BumpNbCfg(ctx context.Context, nb *DB) (int, error) {
	res, err := nb.Transact(ctx,
		ovsdb.Operation{Op: ovsdb.OperationMutate, Table: "NB_Global", Where: []ovsdb.Condition{},
			Mutations: []ovsdb.Mutation{{Column: "nb_cfg", Mutator: ovsdb.MutateOperationAdd, Value: 1}}},
		ovsdb.Operation{Op: ovsdb.OperationSelect, Table: "NB_Global", Where: []ovsdb.Condition{}, Columns: []string{"nb_cfg"}})
	if err != nil {
		return 0, err
	}
	if res[0].Count != 1 || len(res[1].Rows) != 1 {
		return 0, fmt.Errorf("NB_Global: %d rows mutated, %d read", res[0].Count, len(res[1].Rows))
	}
	return ToInt(res[1].Rows[0]["nb_cfg"]), nil
}
