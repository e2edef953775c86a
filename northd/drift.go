package northd

import (
	"fmt"
	"maps"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/northd/translate"
)

// drift is a value in a row and column northd owns that differs from what
// northd last committed: another writer changed it (schema/README.md,
// "Drift"). The round that finds it recomputes fully, which rewrites it.
type drift struct {
	table, row, column string
}

func (d drift) String() string { return fmt.Sprintf("%s %s %s", d.table, d.row, d.column) }

// datapathEvents keeps the Datapath_Binding indexes current from the
// monitor's events: deletes first, then new rows, of which a second row
// for an NB object that has one is not adopted (it is drift).
func (ix *indexes) datapathEvents(ch *changes) {
	for row, rc := range ch.dpRows {
		if rc.cur != nil {
			continue
		}
		if id := ix.dpNB[row]; id != "" && ix.nbDP[id] == row {
			delete(ix.nbDP, id)
		}
		delete(ix.dpNB, row)
	}
	for row, rc := range ch.dpRows {
		if rc.cur == nil {
			continue
		}
		id := sbkeys.DatapathIdentity(rc.cur)
		if old := ix.dpNB[row]; old != "" && old != id && ix.nbDP[old] == row {
			delete(ix.nbDP, old)
		}
		if id == "" {
			delete(ix.dpNB, row)
			continue
		}
		ix.dpNB[row] = id
		if _, ok := ix.nbDP[id]; !ok {
			ix.nbDP[id] = row
		}
	}
}

// findDrift compares the rows in ch's events with want, the output the
// State holds: since a round runs only once the views show northd's last
// commit, and a failed commit drops the State, want is exactly what SB and
// NB's status columns hold unless another writer changed them. Port_Binding
// chassis and up are northd's (derived from DVR_Port_Claim) and compared
// too; the chassis-owned rows (Chassis, Encap, Chassis_Private,
// DVR_Port_Claim) and Port_Binding encap never are.
func findDrift(want *translate.Output, ch *changes, ix *indexes, view SBLookup) []drift {
	var out []drift
	add := func(table, row, column string) { out = append(out, drift{table, row, column}) }
	for _, rc := range ch.pbs {
		if rc.cur == nil {
			if rc.old != nil {
				if _, wanted := want.Ports[rc.old.LogicalPort]; wanted && view.PortBinding(rc.old.LogicalPort) == nil {
					add(sbdb.PortBindingTable, rc.old.LogicalPort, "(row deleted)")
				}
			}
			continue
		}
		pb := rc.cur
		w, ok := want.Ports[pb.LogicalPort]
		if !ok {
			add(sbdb.PortBindingTable, pb.LogicalPort, "(row no NB row asks for)")
			continue
		}
		for _, c := range pbDiffers(pb, &w, ix.dpNB[pb.Datapath] == w.Datapath, view.ChassisRow(w.Chassis)) {
			add(sbdb.PortBindingTable, pb.LogicalPort, c)
		}
	}
	for row, rc := range ch.dpRows {
		if rc.cur == nil {
			if id := sbkeys.DatapathIdentity(rc.old); id != "" {
				if w, wanted := want.Datapaths[id]; wanted && ix.nbDP[id] == "" {
					add(sbdb.DatapathBindingTable, w.Name, "(row deleted)")
				}
			}
			continue
		}
		id := sbkeys.DatapathIdentity(rc.cur)
		w, ok := want.Datapaths[id]
		switch {
		case id == "" || !ok:
			add(sbdb.DatapathBindingTable, row, "(row no NB row asks for)")
			continue
		case ix.nbDP[id] != row:
			add(sbdb.DatapathBindingTable, w.Name, "(a second row for it)")
			continue
		}
		if rc.cur.TunnelKey != w.Key {
			add(sbdb.DatapathBindingTable, w.Name, "tunnel_key")
		}
		if !maps.Equal(rc.cur.ExternalIDs, datapathIDs(&w)) {
			add(sbdb.DatapathBindingTable, w.Name, "external_ids")
		}
	}
	for _, rc := range ch.macs {
		if rc.cur == nil {
			if _, wanted := want.DVRMACs[rc.old.ChassisName]; wanted && view.MACBinding(rc.old.ChassisName) == nil {
				add(sbdb.DVRMACBindingTable, rc.old.ChassisName, "(row deleted)")
			}
			continue
		}
		switch w, ok := want.DVRMACs[rc.cur.ChassisName]; {
		case !ok:
			add(sbdb.DVRMACBindingTable, rc.cur.ChassisName, "(row for no registered chassis)")
		case w != rc.cur.MAC:
			add(sbdb.DVRMACBindingTable, rc.cur.ChassisName, "mac")
		}
	}
	for _, rc := range ch.rbs {
		b := rc.cur
		if b == nil {
			b = rc.old
		}
		h := translate.Hosting{Router: ix.dpNB[b.Datapath], Chassis: b.ChassisName}
		row := want.Datapaths[h.Router].Name + "/" + h.Chassis
		switch {
		case rc.cur == nil && want.Hosting[h] && view.RouterBinding(b.Datapath, b.ChassisName) == nil:
			add(sbdb.DVRRouterBindingTable, row, "(row deleted)")
		case rc.cur != nil && !want.Hosting[h]:
			add(sbdb.DVRRouterBindingTable, row, "(row no hosting rule asks for)")
		}
	}
	for u, p := range ch.ups {
		w, ok := want.LSPUp[u]
		if !ok {
			continue
		}
		if cur := p.Up != nil && *p.Up; cur != w && (p.Up != nil || w) {
			add(nbdb.LogicalSwitchPortTable, p.Name, "up")
		}
	}
	return out
}

// pbDiffers lists the northd-owned columns in which a Port_Binding differs
// from the desired one (sameDP: its datapath is the desired one).
func pbDiffers(h *sbdb.PortBinding, w *translate.Port, sameDP bool, chassisRow string) []string {
	var cols []string
	if (h.Chassis == nil) != (chassisRow == "") || h.Chassis != nil && *h.Chassis != chassisRow {
		cols = append(cols, "chassis")
	}
	if wantUp := chassisRow != "" && w.Up; (h.Up == nil) != (chassisRow == "") || h.Up != nil && *h.Up != wantUp {
		cols = append(cols, "up")
	}
	if !sameDP {
		cols = append(cols, "datapath")
	}
	if h.TunnelKey != w.Key {
		cols = append(cols, "tunnel_key")
	}
	if h.Type != w.Type {
		cols = append(cols, "type")
	}
	if !sameSet(h.MAC, w.MAC) {
		cols = append(cols, "mac")
	}
	if !maps.Equal(h.Options, w.Options) {
		cols = append(cols, "options")
	}
	if !maps.Equal(h.ExternalIDs, w.ExternalIDs) {
		cols = append(cols, "external_ids")
	}
	return cols
}

// datapathIDs is the external_ids of a desired Datapath_Binding.
func datapathIDs(w *translate.Datapath) map[string]string {
	ids := map[string]string{sbkeys.KeyName: w.Name}
	if w.Router {
		ids[sbkeys.KeyLogicalRouter] = w.NBUUID
	} else {
		ids[sbkeys.KeyLogicalSwitch] = w.NBUUID
	}
	return ids
}
