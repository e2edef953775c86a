package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// The big-parent NB of section (c): one switch "bs" with n VM ports (and
// the router-type port of router "br"), and router "br" with n interfaces
// (the one to bs and n-1 others), next to a background of 1,000 VM ports
// on 10 switches of router r1 (fixtures.Generate(1, 10, 100, 0)).
const (
	bigSwitch = "bs"
	bigRouter = "br"
	bigLRP    = "br-bs" // br's port to bs, 10.128.0.1/16
)

// bigVM is VM port i (0-based) of bs: bvm<i>, fa:16:3f:<i>, 10.128.0.10+i.
func bigVM(i int) (name, mac, ip string) {
	return fmt.Sprintf("bvm%d", i), fmt.Sprintf("fa:16:3f:%02x:%02x:%02x", byte(i>>16), byte(i>>8), byte(i)),
		bigIP(10 + i).String()
}

// bigIP is host h of bs's 10.128.0.0/16 (h < 65535).
func bigIP(h int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, 128, byte(h >> 8), byte(h)})
}

// bigIface is br's interface i (1-based, i < 2^18): lrp-br-<i>,
// fa:16:3c:<i>, 172.16.0.0/12 cut in /30s.
func bigIface(i int) (name, mac, network string) {
	v := 4*i + 1
	a := netip.AddrFrom4([4]byte{172, 16 + byte(v>>16), byte(v >> 8), byte(v)})
	return fmt.Sprintf("lrp-br-%d", i), fmt.Sprintf("fa:16:3c:%02x:%02x:%02x", byte(i>>16), byte(i>>8), byte(i)),
		netip.PrefixFrom(a, 30).String()
}

// loadBig writes bs and br with n ports each, 1,000 rows a transaction.
func loadBig(ctx context.Context, endpoint string, n int) error {
	c, err := ovsdbrpc.Dial(ctx, endpoint, nil, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	tx := func(ops ...ovsdb.Operation) error {
		res, err := c.Transact(ctx, "OVN_Northbound", ops...)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Error != "" {
				return fmt.Errorf("loading the big NB: %s: %s", r.Error, r.Details)
			}
		}
		if len(res) < len(ops) {
			return fmt.Errorf("loading the big NB: %d results for %d operations", len(res), len(ops))
		}
		return nil
	}
	str := func(s string) ovsdb.OvsSet { return ovsdb.OvsSet{GoSet: []any{s}} }
	omap := func(k, v string) ovsdb.OvsMap { return ovsdb.OvsMap{GoMap: map[any]any{k: v}} }
	if err := tx(
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalRouterPortTable, UUIDName: "lrp",
			Row: ovsdb.Row{"name": bigLRP, "mac": "fa:16:3d:ff:00:01", "networks": str("10.128.0.1/16")}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalRouterTable,
			Row: ovsdb.Row{"name": bigRouter, "ports": ovsdbops.UUIDSet([]string{"lrp"})}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalSwitchPortTable, UUIDName: "rlsp",
			Row: ovsdb.Row{"name": bigSwitch + "-" + bigRouter, "type": "router", "addresses": str("router"),
				"options": omap("router-port", bigLRP)}},
		ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalSwitchTable,
			Row: ovsdb.Row{"name": bigSwitch, "ports": ovsdbops.UUIDSet([]string{"rlsp"})}},
	); err != nil {
		return err
	}
	const chunk = 1000
	for lo := 0; lo < n; lo += chunk {
		var ops []ovsdb.Operation
		var lsps, lrps []string
		for i := lo; i < min(lo+chunk, n); i++ {
			name, mac, ip := bigVM(i)
			u := fmt.Sprintf("p%d", i)
			ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalSwitchPortTable, UUIDName: u,
				Row: ovsdb.Row{"name": name, "addresses": str(mac + " " + ip)}})
			lsps = append(lsps, u)
			if i == 0 {
				continue // br's first interface is the one to bs
			}
			name, mac, network := bigIface(i)
			u = fmt.Sprintf("r%d", i)
			ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: nbdb.LogicalRouterPortTable, UUIDName: u,
				Row: ovsdb.Row{"name": name, "mac": mac, "networks": str(network)}})
			lrps = append(lrps, u)
		}
		ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nbdb.LogicalSwitchTable,
			Where:     []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, bigSwitch)},
			Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("ports", ovsdb.MutateOperationInsert, ovsdbops.UUIDSet(lsps))}})
		if len(lrps) > 0 {
			ops = append(ops, ovsdb.Operation{Op: ovsdb.OperationMutate, Table: nbdb.LogicalRouterTable,
				Where:     []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, bigRouter)},
				Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("ports", ovsdb.MutateOperationInsert, ovsdbops.UUIDSet(lrps))}})
		}
		if err := tx(ops...); err != nil {
			return err
		}
	}
	return nil
}

// bigFloor is what the server spends on the reads and guards a command on
// bs needs, measured in-process on an open session with raw JSON (no
// decoding beyond finding the reply): the floor under any client.
type bigFloor struct {
	minimal   samples // select of bs by name: one round trip
	perRow    samples // n selects by _uuid (addresses, type, options, name) in one transact
	perRowB   int     // reply bytes
	wholeTbl  samples // one select of the whole LSP table, same columns
	wholeTblB int
	guards    samples // n waits re-asserting those columns + a comment, in one transact
	guardsB   int     // request bytes
}

func measureBigFloor(ctx context.Context, endpoint string, nsamples int) (*bigFloor, error) {
	c, err := ovsdbrpc.Dial(ctx, endpoint, nil, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	call := func(params string) (time.Duration, int, json.RawMessage, error) {
		var out json.RawMessage
		t0 := time.Now()
		err := c.Call(ctx, "transact", json.RawMessage(params), &out)
		return time.Since(t0), len(out), out, err
	}
	db := `["OVN_Northbound",`
	_, _, raw, err := call(db + `{"op":"select","table":"Logical_Switch","where":[["name","==","` + bigSwitch + `"]],"columns":["ports"]}]`)
	if err != nil {
		return nil, err
	}
	var res []struct {
		Rows []struct {
			Ports []any `json:"ports"`
		} `json:"rows"`
	}
	if err := json.Unmarshal(raw, &res); err != nil || len(res) != 1 || len(res[0].Rows) != 1 {
		return nil, fmt.Errorf("select bs: %v %s", err, raw)
	}
	var uuids []string
	if ps := res[0].Rows[0].Ports; len(ps) == 2 && ps[0] == "set" {
		for _, u := range ps[1].([]any) {
			uuids = append(uuids, u.([]any)[1].(string))
		}
	}
	cols := `"columns":["name","type","addresses","options"]`
	var sel, wait strings.Builder
	sel.WriteString(db)
	for i, u := range uuids {
		if i > 0 {
			sel.WriteByte(',')
		}
		fmt.Fprintf(&sel, `{"op":"select","table":"Logical_Switch_Port","where":[["_uuid","==",["uuid","%s"]]],%s}`, u, cols)
	}
	sel.WriteByte(']')
	_, _, raw, err = call(sel.String())
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		return nil, err
	}
	wait.WriteString(db)
	for i, u := range uuids {
		r := rows[i].Rows[0]
		fmt.Fprintf(&wait, `{"op":"wait","table":"Logical_Switch_Port","timeout":0,"where":[["_uuid","==",["uuid","%s"]]],%s,"until":"==","rows":[{"name":%s,"type":%s,"addresses":%s,"options":%s}]},`,
			u, cols, r["name"], r["type"], r["addresses"], r["options"])
	}
	wait.WriteString(`{"op":"comment","comment":"floor"}]`)
	f := &bigFloor{guardsB: wait.Len()}
	for i := 0; i < nsamples; i++ {
		d, _, _, err := call(db + `{"op":"select","table":"Logical_Switch","where":[["name","==","` + bigSwitch + `"]],"columns":["_uuid"]}]`)
		if err != nil {
			return nil, err
		}
		f.minimal = append(f.minimal, d)
		d, n, _, err := call(sel.String())
		if err != nil {
			return nil, err
		}
		f.perRow, f.perRowB = append(f.perRow, d), n
		d, n, _, err = call(db + `{"op":"select","table":"Logical_Switch_Port","where":[],` + cols + `}]`)
		if err != nil {
			return nil, err
		}
		f.wholeTbl, f.wholeTblB = append(f.wholeTbl, d), n
		d, _, raw, err = call(wait.String())
		if err != nil {
			return nil, err
		}
		if strings.Contains(string(raw), `"error"`) {
			return nil, fmt.Errorf("guards failed: %.300s", raw)
		}
		f.guards = append(f.guards, d)
	}
	return f, nil
}
