package chassis

import (
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// Identity is what this chassis registers.
type Identity struct {
	Name         string // the system-id: Chassis.name
	Hostname     string
	EncapIP      string
	DatapathType string
}

// RegPlan is what registration needs this round.
type RegPlan struct {
	Ops []ovsdb.Operation
	// Fresh: the Chassis row does not exist and Ops insert it.
	Fresh bool
	// Chassis is the UUID of our Chassis row ("" when Fresh).
	Chassis string
	// Private is the UUID of our Chassis_Private row ("" when Ops insert it).
	Private string
}

// PlanRegistration compares our Chassis, Encap and Chassis_Private rows in
// v with id and status (the value of StatusKey: "" when in DVR mode) and
// returns the operations that make them so. Rows that already say so are
// not written: a restart rewrites nothing. Only rows named id.Name are
// looked at.
func PlanRegistration(v *SBView, id Identity, status string) RegPlan {
	var p RegPlan
	ch, ok := v.ChassisByName(id.Name)
	chRef := uuidRef(ch.UUID)
	if !ok {
		p.Fresh = true
		chRef = ovsdb.UUID{GoUUID: "chassis"}
		p.Ops = append(p.Ops,
			insertOp(sbdb.EncapTable, "encap", encapRow(id)),
			insertOp(sbdb.ChassisTable, "chassis", ovsdb.Row{
				"name": id.Name, "hostname": id.Hostname,
				"encaps":       ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: "encap"}}},
				"other_config": ovsMap(map[string]string{DatapathTypeKey: id.DatapathType}),
			}))
	} else {
		p.Chassis = ch.UUID
		row := ovsdb.Row{}
		if ch.Hostname != id.Hostname {
			row["hostname"] = id.Hostname
		}
		if ch.OtherConfig[DatapathTypeKey] != id.DatapathType {
			row["other_config"] = ovsMap(withKey(ch.OtherConfig, DatapathTypeKey, id.DatapathType))
		}
		switch e, good := onlyEncap(v, ch); {
		case good && encapMatches(e, id):
		case good && e.ChassisName == id.Name:
			// chassis_name is the row's RBAC authorization: never updated.
			p.Ops = append(p.Ops, updateOp(sbdb.EncapTable, e.UUID, ovsdb.Row{"type": sbdb.EncapTypeVxlan, "ip": id.EncapIP}))
		default: // none, several, or not vxlan: one new Encap (the others are garbage-collected)
			p.Ops = append(p.Ops, insertOp(sbdb.EncapTable, "encap", encapRow(id)))
			row["encaps"] = ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: "encap"}}}
		}
		if len(row) > 0 {
			p.Ops = append(p.Ops, updateOp(sbdb.ChassisTable, ch.UUID, row))
		}
	}
	cp, ok := v.PrivateByName(id.Name)
	ids := withKey(cp.ExternalIDs, StatusKey, status)
	if !ok {
		p.Ops = append(p.Ops, insertOp(sbdb.ChassisPrivateTable, "", ovsdb.Row{
			"name": id.Name, "chassis": chRef, "external_ids": ovsMap(ids)}))
		return p
	}
	p.Private = cp.UUID
	row := ovsdb.Row{}
	if cp.Chassis == nil || *cp.Chassis != ch.UUID || p.Fresh {
		row["chassis"] = chRef
	}
	if !sameMap(cp.ExternalIDs, ids) {
		row["external_ids"] = ovsMap(ids)
	}
	if len(row) > 0 {
		p.Ops = append(p.Ops, updateOp(sbdb.ChassisPrivateTable, cp.UUID, row))
	}
	return p
}

func encapRow(id Identity) ovsdb.Row {
	return ovsdb.Row{"type": sbdb.EncapTypeVxlan, "ip": id.EncapIP, "chassis_name": id.Name}
}

// onlyEncap is the chassis' Encap when it has exactly one and it is vxlan.
func onlyEncap(v *SBView, ch sbdb.Chassis) (sbdb.Encap, bool) {
	if len(ch.Encaps) != 1 {
		return sbdb.Encap{}, false
	}
	e, ok := v.Encaps[ch.Encaps[0]]
	return e, ok && e.Type == sbdb.EncapTypeVxlan
}

func encapMatches(e sbdb.Encap, id Identity) bool {
	return e.IP == id.EncapIP && e.ChassisName == id.Name
}

// ReportOp writes the barrier: nb_cfg (and its timestamp, ms) into our
// Chassis_Private row, when it differs.
func ReportOp(v *SBView, private string, nbCfg int, nowMs int64) (ovsdb.Operation, bool) {
	cp, ok := v.ChassisPrivate[private]
	if !ok || cp.NbCfg == nbCfg {
		return ovsdb.Operation{}, false
	}
	return updateOp(sbdb.ChassisPrivateTable, private, ovsdb.Row{"nb_cfg": nbCfg, "nb_cfg_timestamp": int(nowMs)}), true
}
