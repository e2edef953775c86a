package chassis

import (
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

// sbTables is the SB monitor: every table the chassis reads, each named
// once, with all its columns. With in nil (the all mode, DESIGN §4's
// default) every row; otherwise Port_Binding and DVR_Router_Binding
// only as far as in names them (sbConditions), the small tables in full.
func sbTables(in *Interest) []client.MonitorOption {
	pb, rb, cl := &sbdb.PortBinding{}, &sbdb.DVRRouterBinding{}, &sbdb.DVRPortClaim{}
	large := []client.MonitorOption{client.WithTable(pb), client.WithTable(rb), client.WithTable(cl)}
	if in != nil {
		pbc, rbc := sbConditions(*in, pb, rb)
		large = []client.MonitorOption{client.WithConditionalTable(pb, pbc), client.WithConditionalTable(rb, rbc),
			client.WithConditionalTable(cl, claimConditions(*in, cl))}
	}
	return append([]client.MonitorOption{
		client.WithTable(&sbdb.SBGlobal{}),
		client.WithTable(&sbdb.Chassis{}),
		client.WithTable(&sbdb.ChassisPrivate{}),
		client.WithTable(&sbdb.Encap{}),
		client.WithTable(&sbdb.DatapathBinding{}),
		client.WithTable(&sbdb.DVRMACBinding{}),
	}, large...)
}

// noRow is a _uuid no row has: the clause of a table with nothing of
// interest (no clause at all would mean every row).
const noRow = "00000000-0000-0000-0000-000000000000"

// sbConditions are the where clauses of in, for Port_Binding and for
// DVR_Router_Binding; neither list is ever empty. Their fields point into
// pb and rb, which must be the models given to WithConditionalTable
// (libovsdb finds a condition's column by the field's address in that
// very struct).
func sbConditions(in Interest, pb *sbdb.PortBinding, rb *sbdb.DVRRouterBinding) (pbs, rbs []model.Condition) {
	for _, lp := range in.LogicalPorts {
		pbs = append(pbs, model.Condition{Field: &pb.LogicalPort, Function: ovsdb.ConditionEqual, Value: lp})
	}
	if in.BoundTo != "" {
		self := in.BoundTo
		pbs = append(pbs, model.Condition{Field: &pb.Chassis, Function: ovsdb.ConditionEqual, Value: &self})
	}
	for _, dp := range in.Datapaths {
		pbs = append(pbs, model.Condition{Field: &pb.Datapath, Function: ovsdb.ConditionEqual, Value: dp})
	}
	for _, r := range in.Routers {
		pbs = append(pbs, model.Condition{Field: &pb.ExternalIDs, Function: ovsdb.ConditionIncludes,
			Value: map[string]string{sbkeys.KeyLogicalRouter: r}})
	}
	if len(pbs) == 0 {
		pbs = append(pbs, model.Condition{Field: &pb.UUID, Function: ovsdb.ConditionEqual, Value: noRow})
	}
	if in.Self != "" {
		rbs = append(rbs, model.Condition{Field: &rb.ChassisName, Function: ovsdb.ConditionEqual, Value: in.Self})
	}
	for _, dp := range in.RouterDatapaths {
		rbs = append(rbs, model.Condition{Field: &rb.Datapath, Function: ovsdb.ConditionEqual, Value: dp})
	}
	if len(rbs) == 0 {
		rbs = append(rbs, model.Condition{Field: &rb.UUID, Function: ovsdb.ConditionEqual, Value: noRow})
	}
	return pbs, rbs
}

// claimConditions are the DVR_Port_Claim clauses of in: this chassis'
// own claims, and every claim on a local iface-id's port (whether another
// chassis holds it). Remote ports' bindings come from Port_Binding.
func claimConditions(in Interest, cl *sbdb.DVRPortClaim) []model.Condition {
	var cs []model.Condition
	if in.Self != "" {
		cs = append(cs, model.Condition{Field: &cl.ChassisName, Function: ovsdb.ConditionEqual, Value: in.Self})
	}
	for _, lp := range in.LogicalPorts {
		cs = append(cs, model.Condition{Field: &cl.LogicalPort, Function: ovsdb.ConditionEqual, Value: lp})
	}
	if len(cs) == 0 {
		cs = append(cs, model.Condition{Field: &cl.UUID, Function: ovsdb.ConditionEqual, Value: noRow})
	}
	return cs
}

// localTables is the local Open_vSwitch monitor. It names its columns:
// never Interface statistics or status, nor anything else that
// ovs-vswitchd rewrites every few seconds (each change would cost a
// round). Rows read from it lack every other column, so the chassis never
// writes a whole model back: only the columns it names (ops.go, bridges.go).
func localTables(client.Client) []client.MonitorOption {
	o := &vswitchd.OpenvSwitch{}
	b := &vswitchd.Bridge{}
	p := &vswitchd.Port{}
	i := &vswitchd.Interface{}
	return []client.MonitorOption{
		client.WithTable(o, &o.Bridges, &o.ExternalIDs),
		client.WithTable(b, &b.Name, &b.Ports, &b.FailMode, &b.DatapathType, &b.ExternalIDs),
		client.WithTable(p, &p.Name, &p.Interfaces, &p.Tag, &p.OtherConfig, &p.ExternalIDs),
		client.WithTable(i, &i.Name, &i.Type, &i.Options, &i.ExternalIDs, &i.Ofport, &i.Error),
	}
}
