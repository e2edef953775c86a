package chassis

import (
	"slices"

	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// Interest is what a chassis in conditional monitor mode needs of the two
// large SB tables, as the where clauses of its monitor: a row of a table
// is monitored when it matches any clause of that table (OVSDB ORs them).
// The other tables are monitored in full. Every list is sorted, each
// value once.
type Interest struct {
	// Port_Binding clauses.
	LogicalPorts []string // logical_port == each: the local iface-ids (claims)
	BoundTo      string   // chassis == this Chassis row UUID (releases); "" before registration
	Datapaths    []string // datapath == each: the networks present here
	Routers      []string // external_ids:logical-router == each: the routers bound here (their interfaces)
	// DVR_Router_Binding clauses.
	Self            string   // chassis_name == the chassis name
	RouterDatapaths []string // datapath == each: the routers with an interface on a present network
}

// ComputeInterest is the interest of a round: what DecideClaims,
// HostedRouters, NeededNetworks, DesiredTunnels, FlowInput and RouterInput
// read of Port_Binding and DVR_Router_Binding, given the SB view v, the
// chassis name self and Chassis row selfUUID, the local iface-ids and the
// round's claims. A view that holds exactly the rows of its own interest
// is complete (a fixed point); until then the interest grows as rows
// arrive: iface-ids → their ports' datapaths → the rows there → the
// routers on them; our router bindings → their interfaces → those
// networks.
//
// A network (switch datapath) is present when a port bound here is on it
// (claims.Bound: served, or a re-plug waiting for its ofport) or an
// interface of a router bound here (DVR_Router_Binding chassis_name =
// self, with or without a DVR MAC: DesiredTunnels counts it either way)
// is on it. All its rows are needed: remote VM ports (flows, tunnels,
// ARP entries), router interfaces. The tunnel rule "one chassis has a
// bound VM port on N, the other a hosted router with an interface on N"
// also needs, for every router with an interface on a present network,
// its router bindings (which chassis host it).
func ComputeInterest(v *SBView, self, selfUUID string, ifaceIDs []string, claims ClaimPlan) Interest {
	in := Interest{LogicalPorts: sortedSet(ifaceIDs), BoundTo: selfUUID, Self: self}
	routerDP := map[string]string{} // NB router UUID → router datapath
	for _, dp := range v.Datapaths {
		if r := dp.ExternalIDs[sbkeys.KeyLogicalRouter]; r != "" {
			routerDP[r] = dp.UUID
		}
	}
	routers := map[string]bool{}
	for _, rb := range v.RouterBindings {
		if rb.ChassisName != self {
			continue
		}
		if r := v.Datapaths[rb.Datapath].ExternalIDs[sbkeys.KeyLogicalRouter]; r != "" {
			routers[r] = true
		}
	}
	present := map[string]bool{}
	for u := range claims.Bound {
		if pb, ok := v.Ports[u]; ok {
			present[pb.Datapath] = true
		}
	}
	for _, pb := range v.Ports {
		if pb.Type == sbkeys.TypeRouterInterface && routers[pb.ExternalIDs[sbkeys.KeyLogicalRouter]] {
			present[pb.Datapath] = true
		}
	}
	delete(present, "")
	routerDPs := map[string]bool{}
	for _, pb := range v.Ports {
		if pb.Type == sbkeys.TypeRouterInterface && present[pb.Datapath] {
			if dp, ok := routerDP[pb.ExternalIDs[sbkeys.KeyLogicalRouter]]; ok {
				routerDPs[dp] = true
			}
		}
	}
	in.Datapaths = sortedKeys(present)
	in.Routers = sortedKeys(routers)
	in.RouterDatapaths = sortedKeys(routerDPs)
	return in
}

// Equal reports whether two interests name the same clauses.
func (in Interest) Equal(o Interest) bool {
	return in.BoundTo == o.BoundTo && in.Self == o.Self &&
		slices.Equal(in.LogicalPorts, o.LogicalPorts) && slices.Equal(in.Datapaths, o.Datapaths) &&
		slices.Equal(in.Routers, o.Routers) && slices.Equal(in.RouterDatapaths, o.RouterDatapaths)
}

// Covers reports whether a monitor of in sends every row a monitor of o
// would: each clause of o is one of in. A view with more rows than its
// interest decides the same (the all mode is the largest such view).
func (in Interest) Covers(o Interest) bool {
	return (o.BoundTo == "" || o.BoundTo == in.BoundTo) && (o.Self == "" || o.Self == in.Self) &&
		subset(o.LogicalPorts, in.LogicalPorts) && subset(o.Datapaths, in.Datapaths) &&
		subset(o.Routers, in.Routers) && subset(o.RouterDatapaths, in.RouterDatapaths)
}

// subset: every element of a (sorted) is in b (sorted).
func subset(a, b []string) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return false
		}
	}
	return true
}

func sortedSet(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	out = slices.Compact(out)
	if i := slices.Index(out, ""); i >= 0 {
		out = slices.Delete(out, i, i+1)
	}
	return out
}
