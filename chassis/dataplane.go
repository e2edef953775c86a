package chassis

import (
	"context"
	"reflect"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/router"
)

// routerReapply is how long an applied router state is trusted before the
// kernel is read again (drift by hand is repaired at least that often).
const routerReapply = time.Minute

// applyRouters makes the qrouter namespaces of the hosted routers what the
// SB says, and returns the qr- ports br-int must hold. A state equal to the
// one last applied without error is not applied again for routerReapply.
//
// unplugged says whether the applier's plumber removed ports from the
// local OVSDB (the round's view of it is stale then).
func (c *Chassis) applyRouters(ctx context.Context, lc client.Client, sv *SBView, l Local) (qrs []QRPort, unplugged bool, err error) {
	st, skipped := router.Desired(RouterInput(sv, l, c.cfg.UnderlayMTU))
	live := map[string]bool{}
	for _, s := range skipped {
		k := s.Router + "/" + s.Port + "/" + s.Item
		live[k] = true
		if c.notes.set("router-skip/"+k, s.Reason) {
			c.log.WithFields(logrus.Fields{"router": s.Router, "port": s.Port, "value": s.Item}).Warn("router: skipped: " + s.Reason)
		}
	}
	c.notes.keep("router-skip/", live)
	network := map[string]string{} // LRP UUID → network
	for _, h := range l.Hosted {
		for _, pb := range h.Interfaces {
			network[pb.ExternalIDs["logical-router-port"]] = Network(sv, pb.Datapath)
		}
	}
	neigh := 0
	for _, ns := range st.Namespaces {
		for _, d := range ns.Devices {
			qrs = append(qrs, QRPort{Name: d.Outer, VLAN: d.VLAN, Network: network[d.LRP]})
			neigh += len(d.Neighbours)
		}
	}
	fresh := c.routersApplied != nil && time.Since(c.routersAt) < routerReapply
	if fresh && reflect.DeepEqual(*c.routersApplied, st) {
		return qrs, false, nil
	}
	p := &plumber{ctx: ctx, c: lc, bridge: c.cfg.IntegrationBridge, owner: l.Self}
	a := &router.Applier{SystemID: l.Self, Plumber: p, Log: c.log}
	// The same namespaces as last applied: only those whose state differs
	// are read and changed (a VM bound here changes one router's ARP
	// entries, not every namespace's); the whole kernel state, and the
	// sweep, at least every routerReapply.
	changed, same := changedNamespaces(c.routersApplied, st)
	partial := fresh && same
	var res router.Result
	if partial {
		res, err = a.ApplyNamespaces(changed)
	} else {
		res, err = a.Apply(st)
	}
	for _, ch := range res.Changes {
		c.log.Debug("router: " + ch)
	}
	c.cfg.Metrics.routers(len(st.Namespaces), len(qrs), neigh)
	if err != nil {
		c.routersApplied = nil
		return qrs, p.removed > 0, err
	}
	c.routersApplied = &st
	if !partial {
		c.routersAt = time.Now()
	}
	return qrs, p.removed > 0, nil
}

// applyFlows computes both bridges' flows and installs them. flowed names
// the local VM ports whose flows OVS acknowledged; ok says every change was
// acknowledged (no bridge failed), so the round may report nb_cfg.
func (c *Chassis) applyFlows(ctx context.Context, sv *SBView, lv *LocalView, l Local) (flowed map[string]bool, ok bool, in flows.Input) {
	in = FlowInput(sv, l, Ofports(lv, c.cfg.IntegrationBridge), Ofports(lv, c.cfg.TunnelBridge))
	res := flows.Compute(in)
	live := map[string]bool{}
	bad := map[string]bool{}
	for _, s := range res.Skipped {
		k := s.Object + "/" + s.Value
		live[k] = true
		bad[s.Object] = true
		if c.notes.set("flow-skip/"+k, s.Reason) {
			c.log.WithFields(logrus.Fields{"port": s.Object, "value": s.Value}).Warn("flows: skipped: " + s.Reason)
		}
	}
	for _, n := range UnknownMACs(sv) {
		k := "DVR_MAC_Binding/" + n
		live[k] = true
		if c.notes.set("flow-skip/"+k, sv.MACs[n]) {
			c.log.WithFields(logrus.Fields{"remote_chassis": n, "dvr_mac": sv.MACs[n]}).Warn("flows: skipped a DVR_MAC_Binding for a chassis the SB does not have")
		}
	}
	c.notes.keep("flow-skip/", live)
	ok = true
	for _, b := range []flows.Bridge{flows.BrInt, flows.BrTun} {
		inst := c.installers[b]
		rep, err := inst.Sync(ctx, flows.Entries(res.Flows(b)))
		c.cfg.Metrics.flows(b.String(), inst.Installed(), rep.FlowMods)
		bl := c.log.WithField("bridge", b.String())
		if err != nil {
			ok = false
			if c.notes.set("flows/"+b.String(), err.Error()) {
				bl.WithError(err).Info("flows: not installed yet; installing once the bridge's OpenFlow connection is back")
			}
			continue
		}
		if c.notes.clear("flows/" + b.String()) {
			bl.WithField("flows", inst.Installed()).Info("flows: installed")
		}
		if rep.FlowMods > 0 {
			bl.WithFields(logrus.Fields{"added": rep.Added, "modified": rep.Modified, "deleted": rep.Deleted,
				"read_back": rep.ReadBack, "took": rep.Duration.String()}).Debug("flows: applied the difference")
		}
		live := map[string]bool{}
		for _, r := range rep.Rejected {
			k := r.Entry.String()
			live[k] = true
			bad[rejectedPort(in, r.Entry)] = true
			if c.notes.set("reject/"+b.String()+"/"+k, r.Err.Error()) {
				bl.WithFields(logrus.Fields{"flow": k, "sb_row": r.Entry.Cookie.Describe()}).WithError(r.Err).Error("flows: OVS refused a flow; the rest is installed")
			}
		}
		c.notes.keep("reject/"+b.String()+"/", live)
		for _, e := range rep.Conflicts {
			if c.notes.set("conflict/"+b.String()+"/"+e.String(), "x") {
				bl.WithField("flow", e.String()).Warn("flows: a flow of another owner holds this flow's table, priority and match: left alone")
			}
		}
	}
	if !ok {
		return nil, false, in
	}
	flowed = map[string]bool{}
	for _, p := range in.LocalPorts {
		if !bad[p.Name] {
			flowed[p.Name] = true
		}
	}
	return flowed, true, in
}

// rejectedPort names the local port a rejected flow belongs to ("" when
// it is not a local port's).
func rejectedPort(in flows.Input, e flows.Entry) string {
	if e.Cookie.Category() != flows.CatLocalPort {
		return ""
	}
	for _, p := range in.LocalPorts {
		if flows.NewCookie(flows.CatLocalPort, flows.PortObject(p.Network, p.Key)) == e.Cookie {
			return p.Name
		}
	}
	return ""
}

// changedNamespaces lists the namespaces of st whose desired state differs
// from applied's; ok is false when the set of namespaces differs (a
// namespace to make or to sweep: the full Apply).
func changedNamespaces(applied *router.State, st router.State) (changed []router.Namespace, ok bool) {
	if applied == nil || len(applied.Namespaces) != len(st.Namespaces) {
		return nil, false
	}
	for i, ns := range st.Namespaces {
		old := applied.Namespaces[i]
		if old.Name != ns.Name {
			return nil, false // both sorted by name
		}
		if !reflect.DeepEqual(old, ns) {
			changed = append(changed, ns)
		}
	}
	return changed, true
}
