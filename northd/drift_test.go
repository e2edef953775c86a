package northd

import (
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"
)

func where(col string, v any) []ovsdb.Condition {
	return []ovsdb.Condition{ovsdb.NewCondition(col, ovsdb.ConditionEqual, v)}
}

// datapathRow is the Datapath_Binding row UUID of the NB object named name.
func (e *env) datapathRow(name string) string {
	_, sb := e.snapshot()
	for _, d := range sb.Datapaths {
		if d.ExternalIDs["name"] == name {
			return d.UUID
		}
	}
	e.t.Fatalf("no datapath %s", name)
	return ""
}

// driftLogged reports whether a drift line names table, row and column.
func driftLogged(log, table, row, column string) bool {
	for _, l := range strings.Split(log, "\n") {
		if strings.Contains(l, "drift:") && strings.Contains(l, "table="+table) &&
			(strings.Contains(l, "row="+row+" ") || strings.Contains(l, `row="`+row+`"`)) && strings.Contains(l, column) {
			return true
		}
	}
	return false
}

// TestDriftIsRepaired: values in rows and columns northd owns, changed by
// another writer, are logged with their table, row and column and put
// back by the next round (here, the round of a --wait=sb sync, which is
// incremental), while columns chassis own are left as they are.
func TestDriftIsRepaired(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("seed")
	sw1, r1 := e.datapathRow("sw1"), e.datapathRow("r1")
	cases := []struct {
		name            string
		table, row, col string
		write           func()
		nb              bool // the drift is in NB (LSP.up)
		check           func() string
	}{
		{"a Port_Binding mac", "Port_Binding", "vm11", "mac", func() {
			e.rawSB(ovsdb.Operation{Op: "update", Table: "Port_Binding", Where: where("logical_port", "vm11"),
				Row: ovsdb.Row{"mac": ovsdb.OvsSet{GoSet: []any{"fa:16:3e:99:99:99 10.0.1.99"}}}})
		}, false, nil},
		{"a Port_Binding tunnel_key", "Port_Binding", "vm12", "tunnel_key", func() {
			e.rawSB(ovsdb.Operation{Op: "update", Table: "Port_Binding", Where: where("logical_port", "vm12"), Row: ovsdb.Row{"tunnel_key": 999}})
		}, false, nil},
		{"a Port_Binding no NB row asks for", "Port_Binding", "stray", "no NB row", func() {
			e.rawSB(ovsdb.Operation{Op: "insert", Table: "Port_Binding", Row: ovsdb.Row{"logical_port": "stray", "tunnel_key": 777,
				"datapath": ovsdb.UUID{GoUUID: sw1}}})
		}, false, nil},
		{"a Port_Binding deleted", "Port_Binding", "vm22", "row deleted", func() {
			e.rawSB(ovsdb.Operation{Op: "delete", Table: "Port_Binding", Where: where("logical_port", "vm22")})
		}, false, func() string {
			if e.portCount("vm22") != 1 {
				return "vm22 not re-created"
			}
			return ""
		}},
		{"a Port_Binding's up (derived from its claim)", "Port_Binding", "vm21", "up", func() {
			e.rawSB(ovsdb.Operation{Op: "update", Table: "Port_Binding", Where: where("logical_port", "vm21"), Row: ovsdb.Row{"up": ovsdb.OvsSet{GoSet: []any{false}}}})
		}, false, func() string {
			_, sb := e.snapshot()
			for _, pb := range sb.Ports {
				if pb.LogicalPort == "vm21" && (pb.Up == nil || !*pb.Up) {
					return "vm21's up not repaired"
				}
			}
			return ""
		}},
		{"a Port_Binding's chassis (derived from its claim)", "Port_Binding", "vm12", "chassis", func() {
			e.rawSB(ovsdb.Operation{Op: "update", Table: "Port_Binding", Where: where("logical_port", "vm12"), Row: ovsdb.Row{"chassis": ovsdb.OvsSet{GoSet: []any{}}}})
		}, false, nil},
		{"a DVR_MAC_Binding for no chassis", "DVR_MAC_Binding", "ghost", "no registered chassis", func() {
			e.rawSB(ovsdb.Operation{Op: "insert", Table: "DVR_MAC_Binding", Row: ovsdb.Row{"chassis_name": "ghost", "mac": "fa:16:3f:00:00:63"}})
		}, false, nil},
		{"a DVR MAC changed", "DVR_MAC_Binding", "hv2", "mac", func() {
			e.rawSB(ovsdb.Operation{Op: "update", Table: "DVR_MAC_Binding", Where: where("chassis_name", "hv2"), Row: ovsdb.Row{"mac": "fa:16:3f:00:00:64"}})
		}, false, nil},
		{"a DVR_Router_Binding deleted", "DVR_Router_Binding", "r1/hv1", "row deleted", func() {
			e.rawSB(ovsdb.Operation{Op: "delete", Table: "DVR_Router_Binding", Where: where("chassis_name", "hv1")})
		}, false, nil},
		{"a DVR_Router_Binding no rule asks for", "DVR_Router_Binding", "r1/hv9", "no hosting rule", func() {
			e.rawSB(ovsdb.Operation{Op: "insert", Table: "DVR_Router_Binding", Row: ovsdb.Row{"chassis_name": "hv9", "datapath": ovsdb.UUID{GoUUID: r1}}})
		}, false, nil},
		{"a Datapath_Binding key", "Datapath_Binding", "sw1", "tunnel_key", func() {
			e.rawSB(ovsdb.Operation{Op: "update", Table: "Datapath_Binding", Where: where("tunnel_key", 2), Row: ovsdb.Row{"tunnel_key": 4242}})
		}, false, nil},
		{"LSP.up", "Logical_Switch_Port", "vm11", "up", func() {
			e.rawNB(ovsdb.Operation{Op: "update", Table: "Logical_Switch_Port", Where: where("name", "vm11"), Row: ovsdb.Row{"up": false}})
		}, true, func() string {
			nb, _ := e.snapshot()
			for _, p := range nb.SwitchPorts {
				if p.Name == "vm11" && (p.Up == nil || !*p.Up) {
					return "vm11 is not up again"
				}
			}
			return ""
		}},
	}
	for _, c := range cases {
		before := a.n.Stats().Drift.Load()
		c.write()
		e.nbctl("--wait=sb", "sync")
		e.recomputeIsNoop(c.name)
		if c.check != nil {
			if msg := c.check(); msg != "" {
				t.Fatalf("%s: %s", c.name, msg)
			}
		}
		if a.n.Stats().Drift.Load() == before {
			t.Fatalf("%s: not counted as drift", c.name)
		}
		if !driftLogged(a.logText(), c.table, c.row, c.col) {
			t.Fatalf("%s: no drift line names %s %s %s:\n%s", c.name, c.table, c.row, c.col, a.logText())
		}
	}
	// A chassis' claim is its own: its up going false is no drift, and
	// northd follows it into Port_Binding.up.
	e.rawSB(ovsdb.Operation{Op: "update", Table: "DVR_Port_Claim", Where: where("logical_port", "vm21"), Row: ovsdb.Row{"up": false}})
	before := a.n.Stats().Drift.Load()
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("chassis-owned claim up")
	waitFor(t, "Port_Binding vm21 up=false, from its claim", func() bool {
		_, sb := e.snapshot()
		for _, pb := range sb.Ports {
			if pb.LogicalPort == "vm21" {
				return pb.Up != nil && !*pb.Up
			}
		}
		return false
	})
	if a.n.Stats().Drift.Load() != before {
		t.Fatal("a chassis-owned column counted as drift")
	}
}
