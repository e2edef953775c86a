package ovsdbtest

import (
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

func ptr[T any](v T) *T { return &v }

// nbSeed is a small NB: two switches (one with two VM ports, one with a
// router port) and a router with one interface.
func nbSeed() []model.Model {
	return []model.Model{
		&nbdb.LogicalSwitch{UUID: "s1", Name: "sw1", Ports: []string{"p1", "p2"}},
		&nbdb.LogicalSwitch{UUID: "s2", Name: "sw2", Ports: []string{"p3"}},
		&nbdb.LogicalSwitchPort{UUID: "p1", Name: "vm1", Addresses: []string{"fa:16:3e:00:00:01 10.0.1.5"}},
		&nbdb.LogicalSwitchPort{UUID: "p2", Name: "vm2", Addresses: []string{"fa:16:3e:00:00:02 10.0.1.6"}},
		&nbdb.LogicalSwitchPort{UUID: "p3", Name: "rp-sw2", Type: "router", Addresses: []string{"router"},
			Options: map[string]string{"router-port": "lrp-sw2"}},
		&nbdb.LogicalRouter{UUID: "r", Name: "r1", Ports: []string{"l1"}},
		&nbdb.LogicalRouterPort{UUID: "l1", Name: "lrp-sw2", MAC: "fa:16:3e:00:01:01", Networks: []string{"10.0.2.1/24"}},
	}
}

// nbClients returns a client to the seeded NB on the in-memory server and
// on a real ovsdb-server, so every matcher test runs on both.
func nbClients(t *testing.T) map[string]client.Client {
	mem := StartMemoryNB(t, nbSeed()...)
	out := map[string]client.Client{"memory": NBClient(t, mem.Endpoint())}
	real := StartNB(t)
	c := NBClient(t, real.Endpoint())
	if err := transact(c, nbSeed()...); err != nil {
		t.Fatal(err)
	}
	out["ovsdb-server"] = c
	return out
}

func TestAssertRowsMatchesIgnoringUUIDs(t *testing.T) {
	for name, c := range nbClients(t) {
		t.Run(name, func(t *testing.T) {
			// Different names than the seed, in another order; one row unnamed.
			AssertRows(t, c,
				&nbdb.LogicalSwitchPort{UUID: "b", Name: "vm2", Addresses: []string{"fa:16:3e:00:00:02 10.0.1.6"}},
				&nbdb.LogicalSwitch{Name: "sw1", Ports: []string{"b", "a"}},
				&nbdb.LogicalSwitchPort{UUID: "a", Name: "vm1", Addresses: []string{"fa:16:3e:00:00:01 10.0.1.5"}},
				&nbdb.LogicalSwitch{Name: "sw2", Ports: []string{"c"}},
				&nbdb.LogicalSwitchPort{UUID: "c", Name: "rp-sw2", Type: "router", Addresses: []string{"router"},
					Options: map[string]string{"router-port": "lrp-sw2"}},
			)
			// A table not mentioned is not compared; a value works too.
			AssertRows(t, c, nbdb.LogicalRouter{Name: "r1", Ports: []string{"x"}},
				&nbdb.LogicalRouterPort{UUID: "x", Name: "lrp-sw2", MAC: "fa:16:3e:00:01:01", Networks: []string{"10.0.2.1/24"}})
		})
	}
}

func TestDiffRowsReportsDifferingColumns(t *testing.T) {
	for name, c := range nbClients(t) {
		t.Run(name, func(t *testing.T) {
			d := DiffRows(c,
				&nbdb.LogicalRouter{UUID: "r", Name: "r1", Ports: []string{"x"}, Options: map[string]string{"distributed": "false"}},
				&nbdb.LogicalRouterPort{UUID: "x", Name: "lrp-sw2", MAC: "fa:16:3e:00:01:99", Networks: []string{"10.0.2.1/24"}},
			)
			t.Logf("report:\n%s", d)
			for _, want := range []string{
				`Logical_Router_Port: row x (name="lrp-sw2") differs`,
				`mac: want "fa:16:3e:00:01:99", got "fa:16:3e:00:01:01"`,
				`Logical_Router: row r (name="r1") differs`,
				`options: want {"distributed"="false"}, got {}`,
			} {
				if !strings.Contains(d, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if strings.Contains(d, "ports:") {
				t.Errorf("references resolve to the paired row, yet ports are reported:\n%s", d)
			}
		})
	}
}

func TestDiffRowsReportsMissingAndUnexpectedRows(t *testing.T) {
	for name, c := range nbClients(t) {
		t.Run(name, func(t *testing.T) {
			d := DiffRows(c,
				&nbdb.LogicalSwitch{UUID: "s1", Name: "sw1", Ports: []string{"a", "b"}},
				&nbdb.LogicalSwitch{UUID: "s3", Name: "sw3"},
				&nbdb.LogicalSwitchPort{UUID: "a", Name: "vm1", Addresses: []string{"fa:16:3e:00:00:01 10.0.1.5"}},
				&nbdb.LogicalSwitchPort{UUID: "b", Name: "vm2", Addresses: []string{"fa:16:3e:00:00:02 10.0.1.6"}},
			)
			t.Logf("report:\n%s", d)
			for _, want := range []string{
				`Logical_Switch: missing row s3 {name="sw3"}`,
				`Logical_Switch: unexpected row `, `{name="sw2" ports=[~`,
				`Logical_Switch_Port: unexpected row `, `name="rp-sw2"`,
			} {
				if !strings.Contains(d, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if strings.Contains(d, "vm1") || strings.Contains(d, "row s1") {
				t.Errorf("matching rows reported:\n%s", d)
			}
		})
	}
}

func TestDiffRowsChecksReferences(t *testing.T) {
	for name, c := range nbClients(t) {
		t.Run(name, func(t *testing.T) {
			// vm2 is on sw1, not on sw2: swapping it must fail.
			d := DiffRows(c,
				&nbdb.LogicalSwitch{Name: "sw1", Ports: []string{"a", "c"}},
				&nbdb.LogicalSwitch{Name: "sw2", Ports: []string{"b"}},
				&nbdb.LogicalSwitchPort{UUID: "a", Name: "vm1", Addresses: []string{"fa:16:3e:00:00:01 10.0.1.5"}},
				&nbdb.LogicalSwitchPort{UUID: "b", Name: "vm2", Addresses: []string{"fa:16:3e:00:00:02 10.0.1.6"}},
				&nbdb.LogicalSwitchPort{UUID: "c", Name: "rp-sw2", Type: "router", Addresses: []string{"router"},
					Options: map[string]string{"router-port": "lrp-sw2"}},
			)
			t.Logf("report:\n%s", d)
			if !strings.Contains(d, `Logical_Switch: row name="sw1" differs`) ||
				!strings.Contains(d, "ports: want [a, c], got [a, b]") || !strings.Contains(d, "ports: want [b], got [c]") {
				t.Errorf("report does not show the swapped ports:\n%s", d)
			}
		})
	}
}

func TestNoRowsAndIgnoreColumns(t *testing.T) {
	for name, c := range nbClients(t) {
		t.Run(name, func(t *testing.T) {
			AssertRows(t, c, NoRows(&nbdb.NBGlobal{}))
			if d := DiffRows(c, NoRows(&nbdb.LogicalRouter{})); !strings.Contains(d, `Logical_Router: unexpected row`) {
				t.Errorf("NoRows on a non-empty table: %q", d)
			}
			AssertRows(t, c, IgnoreColumns(&nbdb.LogicalRouterPort{}, "mac", "networks"),
				&nbdb.LogicalRouterPort{Name: "lrp-sw2"})
			if d := DiffRows(c, IgnoreColumns(&nbdb.LogicalRouterPort{}, "bogus")); !strings.Contains(d, `no column "bogus"`) {
				t.Errorf("unknown ignored column: %q", d)
			}
			if d := DiffRows(c, &nbdb.LogicalSwitch{UUID: "x"}, &nbdb.LogicalRouter{UUID: "x"}); !strings.Contains(d, `named "x"`) {
				t.Errorf("duplicate names: %q", d)
			}
		})
	}
}

// Two switches share a name; only their ports tell them apart, so the
// first choice of the search can be wrong and must be undone.
func TestAssertRowsBacktracks(t *testing.T) {
	ms := StartMemoryNB(t,
		&nbdb.LogicalSwitch{UUID: "s1", Name: "dup", Ports: []string{"p1"}},
		&nbdb.LogicalSwitch{UUID: "s2", Name: "dup", Ports: []string{"p2"}},
		&nbdb.LogicalSwitchPort{UUID: "p1", Name: "vm1"},
		&nbdb.LogicalSwitchPort{UUID: "p2", Name: "vm2"},
	)
	c := NBClient(t, ms.Endpoint())
	for _, order := range [][2]string{{"a", "b"}, {"b", "a"}} {
		AssertRows(t, c,
			&nbdb.LogicalSwitch{Name: "dup", Ports: []string{order[0]}},
			&nbdb.LogicalSwitch{Name: "dup", Ports: []string{order[1]}},
			&nbdb.LogicalSwitchPort{UUID: "a", Name: "vm1"},
			&nbdb.LogicalSwitchPort{UUID: "b", Name: "vm2"},
		)
	}
}

// SB on a real server: references into tables that are checked and into a
// table that is not (Chassis), which must still be used consistently.
func TestAssertRowsSBOnRealServer(t *testing.T) {
	s := StartSB(t)
	c := SBClient(t, s.Endpoint())
	seed := []model.Model{
		&sbdb.Encap{UUID: "e1", Type: sbdb.EncapTypeVxlan, IP: "192.168.0.1", ChassisName: "hv1"},
		&sbdb.Chassis{UUID: "c1", Name: "hv1", Encaps: []string{"e1"}},
		&sbdb.Encap{UUID: "e2", Type: sbdb.EncapTypeVxlan, IP: "192.168.0.2", ChassisName: "hv2"},
		&sbdb.Chassis{UUID: "c2", Name: "hv2", Encaps: []string{"e2"}},
		&sbdb.DatapathBinding{UUID: "d1", TunnelKey: 1, ExternalIDs: map[string]string{"name": "sw1"}},
		&sbdb.DatapathBinding{UUID: "d2", TunnelKey: 2, ExternalIDs: map[string]string{"name": "r1"}},
		&sbdb.PortBinding{LogicalPort: "vm1", Datapath: "d1", TunnelKey: 1, Chassis: ptr("c1"), Up: ptr(true)},
		&sbdb.PortBinding{LogicalPort: "vm2", Datapath: "d1", TunnelKey: 2, Chassis: ptr("c1")},
		&sbdb.DVRRouterBinding{Datapath: "d2", ChassisName: "hv1"},
	}
	if err := transact(c, seed...); err != nil {
		t.Fatal(err)
	}
	dp := func(key int, name string) *sbdb.DatapathBinding {
		return &sbdb.DatapathBinding{UUID: name, TunnelKey: key, ExternalIDs: map[string]string{"name": name}}
	}
	AssertRows(t, c,
		dp(1, "sw1"), dp(2, "r1"),
		&sbdb.PortBinding{LogicalPort: "vm1", Datapath: "sw1", TunnelKey: 1, Chassis: ptr("hvA"), Up: ptr(true)},
		&sbdb.PortBinding{LogicalPort: "vm2", Datapath: "sw1", TunnelKey: 2, Chassis: ptr("hvA")},
		&sbdb.DVRRouterBinding{Datapath: "r1", ChassisName: "hv1"},
	)
	// Claiming both ports for two different (unchecked) chassis contradicts
	// the database, where one chassis holds both.
	d := DiffRows(c,
		dp(1, "sw1"),
		&sbdb.PortBinding{LogicalPort: "vm1", Datapath: "sw1", TunnelKey: 1, Chassis: ptr("hvA"), Up: ptr(true)},
		&sbdb.PortBinding{LogicalPort: "vm2", Datapath: "sw1", TunnelKey: 2, Chassis: ptr("hvB")},
	)
	t.Logf("report:\n%s", d)
	if !strings.Contains(d, `Port_Binding: row logical_port="vm2" differs`) || !strings.Contains(d, "chassis: want [hvB], got [hvA]") {
		t.Errorf("inconsistent reference not reported:\n%s", d)
	}
	// A real UUID in an expected row stands for itself.
	uuidOf := map[string]string{}
	for _, m := range ReadRows(t, c, sbdb.ChassisTable) {
		uuidOf[m.(*sbdb.Chassis).Name] = m.(*sbdb.Chassis).UUID
	}
	byUUID := func(chassis string) []model.Model {
		return []model.Model{dp(1, "sw1"), dp(2, "r1"),
			&sbdb.PortBinding{LogicalPort: "vm1", Datapath: "sw1", TunnelKey: 1, Chassis: ptr(uuidOf[chassis]), Up: ptr(true)},
			&sbdb.PortBinding{LogicalPort: "vm2", Datapath: "sw1", TunnelKey: 2, Chassis: ptr(uuidOf[chassis])},
		}
	}
	AssertRows(t, c, byUUID("hv1")...)
	if d := DiffRows(c, byUUID("hv2")...); !strings.Contains(d, "chassis: want ["+uuidOf["hv2"]+"]") {
		t.Errorf("a real UUID matched another row:\n%s", d)
	}
}
