package chassis

import (
	"context"
	"sort"

	"github.com/ovn-org/libovsdb/client"

	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

// SBView is what a round reads of the SB: plain copies of the monitored
// rows, keyed by UUID.
type SBView struct {
	Global         *sbdb.SBGlobal
	Chassis        map[string]sbdb.Chassis
	ChassisPrivate map[string]sbdb.ChassisPrivate
	Encaps         map[string]sbdb.Encap
	Datapaths      map[string]sbdb.DatapathBinding
	Ports          map[string]sbdb.PortBinding
	MACs           map[string]string // DVR MAC by chassis name
	RouterBindings []sbdb.DVRRouterBinding

	// Indexes (sbview.go), kept with the rows.
	portByName     map[string]string          // logical_port → UUID
	portsByDP      map[string]map[string]bool // datapath → UUIDs
	portsByChassis map[string]map[string]bool // Chassis UUID → UUIDs
	macRows        map[string]sbdb.DVRMACBinding
	rbRows         map[string]sbdb.DVRRouterBinding
	riByRouter     map[string]map[string]bool // NB router UUID → its distributed-router-interface UUIDs
	rbByChassis    map[string]map[string]bool // chassis name → its DVR_Router_Binding UUIDs
	rbByDP         map[string]map[string]bool // router datapath → its DVR_Router_Binding UUIDs
	routerDP       map[string]string          // NB router UUID → its datapath (nil: to rebuild)
	rbStale        bool                       // RouterBindings lags rbRows
}

// ChassisByName finds a Chassis row by name.
func (v *SBView) ChassisByName(name string) (sbdb.Chassis, bool) {
	for _, c := range v.Chassis {
		if c.Name == name {
			return c, true
		}
	}
	return sbdb.Chassis{}, false
}

// PrivateByName finds a Chassis_Private row by name.
func (v *SBView) PrivateByName(name string) (sbdb.ChassisPrivate, bool) {
	for _, c := range v.ChassisPrivate {
		if c.Name == name {
			return c, true
		}
	}
	return sbdb.ChassisPrivate{}, false
}

// LocalView is what a round reads of the local Open_vSwitch database.
type LocalView struct {
	Root       *vswitchd.OpenvSwitch
	Bridges    map[string]vswitchd.Bridge
	Ports      map[string]vswitchd.Port
	Interfaces map[string]vswitchd.Interface
}

// BridgeByName finds a bridge by name.
func (v *LocalView) BridgeByName(name string) (vswitchd.Bridge, bool) {
	for _, b := range v.Bridges {
		if b.Name == name {
			return b, true
		}
	}
	return vswitchd.Bridge{}, false
}

func readSB(ctx context.Context, c client.Client) (*SBView, error) {
	var gs []sbdb.SBGlobal
	var chs []sbdb.Chassis
	var cps []sbdb.ChassisPrivate
	var encs []sbdb.Encap
	var dps []sbdb.DatapathBinding
	var pbs []sbdb.PortBinding
	var macs []sbdb.DVRMACBinding
	v := &SBView{}
	for _, l := range []any{&gs, &chs, &cps, &encs, &dps, &pbs, &macs, &v.RouterBindings} {
		if err := c.List(ctx, l); err != nil {
			return nil, err
		}
	}
	if len(gs) > 0 {
		v.Global = &gs[0]
	}
	v.Chassis = byUUID(chs, func(r sbdb.Chassis) string { return r.UUID })
	v.ChassisPrivate = byUUID(cps, func(r sbdb.ChassisPrivate) string { return r.UUID })
	v.Encaps = byUUID(encs, func(r sbdb.Encap) string { return r.UUID })
	v.Datapaths = byUUID(dps, func(r sbdb.DatapathBinding) string { return r.UUID })
	v.Ports = byUUID(pbs, func(r sbdb.PortBinding) string { return r.UUID })
	v.index()
	v.MACs = map[string]string{}
	sort.Slice(macs, func(i, j int) bool { return macs[i].UUID < macs[j].UUID })
	for _, m := range macs {
		v.MACs[m.ChassisName] = m.MAC
		v.macRows[m.UUID] = m
	}
	sort.Slice(v.RouterBindings, func(i, j int) bool { return v.RouterBindings[i].UUID < v.RouterBindings[j].UUID })
	for _, rb := range v.RouterBindings {
		v.rbRows[rb.UUID] = rb
		addTo(v.rbByChassis, rb.ChassisName, rb.UUID)
		addTo(v.rbByDP, rb.Datapath, rb.UUID)
	}
	return v, nil
}

func readLocal(ctx context.Context, c client.Client) (*LocalView, error) {
	var roots []vswitchd.OpenvSwitch
	var brs []vswitchd.Bridge
	var ports []vswitchd.Port
	var ifs []vswitchd.Interface
	for _, l := range []any{&roots, &brs, &ports, &ifs} {
		if err := c.List(ctx, l); err != nil {
			return nil, err
		}
	}
	v := &LocalView{}
	if len(roots) > 0 {
		v.Root = &roots[0]
	}
	v.Bridges = byUUID(brs, func(r vswitchd.Bridge) string { return r.UUID })
	v.Ports = byUUID(ports, func(r vswitchd.Port) string { return r.UUID })
	v.Interfaces = byUUID(ifs, func(r vswitchd.Interface) string { return r.UUID })
	return v, nil
}

func byUUID[T any](rows []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[key(r)] = r
	}
	return m
}
