package chassis

import (
	"context"
	"errors"

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
	Claims         map[string]sbdb.DVRPortClaim // DVR_Port_Claim by UUID (claimview.go)

	// Indexes (sbview.go), kept with the rows.
	portByName     map[string]string          // logical_port → UUID
	portsByDP      map[string]map[string]bool // datapath → UUIDs
	portsByChassis map[string]map[string]bool // Chassis UUID → UUIDs
	macRows        map[string]sbdb.DVRMACBinding
	rbRows         map[string]sbdb.DVRRouterBinding
	// The claims' overlay on Port_Binding (claimview.go).
	self           string                     // this chassis' name ("" before it is known)
	claimByPort    map[string]string          // logical_port → claim UUID
	ownClaims      map[string]string          // logical_port → claim UUID, this chassis' own
	raw            map[string]binding         // Port_Binding UUID → chassis and up as northd wrote them (bound rows only)
	chassisRows    map[string]string          // chassis name → Chassis UUID (nil: rebuild)
	chassisChanged bool                       // a Chassis row changed: overlayAll before the round reads
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

// readSBAs lists the SB view of the chassis named self ("" when not known
// yet) from the monitor's cache. Its rows share their maps, slices and
// strings with the cache's (tableOf), so the view costs its structs and
// indexes, not a second copy of the SB; the claims' overlay replaces a
// row's chassis and up pointers, never what they point to.
func readSBAs(_ context.Context, c client.Client, self string) (*SBView, error) {
	v := &SBView{self: self}
	var err error
	var gs map[string]sbdb.SBGlobal
	var macs map[string]sbdb.DVRMACBinding
	var claims map[string]sbdb.DVRPortClaim
	if gs, err = tableOf[sbdb.SBGlobal](c, sbdb.SBGlobalTable); err != nil {
		return nil, err
	}
	if v.Chassis, err = tableOf[sbdb.Chassis](c, sbdb.ChassisTable); err != nil {
		return nil, err
	}
	if v.ChassisPrivate, err = tableOf[sbdb.ChassisPrivate](c, sbdb.ChassisPrivateTable); err != nil {
		return nil, err
	}
	if v.Encaps, err = tableOf[sbdb.Encap](c, sbdb.EncapTable); err != nil {
		return nil, err
	}
	if v.Datapaths, err = tableOf[sbdb.DatapathBinding](c, sbdb.DatapathBindingTable); err != nil {
		return nil, err
	}
	if v.Ports, err = tableOf[sbdb.PortBinding](c, sbdb.PortBindingTable); err != nil {
		return nil, err
	}
	if macs, err = tableOf[sbdb.DVRMACBinding](c, sbdb.DVRMACBindingTable); err != nil {
		return nil, err
	}
	if v.rbRows, err = tableOf[sbdb.DVRRouterBinding](c, sbdb.DVRRouterBindingTable); err != nil {
		return nil, err
	}
	if claims, err = tableOf[sbdb.DVRPortClaim](c, sbdb.DVRPortClaimTable); err != nil {
		return nil, err
	}
	for _, g := range gs {
		v.Global = &g
		break // maxRows 1
	}
	v.indexPorts()
	v.indexClaims(claims)
	v.overlayAll(nil)
	v.macRows, v.MACs = macs, map[string]string{}
	for _, u := range sortedKeys(macs) {
		m := macs[u]
		v.MACs[m.ChassisName] = m.MAC
	}
	v.rbByChassis = map[string]map[string]bool{}
	v.rbByDP = map[string]map[string]bool{}
	for _, u := range sortedKeys(v.rbRows) {
		rb := v.rbRows[u]
		v.RouterBindings = append(v.RouterBindings, rb)
		addTo(v.rbByChassis, rb.ChassisName, rb.UUID)
		addTo(v.rbByDP, rb.Datapath, rb.UUID)
	}
	return v, nil
}

// tableOf is a table of the monitor's cache by UUID, without the deep copy
// of every row that List makes: each row's maps, slices and strings are
// the cache's own. They are read only, and stay valid: libovsdb replaces a
// row that changes by a new copy and never edits one it holds
// (cache.RowCache.RowsShallow).
func tableOf[T any](c client.Client, table string) (map[string]T, error) {
	tc := c.Cache()
	if tc == nil {
		return nil, errors.New("the monitor's cache is not ready")
	}
	out := map[string]T{}
	rc := tc.Table(table)
	if rc == nil {
		return out, nil
	}
	rows := rc.RowsShallow()
	out = make(map[string]T, len(rows))
	for u, m := range rows {
		if r, ok := m.(*T); ok {
			out[u] = *r
		}
	}
	return out, nil
}

func readLocal(_ context.Context, c client.Client) (*LocalView, error) {
	v := &LocalView{}
	var err error
	var roots map[string]vswitchd.OpenvSwitch
	if roots, err = tableOf[vswitchd.OpenvSwitch](c, vswitchd.OpenvSwitchTable); err != nil {
		return nil, err
	}
	for _, r := range roots {
		v.Root = &r
		break // maxRows 1
	}
	if v.Bridges, err = tableOf[vswitchd.Bridge](c, vswitchd.BridgeTable); err != nil {
		return nil, err
	}
	if v.Ports, err = tableOf[vswitchd.Port](c, vswitchd.PortTable); err != nil {
		return nil, err
	}
	if v.Interfaces, err = tableOf[vswitchd.Interface](c, vswitchd.InterfaceTable); err != nil {
		return nil, err
	}
	return v, nil
}
