package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// Raw OVSDB helpers on our own JSON-RPC session (internal/ovsdbrpc), as
// bench/northd's: the floor's read and the benchmark's own writes.

const (
	nbDB = "OVN_Northbound"
	sbDB = "OVN_Southbound"
)

type db struct {
	c    *ovsdbrpc.Conn
	name string
}

func dial(ctx context.Context, endpoint, name string) (*db, error) {
	c, err := ovsdbrpc.Dial(ctx, endpoint, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", endpoint, err)
	}
	return &db{c: c, name: name}, nil
}

func (d *db) close() { d.c.Close() }

func (d *db) transact(ctx context.Context, ops ...ovsdb.Operation) ([]ovsdb.OperationResult, error) {
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

func (d *db) selectRows(ctx context.Context, table string, cols []string, where ...ovsdb.Condition) ([]ovsdb.Row, error) {
	if where == nil {
		where = []ovsdb.Condition{}
	}
	res, err := d.transact(ctx, ovsdb.Operation{Op: ovsdb.OperationSelect, Table: table, Where: where, Columns: cols})
	if err != nil {
		return nil, err
	}
	return res[0].Rows, nil
}

func (d *db) count(ctx context.Context, table string, where ...ovsdb.Condition) (int, error) {
	rows, err := d.selectRows(ctx, table, []string{"_uuid"}, where...)
	return len(rows), err
}

// byName maps the name column to _uuid.
func (d *db) byName(ctx context.Context, table, nameCol string) (map[string]string, error) {
	rows, err := d.selectRows(ctx, table, []string{"_uuid", nameCol})
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r[nameCol].(string)] = r["_uuid"].(ovsdb.UUID).GoUUID
	}
	return m, nil
}

func uuidIs(u string) ovsdb.Condition {
	return ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, ovsdb.UUID{GoUUID: u})
}

func named(n string) ovsdb.UUID { return ovsdb.UUID{GoUUID: n} }

func set(vs ...any) ovsdb.OvsSet { return ovsdb.OvsSet{GoSet: vs} }

func omap(kv ...string) ovsdb.OvsMap {
	m := ovsdb.OvsMap{GoMap: map[any]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		m.GoMap[kv[i]] = kv[i+1]
	}
	return m
}

func insertInto(table, uuidName string, row ovsdb.Row) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationInsert, Table: table, UUIDName: uuidName, Row: row}
}

func addRef(table, rowUUID, column string, ref ovsdb.UUID) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationMutate, Table: table, Where: []ovsdb.Condition{uuidIs(rowUUID)},
		Mutations: []ovsdb.Mutation{{Column: column, Mutator: ovsdb.MutateOperationInsert, Value: set(ref)}}}
}

func update(table, rowUUID string, row ovsdb.Row) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: table, Where: []ovsdb.Condition{uuidIs(rowUUID)}, Row: row}
}

func toInt(v any) int {
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

// bumpNbCfg increments NB_Global.nb_cfg and returns the new value.
func bumpNbCfg(ctx context.Context, nb *db) (int, error) {
	res, err := nb.transact(ctx,
		ovsdb.Operation{Op: ovsdb.OperationMutate, Table: "NB_Global", Where: []ovsdb.Condition{},
			Mutations: []ovsdb.Mutation{{Column: "nb_cfg", Mutator: ovsdb.MutateOperationAdd, Value: 1}}},
		ovsdb.Operation{Op: ovsdb.OperationSelect, Table: "NB_Global", Where: []ovsdb.Condition{}, Columns: []string{"nb_cfg"}})
	if err != nil {
		return 0, err
	}
	if len(res[1].Rows) != 1 {
		return 0, fmt.Errorf("NB_Global: %d rows", len(res[1].Rows))
	}
	return toInt(res[1].Rows[0]["nb_cfg"]), nil
}

// waitFor polls cond every step until it holds or timeout passes.
func waitFor(what string, step, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not after %v", what, timeout)
		}
		time.Sleep(step)
	}
}
