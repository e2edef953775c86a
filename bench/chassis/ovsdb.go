package main

import (
	"fmt"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

// Raw OVSDB helpers on our own JSON-RPC session (internal/ovsdbrpc), as
// bench/northd's: the floor's read and the benchmark's own writes.

// db is one raw session to one database (bench/internal/benchkit).
type db = benchkit.DB

const (
	nbDB = "OVN_Northbound"
	sbDB = "OVN_Southbound"
)

func named(n string) ovsdb.UUID { return ovsdb.UUID{GoUUID: n} }

// claimOp is chassis' claim on port, as dvr-chassis writes it (a
// DVR_Port_Claim row; dvr-northd copies it into Port_Binding.chassis and
// up).
func claimOp(port, chassis string, up bool) ovsdb.Operation {
	return insertInto("DVR_Port_Claim", "", ovsdb.Row{"logical_port": port, "chassis_name": chassis, "up": up})
}

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
	return ovsdb.Operation{Op: ovsdb.OperationMutate, Table: table, Where: []ovsdb.Condition{benchkit.UUIDIs(rowUUID)},
		Mutations: []ovsdb.Mutation{{Column: column, Mutator: ovsdb.MutateOperationInsert, Value: set(ref)}}}
}

func update(table, rowUUID string, row ovsdb.Row) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: table, Where: []ovsdb.Condition{benchkit.UUIDIs(rowUUID)}, Row: row}
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

// waitBackoff is waitFor polling every 2 ms until 20 ms after from, then
// every 4, 8 and at most 16 ms.
func waitBackoff(what string, from time.Time, timeout time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	step := 2 * time.Millisecond
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
		if time.Since(from) > 20*time.Millisecond && step < 16*time.Millisecond {
			step *= 2
		}
		time.Sleep(step)
	}
}
