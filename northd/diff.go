package northd

import (
	"fmt"
	"maps"
	"slices"
	"sort"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/northd/translate"
)

// Counts is how many rows a diff inserts, updates and deletes per table.
type Counts map[string]int

// sbDiff turns desired-vs-current into SB operations, touching only the
// tables and columns northd owns. It is pure.
type sbDiff struct {
	dbm    model.DatabaseModel
	ops    []ovsdb.Operation
	named  int
	counts Counts
	// chassisRow is the Chassis row UUID of a chassis name ("" for none):
	// what a bound Port_Binding's chassis column holds.
	chassisRow func(name string) string
}

func (d *sbDiff) add(table string, op ovsdb.Operation, err error) error {
	if err != nil {
		return err
	}
	d.ops = append(d.ops, op)
	d.counts[table]++
	return nil
}

func (d *sbDiff) name(prefix string) string {
	d.named++
	return fmt.Sprintf("%s%d", prefix, d.named)
}

// DiffSB returns the operations that make cur's northd-owned rows equal
// to want, and the row counts they touch.
func DiffSB(dbm model.DatabaseModel, want *translate.Output, cur *SBState) ([]ovsdb.Operation, Counts, error) {
	rows := make(map[string]string, len(cur.Chassis))
	for _, c := range cur.Chassis {
		rows[c.Name] = c.UUID
	}
	d := &sbDiff{dbm: dbm, counts: Counts{}, chassisRow: func(name string) string { return rows[name] }}
	dpRow, err := d.datapaths(want, cur)
	if err != nil {
		return nil, nil, err
	}
	if err := d.ports(want, cur, dpRow); err != nil {
		return nil, nil, err
	}
	if err := d.macs(want, cur); err != nil {
		return nil, nil, err
	}
	if err := d.hosting(want, cur, dpRow); err != nil {
		return nil, nil, err
	}
	d.orphanClaims(cur, rows)
	if err := d.rbac(cur); err != nil {
		return nil, nil, err
	}
	return d.ops, d.counts, nil
}

// datapaths diffs Datapath_Binding; it returns NB UUID → row UUID (real
// or named) for the rows that reference datapaths.
func (d *sbDiff) datapaths(want *translate.Output, cur *SBState) (map[string]string, error) {
	const t = sbdb.DatapathBindingTable
	have := map[string]*sbdb.DatapathBinding{}
	rows := slices.Clone(cur.Datapaths)
	sort.Slice(rows, func(i, j int) bool { return rows[i].UUID < rows[j].UUID })
	for i := range rows {
		dp := &rows[i]
		id := sbkeys.DatapathIdentity(dp)
		if _, keep := want.Datapaths[id]; id == "" || !keep || have[id] != nil {
			if err := d.add(t, ovsdbops.Delete(t, dp.UUID), nil); err != nil {
				return nil, err
			}
			continue
		}
		have[id] = dp
	}
	dpRow := map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(want.Datapaths)) {
		w := want.Datapaths[id]
		m := &sbdb.DatapathBinding{TunnelKey: w.Key, ExternalIDs: datapathIDs(&w)}
		if h := have[id]; h != nil {
			dpRow[id] = h.UUID
			var cols []string
			if h.TunnelKey != m.TunnelKey {
				cols = append(cols, "tunnel_key")
			}
			if !maps.Equal(h.ExternalIDs, m.ExternalIDs) {
				cols = append(cols, "external_ids")
			}
			if len(cols) > 0 {
				op, err := ovsdbops.Update(d.dbm, t, h.UUID, m, cols...)
				if err := d.add(t, op, err); err != nil {
					return nil, err
				}
			}
			continue
		}
		n := d.name("dp")
		dpRow[id] = n
		op, err := ovsdbops.Insert(d.dbm, t, m, n)
		if err := d.add(t, op, err); err != nil {
			return nil, err
		}
	}
	return dpRow, nil
}

func (d *sbDiff) ports(want *translate.Output, cur *SBState, dpRow map[string]string) error {
	const t = sbdb.PortBindingTable
	have := map[string]*sbdb.PortBinding{}
	for i := range cur.Ports {
		pb := &cur.Ports[i]
		if _, keep := want.Ports[pb.LogicalPort]; !keep {
			if err := d.add(t, ovsdbops.Delete(t, pb.UUID), nil); err != nil {
				return err
			}
			continue
		}
		have[pb.LogicalPort] = pb
	}
	for _, name := range slices.Sorted(maps.Keys(want.Ports)) {
		w := want.Ports[name]
		if err := d.port(name, &w, have[name], dpRow[w.Datapath]); err != nil {
			return err
		}
	}
	return nil
}

// port makes one Port_Binding match (want nil: deleted).
func (d *sbDiff) port(name string, w *translate.Port, h *sbdb.PortBinding, dpRow string) error {
	const t = sbdb.PortBindingTable
	if w == nil {
		if h != nil {
			return d.add(t, ovsdbops.Delete(t, h.UUID), nil)
		}
		return nil
	}
	chRow := d.boundTo(w)
	build := func() *sbdb.PortBinding {
		pb := &sbdb.PortBinding{LogicalPort: name, Datapath: dpRow, TunnelKey: w.Key, Type: w.Type,
			MAC: w.MAC, Options: w.Options, ExternalIDs: w.ExternalIDs}
		if chRow != "" {
			up := w.Up
			pb.Chassis, pb.Up = &chRow, &up
		}
		return pb
	}
	if h == nil {
		return d.add(t, ovsdb.Operation{Op: ovsdb.OperationInsert, Table: t, UUIDName: d.name("pb"), Row: pbRow(name, w, dpRow, chRow)}, nil)
	}
	// Compare in place: a takeover's full round compares every row and
	// almost always finds it equal.
	cols := pbDiffers(h, w, h.Datapath == dpRow, chRow)
	if len(cols) == 0 {
		return nil
	}
	op, err := ovsdbops.Update(d.dbm, t, h.UUID, build(), cols...)
	return d.add(t, op, err)
}

// boundTo is the Chassis row a desired Port_Binding is bound to ("" for
// none).
func (d *sbDiff) boundTo(w *translate.Port) string {
	if w.Chassis == "" || d.chassisRow == nil {
		return ""
	}
	return d.chassisRow(w.Chassis)
}

// orphanClaims deletes the DVR_Port_Claim rows of chassis that have no
// Chassis row any more (ovn-sbctl chassis-del, or a chassis deleted
// without dvr-chassis unregister): no chassis may delete another's claim
// under RBAC, so the port would stay claimed for ever. The Chassis row
// of that name comes back with a restarted dvr-chassis, which claims
// again.
func (d *sbDiff) orphanClaims(cur *SBState, chassisRow map[string]string) {
	const t = sbdb.DVRPortClaimTable
	for _, cl := range cur.Claims {
		if chassisRow[cl.ChassisName] == "" {
			_ = d.add(t, ovsdbops.Delete(t, cl.UUID), nil)
		}
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 1 {
		return a[0] == b[0]
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

func (d *sbDiff) macs(want *translate.Output, cur *SBState) error {
	const t = sbdb.DVRMACBindingTable
	have := map[string]*sbdb.DVRMACBinding{}
	for i := range cur.MACs {
		m := &cur.MACs[i]
		if _, keep := want.DVRMACs[m.ChassisName]; !keep || have[m.ChassisName] != nil {
			if err := d.add(t, ovsdbops.Delete(t, m.UUID), nil); err != nil {
				return err
			}
			continue
		}
		have[m.ChassisName] = m
	}
	for _, c := range slices.Sorted(maps.Keys(want.DVRMACs)) {
		m := &sbdb.DVRMACBinding{ChassisName: c, MAC: want.DVRMACs[c]}
		if h := have[c]; h != nil {
			if h.MAC != m.MAC {
				op, err := ovsdbops.Update(d.dbm, t, h.UUID, m, "mac")
				if err := d.add(t, op, err); err != nil {
					return err
				}
			}
			continue
		}
		op, err := ovsdbops.Insert(d.dbm, t, m, d.name("mac"))
		if err := d.add(t, op, err); err != nil {
			return err
		}
	}
	return nil
}

func (d *sbDiff) hosting(want *translate.Output, cur *SBState, dpRow map[string]string) error {
	const t = sbdb.DVRRouterBindingTable
	type key struct{ dp, chassis string }
	wantKeys := map[key]bool{}
	for h := range want.Hosting {
		if row := dpRow[h.Router]; row != "" {
			wantKeys[key{row, h.Chassis}] = true
		}
	}
	have := map[key]bool{}
	for _, b := range cur.RouterBindings {
		k := key{b.Datapath, b.ChassisName}
		if !wantKeys[k] || have[k] {
			if err := d.add(t, ovsdbops.Delete(t, b.UUID), nil); err != nil {
				return err
			}
			continue
		}
		have[k] = true
	}
	keys := slices.Collect(maps.Keys(wantKeys))
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].dp != keys[j].dp {
			return keys[i].dp < keys[j].dp
		}
		return keys[i].chassis < keys[j].chassis
	})
	for _, k := range keys {
		if have[k] {
			continue
		}
		if err := d.add(t, rbInsert(k.dp, k.chassis, d.name("rb")), nil); err != nil {
			return err
		}
	}
	return nil
}

// DiffLSPUp returns the NB updates of Logical_Switch_Port.up (a port with
// no value yet is written only when it goes up).
func DiffLSPUp(dbm model.DatabaseModel, want map[string]bool, ports []nbdb.LogicalSwitchPort) ([]ovsdb.Operation, error) {
	var ops []ovsdb.Operation
	for i := range ports {
		p := &ports[i]
		w, ok := want[p.UUID]
		if !ok {
			continue
		}
		cur := p.Up != nil && *p.Up
		if cur == w && (p.Up != nil || !w) {
			continue
		}
		m := &nbdb.LogicalSwitchPort{Up: &w}
		op, err := ovsdbops.Update(dbm, nbdb.LogicalSwitchPortTable, p.UUID, m, "up")
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// SBLookup reads single rows from the SB view by index.
type SBLookup interface {
	PortBinding(name string) *sbdb.PortBinding
	RouterBinding(dpRow, chassis string) *sbdb.DVRRouterBinding
	MACBinding(chassis string) *sbdb.DVRMACBinding
	DatapathRow(nbUUID string) string
	// ChassisRow is the UUID of the Chassis row with that name ("" for
	// none).
	ChassisRow(name string) string
}

// DiffSBDelta returns the operations for the rows an incremental update
// touched: the named Port_Bindings and the hosting pairs.
func DiffSBDelta(dbm model.DatabaseModel, want *translate.Output, delta translate.Delta, cur SBLookup) ([]ovsdb.Operation, Counts, error) {
	d := &sbDiff{dbm: dbm, counts: Counts{}, chassisRow: cur.ChassisRow}
	for _, name := range delta.Ports {
		var w *translate.Port
		dpRow := ""
		if p, ok := want.Ports[name]; ok {
			w = &p
			if dpRow = cur.DatapathRow(p.Datapath); dpRow == "" {
				return nil, nil, fmt.Errorf("no Datapath_Binding for %s in view", p.Datapath)
			}
		}
		if err := d.port(name, w, cur.PortBinding(name), dpRow); err != nil {
			return nil, nil, err
		}
	}
	const t = sbdb.DVRRouterBindingTable
	for _, h := range delta.Hosting {
		dpRow := cur.DatapathRow(h.Router)
		if dpRow == "" {
			return nil, nil, fmt.Errorf("no Datapath_Binding for router %s in view", h.Router)
		}
		have := cur.RouterBinding(dpRow, h.Chassis)
		switch {
		case want.Hosting[h] && have == nil:
			if err := d.add(t, rbInsert(dpRow, h.Chassis, d.name("rb")), nil); err != nil {
				return nil, nil, err
			}
		case !want.Hosting[h] && have != nil:
			if err := d.add(t, ovsdbops.Delete(t, have.UUID), nil); err != nil {
				return nil, nil, err
			}
		}
	}
	return d.ops, d.counts, nil
}

// pbRow renders a new Port_Binding row directly: at 100k ports, going
// through libovsdb's reflection mapper was most of the diff's time.
// Columns at their default are left out, as the mapper does.
func pbRow(name string, w *translate.Port, dpRow, chassisRow string) ovsdb.Row {
	r := ovsdb.Row{"logical_port": name, "datapath": ovsdb.UUID{GoUUID: dpRow}, "tunnel_key": w.Key}
	if chassisRow != "" {
		r["chassis"] = ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: chassisRow}}}
		r["up"] = ovsdb.OvsSet{GoSet: []any{w.Up}}
	}
	if w.Type != "" {
		r["type"] = w.Type
	}
	if len(w.MAC) > 0 {
		set := make([]interface{}, len(w.MAC))
		for i, m := range w.MAC {
			set[i] = m
		}
		r["mac"] = ovsdb.OvsSet{GoSet: set}
	}
	if len(w.Options) > 0 {
		r["options"] = ovsMap(w.Options)
	}
	if len(w.ExternalIDs) > 0 {
		r["external_ids"] = ovsMap(w.ExternalIDs)
	}
	return r
}

func ovsMap(m map[string]string) ovsdb.OvsMap {
	om := ovsdb.OvsMap{GoMap: make(map[interface{}]interface{}, len(m))}
	for k, v := range m {
		om.GoMap[k] = v
	}
	return om
}

// rbInsert inserts a DVR_Router_Binding row.
func rbInsert(dpRow, chassis, name string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationInsert, Table: sbdb.DVRRouterBindingTable, UUIDName: name,
		Row: ovsdb.Row{"datapath": ovsdb.UUID{GoUUID: dpRow}, "chassis_name": chassis}}
}
