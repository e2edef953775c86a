package northd

import (
	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/northd/translate"
)

// NBState is the NB rows northd reads.
type NBState struct {
	Global      *nbdb.NBGlobal
	Switches    []nbdb.LogicalSwitch
	SwitchPorts []nbdb.LogicalSwitchPort
	Routers     []nbdb.LogicalRouter
	RouterPorts []nbdb.LogicalRouterPort
}

// SBState is the SB rows northd reads.
type SBState struct {
	Global         *sbdb.SBGlobal
	Chassis        []sbdb.Chassis
	ChassisPrivate []sbdb.ChassisPrivate
	Encaps         []sbdb.Encap
	Datapaths      []sbdb.DatapathBinding
	Ports          []sbdb.PortBinding
	MACs           []sbdb.DVRMACBinding
	RouterBindings []sbdb.DVRRouterBinding
	Claims         []sbdb.DVRPortClaim
	Roles          []sbdb.RBACRole
	Permissions    []sbdb.RBACPermission
}

// The external_ids keys northd keeps in NB_Global and SB_Global (its
// epoch and write sequence) are internal/sbkeys', as is the identity of
// a Datapath_Binding.

// OptBaseMAC is the NB_Global option holding the DVR base MAC.
const OptBaseMAC = "dvr_base_mac"

// Input builds translate's input from the two snapshots. baseMAC, when
// set (the --dvr-base-mac flag), overrides NB_Global.options:dvr_base_mac.
func Input(nb *NBState, sb *SBState, baseMAC string) translate.Input {
	in := translate.Input{
		Switches:     make(map[string]*translate.Switch, len(nb.Switches)),
		SwitchPorts:  make(map[string]*translate.SwitchPort, len(nb.SwitchPorts)),
		Routers:      make(map[string]*translate.Router, len(nb.Routers)),
		RouterPorts:  make(map[string]*translate.RouterPort, len(nb.RouterPorts)),
		Claims:       make(map[string]translate.Claim, len(sb.Ports)),
		DatapathKeys: make(map[string]int, len(sb.Datapaths)),
		PortKeys:     make(map[string]translate.PortKey, len(sb.Ports)),
		BoundMACs:    make(map[string][]string, len(sb.Ports)),
		DVRMACs:      make(map[string]string, len(sb.MACs)),
	}
	for i := range nb.Switches {
		ls := &nb.Switches[i]
		in.Switches[ls.UUID] = &translate.Switch{UUID: ls.UUID, Name: ls.Name, Ports: ls.Ports}
	}
	for i := range nb.SwitchPorts {
		p := &nb.SwitchPorts[i]
		in.SwitchPorts[p.UUID] = &translate.SwitchPort{UUID: p.UUID, Name: p.Name, Type: p.Type, Addresses: p.Addresses, Options: p.Options}
	}
	for i := range nb.Routers {
		lr := &nb.Routers[i]
		in.Routers[lr.UUID] = &translate.Router{UUID: lr.UUID, Name: lr.Name, Ports: lr.Ports, Options: lr.Options}
	}
	for i := range nb.RouterPorts {
		p := &nb.RouterPorts[i]
		in.RouterPorts[p.UUID] = &translate.RouterPort{UUID: p.UUID, Name: p.Name, MAC: p.MAC, Networks: p.Networks, Peer: p.Peer}
	}
	in.BaseMAC = baseMAC
	if in.BaseMAC == "" && nb.Global != nil {
		in.BaseMAC = nb.Global.Options[OptBaseMAC]
	}
	in.Chassis, in.ChassisProblems = translate.CheckChassis(ChassisRows(sb))
	dpNB := make(map[string]string, len(sb.Datapaths))
	for i := range sb.Datapaths {
		dp := &sb.Datapaths[i]
		id := sbkeys.DatapathIdentity(dp)
		if id == "" {
			continue
		}
		dpNB[dp.UUID] = id
		if _, dup := in.DatapathKeys[id]; !dup {
			in.DatapathKeys[id] = dp.TunnelKey
		}
	}
	for i := range sb.Ports {
		pb := &sb.Ports[i]
		if id := dpNB[pb.Datapath]; id != "" {
			in.PortKeys[pb.LogicalPort] = translate.PortKey{Datapath: id, Key: pb.TunnelKey}
			if pb.Type == "" {
				in.BoundMACs[pb.LogicalPort] = pb.MAC
			}
		}
	}
	for _, cl := range sb.Claims {
		in.Claims[cl.LogicalPort] = translate.Claim{Chassis: cl.ChassisName, Up: cl.Up}
	}
	for _, m := range sb.MACs {
		in.DVRMACs[m.ChassisName] = m.MAC
	}
	return in
}

// ChassisRows joins each Chassis with the Encap rows its encaps column
// references.
func ChassisRows(sb *SBState) []translate.ChassisRow {
	encaps := make(map[string]*sbdb.Encap, len(sb.Encaps))
	for i := range sb.Encaps {
		encaps[sb.Encaps[i].UUID] = &sb.Encaps[i]
	}
	rows := make([]translate.ChassisRow, 0, len(sb.Chassis))
	for _, c := range sb.Chassis {
		r := translate.ChassisRow{UUID: c.UUID, Name: c.Name}
		for _, u := range c.Encaps {
			if e := encaps[u]; e != nil {
				r.Encaps = append(r.Encaps, translate.Encap{Type: string(e.Type), IP: e.IP})
			}
		}
		rows = append(rows, r)
	}
	return rows
}
