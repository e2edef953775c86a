package chassis

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"sort"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/ofctrl"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// incremental runs the round on the incremental path when every pending
// change is one it can take (portlevel.go): VM ports added, removed,
// bound, unbound, re-addressed, local ones plugged, re-numbered and
// unplugged (claims and releases), router interfaces added and removed on
// routers already hosted or on none, and other chassis' router bindings,
// as long as the tunnels stay. It recomputes only the networks those
// changes touch (their flows, synced by scope), the routers attached to
// them (their namespaces only), the tags of the VM ports whose service
// changed and the qr- ports added, and the claims' up and the report.
// done is false, with nothing applied, when the round must be a full one.
func (c *Chassis) incremental(ctx context.Context, sbc, lc client.Client, sgen, lgen int) (done bool, err error) {
	last := c.last
	if last == nil || c.cfg.FullOnly || c.resync || !last.applied {
		return false, nil
	}
	for _, b := range c.installers {
		if b.Stale() {
			return false, nil // a reconnect (ovs-vswitchd restarted?): the full round reads back
		}
	}
	t0 := time.Now()
	sv, err := c.sb.refresh(ctx, sbc, sgen, false)
	if err != nil {
		c.last = nil
		return true, err
	}
	if c.sb.pend.full != "" {
		c.log.WithField("why", c.sb.pend.full).Trace("full round")
		return false, nil
	}
	lv, err := c.local.refresh(ctx, lc, lgen, false)
	if err != nil {
		c.last = nil
		return true, err
	}
	c.local.portKinds()
	lp := c.local.pend
	if lp.full != "" {
		c.log.WithField("why", lp.full).Trace("full round")
		return false, nil
	}
	id, l := last.id, last.local
	mac := sv.MACs[id.Name]
	reg := PlanRegistration(sv, id, last.status)
	if reg.Fresh || reg.Chassis != l.SelfUUID || mac != l.MAC {
		return false, nil
	}
	d, why := c.decideDelta(sv, lv, last, reg.Chassis, lp)
	if why != "" {
		c.log.WithField("why", why).Trace("full round")
		return false, nil
	}
	c.sb.done()
	c.local.done()
	c.last = nil // until this round succeeds
	l = d.local
	for _, n := range d.exhausted {
		if c.notes.set("vlan/"+n, "exhausted") {
			c.log.WithField("network", n).Error("no local VLAN left (4094 in use): its ports stay on the dead VLAN")
		}
	}

	// Routers first: a qr- device exists before its OVS port is added.
	var rerr error
	nsChanged := 0
	qrs := last.qrs
	if len(d.routers) > 0 && mac != "" {
		nsChanged, rerr = c.applyRouterSubset(sv, l, d.routers)
		if rerr != nil {
			c.log.WithError(rerr).Warn("router namespaces: not all applied; retrying next round")
		}
		if d.hostedChanged {
			qrs = c.qrPorts(sv, l)
		}
	}
	// The local OVSDB: tags of the VM ports whose service changed, the
	// qr- ports added.
	bcfg := BridgeConfig{Integration: c.cfg.IntegrationBridge, Tunnel: c.cfg.TunnelBridge,
		DatapathType: c.cfg.DatapathType, Owner: id.Name, LocalIP: id.EncapIP}
	ovsOps := planOVSDelta(lv, bcfg, d.retag, l.Claims, l.VLANs, l.Tunnels, qrs, d.hostedChanged)
	if len(ovsOps) > 0 {
		if err := transact(ctx, lc, ovsOps); err != nil {
			return true, fmt.Errorf("local OVSDB: %w", err)
		}
		if d.hostedChanged {
			// Wait for the kept view to show the qr- ports added (a next
			// round must not insert them again); their changes stay
			// pending for the next round.
			if err := settleOn(ctx, c.local.q.signal(), func() (bool, error) {
				v, err := c.local.refresh(ctx, lc, lgen, false)
				return err == nil && len(PlanOVS(v, bcfg, l.Tunnels, nil, qrs).Ops) == 0, err
			}); err != nil {
				c.log.WithError(err).Debug("local OVSDB")
			}
			lv = c.local.view
		}
	}
	intPorts := last.intPorts
	if lp.any {
		intPorts = Ofports(lv, c.cfg.IntegrationBridge)
	}
	qrPend := false
	for _, q := range qrs {
		if intPorts[q.Name] == 0 {
			qrPend = true // ovs-vswitchd has not numbered it yet: its event comes
		}
	}
	keys := make([]uint32, 0, len(d.keys))
	for k := range d.keys {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })

	flowed, flowedNet := last.flowed, last.flowedNet
	fmods, fok := 0, true
	var in flows.Input
	if len(keys) > 0 {
		in = c.flowInputFor(sv, l, last, d.servedBy, intPorts, d.present, d.dps)
		sc := flows.ComputeNetworks(in, keys)
		bad := map[string]bool{}
		for _, s := range sc.Skipped {
			bad[s.Object] = true
			if c.notes.set("flow-skip/"+s.Object+"/"+s.Value, s.Reason) {
				c.log.WithFields(logrus.Fields{"port": s.Object, "value": s.Value}).Warn("flows: skipped: " + s.Reason)
			}
		}
		for _, b := range []flows.Bridge{flows.BrInt, flows.BrTun} {
			desired := sc.Int
			if b == flows.BrTun {
				desired = sc.Tun
			}
			inst := c.installers[b]
			rep, err := inst.SyncScopes(ctx, desired)
			c.cfg.Metrics.flows(b.String(), inst.Installed(), rep.FlowMods)
			if errors.Is(err, ofctrl.ErrStale) {
				// A reconnect: the full round reads back, now (the views
				// already hold every change this round took).
				return false, nil
			}
			if err != nil {
				fok = false
				c.log.WithField("bridge", b.String()).WithError(err).Info("flows: not installed yet; installing once the bridge's OpenFlow connection is back")
				break
			}
			fmods += rep.FlowMods
			for _, r := range rep.Rejected {
				bad[rejectedPort(in, r.Entry)] = true
				if c.notes.set("reject/"+b.String()+"/"+r.Entry.String(), r.Err.Error()) {
					c.log.WithFields(logrus.Fields{"bridge": b.String(), "flow": r.Entry.String(), "sb_row": r.Entry.Cookie.Describe()}).WithError(r.Err).Error("flows: OVS refused a flow; the rest is installed")
				}
			}
		}
		if !fok {
			return true, nil // c.last is nil: the next round is a full one
		}
		flowed, flowedNet = maps.Clone(flowed), maps.Clone(flowedNet)
		for n, k := range flowedNet {
			if d.keys[k] {
				delete(flowed, n)
				delete(flowedNet, n)
				d.upCheck[n] = true // up goes false unless its flows are back below
			}
		}
		for _, p := range in.LocalPorts {
			if !bad[p.Name] {
				flowed[p.Name], flowedNet[p.Name] = true, p.Network
				d.upCheck[p.Name] = true
			}
		}
	}

	ops := append(append([]ovsdb.Operation(nil), reg.Ops...), claimOpsFor(sv, reg.Chassis, l.Claims, flowed, d.upCheck)...)
	reported := -1
	if sv.Global != nil && !l.Claims.Pending && !qrPend && rerr == nil && reg.Private != "" {
		if op, ok := ReportOp(sv, reg.Private, sv.Global.NbCfg, time.Now().UnixMilli()); ok && c.localKept(ctx, lc, lgen) {
			ops = append(ops, op)
			reported = sv.Global.NbCfg
		}
	}
	if err := transact(ctx, sbc, ops); err != nil {
		return true, fmt.Errorf("SB: %w", err)
	}
	if d.reclaimed {
		c.logClaims(sv, d.ifaces, l.Claims) // why an interface is not served, once each
	}
	if len(d.claimed)+len(d.released) > 0 {
		c.cfg.Metrics.state(len(l.Claims.Bound), len(l.Tunnels), len(l.VLANs), mac != "")
	}
	if reported >= 0 {
		c.cfg.Metrics.reported(reported)
	}
	next := *last
	next.ifaces, next.local, next.qrs, next.qrPend, next.intPorts = d.ifaces, l, qrs, qrPend, intPorts
	next.present, next.ifacesOn, next.flowed, next.flowedNet = d.present, d.ifacesOn, flowed, flowedNet
	next.servedBy, next.ifaceIDs, next.selfVM, next.selfRouter = d.servedBy, d.ifaceIDs, d.selfVM, d.selfRouter
	next.localGen = lgen
	if rerr == nil {
		c.last = &next
	}
	took := time.Since(t0)
	c.log.WithFields(logrus.Fields{"ports": len(d.changes), "networks": len(keys), "routers": len(d.routers), "namespaces_changed": nsChanged,
		"claimed": len(d.claimed), "released": len(d.released), "ovs_ops": len(ovsOps),
		"flow_mods": fmods, "sb_ops": len(ops), "took": took.String()}).Debug("incremental round")
	if c.cfg.CheckIncremental && rerr == nil {
		c.checkIncremental(ctx, lc, lgen, sv, l)
	}
	if len(ops) > 0 {
		if err := c.settleSB(ctx, func() (bool, error) {
			return c.shows(ctx, sbc, id, last.status, reg.Chassis, l.Claims, flowed, reported)
		}); err != nil {
			c.log.WithError(err).Debug("SB")
		}
	}
	return true, nil
}

// qrPorts are the qr- ports br-int must hold for the router state last
// applied.
func (c *Chassis) qrPorts(sv *SBView, l Local) []QRPort {
	network := map[string]string{} // LRP UUID → network
	for _, h := range l.Hosted {
		for _, pb := range h.Interfaces {
			network[pb.ExternalIDs[sbkeys.KeyLogicalRouterPort]] = Network(sv, pb.Datapath)
		}
	}
	var qrs []QRPort
	if c.routersApplied == nil {
		return nil
	}
	for _, ns := range c.routersApplied.Namespaces {
		for _, d := range ns.Devices {
			qrs = append(qrs, QRPort{Name: d.Outer, VLAN: d.VLAN, Network: network[d.LRP]})
		}
	}
	return qrs
}

// localKept is localCaughtUp on the kept local view: after an echo on the
// local connection (its monitor has delivered every change committed
// before), no interface and no port of the integration bridge changed
// since this round took its changes.
func (c *Chassis) localKept(ctx context.Context, lc client.Client, lgen int) bool {
	if lc == nil {
		return false
	}
	ectx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	if err := lc.Echo(ectx); err != nil {
		return false
	}
	if _, err := c.local.refresh(ctx, lc, lgen, false); err != nil {
		return false
	}
	return !c.local.pend.ifacesMoved()
}

// applyRouterSubset recomputes the given hosted routers and applies the
// namespaces whose desired state changed (no sweep: the full round's).
func (c *Chassis) applyRouterSubset(sv *SBView, l Local, routers map[string]bool) (int, error) {
	st, skipped := router.Desired(routerInput(sv, l, c.cfg.UnderlayMTU, routers))
	for _, s := range skipped {
		k := s.Router + "/" + s.Port + "/" + s.Item
		if c.notes.set("router-skip/"+k, s.Reason) {
			c.log.WithFields(logrus.Fields{"router": s.Router, "port": s.Port, "value": s.Item}).Warn("router: skipped: " + s.Reason)
		}
	}
	applied := c.routersApplied
	if applied == nil {
		return 0, errors.New("no router state applied yet")
	}
	at := map[string]int{}
	for i, ns := range applied.Namespaces {
		at[ns.Name] = i
	}
	var changed []router.Namespace
	for _, ns := range st.Namespaces {
		if i, ok := at[ns.Name]; !ok || !reflect.DeepEqual(applied.Namespaces[i], ns) {
			changed = append(changed, ns)
		}
	}
	if len(changed) == 0 {
		return 0, nil
	}
	lc, _ := c.ovsMon.Get()
	p := &plumber{ctx: context.Background(), c: lc, bridge: c.cfg.IntegrationBridge, owner: l.Self}
	a := &router.Applier{SystemID: l.Self, Plumber: p, Log: c.log}
	was := make(map[string]router.Namespace, len(changed))
	for _, ns := range changed {
		if i, ok := at[ns.Name]; ok {
			was[ns.Name] = applied.Namespaces[i]
		}
	}
	res, err := a.ApplyChanges(was, changed)
	for _, ch := range res.Changes {
		c.log.Debug("router: " + ch)
	}
	if err != nil {
		c.routersApplied = nil
		return len(changed), err
	}
	next := &router.State{Namespaces: append([]router.Namespace(nil), applied.Namespaces...)}
	for _, ns := range changed {
		if i, ok := at[ns.Name]; ok {
			next.Namespaces[i] = ns
		} else {
			return len(changed), errors.New("a router namespace the full round did not make") // cannot be: hosted is unchanged
		}
	}
	c.routersApplied = next
	devs, neigh := 0, 0
	for _, ns := range next.Namespaces {
		devs += len(ns.Devices)
		for _, d := range ns.Devices {
			neigh += len(d.Neighbours)
		}
	}
	c.cfg.Metrics.routers(len(next.Namespaces), devs, neigh)
	return len(changed), nil
}

// checkIncremental compares what the incremental path left with a full
// recompute of the same view: the decisions (claims, hosted routers,
// networks with a VLAN, tunnels), both bridges' flows (ofctrl's installed
// set) and the router state last applied, and logs an error naming the
// first differences.
func (c *Chassis) checkIncremental(ctx context.Context, lc client.Client, lgen int, sv *SBView, l Local) {
	last := c.last
	if last == nil {
		return
	}
	sv.syncRouterBindings()
	bad := func(what string, want, got any) {
		c.log.WithFields(logrus.Fields{"full": fmt.Sprintf("%+v", want), "incremental": fmt.Sprintf("%+v", got)}).
			Error("incremental check: " + what + " differ from a full recompute")
	}
	if lv, err := c.local.refresh(ctx, lc, lgen, false); err == nil && !c.local.pend.any {
		ifaces := LocalIfaces(lv, c.cfg.IntegrationBridge)
		if !reflect.DeepEqual(ifaces, last.ifaces) && (len(ifaces) > 0 || len(last.ifaces) > 0) {
			bad("the local interfaces", ifaces, last.ifaces)
		}
		claims := DecideClaims(sv, l.SelfUUID, ifaces, l.MAC != "")
		if !reflect.DeepEqual(claims, l.Claims) {
			bad("the claims", claims, l.Claims)
		}
		if ip := Ofports(lv, c.cfg.IntegrationBridge); !reflect.DeepEqual(ip, last.intPorts) {
			bad("the br-int ofports", ip, last.intPorts)
		}
	}
	var hosted []Hosted
	if l.MAC != "" {
		hosted = HostedRouters(sv, l.Self)
	}
	if !reflect.DeepEqual(hosted, l.Hosted) && (len(hosted) > 0 || len(l.Hosted) > 0) {
		bad("the hosted routers", hosted, l.Hosted)
	}
	need := NeededNetworks(sv, l.Claims, l.Hosted)
	if len(need) != len(l.VLANs) || !allIn(need, l.VLANs) {
		bad("the networks with a local VLAN", need, l.VLANs)
	}
	if t := DesiredTunnels(sv, l.Self, l.SelfUUID, l.Claims.Bound); !reflect.DeepEqual(t, l.Tunnels) && (len(t) > 0 || len(l.Tunnels) > 0) {
		bad("the tunnels", t, l.Tunnels)
	}
	res := flows.Compute(FlowInput(sv, l, last.intPorts, last.tunPorts))
	for _, b := range []flows.Bridge{flows.BrInt, flows.BrTun} {
		ch := c.installers[b].Diff(flows.Entries(res.Flows(b)))
		if !ch.Empty() {
			c.log.WithFields(logrus.Fields{"bridge": b.String(), "add": head(ch.Add), "modify": head(ch.Modify), "delete": head(ch.Delete)}).
				Error("incremental check: the installed flows differ from a full recompute")
		}
	}
	st, _ := router.Desired(RouterInput(sv, l, c.cfg.UnderlayMTU))
	if c.routersApplied != nil && !reflect.DeepEqual(*c.routersApplied, st) {
		c.log.Error("incremental check: the router state differs from a full recompute")
	}
}

func head(es []flows.Entry) string {
	s := fmt.Sprint(len(es))
	for i, e := range es {
		if i == 3 {
			break
		}
		s += " " + e.String()
	}
	return s
}

// localClient is the local OVSDB client (nil while there is none: then
// localCaughtUp says no).
func (c *Chassis) localClient() client.Client {
	lc, _ := c.ovsMon.Get()
	return lc
}
