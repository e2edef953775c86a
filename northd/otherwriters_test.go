package northd

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbops"
)

// lspUUID is a switch port's UUID by name ("" when absent), from the view.
func (e *env) lspUUID(name string) string {
	nb, _ := e.snapshot()
	for _, p := range nb.SwitchPorts {
		if p.Name == name {
			return p.UUID
		}
	}
	return ""
}

// parentsOf lists the switches whose ports include the named port.
func (e *env) parentsOf(name string) []string {
	nb, _ := e.snapshot()
	u := ""
	for _, p := range nb.SwitchPorts {
		if p.Name == name {
			u = p.UUID
		}
	}
	var out []string
	for _, ls := range nb.Switches {
		if u != "" && slices.Contains(ls.Ports, u) {
			out = append(out, ls.Name)
		}
	}
	slices.Sort(out)
	return out
}

func portsMutation(sw string, op ovsdb.Mutator, uuids ...string) ovsdb.Operation {
	return ovsdb.Operation{Op: "mutate", Table: "Logical_Switch", Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, sw)},
		Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("ports", op, ovsdbops.UUIDSet(uuids))}}
}

// TestIncrementalMatchesRecomputeWithOtherWriters drives the running
// northd with the rows other NB clients make and dvr-nbctl never would: a
// port in two switches and then in one again, conflicting IPs and MACs,
// ports removed and re-added under the same name, ports moved between
// switches; after every step a full recompute must find nothing to write.
func TestIncrementalMatchesRecomputeWithOtherWriters(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("seed")
	defer func() {
		if d := a.n.Stats().Drift.Load(); d != 0 && !t.Failed() {
			t.Errorf("NB changes and northd's own writes taken for SB drift %d times", d)
		}
	}()
	rng := rand.New(rand.NewPCG(7, 11))
	ports := []string{"vm11", "vm12", "vm21", "vm22"}
	pick := func() string { return ports[rng.IntN(len(ports))] }
	other := map[string]string{"sw1": "sw2", "sw2": "sw1"}
	addr := func(i int, sw string) string {
		return fmt.Sprintf("fa:16:3e:77:00:%02x 10.0.%s.%d", i, sw[2:], 100+i)
	}
	for i := 0; i < 60; i++ {
		var what string
		switch op := rng.IntN(8); op {
		case 0: // a valid new port
			sw := []string{"sw1", "sw2"}[rng.IntN(2)]
			name := fmt.Sprintf("p%02d", i)
			e.nbctl("lsp-add", sw, name, "--", "lsp-set-addresses", name, addr(i, sw))
			ports = append(ports, name)
			what = "add " + name
		case 1: // listed by a second switch
			p := pick()
			if ps := e.parentsOf(p); len(ps) == 1 {
				e.rawNB(portsMutation(other[ps[0]], ovsdb.MutateOperationInsert, e.lspUUID(p)))
			}
			what = "share " + p
		case 2: // out of one of its switches again
			p := pick()
			if ps := e.parentsOf(p); len(ps) == 2 {
				e.rawNB(portsMutation(ps[rng.IntN(2)], ovsdb.MutateOperationDelete, e.lspUUID(p)))
			}
			what = "unshare " + p
		case 3: // the IP or MAC of another port
			p, q := pick(), pick()
			nb, _ := e.snapshot()
			var qa []string
			for _, sp := range nb.SwitchPorts {
				if sp.Name == q {
					qa = sp.Addresses
				}
			}
			if len(qa) > 0 && p != q {
				f := []string{qa[0]}
				if rng.IntN(2) == 0 { // same IP, own MAC
					var mac, ip string
					fmt.Sscan(qa[0], &mac, &ip)
					f = []string{fmt.Sprintf("fa:16:3e:78:00:%02x %s", i, ip)}
				}
				setRawAddresses(e, p, f...)
			}
			what = fmt.Sprintf("conflict %s with %s", p, q)
		case 4: // removed and re-added under the same name
			p := pick()
			if ps := e.parentsOf(p); len(ps) > 0 {
				u := e.lspUUID(p)
				for _, sw := range ps {
					e.rawNB(portsMutation(sw, ovsdb.MutateOperationDelete, u))
				}
				addRawPort(e, ps[0], p, "", []string{addr(i, ps[0])}, nil)
			}
			what = "re-add " + p
		case 5: // moved to the other switch in one transaction
			p := pick()
			if ps := e.parentsOf(p); len(ps) == 1 {
				u := e.lspUUID(p)
				e.rawNB(portsMutation(ps[0], ovsdb.MutateOperationDelete, u), portsMutation(other[ps[0]], ovsdb.MutateOperationInsert, u))
			}
			what = "move " + p
		case 6: // claimed somewhere
			p := pick()
			if e.portCount(p) > 0 {
				e.sbctl("--if-exists", "lsp-unbind", p)
				e.sbctl("lsp-bind", p, []string{"hv1", "hv2", "hv3"}[rng.IntN(3)])
			}
			what = "bind " + p
		default: // deleted
			p := pick()
			if ps := e.parentsOf(p); len(ps) > 0 {
				u := e.lspUUID(p)
				for _, sw := range ps {
					e.rawNB(portsMutation(sw, ovsdb.MutateOperationDelete, u))
				}
			}
			what = "delete " + p
		}
		e.nbctl("--wait=sb", "sync")
		e.recomputeIsNoop(fmt.Sprintf("step %d (%s)", i, what))
	}
}

// TestSharedPortsAreBadRows: a switch port two switches list and a router
// port two routers list are logged, left out of SB (neither moves
// silently), and picked up when one parent is left.
func TestSharedPortsAreBadRows(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "lr-add", "r2")
	nb, _ := e.snapshot()
	lrp := ""
	for _, p := range nb.RouterPorts {
		if p.Name == "r1-sw2" {
			lrp = p.UUID
		}
	}
	e.rawNB(portsMutation("sw2", ovsdb.MutateOperationInsert, e.lspUUID("vm12")),
		ovsdb.Operation{Op: "mutate", Table: "Logical_Router", Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, "r2")},
			Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("ports", ovsdb.MutateOperationInsert, ovsdbops.UUIDSet([]string{lrp}))}})
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("shared")
	if e.portCount("vm12") != 0 || e.portCount("r1-sw2") != 0 {
		t.Fatalf("a shared port kept a binding:\n%s", e.canonical())
	}
	waitFor(t, "both logged", func() bool {
		l := a.logText()
		return regexpCount(l, `listed in the ports of 2 switches \(sw1, sw2\)`) == 1 && regexpCount(l, `listed in the ports of 2 routers \(r1, r2\)`) == 1
	})
	e.rawNB(portsMutation("sw1", ovsdb.MutateOperationDelete, e.lspUUID("vm12")),
		ovsdb.Operation{Op: "mutate", Table: "Logical_Router", Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, "r2")},
			Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("ports", ovsdb.MutateOperationDelete, ovsdbops.UUIDSet([]string{lrp}))}})
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("one parent each")
	sb := e.canonical()
	for _, want := range []string{"sw2/vm12 ", "sw2/r1-sw2 "} {
		if !strings.Contains(sb, want) {
			t.Fatalf("%q not picked up:\n%s", want, sb)
		}
	}
}

func regexpCount(s, re string) int { return len(regexp.MustCompile(re).FindAllStringIndex(s, -1)) }
