package chassis

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// commit runs ops on w and returns the UUIDs of the inserts, in order.
func commit(t *testing.T, w client.Client, ops ...ovsdb.Operation) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := w.Transact(ctx, ops...)
	if err == nil {
		_, err = ovsdb.CheckOperationResults(res, ops)
	}
	if err != nil {
		t.Fatalf("transact: %v", err)
	}
	var out []string
	for i, op := range ops {
		if op.Op == ovsdb.OperationInsert {
			out = append(out, res[i].UUID.GoUUID)
		}
	}
	return out
}

func create(t *testing.T, w client.Client, ms ...model.Model) []string {
	t.Helper()
	var ops []ovsdb.Operation
	for _, m := range ms {
		o, err := w.Create(m)
		if err != nil {
			t.Fatal(err)
		}
		ops = append(ops, o...)
	}
	return commit(t, w, ops...)
}

// conditional is a client monitoring the SB as the conditional mode does
// for in (sbTables: the very options dvr-chassis sends).
func conditional(t *testing.T, endpoint string, in Interest) client.Client {
	t.Helper()
	c := ovsdbtest.SBClient(t, endpoint)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Monitor(ctx, c.NewMonitor(sbTables(&in)...)); err != nil {
		t.Fatalf("monitor: %v", err)
	}
	return c
}

func cachedPorts(t *testing.T, c client.Client) []string {
	t.Helper()
	var pbs []sbdb.PortBinding
	if err := c.List(context.Background(), &pbs); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, pb := range pbs {
		out = append(out, pb.LogicalPort)
	}
	sort.Strings(out)
	return out
}

func cachedRouterBindings(t *testing.T, c client.Client) []string {
	t.Helper()
	var rbs []sbdb.DVRRouterBinding
	if err := c.List(context.Background(), &rbs); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, rb := range rbs {
		out = append(out, rb.ExternalIDs["t"])
	}
	sort.Strings(out)
	return out
}

func waitCache(t *testing.T, what string, get func() []string, want []string) {
	t.Helper()
	var g []string
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if g = get(); slices.Equal(g, want) {
			return
		}
	}
	t.Errorf("%s: cache holds %v, want %v", what, g, want)
}

// Against the real ovsdb-server (libovsdb's in-memory server ignores
// where clauses): a conditional monitor with our clauses is sent exactly
// the rows matching any clause of their table (the clauses are OR'ed), a
// row matching two clauses once; a row that comes to match is inserted
// into the cache and one that stops matching is deleted from it; the
// small tables come in full; an empty interest is sent no Port_Binding
// or DVR_Router_Binding at all.
func TestConditionsOnRealServer(t *testing.T) {
	t.Parallel()
	sb := ovsdbtest.StartSB(t)
	w := ovsdbtest.SBClient(t, sb.Endpoint(), ovsdbtest.MonitorAll())
	chs := create(t, w,
		&sbdb.Chassis{UUID: "c1", Name: "hv1", Hostname: "hv1", Encaps: []string{"e1"}},
		&sbdb.Chassis{UUID: "c2", Name: "hv2", Hostname: "hv2", Encaps: []string{"e2"}},
		&sbdb.Encap{UUID: "e1", Type: sbdb.EncapTypeVxlan, IP: "192.168.0.1", ChassisName: "hv1"},
		&sbdb.Encap{UUID: "e2", Type: sbdb.EncapTypeVxlan, IP: "192.168.0.2", ChassisName: "hv2"})
	hv1, hv2 := chs[0], chs[1]
	dps := create(t, w,
		&sbdb.DatapathBinding{UUID: "s1", TunnelKey: 1, ExternalIDs: map[string]string{sbkeys.KeyLogicalSwitch: "ls1"}},
		&sbdb.DatapathBinding{UUID: "s2", TunnelKey: 2, ExternalIDs: map[string]string{sbkeys.KeyLogicalSwitch: "ls2"}},
		&sbdb.DatapathBinding{UUID: "s3", TunnelKey: 3, ExternalIDs: map[string]string{sbkeys.KeyLogicalSwitch: "ls3"}},
		&sbdb.DatapathBinding{UUID: "r1", TunnelKey: 11, ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: "lr1"}},
		&sbdb.DatapathBinding{UUID: "r2", TunnelKey: 12, ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: "lr2"}},
		&sbdb.DatapathBinding{UUID: "r3", TunnelKey: 13, ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: "lr3"}})
	s1, s2, s3, r1, r2, r3 := dps[0], dps[1], dps[2], dps[3], dps[4], dps[5]
	iface := func(name, dp, router string, key int) *sbdb.PortBinding {
		return &sbdb.PortBinding{LogicalPort: name, Type: sbkeys.TypeRouterInterface, Datapath: dp, TunnelKey: key,
			ExternalIDs: map[string]string{sbkeys.KeyLogicalRouter: router, sbkeys.KeyLogicalRouterPort: "lrp-" + name}}
	}
	create(t, w,
		&sbdb.PortBinding{LogicalPort: "by-name", Datapath: s3, TunnelKey: 1},                   // logical_port
		&sbdb.PortBinding{LogicalPort: "bound-here", Datapath: s3, TunnelKey: 2, Chassis: &hv1}, // chassis
		&sbdb.PortBinding{LogicalPort: "on-s1", Datapath: s1, TunnelKey: 1, Chassis: &hv2},      // datapath
		&sbdb.PortBinding{LogicalPort: "on-s1-by-name", Datapath: s1, TunnelKey: 2},             // datapath and logical_port
		iface("r2-s3", s3, "lr2", 3), // external_ids includes logical-router
		&sbdb.PortBinding{LogicalPort: "elsewhere", Datapath: s3, TunnelKey: 4, Chassis: &hv2},
		&sbdb.PortBinding{LogicalPort: "on-s2", Datapath: s2, TunnelKey: 1},
		iface("r3-s2", s2, "lr3", 2))
	create(t, w,
		&sbdb.DVRRouterBinding{Datapath: r1, ChassisName: "hv1", ExternalIDs: map[string]string{"t": "r1-hv1"}}, // chassis_name
		&sbdb.DVRRouterBinding{Datapath: r2, ChassisName: "hv2", ExternalIDs: map[string]string{"t": "r2-hv2"}}, // datapath
		&sbdb.DVRRouterBinding{Datapath: r1, ChassisName: "hv2", ExternalIDs: map[string]string{"t": "r1-hv2"}}, // both
		&sbdb.DVRRouterBinding{Datapath: r3, ChassisName: "hv2", ExternalIDs: map[string]string{"t": "r3-hv2"}}) // neither

	in := Interest{LogicalPorts: []string{"by-name", "no-such-port", "on-s1-by-name"}, BoundTo: hv1, Datapaths: []string{s1},
		Routers: []string{"lr2"}, Self: "hv1", RouterDatapaths: sortedSet([]string{r1, r2})}
	c := conditional(t, sb.Endpoint(), in)
	wantPorts := []string{"bound-here", "by-name", "on-s1", "on-s1-by-name", "r2-s3"}
	if g := cachedPorts(t, c); !slices.Equal(g, wantPorts) {
		t.Errorf("Port_Binding: %v, want %v", g, wantPorts)
	}
	if g, want := cachedRouterBindings(t, c), []string{"r1-hv1", "r1-hv2", "r2-hv2"}; !slices.Equal(g, want) {
		t.Errorf("DVR_Router_Binding: %v, want %v", g, want)
	}
	var cs []sbdb.Chassis
	var ds []sbdb.DatapathBinding
	if err := c.List(context.Background(), &cs); err != nil || len(cs) != 2 {
		t.Errorf("Chassis in full: %d rows (%v)", len(cs), err)
	}
	if err := c.List(context.Background(), &ds); err != nil || len(ds) != 6 {
		t.Errorf("Datapath_Binding in full: %d rows (%v)", len(ds), err)
	}
	// The same rows the test double filterView (interest_test.go) picks.
	full := &SBView{Ports: map[string]sbdb.PortBinding{}}
	var all []sbdb.PortBinding
	if err := w.List(context.Background(), &all); err != nil {
		t.Fatal(err)
	}
	for _, pb := range all {
		full.Ports[pb.UUID] = pb
	}
	var double []string
	for _, pb := range filterView(full, in).Ports {
		double = append(double, pb.LogicalPort)
	}
	sort.Strings(double)
	if !slices.Equal(double, wantPorts) {
		t.Errorf("filterView picks %v, the server sent %v", double, wantPorts)
	}

	// "elsewhere" comes to match (bound here), then stops matching.
	setChassis := func(name string, ch *string) {
		t.Helper()
		pb := &sbdb.PortBinding{LogicalPort: name}
		if err := w.Get(context.Background(), pb); err != nil {
			t.Fatal(err)
		}
		pb.Chassis = ch
		ops, err := w.Where(pb).Update(pb, &pb.Chassis)
		if err != nil {
			t.Fatal(err)
		}
		commit(t, w, ops...)
	}
	setChassis("elsewhere", &hv1)
	waitCache(t, "bound here", func() []string { return cachedPorts(t, c) }, []string{"bound-here", "by-name", "elsewhere", "on-s1", "on-s1-by-name", "r2-s3"})
	setChassis("elsewhere", nil)
	waitCache(t, "released", func() []string { return cachedPorts(t, c) }, wantPorts)
	// A row matching two clauses that stops matching one stays.
	setChassis("on-s1", &hv1)
	setChassis("on-s1", nil)
	waitCache(t, "still on s1", func() []string { return cachedPorts(t, c) }, wantPorts)

	// Nothing of interest: no row of either table, never every row.
	e := conditional(t, sb.Endpoint(), Interest{})
	if g := cachedPorts(t, e); len(g) != 0 {
		t.Errorf("empty interest: Port_Binding %v", g)
	}
	if g := cachedRouterBindings(t, e); len(g) != 0 {
		t.Errorf("empty interest: DVR_Router_Binding %v", g)
	}
	if err := e.List(context.Background(), &cs); err != nil || len(cs) != 2 {
		t.Errorf("empty interest: Chassis %d rows (%v)", len(cs), err)
	}
}
