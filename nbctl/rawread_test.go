package nbctl

import (
	"context"
	"reflect"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbops"
)

// TestRawReadMatchesLibovsdb: the raw path decodes a parent's ports into
// the same models libovsdb's mapper builds, for every column kind it
// handles and values other writers may leave (escapes, empty and
// multi-element sets, maps, optional ints and booleans).
func TestRawReadMatchesLibovsdb(t *testing.T) {
	n := startNB(t)
	n.must("init")
	set := func(v ...any) ovsdb.OvsSet { return ovsdb.OvsSet{GoSet: v} }
	omap := func(kv ...string) ovsdb.OvsMap {
		m := map[any]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return ovsdb.OvsMap{GoMap: m}
	}
	lsps := []ovsdb.Row{
		{"name": "plain", "addresses": set("fa:16:3e:00:00:01 10.0.0.1")},
		{"name": "multi", "addresses": set("fa:16:3e:00:00:02 10.0.0.2 10.0.0.3", "unknown", "dynamic"),
			"options": omap("a", "1", "b", "")},
		{"name": "esc\"aped\\ \u00e9\u2603", "type": "localnet", "options": omap("network_name", "q\"\\\t\n")},
		{"name": "empty"},
		{"name": "child", "parent_name": set("plain"), "tag_request": set(7), "tag": set(7), "up": set(true)},
		{"name": "down", "up": set(false)},
		{"name": "rtr", "type": "router", "addresses": set("router"), "options": omap("router-port", "lrp1")},
	}
	lrps := []ovsdb.Row{
		{"name": "lrp1", "mac": "fa:16:3e:ff:00:01", "networks": set("10.0.0.254/24", "fd00::1/64"), "peer": set("x")},
		{"name": "lrp2", "mac": "FA:16:3E:FF:00:02", "networks": set("10.1.0.1/24"), "options": omap("k", "v")},
	}
	var ops []ovsdb.Operation
	var lspNames, lrpNames []string
	for i, r := range lsps {
		u := "lsp" + string(rune('a'+i))
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalSwitchPortTable, Row: r, UUIDName: u})
		lspNames = append(lspNames, u)
	}
	for i, r := range lrps {
		u := "lrp" + string(rune('a'+i))
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalRouterPortTable, Row: r, UUIDName: u})
		lrpNames = append(lrpNames, u)
	}
	ops = append(ops,
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalSwitchTable, Row: ovsdb.Row{"name": "sw", "ports": ovsdbops.UUIDSet(lspNames)}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalRouterTable, Row: ovsdb.Row{"name": "lr", "ports": ovsdbops.UUIDSet(lrpNames)}})
	ctx := context.Background()
	c, dbm, err := connect(ctx, Options{DB: n.db}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Transact(ctx, nbDatabase, ops...)
	if err != nil {
		t.Fatal(err)
	}
	if e := firstError(res, len(ops)); e != nil {
		t.Fatal(e)
	}
	for _, k := range []struct{ parent, ptable string }{
		{nbdb.LogicalSwitchTable, nbdb.LogicalSwitchPortTable}, {nbdb.LogicalRouterTable, nbdb.LogicalRouterPortTable},
	} {
		cols := showLSPCols
		if k.ptable == nbdb.LogicalRouterPortTable {
			cols = showLRPCols
		}
		raw := newTxn(ctx, nbDB{c}, dbm)
		ps, err := raw.byName(k.parent, map[string]string{nbdb.LogicalSwitchTable: "sw", nbdb.LogicalRouterTable: "lr"}[k.parent])
		if err != nil || len(ps) != 1 {
			t.Fatal(ps, err)
		}
		got, err := raw.children(ps[0], cols, true)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(raw.waits) + len(raw.rawWaits); n != len(got)+2 {
			t.Errorf("%s: %d waits for %d rows, their parent's name and its ports", k.ptable, n, len(got))
		}
		ref := newTxn(ctx, nbDB{c}, dbm)
		for _, p := range got {
			rs, err := ref.read(query{table: k.ptable, where: []ovsdb.Condition{ovsdbops.UUIDCond(p.uuid)}, columns: cols})
			if err != nil || len(rs[0]) != 1 {
				t.Fatal(rs, err)
			}
			want := rs[0][0].m
			if !reflect.DeepEqual(p.m, want) {
				t.Errorf("%s %s:\nraw      %+v\nlibovsdb %+v", k.ptable, p.uuid, p.m, want)
			}
		}
		// The guards hold on an unchanged NB: a commit of them succeeds.
		raw.update(ps[0], "name")
		if _, _, err := commit(raw, "none", nil); err != nil {
			t.Errorf("%s: commit with the guards: %v", k.parent, err)
		}
		// portsOf guards every row on the raw path.
		pt := newTxn(ctx, nbDB{c}, dbm)
		ps, _ = pt.byName(k.parent, nameOf(ps[0]))
		if got, err = pt.portsOf(ps[0]); err != nil || len(got) != map[string]int{nbdb.LogicalSwitchTable: len(lsps), nbdb.LogicalRouterTable: len(lrps)}[k.parent] {
			t.Fatal(len(got), err)
		}
		if len(pt.rawWaits) != len(got)+1 {
			t.Errorf("%s: %d raw waits for %d rows and the ports set", k.parent, len(pt.rawWaits), len(got))
		}
		pt.update(ps[0], "name")
		if _, _, err := commit(pt, "none", nil); err != nil {
			t.Errorf("%s: commit with the raw guards: %v", k.parent, err)
		}
		// ... and they fail once a row read has changed.
		pt = newTxn(ctx, nbDB{c}, dbm)
		ps, _ = pt.byName(k.parent, nameOf(ps[0]))
		if _, err = pt.portsOf(ps[0]); err != nil {
			t.Fatal(err)
		}
		pt.update(ps[0], "name")
		n.must(map[string][]string{
			nbdb.LogicalSwitchTable: {"lsp-set-addresses", "plain", "fa:16:3e:00:00:09 10.0.0.9"},
			nbdb.LogicalRouterTable: {"lrp-del", "lrp2"},
		}[k.parent]...)
		if _, _, err := commit(pt, "none", nil); err != errRetry {
			t.Errorf("%s: commit after a change under the guards: %v, want errRetry", k.parent, err)
		}
	}
}
