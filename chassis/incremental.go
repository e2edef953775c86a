package chassis

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/ofctrl"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// incremental runs the round on the incremental path when every pending
// change is port-level (portlevel.go): it recomputes only the networks
// the changed ports are on (their flows, synced by scope), the routers
// attached to them (their namespaces only), and the claims' up and the
// report. done is false, with nothing applied, when the round must be a
// full one.
func (c *Chassis) incremental(ctx context.Context, sbc client.Client, sgen, lgen int) (done bool, err error) {
	last := c.last
	if last == nil || c.cfg.FullOnly || c.resync || !last.applied || lgen != last.localGen || c.localEvents.Load() != last.localSeen {
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
	changes := c.sb.pend.ports
	id, l := last.id, last.local
	mac := sv.MACs[id.Name]
	reg := PlanRegistration(sv, id, last.status)
	if reg.Fresh || reg.Chassis != l.SelfUUID || mac != l.MAC {
		return false, nil
	}
	claims := l.Claims
	if !claimsStay(last, changes) {
		claims = DecideClaims(sv, reg.Chassis, last.ifaces, mac != "")
	}
	if why := portLevel(sv, last, claims, changes); why != "" {
		c.log.WithField("why", why).Trace("full round")
		return false, nil
	}
	c.sb.done()
	c.last = nil // until this round succeeds
	l.Claims = claims

	// The networks and routers the changed ports are on.
	only := map[string]bool{}
	keySet := map[uint32]bool{}
	routers := map[string]bool{}
	for _, ch := range changes {
		for _, pb := range []*sbdb.PortBinding{ch.old, ch.cur} {
			if pb == nil {
				continue
			}
			if k, ok := last.present[pb.Datapath]; ok {
				only[pb.Datapath], keySet[k] = true, true
			}
			for _, i := range last.ifacesOn[pb.Datapath] {
				routers[l.Hosted[i].Router] = true
			}
		}
	}
	keys := make([]uint32, 0, len(keySet))
	for k := range keySet {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })

	fmods, fok := 0, true
	if len(keys) > 0 {
		in := flowInput(sv, l, last.intPorts, last.tunPorts, only)
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
				return false, nil // a reconnect: the full round reads back
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
		for n, k := range last.flowedNet {
			if keySet[k] {
				delete(last.flowed, n)
				delete(last.flowedNet, n)
			}
		}
		for _, p := range in.LocalPorts {
			if !bad[p.Name] {
				last.flowed[p.Name], last.flowedNet[p.Name] = true, p.Network
			}
		}
	}

	var rerr error
	nsChanged := 0
	if len(routers) > 0 && mac != "" {
		nsChanged, rerr = c.applyRouterSubset(sv, l, routers)
		if rerr != nil {
			c.log.WithError(rerr).Warn("router namespaces: not all applied; retrying next round")
		}
	}

	ops := append(append([]ovsdb.Operation(nil), reg.Ops...), ClaimOps(sv, reg.Chassis, claims, last.flowed)...)
	reported := -1
	if sv.Global != nil && !claims.Pending && !last.qrPend && rerr == nil && reg.Private != "" {
		if op, ok := ReportOp(sv, reg.Private, sv.Global.NbCfg, time.Now().UnixMilli()); ok && c.localCaughtUp(ctx, c.localClient(), last.ifaces) {
			ops = append(ops, op)
			reported = sv.Global.NbCfg
		}
	}
	if err := transact(ctx, sbc, ops); err != nil {
		return true, fmt.Errorf("SB: %w", err)
	}
	if reported >= 0 {
		c.cfg.Metrics.reported(reported)
	}
	last.local = l
	if rerr == nil {
		c.last = last
	}
	took := time.Since(t0)
	c.log.WithFields(logrus.Fields{"ports": len(changes), "networks": len(keys), "routers": len(routers), "namespaces_changed": nsChanged,
		"flow_mods": fmods, "sb_ops": len(ops), "took": took.String()}).Debug("incremental round")
	if c.cfg.CheckIncremental && rerr == nil {
		c.checkIncremental(sv, l)
	}
	if len(ops) > 0 {
		if err := settle(ctx, func() (bool, error) {
			return c.shows(ctx, sbc, id, last.status, reg.Chassis, claims, last.flowed, reported)
		}); err != nil {
			c.log.WithError(err).Debug("SB")
		}
	}
	return true, nil
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
	res, err := a.ApplyNamespaces(changed)
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
// recompute of the same view: both bridges' flows (ofctrl's installed
// set) and the router state last applied, and logs an error naming the
// first differences.
func (c *Chassis) checkIncremental(sv *SBView, l Local) {
	last := c.last
	if last == nil {
		return
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
