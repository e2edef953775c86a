package northd

import (
	"strings"
	"testing"
)

// bound lists which of the named ports have a Port_Binding.
func (e *env) bound(names ...string) map[string]bool {
	_, sb := e.snapshot()
	out := map[string]bool{}
	for _, pb := range sb.Ports {
		for _, n := range names {
			if pb.LogicalPort == n {
				out[n] = true
			}
		}
	}
	return out
}

func (e *env) wantBound(step string, yes, no []string) {
	e.t.Helper()
	e.recomputeIsNoop(step)
	got := e.bound(append(yes, no...)...)
	for _, n := range yes {
		if !got[n] {
			e.t.Fatalf("%s: %s has no Port_Binding:\n%s", step, n, e.canonical())
		}
	}
	for _, n := range no {
		if got[n] {
			e.t.Fatalf("%s: %s has a Port_Binding:\n%s", step, n, e.canonical())
		}
	}
}

// TestConflictRule: of two VM ports with one IP on a switch (written by
// other clients), the one whose Port_Binding already carries its addresses
// keeps them, then one that has a binding, then the lowest name; the
// result is the same after a northd restart, and an SB rebuilt from empty
// gives it to the lowest name (schema/README.md, "Conflicts").
func TestConflictRule(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	// vm-b first, then vm-a with the same IP: vm-b is bound, keeps it.
	addRawPort(e, "sw1", "vm-b", "", []string{"fa:16:3e:00:01:50 10.0.1.50"}, nil)
	e.nbctl("--wait=sb", "sync")
	addRawPort(e, "sw1", "vm-a", "", []string{"fa:16:3e:00:01:51 10.0.1.50"}, nil)
	e.nbctl("--wait=sb", "sync")
	e.wantBound("newcomer", []string{"vm-b"}, []string{"vm-a"})
	// vm-0, bound with its own IP, takes vm11's: vm11's binding carries
	// 10.0.1.11, so vm11 keeps it although vm-0 sorts first.
	addRawPort(e, "sw1", "vm-0", "", []string{"fa:16:3e:00:01:60 10.0.1.60"}, nil)
	e.nbctl("--wait=sb", "sync")
	setRawAddresses(e, "vm-0", "fa:16:3e:00:01:60 10.0.1.11")
	e.nbctl("--wait=sb", "sync")
	e.wantBound("bound port takes a bound port's IP", []string{"vm11", "vm-b"}, []string{"vm-0", "vm-a"})
	if !strings.Contains(a.logText(), "IP 10.0.1.11 is also used by vm11") {
		t.Fatalf("the loser was not logged:\n%s", a.logText())
	}

	a.stop()
	b := e.start("b")
	waitFor(t, "b active", b.n.Active)
	e.nbctl("--wait=sb", "sync")
	e.wantBound("after a restart", []string{"vm11", "vm-b"}, []string{"vm-0", "vm-a"})

	b.stop()
	if err := e.sb.Recreate(); err != nil {
		t.Fatal(err)
	}
	e.reconnectReaders()
	c := e.start("c")
	waitFor(t, "c active", c.n.Active)
	e.nbctl("--wait=sb", "sync")
	e.wantBound("SB rebuilt from empty", []string{"vm-0", "vm-a"}, []string{"vm11", "vm-b"})
}
