package chassis

import (
	"reflect"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// This file is the one place that says what a port-level change is to
// dvr-chassis, the changes the incremental path (incremental.go) applies:
// VM Port_Bindings added, removed, bound, unbound, re-addressed, when
// nothing the round's global decisions rest on moved with them. It decides
// in two steps, each refusing with a reason:
//
//  1. as the round applies the monitor's row changes to its SB view
//     (SBView.apply), every change to another table than Port_Binding and
//     Chassis_Private, and to a Port_Binding that is not a VM port, asks
//     for a full round; any event of the local OVSDB does too (its view
//     is not kept from events: Chassis.localEvents);
//  2. portLevel checks the changed VM ports against what the last round
//     decided: the claim plan (which interfaces are served, claims,
//     releases), the DVR MAC, the registration and the tunnels must come
//     out the same; the VLANs and the hosted routers follow from those
//     and the tables of step 1.
//
// Any refusal means a full round, the oracle (DESIGN §6.2): the test that
// compares both paths on real hypervisors is incremental_test.go.

// lastRound is what a successful round decided, which an incremental
// round reuses.
type lastRound struct {
	id       Identity
	status   string
	ifaces   []LocalIface
	local    Local
	qrs      []QRPort
	qrPend   bool
	intPorts map[string]int32
	tunPorts map[string]int32
	// present are the datapaths with a local VLAN (UUID → tunnel key).
	present map[string]uint32
	// ifacesOn are the hosted routers (indexes into local.Hosted) with an
	// interface on a datapath.
	ifacesOn map[string][]int
	// flowed names the local ports whose flows are acknowledged, with
	// their network's tunnel key.
	flowed    map[string]bool
	flowedNet map[string]uint32
	// applied: flows and routers were applied without error.
	applied   bool
	localSeen uint64
	localGen  int
	// ifaceIDs are the local interfaces' iface-ids.
	ifaceIDs map[string]bool
}

// claimsStay: no changed port is a local interface's or bound here, so
// DecideClaims would decide as the last round did.
func claimsStay(last *lastRound, changes map[string]portChange) bool {
	for _, ch := range changes {
		for _, pb := range []*sbdb.PortBinding{ch.old, ch.cur} {
			if pb != nil && (last.ifaceIDs[pb.LogicalPort] || pb.Chassis != nil && *pb.Chassis == last.local.SelfUUID) {
				return false
			}
		}
	}
	return true
}

func newLastRound(sv *SBView, id Identity, status string, ifaces []LocalIface, l Local, qrs []QRPort, qrPend bool,
	intPorts, tunPorts map[string]int32, in flows.Input, flowed map[string]bool, applied bool, localSeen uint64, localGen int) *lastRound {
	r := &lastRound{id: id, status: status, ifaces: ifaces, local: l, qrs: qrs, qrPend: qrPend, intPorts: intPorts,
		tunPorts: tunPorts, present: map[string]uint32{}, ifacesOn: routerInterfacesOn(l.Hosted),
		flowed: map[string]bool{}, flowedNet: map[string]uint32{}, applied: applied, localSeen: localSeen, localGen: localGen,
		ifaceIDs: map[string]bool{}}
	for _, li := range ifaces {
		r.ifaceIDs[li.IfaceID] = true
	}
	for _, dp := range sv.Datapaths {
		if n := Network(sv, dp.UUID); n != "" {
			if _, ok := l.VLANs[n]; ok {
				r.present[dp.UUID] = uint32(dp.TunnelKey)
			}
		}
	}
	net := map[string]uint32{}
	for _, p := range in.LocalPorts {
		net[p.Name] = p.Network
	}
	for n := range flowed {
		r.flowed[n], r.flowedNet[n] = true, net[n]
	}
	return r
}

// portLevel says why the pending port changes need a full round ("" if
// they do not), given this round's claim plan.
func portLevel(sv *SBView, last *lastRound, claims ClaimPlan, changes map[string]portChange) string {
	if len(claims.Claim)+len(claims.Release) > 0 || (!claimsStay(last, changes) && !reflect.DeepEqual(claims, last.local.Claims)) {
		return "the claim plan changed"
	}
	if !tunnelsStay(sv, last, claims, changes) {
		return "the tunnels may change"
	}
	return ""
}

// tunnelsStay: the changed VM ports leave DesiredTunnels as it was. A
// port bound to another chassis on a network present here shares that
// network with it: fine if that chassis has a tunnel already. A port that
// left such a chassis (unbound, moved, deleted) keeps its tunnel only if
// another of its ports is still on a network present here (else the full
// round decides). Ports on networks not present here change nothing.
func tunnelsStay(sv *SBView, last *lastRound, claims ClaimPlan, changes map[string]portChange) bool {
	tunneled := map[string]bool{}
	for _, t := range last.local.Tunnels {
		for _, c := range t.Chassis {
			tunneled[c] = true
		}
	}
	self, selfUUID := last.local.Self, last.local.SelfUUID
	for _, ch := range changes {
		if ch.cur != nil {
			if c := remoteOf(sv, ch.cur, last, self, selfUUID, claims); c != nil && !tunneled[c.Name] {
				return false
			}
		}
		if ch.old != nil {
			if c := remoteOf(sv, ch.old, last, self, selfUUID, claims); c != nil && tunneled[c.Name] && !stillShares(sv, last, c.UUID, claims) {
				return false
			}
		}
	}
	return true
}

// remoteOf is the other chassis a VM port on a present network is bound
// to (nil if none).
func remoteOf(sv *SBView, pb *sbdb.PortBinding, last *lastRound, self, selfUUID string, claims ClaimPlan) *sbdb.Chassis {
	if _, ok := last.present[pb.Datapath]; !ok || pb.Type != "" || pb.Chassis == nil || claims.Bound[pb.UUID] || *pb.Chassis == selfUUID {
		return nil
	}
	c, ok := sv.Chassis[*pb.Chassis]
	if !ok || c.Name == self {
		return nil
	}
	return &c
}

func stillShares(sv *SBView, last *lastRound, chassisUUID string, claims ClaimPlan) bool {
	for u := range sv.portsByChassis[chassisUUID] {
		pb := sv.Ports[u]
		if _, ok := last.present[pb.Datapath]; ok && pb.Type == "" && !claims.Bound[u] {
			return true
		}
	}
	return false
}
