package chassis

import (
	"net/netip"
	"reflect"
	"sort"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// This file is the one place that says what dvr-chassis' incremental path
// (incremental.go) takes: VM Port_Bindings added, removed, bound,
// unbound, re-addressed; local VM interfaces plugged, numbered, re-plugged
// and unplugged (claims and releases); router interfaces added or removed
// on a router already hosted here (or on none); other chassis' router
// bindings; the qr- ports of our routers numbered. It decides in two
// steps, each refusing with a reason:
//
//  1. as the round applies the monitors' row changes to its views
//     (SBView.apply, localKeeper.apply), a change to any other SB table
//     than Port_Binding, Chassis_Private, SB_Global's nb_cfg and
//     DVR_Router_Binding, to a Port_Binding that is neither a VM port nor
//     a router interface, or to a local row that is not a VM interface, a
//     qr- port or the integration bridge's port list, asks for a full
//     round;
//  2. decideDelta recomputes from the last round what the changes can
//     move (the local interfaces and the claim plan, the hosted routers'
//     interfaces, the networks with a local VLAN) and refuses when this
//     chassis' own router bindings changed (what it hosts) or the tunnels
//     may change (tunnelsStay: only the chassis the changes touch are
//     checked), or, in --monitor=conditional, when the interest may move.
//
// Any refusal means a full round, the oracle (DESIGN §6.2): the test that
// compares both paths on real hypervisors after every step, decisions
// included, is incremental_test.go.

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
	applied  bool
	localGen int
	// ifaceIDs are the local interfaces' iface-ids.
	ifaceIDs map[string]bool
	// servedBy are the served interfaces by Port_Binding UUID.
	servedBy map[string]Served
	// selfVM and selfRouter are the switch datapaths with a VM port bound
	// here, and those of the interfaces of the routers bound here
	// (DesiredTunnels' two kinds of presence).
	selfVM, selfRouter map[string]bool
	// remotes are the flow input's other chassis (they change only in a
	// full round).
	remotes []flows.Remote
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
	intPorts, tunPorts map[string]int32, in flows.Input, flowed map[string]bool, applied bool, localGen int) *lastRound {
	r := &lastRound{id: id, status: status, ifaces: ifaces, local: l, qrs: qrs, qrPend: qrPend, intPorts: intPorts,
		tunPorts: tunPorts, present: map[string]uint32{}, ifacesOn: routerInterfacesOn(l.Hosted),
		flowed: map[string]bool{}, flowedNet: map[string]uint32{}, applied: applied, localGen: localGen,
		ifaceIDs: ifaceIDSet(ifaces), servedBy: servedByBinding(l.Claims), remotes: in.Remotes}
	for _, dp := range sv.Datapaths {
		if n := Network(sv, dp.UUID); n != "" {
			if _, ok := l.VLANs[n]; ok {
				r.present[dp.UUID] = uint32(dp.TunnelKey)
			}
		}
	}
	r.selfVM = selfVMNetworks(sv, l.Claims)
	r.selfRouter = selfRouterNetworks(sv, l.Self)
	net := map[string]uint32{}
	for _, p := range in.LocalPorts {
		net[p.Name] = p.Network
	}
	for n := range flowed {
		r.flowed[n], r.flowedNet[n] = true, net[n]
	}
	return r
}

func ifaceIDSet(ifaces []LocalIface) map[string]bool {
	out := make(map[string]bool, len(ifaces))
	for _, li := range ifaces {
		out[li.IfaceID] = true
	}
	return out
}

func servedByBinding(p ClaimPlan) map[string]Served {
	out := make(map[string]Served, len(p.Served))
	for _, s := range p.Served {
		out[s.Binding] = s
	}
	return out
}

// selfVMNetworks are the datapaths of the VM ports bound here.
func selfVMNetworks(sv *SBView, p ClaimPlan) map[string]bool {
	out := map[string]bool{}
	for u := range p.Bound {
		if pb, ok := sv.Ports[u]; ok && pb.Type == "" {
			out[pb.Datapath] = true
		}
	}
	return out
}

// selfRouterNetworks are the datapaths of the interfaces of the routers
// bound to chassis self (DVR_Router_Binding), as DesiredTunnels sees them.
func selfRouterNetworks(sv *SBView, self string) map[string]bool {
	sv.ensureIndex()
	out := map[string]bool{}
	for rbu := range sv.rbByChassis[self] {
		for _, dp := range routerNetworks(sv, sv.rbRows[rbu].Datapath) {
			out[dp] = true
		}
	}
	return out
}

// routerNetworks are the datapaths of the interfaces of the router of a
// router datapath.
func routerNetworks(sv *SBView, routerDP string) []string {
	r := sv.Datapaths[routerDP].ExternalIDs[sbkeys.KeyLogicalRouter]
	if r == "" {
		return nil
	}
	var out []string
	for u := range sv.riByRouter[r] {
		out = append(out, sv.Ports[u].Datapath)
	}
	return out
}

// delta is what an incremental round decided.
type delta struct {
	local     Local
	ifaces    []LocalIface
	ifaceIDs  map[string]bool
	servedBy  map[string]Served
	exhausted []string
	changes   map[string]portChange
	// routers are the hosted routers to recompute; hostedChanged says an
	// interface of one was added or removed.
	routers       map[string]bool
	hostedChanged bool
	ifacesOn      map[string][]int
	// retag are the local interfaces whose port's tag may change.
	retag []LocalIface
	// dps are the datapaths to recompute (their ports go into the flow
	// input), keys their scopes (the networks present before or after).
	dps     map[string]bool
	keys    map[uint32]bool
	present map[string]uint32
	// upCheck names the local ports whose up may change.
	upCheck            map[string]bool
	claimed, released  []string
	selfVM, selfRouter map[string]bool
	// reclaimed: the claim plan was decided afresh.
	reclaimed bool
}

// decideDelta decides an incremental round from the last one and the
// pending changes, or says why it cannot ("": it can).
func (c *Chassis) decideDelta(sv *SBView, lv *LocalView, last *lastRound, self string, lp localPending) (delta, string) {
	l := last.local
	d := delta{changes: c.sb.pend.ports, routers: map[string]bool{}, dps: map[string]bool{}, keys: map[uint32]bool{},
		upCheck: map[string]bool{}, ifaces: last.ifaces, ifaceIDs: last.ifaceIDs, servedBy: last.servedBy,
		present: last.present, ifacesOn: last.ifacesOn, selfVM: last.selfVM, selfRouter: last.selfRouter}
	for _, rc := range c.sb.pend.rbs {
		for _, rb := range []*sbdb.DVRRouterBinding{rc.old, rc.cur} {
			if rb != nil && rb.ChassisName == l.Self {
				return d, "a router binding of this chassis changed (what it hosts)"
			}
		}
	}
	// Router interfaces: those of a hosted router change its namespace.
	riRouters := map[string]bool{}
	for _, ch := range d.changes {
		for _, pb := range []*sbdb.PortBinding{ch.old, ch.cur} {
			if pb != nil && pb.Type == sbkeys.TypeRouterInterface {
				riRouters[pb.ExternalIDs[sbkeys.KeyLogicalRouter]] = true
			}
			if pb != nil {
				d.upCheck[pb.LogicalPort] = true
			}
		}
	}
	hosted := l.Hosted
	if len(riRouters) > 0 {
		at := map[string]int{}
		for i, h := range hosted {
			at[h.Router] = i
		}
		for r := range riRouters {
			i, ok := at[r]
			if !ok {
				continue
			}
			is := hostedInterfaces(sv, r)
			if reflect.DeepEqual(is, hosted[i].Interfaces) {
				continue
			}
			if !d.hostedChanged {
				hosted = append([]Hosted(nil), hosted...)
				d.hostedChanged = true
			}
			hosted[i].Interfaces = is
			d.routers[r] = true
		}
		if d.hostedChanged {
			d.ifacesOn = routerInterfacesOn(hosted)
		}
		d.selfRouter = selfRouterNetworks(sv, l.Self)
	}
	// Local interfaces and claims.
	claims := l.Claims
	if lp.any {
		d.ifaces = LocalIfaces(lv, c.cfg.IntegrationBridge)
		d.ifaceIDs = ifaceIDSet(d.ifaces)
	}
	recomputed := lp.any || !claimsStay(last, d.changes)
	if recomputed {
		claims = DecideClaims(sv, self, d.ifaces, l.MAC != "")
	}
	if c.cond != nil && (lp.any || len(riRouters) > 0 || recomputed && !reflect.DeepEqual(claims, l.Claims)) {
		return d, "conditional monitor: the interest may change"
	}
	d.claimed, d.released, d.reclaimed = claims.Claim, claims.Release, recomputed
	retag := map[string]bool{} // Interface UUIDs
	for u := range lp.ifaces {
		retag[u] = true
	}
	if recomputed {
		d.servedBy = servedByBinding(claims)
		for b, s := range d.servedBy {
			if o, ok := last.servedBy[b]; !ok || o != s {
				d.dps[s.Datapath] = true
				retag[s.Iface] = true
				if ok {
					d.dps[o.Datapath], retag[o.Iface] = true, true
				}
			}
		}
		for b, o := range last.servedBy {
			if _, ok := d.servedBy[b]; !ok {
				d.dps[o.Datapath], retag[o.Iface] = true, true
			}
		}
		for _, u := range claims.Release {
			d.upCheck[sv.Ports[u].LogicalPort] = true
		}
		d.selfVM = selfVMNetworks(sv, claims)
	}
	for _, li := range d.ifaces {
		if retag[li.Iface] || lp.ports[li.Port] {
			d.retag = append(d.retag, li)
		}
	}
	// VLANs: the networks needed here, and their datapaths.
	vlans := l.VLANs
	var need []string
	netDP := map[string]string{}
	if recomputed || d.hostedChanged || len(lp.names) > 0 {
		need, netDP = neededNetworks(sv, claims, hosted)
	} else {
		need = sortedKeys(vlans) // neither served ports nor interfaces moved
	}
	if len(need) != len(vlans) || !allIn(need, vlans) {
		vlans, d.exhausted = AllocateVLANs(need, l.VLANs)
		d.present = map[string]uint32{}
		for n := range vlans {
			dp := netDP[n]
			d.present[dp] = uint32(sv.Datapaths[dp].TunnelKey)
			if o, ok := l.VLANs[n]; !ok || o != vlans[n] {
				d.dps[dp] = true
			}
		}
		for dp := range last.present {
			if _, ok := d.present[dp]; !ok {
				d.dps[dp] = true
			}
		}
	}
	// The networks the changed ports are on, and their routers.
	for _, ch := range d.changes {
		for _, pb := range []*sbdb.PortBinding{ch.old, ch.cur} {
			if pb != nil {
				d.dps[pb.Datapath] = true
			}
		}
	}
	if len(lp.names) > 0 {
		qrNet := map[string]string{}
		for _, q := range last.qrs {
			qrNet[q.Name] = q.Network
		}
		for n := range lp.names {
			if nw, ok := qrNet[n]; ok {
				d.dps[netDP[nw]] = true // a qr- port numbered or re-plugged
			}
		}
	}
	for dp := range d.dps {
		_, now := d.present[dp]
		_, before := last.present[dp]
		if !now && !before {
			delete(d.dps, dp) // not present here: gives no flow
			continue
		}
		if k, ok := d.present[dp]; ok {
			d.keys[k] = true
		}
		if k, ok := last.present[dp]; ok {
			d.keys[k] = true
		}
		for _, i := range d.ifacesOn[dp] {
			d.routers[hosted[i].Router] = true
		}
	}
	if !c.tunnelsStay(sv, last, claims, &d, riRouters) {
		return d, "the tunnels may change"
	}
	d.local = Local{Self: l.Self, SelfUUID: l.SelfUUID, MAC: l.MAC, Claims: claims, Hosted: hosted, VLANs: vlans, Tunnels: l.Tunnels}
	return d, ""
}

func allIn(need []string, vlans map[string]int) bool {
	for _, n := range need {
		if _, ok := vlans[n]; !ok {
			return false
		}
	}
	return true
}

// hostedInterfaces are a hosted router's interfaces as HostedRouters
// lists them.
func hostedInterfaces(sv *SBView, r string) []sbdb.PortBinding {
	var out []sbdb.PortBinding
	for u := range sv.riByRouter[r] {
		pb := sv.Ports[u]
		if pb.ExternalIDs[sbkeys.KeyLogicalRouterPort] == "" {
			continue
		}
		if dp, ok := sv.Datapaths[pb.Datapath]; !ok || dp.ExternalIDs[sbkeys.KeyLogicalSwitch] == "" {
			continue
		}
		out = append(out, pb)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalPort < out[j].LogicalPort })
	return out
}

// neededNetworks is NeededNetworks with each network's datapath.
func neededNetworks(sv *SBView, claims ClaimPlan, hosted []Hosted) ([]string, map[string]string) {
	dps := map[string]string{}
	for _, s := range claims.Served {
		dps[s.Network] = s.Datapath
	}
	for _, h := range hosted {
		for _, pb := range h.Interfaces {
			dps[Network(sv, pb.Datapath)] = pb.Datapath
		}
	}
	delete(dps, "")
	return sortedKeys(dps), dps
}

// tunnelsStay: DesiredTunnels would decide as the last round did. Only
// the chassis the changes touch can start or stop sharing a network with
// this one: those of the changed VM ports, those with a VM port or a
// hosted router on a network where this chassis' own presence changed,
// those hosting a router whose interfaces changed, those whose router
// bindings changed. For each, whether it shares a network now must be
// whether it has a tunnel.
func (c *Chassis) tunnelsStay(sv *SBView, last *lastRound, claims ClaimPlan, d *delta, riRouters map[string]bool) bool {
	sv.ensureIndex()
	l := last.local
	tunneled := map[string]bool{}
	for _, t := range l.Tunnels {
		for _, n := range t.Chassis {
			tunneled[n] = true
		}
	}
	cand := map[string]bool{} // chassis UUIDs
	var names map[string][]string
	byName := func(n string) {
		if names == nil {
			names = map[string][]string{}
			for u, ch := range sv.Chassis {
				names[ch.Name] = append(names[ch.Name], u)
			}
		}
		for _, u := range names[n] {
			cand[u] = true
		}
	}
	for _, ch := range d.changes {
		for _, pb := range []*sbdb.PortBinding{ch.old, ch.cur} {
			if pb != nil && pb.Chassis != nil {
				cand[*pb.Chassis] = true
			}
		}
	}
	moved := map[string]bool{}
	for _, pair := range [][2]map[string]bool{{last.selfVM, d.selfVM}, {last.selfRouter, d.selfRouter}} {
		for dp := range pair[0] {
			if !pair[1][dp] {
				moved[dp] = true
			}
		}
		for dp := range pair[1] {
			if !pair[0][dp] {
				moved[dp] = true
			}
		}
	}
	movedRouters := map[string]bool{}
	for dp := range moved {
		for u := range sv.portsByDP[dp] {
			pb := sv.Ports[u]
			switch {
			case pb.Type == "" && pb.Chassis != nil:
				cand[*pb.Chassis] = true
			case pb.Type == sbkeys.TypeRouterInterface:
				movedRouters[pb.ExternalIDs[sbkeys.KeyLogicalRouter]] = true
			}
		}
	}
	for r := range riRouters {
		movedRouters[r] = true
	}
	for r := range movedRouters {
		// The chassis bound to those routers.
		for rbu := range sv.rbByDP[sv.routerDP[r]] {
			byName(sv.rbRows[rbu].ChassisName)
		}
	}
	for _, rc := range c.sb.pend.rbs {
		for _, rb := range []*sbdb.DVRRouterBinding{rc.old, rc.cur} {
			if rb != nil {
				byName(rb.ChassisName)
			}
		}
	}
	var ownIP netip.Addr
	if ch, ok := sv.ChassisByName(l.Self); ok {
		ownIP, _ = ChassisIP(sv, ch)
	}
	for u := range cand {
		ch, ok := sv.Chassis[u]
		if !ok || ch.Name == l.Self {
			continue
		}
		want := false
		if ip, ok := ChassisIP(sv, ch); ok && ip != ownIP {
			want = sharesWith(sv, ch, d.selfVM, d.selfRouter, claims.Bound)
		}
		if want != tunneled[ch.Name] {
			return false
		}
	}
	return true
}

// sharesWith: chassis ch shares a network with this one (DesiredTunnels'
// rule), given this chassis' VM and router networks.
func sharesWith(sv *SBView, ch sbdb.Chassis, selfVM, selfRouter, bound map[string]bool) bool {
	for u := range sv.portsByChassis[ch.UUID] {
		pb := sv.Ports[u]
		if pb.Type == "" && !bound[u] && (selfVM[pb.Datapath] || selfRouter[pb.Datapath]) {
			return true
		}
	}
	if len(selfVM) == 0 {
		return false
	}
	for rbu := range sv.rbByChassis[ch.Name] {
		for _, dp := range routerNetworks(sv, sv.rbRows[rbu].Datapath) {
			if selfVM[dp] {
				return true
			}
		}
	}
	return false
}
