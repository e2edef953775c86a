package chassis

import (
	"fmt"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

// BridgeConfig is the local plumbing the chassis owns.
type BridgeConfig struct {
	Integration, Tunnel string // bridge names
	DatapathType        string // system or netdev
	Owner               string // OwnerKey's value: the system-id
	LocalIP             string // the encap IP, local_ip of every VXLAN port
}

// PortTag is the tag and network a VM port on the integration bridge
// should carry (Network "" when it is not served: Tag is DeadVLAN).
type PortTag struct {
	Port    string // Port UUID
	Tag     int
	Network string
}

// wantPort is a port (with one interface of the same name) the chassis
// creates.
type wantPort struct {
	name, ifType string
	options      map[string]string
	tag          int    // 0: none
	network      string // other_config NetworkKey, with tag
}

// QRPort is the integration-bridge end of a qr- device (its veth's outer
// end), tagged with its network's local VLAN.
type QRPort struct {
	Name    string
	VLAN    int
	Network string // NB logical switch UUID
}

// OVSPlan is what PlanOVS decided.
type OVSPlan struct {
	Ops []ovsdb.Operation
	// Blocked lists, as log lines, ports the chassis wants but cannot
	// create because a port of that name exists without our owner mark.
	Blocked []string
}

// PlanOVS returns the operations that bring the local OVSDB to: both
// bridges present with fail_mode=secure and the datapath type; patch-tun
// on the integration bridge and patch-int on the tunnel bridge, peered;
// one VXLAN port per tunnel on the tunnel bridge; no other port of ours
// (owner mark with our system-id) on either bridge; each VM port tagged
// as tags says; one port per qr- device on the integration bridge, tagged.
// Ports without our mark are never touched, except the VM ports in tags.
func PlanOVS(v *LocalView, cfg BridgeConfig, tunnels []Tunnel, tags []PortTag, qrs []QRPort) OVSPlan {
	var p OVSPlan
	tags = append([]PortTag(nil), tags...)
	names := 0
	named := func() string { names++; return fmt.Sprintf("row%d", names) }
	intPorts := []wantPort{{PatchToTun, "patch", map[string]string{"peer": PatchToInt}, 0, ""}}
	tunPorts := []wantPort{{PatchToInt, "patch", map[string]string{"peer": PatchToTun}, 0, ""}}
	for _, q := range qrs {
		intPorts = append(intPorts, wantPort{q.Name, "", nil, q.VLAN, q.Network})
	}
	for _, t := range tunnels {
		tunPorts = append(tunPorts, wantPort{t.Name, "vxlan",
			map[string]string{"key": "flow", "remote_ip": t.RemoteIP, "local_ip": cfg.LocalIP}, 0, ""})
	}
	owner := map[string]string{OwnerKey: cfg.Owner}
	insertPort := func(w wantPort) string {
		ifName, portName := named(), named()
		port := ovsdb.Row{"name": w.name,
			"interfaces": ovsdb.OvsSet{GoSet: []any{ovsdb.UUID{GoUUID: ifName}}}, "external_ids": ovsMap(owner)}
		if w.tag != 0 {
			port["tag"] = w.tag
			port["other_config"] = ovsMap(map[string]string{NetworkKey: w.network})
		}
		p.Ops = append(p.Ops,
			insertOp(vswitchd.InterfaceTable, ifName, ovsdb.Row{"name": w.name, "type": w.ifType,
				"options": ovsMap(w.options), "external_ids": ovsMap(owner)}),
			insertOp(vswitchd.PortTable, portName, port))
		return portName
	}
	for _, b := range []struct {
		name  string
		ports []wantPort
	}{{cfg.Integration, intPorts}, {cfg.Tunnel, tunPorts}} {
		br, ok := v.BridgeByName(b.name)
		if !ok {
			if v.Root == nil {
				continue
			}
			local := insertPort(wantPort{name: b.name, ifType: "internal"})
			refs := []any{ovsdb.UUID{GoUUID: local}}
			for _, w := range b.ports {
				refs = append(refs, ovsdb.UUID{GoUUID: insertPort(w)})
			}
			bn := named()
			p.Ops = append(p.Ops,
				insertOp(vswitchd.BridgeTable, bn, ovsdb.Row{"name": b.name, "ports": ovsdb.OvsSet{GoSet: refs},
					"fail_mode": vswitchd.BridgeFailModeSecure, "datapath_type": cfg.DatapathType,
					"external_ids": ovsMap(owner)}),
				setMutate(vswitchd.OpenvSwitchTable, v.Root.UUID, "bridges", ovsdb.MutateOperationInsert, []string{bn}))
			continue
		}
		row := ovsdb.Row{}
		if br.FailMode == nil || *br.FailMode != vswitchd.BridgeFailModeSecure {
			row["fail_mode"] = vswitchd.BridgeFailModeSecure
		}
		if br.DatapathType != cfg.DatapathType {
			row["datapath_type"] = cfg.DatapathType
		}
		if len(row) > 0 {
			p.Ops = append(p.Ops, updateOp(vswitchd.BridgeTable, br.UUID, row))
		}
		onBridge := map[string]vswitchd.Port{}
		for _, pu := range br.Ports {
			if port, ok := v.Ports[pu]; ok {
				onBridge[port.Name] = port
			}
		}
		want := map[string]bool{b.name: true} // the bridge's own local port
		var add, del []string
		for _, w := range b.ports {
			want[w.name] = true
			port, ok := onBridge[w.name]
			switch {
			case !ok:
				add = append(add, insertPort(w))
			case port.ExternalIDs[OwnerKey] != cfg.Owner:
				p.Blocked = append(p.Blocked, fmt.Sprintf("bridge %s: port %s exists without %s=%s: left alone, not created", b.name, w.name, OwnerKey, cfg.Owner))
			default:
				p.Ops = append(p.Ops, fixInterface(v, port, w, owner)...)
				if w.tag != 0 {
					tags = append(tags, PortTag{Port: port.UUID, Tag: w.tag, Network: w.network})
				}
			}
		}
		for _, name := range sortedKeys(onBridge) {
			port := onBridge[name]
			if !want[name] && port.ExternalIDs[OwnerKey] == cfg.Owner {
				del = append(del, port.UUID)
			}
		}
		if len(add) > 0 {
			p.Ops = append(p.Ops, setMutate(vswitchd.BridgeTable, br.UUID, "ports", ovsdb.MutateOperationInsert, add))
		}
		if len(del) > 0 {
			p.Ops = append(p.Ops, setMutate(vswitchd.BridgeTable, br.UUID, "ports", ovsdb.MutateOperationDelete, del))
		}
	}
	for _, t := range tags {
		port, ok := v.Ports[t.Port]
		if !ok {
			continue
		}
		row := ovsdb.Row{}
		if port.Tag == nil || *port.Tag != t.Tag {
			row["tag"] = t.Tag
		}
		if port.OtherConfig[NetworkKey] != t.Network {
			row["other_config"] = ovsMap(withKey(port.OtherConfig, NetworkKey, t.Network))
		}
		if len(row) > 0 {
			p.Ops = append(p.Ops, updateOp(vswitchd.PortTable, port.UUID, row))
		}
	}
	return p
}

// fixInterface rewrites the type, options and owner mark of an owned
// port's interface when they differ from w.
func fixInterface(v *LocalView, port vswitchd.Port, w wantPort, owner map[string]string) []ovsdb.Operation {
	for _, iu := range port.Interfaces {
		i, ok := v.Interfaces[iu]
		if !ok || i.Name != w.name {
			continue
		}
		row := ovsdb.Row{}
		if i.Type != w.ifType {
			row["type"] = w.ifType
		}
		if !sameMap(i.Options, w.options) {
			row["options"] = ovsMap(w.options)
		}
		if i.ExternalIDs[OwnerKey] != owner[OwnerKey] {
			row["external_ids"] = ovsMap(withKey(i.ExternalIDs, OwnerKey, owner[OwnerKey]))
		}
		if len(row) == 0 {
			return nil
		}
		return []ovsdb.Operation{updateOp(vswitchd.InterfaceTable, i.UUID, row)}
	}
	return nil
}

// planOVSDelta is PlanOVS for an incremental round: the tag of each VM
// port in retag (PortTags' rule), and, when the qr- ports may have
// changed (a router interface added or removed), PlanOVS over the qr-
// ports and tunnels with no VM tag, which adds the new ones. O(retag)
// otherwise.
func planOVSDelta(v *LocalView, cfg BridgeConfig, retag []LocalIface, claims ClaimPlan, vlans map[string]int, tunnels []Tunnel, qrs []QRPort, qrsMoved bool) []ovsdb.Operation {
	var ops []ovsdb.Operation
	if qrsMoved {
		ops = PlanOVS(v, cfg, tunnels, nil, qrs).Ops
	}
	for _, t := range PortTags(v, retag, claims, vlans) {
		port, ok := v.Ports[t.Port]
		if !ok {
			continue
		}
		row := ovsdb.Row{}
		if port.Tag == nil || *port.Tag != t.Tag {
			row["tag"] = t.Tag
		}
		if port.OtherConfig[NetworkKey] != t.Network {
			row["other_config"] = ovsMap(withKey(port.OtherConfig, NetworkKey, t.Network))
		}
		if len(row) > 0 {
			ops = append(ops, updateOp(vswitchd.PortTable, port.UUID, row))
		}
	}
	return ops
}
