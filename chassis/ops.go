package chassis

import (
	"sort"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbops"
)

// Raw OVSDB operations: the chassis writes named columns only (its local
// monitor does not read whole rows).

func ovsMap(m map[string]string) ovsdb.OvsMap {
	g := make(map[any]any, len(m))
	for k, v := range m {
		g[k] = v
	}
	return ovsdb.OvsMap{GoMap: g}
}

func uuidRef(u string) ovsdb.UUID { return ovsdb.UUID{GoUUID: u} }

func insertOp(table, name string, row ovsdb.Row) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationInsert, Table: table, UUIDName: name, Row: row}
}

func updateOp(table, uuid string, row ovsdb.Row, extra ...ovsdb.Condition) ovsdb.Operation {
	where := append([]ovsdb.Condition{ovsdbops.UUIDCond(uuid)}, extra...)
	return ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: table, Where: where, Row: row}
}

func setMutate(table, uuid, col string, mut ovsdb.Mutator, refs []string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationMutate, Table: table, Where: []ovsdb.Condition{ovsdbops.UUIDCond(uuid)},
		Mutations: []ovsdb.Mutation{*ovsdb.NewMutation(col, mut, ovsdbops.UUIDSet(refs))}}
}

func deleteOp(table, uuid string) ovsdb.Operation { return ovsdbops.Delete(table, uuid) }

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// withKey returns a copy of m with key set to value ("" deletes it).
func withKey(m map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	if value == "" {
		delete(out, key)
	} else {
		out[key] = value
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
