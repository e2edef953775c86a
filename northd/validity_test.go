package northd

import (
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"
)

// TestNBValidityClassesSkippedAndPickedUp: rows of internal/nbvalid's
// newer classes written by another client (a VM on an attached subnet's
// network address, a router port with peer="") are skipped and logged by
// the running daemon, the router interface on the VM's switch keeps
// working, and both are picked up when fixed (a peer change is a router
// port change).
func TestNBValidityClassesSkippedAndPickedUp(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	addRawPort(e, "sw1", "on-net", "", []string{"fa:16:3e:00:01:97 10.0.1.0"}, nil)
	setPeer := func(v []interface{}) {
		e.rawNB(ovsdb.Operation{Op: "update", Table: "Logical_Router_Port",
			Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, "r1-sw2")},
			Row:   ovsdb.Row{"peer": ovsdb.OvsSet{GoSet: v}}})
	}
	setPeer([]interface{}{""})
	e.nbctl("--wait=sb", "sync")
	sb := e.settle()
	for _, bad := range []string{"/on-net ", "/r1-sw2 "} {
		if strings.Contains(sb, bad) {
			t.Fatalf("bad row %q reached SB:\n%s", bad, sb)
		}
	}
	for _, good := range []string{"sw1/r1-sw1 ", "sw1/vm11 ", "sw2/vm21 "} {
		if !strings.Contains(sb, good) {
			t.Fatalf("good row %q missing:\n%s", good, sb)
		}
	}
	log := a.logText()
	for _, want := range []string{"10.0.1.0: the network address of subnet 10.0.1.0/24 of router port r1-sw1", "peer=: empty peer"} {
		if !strings.Contains(log, want) {
			t.Fatalf("log lacks %q:\n%s", want, log)
		}
	}
	setRawAddresses(e, "on-net", "fa:16:3e:00:01:97 10.0.1.97")
	setPeer([]interface{}{})
	e.nbctl("--wait=sb", "sync")
	sb = e.settle()
	for _, good := range []string{"sw1/on-net ", "sw2/r1-sw2 "} {
		if !strings.Contains(sb, good) {
			t.Fatalf("fixed row %q not picked up:\n%s", good, sb)
		}
	}
}
