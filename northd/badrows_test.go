package northd

import (
	"context"
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// rawNB writes rows straight into NB, as another client might, with no
// validation.
func (e *env) rawNB(ops ...ovsdb.Operation) { e.raw(e.nb, nbDatabase, ops) }

// rawSB writes straight into SB, as another client might.
func (e *env) rawSB(ops ...ovsdb.Operation) { e.raw(e.sb, sbDatabase, ops) }

func (e *env) raw(srv *ovsdbtest.Server, db string, ops []ovsdb.Operation) {
	e.t.Helper()
	c, err := ovsdbrpc.Dial(context.Background(), srv.Endpoint(), nil, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Transact(context.Background(), db, ops...)
	if err := checked(res, err); err != nil {
		e.t.Fatalf("raw %s write: %v", db, err)
	}
}

func switchUUID(e *env, name string) string {
	out := strings.TrimSpace(e.nbctl("ls-list"))
	for _, l := range strings.Split(out, "\n") {
		if strings.HasSuffix(l, "("+name+")") {
			return strings.Fields(l)[0]
		}
	}
	e.t.Fatalf("no switch %s in %q", name, out)
	return ""
}

func addRawPort(e *env, sw, name, typ string, addrs []string, opts map[string]string) {
	e.t.Helper()
	row := ovsdb.Row{"name": name, "type": typ, "addresses": ovsdb.OvsSet{GoSet: toIfaces(addrs)}}
	if opts != nil {
		m := ovsdb.OvsMap{GoMap: map[interface{}]interface{}{}}
		for k, v := range opts {
			m.GoMap[k] = v
		}
		row["options"] = m
	}
	e.rawNB(
		ovsdb.Operation{Op: "insert", Table: "Logical_Switch_Port", Row: row, UUIDName: "p"},
		ovsdb.Operation{Op: "mutate", Table: "Logical_Switch", Where: []ovsdb.Condition{ovsdbops.UUIDCond(switchUUID(e, sw))},
			Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("ports", ovsdb.MutateOperationInsert, ovsdbops.UUIDSet([]string{"p"}))}},
	)
}

func toIfaces(ss []string) []interface{} {
	out := make([]interface{}, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func setRawAddresses(e *env, port string, addrs ...string) {
	e.t.Helper()
	e.rawNB(ovsdb.Operation{Op: "update", Table: "Logical_Switch_Port",
		Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, port)},
		Row:   ovsdb.Row{"addresses": ovsdb.OvsSet{GoSet: toIfaces(addrs)}}})
}

// TestBadNBRowsSkippedLoggedOnceAndPickedUpWhenFixed writes the classes of
// rows dvr-nbctl refuses straight into NB.
func TestBadNBRowsSkippedLoggedOnceAndPickedUpWhenFixed(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("ls-add", "sw3")
	addRawPort(e, "sw1", "bad-addr", "", []string{"fa:16:3e:00:01:zz 10.0.1.99"}, nil)
	addRawPort(e, "sw1", "dup-ip", "", []string{"fa:16:3e:00:01:98 10.0.1.11"}, nil)
	addRawPort(e, "sw3", "sw3-r1", "router", []string{"router"}, map[string]string{"router-port": "r1-sw3"})
	// An LRP with an invalid network, attached to sw3 by sw3-r1.
	e.rawNB(
		ovsdb.Operation{Op: "insert", Table: "Logical_Router_Port", UUIDName: "rp",
			Row: ovsdb.Row{"name": "r1-sw3", "mac": "fa:16:3e:00:ff:03", "networks": ovsdb.OvsSet{GoSet: []interface{}{"10.0.3.0/24"}}}},
		ovsdb.Operation{Op: "mutate", Table: "Logical_Router", Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, "r1")},
			Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("ports", ovsdb.MutateOperationInsert, ovsdbops.UUIDSet([]string{"rp"}))}},
	)
	// The real ovn-nbctl lrp-del leaves sw2-r1 naming a missing router port.
	if out, err := runCmd("ovn-nbctl", "--db="+e.nb.Endpoint(), "lrp-del", "r1-sw2"); err != nil {
		t.Fatalf("ovn-nbctl lrp-del: %v %s", err, out)
	}
	// northd keeps working: a valid change goes through.
	e.nbctl("--wait=sb", "lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.13")
	e.nbctl("--wait=sb", "sync")
	sb := e.settle()
	for _, bad := range []string{"/bad-addr ", "/dup-ip ", "/r1-sw3 ", "/r1-sw2 "} {
		if strings.Contains(sb, bad) {
			t.Fatalf("bad row %q reached SB:\n%s", bad, sb)
		}
	}
	if !strings.Contains(sb, "sw1/vm13 ") || !strings.Contains(sb, "sw1/vm11 ") {
		t.Fatalf("good rows missing:\n%s", sb)
	}
	log := a.logText()
	for _, row := range []string{`row=bad-addr`, `row=dup-ip`, `row=r1-sw3`, `row=sw2-r1`} {
		if n := strings.Count(log, row+" "); n != 1 && strings.Count(log, row+"\n") != 1 {
			t.Fatalf("%s logged %d times:\n%s", row, n, log)
		}
	}
	// Fix them: each is picked up.
	setRawAddresses(e, "bad-addr", "fa:16:3e:00:01:63 10.0.1.99")
	setRawAddresses(e, "dup-ip", "fa:16:3e:00:01:62 10.0.1.98")
	e.rawNB(ovsdb.Operation{Op: "update", Table: "Logical_Router_Port",
		Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, "r1-sw3")},
		Row:   ovsdb.Row{"networks": ovsdb.OvsSet{GoSet: []interface{}{"10.0.3.1/24"}}}})
	e.nbctl("lrp-add", "r1", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24")
	e.nbctl("--wait=sb", "sync")
	sb = e.settle()
	for _, good := range []string{"sw1/bad-addr ", "sw1/dup-ip ", "sw3/r1-sw3 ", "sw2/r1-sw2 "} {
		if !strings.Contains(sb, good) {
			t.Fatalf("fixed row %q not picked up:\n%s", good, sb)
		}
	}
	if !strings.Contains(a.logText(), "no longer skipped") {
		t.Fatal("fixes were not logged")
	}
}
