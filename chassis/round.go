package chassis

import (
	"context"
	"fmt"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// round reads both caches, decides, and applies the difference: the local
// OVSDB first, then the SB (registration, claims and, when everything
// before it was acknowledged, the barrier). A round whose changes are all
// port-level takes the incremental path (incremental.go) instead; this is
// the full one, its oracle.
func (c *Chassis) round(ctx context.Context) error {
	sbc, sgen := c.sbMon.Get()
	lc, lgen := c.ovsMon.Get()
	if sbc == nil || lc == nil {
		return nil // a monitor pokes when its client is ready
	}
	if done, err := c.incremental(ctx, sbc, lc, sgen, lgen); done {
		return err
	}
	relist := c.resync
	c.resync, c.last = false, nil
	lv, err := c.local.refresh(ctx, lc, lgen, true)
	if err != nil {
		return err
	}
	c.local.done()
	id, why := c.identity(lv)
	if why != "" {
		if c.notes.set("identity", why) {
			c.log.Warn("cannot register yet: " + why)
		}
		return nil
	}
	if c.notes.clear("identity") {
		c.log.Info("identity complete")
	}
	sv, err := c.sb.refresh(ctx, sbc, sgen, relist)
	if err != nil {
		c.resync = relist
		return err
	}
	c.sb.done() // changes from here on are the next round's
	sv.syncRouterBindings()
	mac := sv.MACs[id.Name]
	status := ""
	if mac == "" {
		status = StatusNoMAC
	}
	reg := PlanRegistration(sv, id, status)
	if reg.Fresh {
		return c.register(ctx, sbc, reg, id)
	}
	c.registered = true
	c.logMAC(mac)

	ifaces := LocalIfaces(lv, c.cfg.IntegrationBridge)
	claims := DecideClaims(sv, reg.Chassis, ifaces, mac != "")
	covered, skip := c.watchInterest(sbc, sv, id.Name, reg.Chassis, ifaces, &claims)
	if skip {
		return nil // conditional monitor: no complete view yet (condmonitor.go)
	}
	var hosted []Hosted
	if mac != "" {
		// No DVR MAC, no DVR: no router namespace either.
		hosted = HostedRouters(sv, id.Name)
	}
	vlans, exhausted := AllocateVLANs(NeededNetworks(sv, claims, hosted), AdoptedVLANs(lv, c.cfg.IntegrationBridge))
	for _, n := range exhausted {
		if c.notes.set("vlan/"+n, "exhausted") {
			c.log.WithField("network", n).Error("no local VLAN left (4094 in use): its ports stay on the dead VLAN")
		}
	}
	tunnels := DesiredTunnels(sv, id.Name, reg.Chassis, claims.Bound)
	local := Local{Self: id.Name, SelfUUID: reg.Chassis, MAC: mac, Claims: claims, Hosted: hosted, VLANs: vlans, Tunnels: tunnels}

	// Routers first: a qr- device must exist before its OVS port is added
	// (and an OVS port leaves before its device goes: the plumber).
	qrs, unplugged, rerr := c.applyRouters(ctx, lc, sv, local)
	if rerr != nil {
		c.log.WithError(rerr).Warn("router namespaces: not all applied; retrying next round")
	}
	if unplugged {
		if lv, err = readLocal(ctx, lc); err != nil {
			return err
		}
	}
	tags := PortTags(lv, ifaces, claims, vlans)
	bcfg := BridgeConfig{Integration: c.cfg.IntegrationBridge, Tunnel: c.cfg.TunnelBridge,
		DatapathType: c.cfg.DatapathType, Owner: id.Name, LocalIP: id.EncapIP}
	plan := PlanOVS(lv, bcfg, tunnels, tags, qrs)
	for _, b := range plan.Blocked {
		if c.notes.set("blocked/"+b, b) {
			c.log.Warn(b)
		}
	}
	if len(plan.Ops) > 0 {
		if err := transact(ctx, lc, plan.Ops); err != nil {
			return fmt.Errorf("local OVSDB: %w", err)
		}
		if err := settle(ctx, func() (bool, error) {
			lv2, err := readLocal(ctx, lc)
			if err == nil {
				lv = lv2
			}
			return err == nil && len(PlanOVS(lv2, bcfg, tunnels, tags, qrs).Ops) == 0, err
		}); err != nil {
			c.log.WithError(err).Debug("local OVSDB")
		}
	}
	c.logTunnels(tunnels)

	flowed, fok, fin := c.applyFlows(ctx, sv, lv, local)
	qrPending := false
	intPorts := Ofports(lv, c.cfg.IntegrationBridge)
	for _, q := range qrs {
		if intPorts[q.Name] == 0 {
			qrPending = true // ovs-vswitchd has not numbered it yet: its event comes
		}
	}

	ops := append(append([]ovsdb.Operation(nil), reg.Ops...), ClaimOps(sv, reg.Chassis, claims, flowed)...)
	reported := -1
	if sv.Global != nil && !claims.Pending && !qrPending && rerr == nil && fok && reg.Private != "" && covered {
		if op, ok := ReportOp(sv, reg.Private, sv.Global.NbCfg, time.Now().UnixMilli()); ok && c.localCaughtUp(ctx, lc, ifaces) {
			ops = append(ops, op)
			reported = sv.Global.NbCfg
		}
	}
	if err := transact(ctx, sbc, ops); err != nil {
		return fmt.Errorf("SB: %w", err)
	}
	c.logClaims(sv, ifaces, claims)
	if reported >= 0 {
		c.cfg.Metrics.reported(reported)
		c.log.WithField("nb_cfg", reported).Debug("reported nb_cfg")
	}
	if len(ops) > 0 {
		if err := c.settleSB(ctx, func() (bool, error) { return c.shows(ctx, sbc, id, status, reg.Chassis, claims, flowed, reported) }); err != nil {
			c.log.WithError(err).Debug("SB")
		}
	}
	c.cfg.Metrics.state(len(claims.Bound), len(tunnels), len(vlans), mac != "")
	c.last = newLastRound(sv, id, status, ifaces, local, qrs, qrPending, intPorts, Ofports(lv, c.cfg.TunnelBridge),
		fin, flowed, fok && rerr == nil, lgen)
	if !covered {
		// A conditional monitor still extending: the incremental path
		// (which reports nb_cfg too) waits for the full round that sees
		// the fresh client's view.
		c.last = nil
	}
	if len(plan.Ops)+len(ops) > 0 {
		c.log.WithFields(logrus.Fields{"ovs_ops": len(plan.Ops), "sb_ops": len(ops)}).Debug("round applied changes")
	}
	return nil
}

// register inserts our rows (a first start, or rows deleted while we ran).
func (c *Chassis) register(ctx context.Context, sbc client.Client, reg RegPlan, id Identity) error {
	if err := transact(ctx, sbc, reg.Ops); err != nil {
		return fmt.Errorf("SB: registering: %w", err)
	}
	l := c.log.WithFields(logrus.Fields{"hostname": id.Hostname, "encap_ip": id.EncapIP})
	if c.registered {
		l.Warn("our Chassis row was deleted while we ran (ovn-sbctl chassis-del?): registered again; retire a host by stopping dvr-chassis first, then dvr-chassis unregister")
	} else {
		l.Info("registered the chassis (Chassis, vxlan Encap, Chassis_Private)")
	}
	c.registered = true
	return settle(ctx, func() (bool, error) {
		// Only the Chassis table: listing the whole SB view per poll
		// costs tens of ms at 20,000 ports.
		chs, err := tableOf[sbdb.Chassis](sbc, sbdb.ChassisTable)
		if err != nil {
			return false, err
		}
		for _, ch := range chs {
			if ch.Name == id.Name {
				return true, nil
			}
		}
		return false, nil
	})
}

// shows reports whether the SB cache shows this round's commit.
func (c *Chassis) shows(ctx context.Context, sbc client.Client, id Identity, status, self string, claims ClaimPlan, flowed map[string]bool, reported int) (bool, error) {
	sv, err := c.sb.refresh(ctx, sbc, c.sb.gen, false)
	if err != nil {
		return false, err
	}
	if len(PlanRegistration(sv, id, status).Ops) > 0 {
		return false, nil
	}
	for _, u := range claims.Claim {
		// Bound to anyone: ours, or another chassis won the race (the
		// [logical_port] index refused our claim's insert).
		if pb, ok := sv.Ports[u]; ok && pb.Chassis == nil {
			return false, nil
		}
	}
	for _, u := range claims.Release {
		if pb, ok := sv.Ports[u]; ok && pb.Chassis != nil && *pb.Chassis == self {
			return false, nil
		}
	}
	for u := range claims.Bound {
		if pb, ok := sv.Ports[u]; ok && pb.Chassis != nil && *pb.Chassis == self && (pb.Up != nil && *pb.Up) != flowed[pb.LogicalPort] {
			return false, nil
		}
	}
	if reported >= 0 {
		if cp, ok := sv.PrivateByName(id.Name); !ok || cp.NbCfg != reported {
			return false, nil
		}
	}
	return true, nil
}

func (c *Chassis) logMAC(mac string) {
	switch {
	case mac == "" && c.notes.set("mac", "none"):
		c.log.Warn("waiting for this chassis' DVR MAC (no DVR_MAC_Binding names it yet: is dvr-northd running?); " +
			"claiming no new port until it has one, and saying so in Chassis_Private external_ids:" + StatusKey)
	case mac != "" && c.notes.set("mac", mac):
		c.log.WithField("dvr_mac", mac).Info("has its DVR MAC")
	}
}

func (c *Chassis) logTunnels(tunnels []Tunnel) {
	live := map[string]bool{}
	for _, t := range tunnels {
		live[t.Name] = true
		if c.notes.set("tunnel/"+t.Name, t.RemoteIP) {
			c.log.WithFields(logrus.Fields{"port": t.Name, "remote_ip": t.RemoteIP, "remote_chassis": t.Chassis}).Info("tunnel port up: a network is shared with that chassis")
		}
	}
	for _, n := range c.notes.keep("tunnel/", live) {
		c.log.WithField("port", n).Info("tunnel port removed: no network is shared with that chassis any more")
	}
}

func (c *Chassis) logClaims(sv *SBView, ifaces []LocalIface, claims ClaimPlan) {
	for _, u := range claims.Claim {
		c.log.WithField("port", sv.Ports[u].LogicalPort).Info("claimed the port for this chassis")
	}
	for _, u := range claims.Release {
		c.log.WithField("port", sv.Ports[u].LogicalPort).Info("released the port: its interface is gone")
	}
	live := map[string]bool{}
	for _, li := range ifaces {
		why, ok := claims.Unserved[li.Name]
		if !ok {
			continue
		}
		live[li.Name] = true
		if why == BoundElsewhere {
			why = fmt.Sprintf("%s (%s): not fought over; claimed once released", why, claims.Holder[li.Name])
		}
		if c.notes.set("unserved/"+li.Name, why) {
			c.log.WithFields(logrus.Fields{"port": li.IfaceID, "interface": li.Name}).Warn("not serving the interface: " + why)
		}
	}
	for _, n := range c.notes.keep("unserved/", live) {
		c.log.WithField("interface", n).Info("the interface is served now, or gone")
	}
}

// localCaughtUp is the local half of the barrier: before a new nb_cfg is
// reported, an echo on the local OVSDB connection makes sure its monitor
// has delivered every change committed before this moment (the server
// sends updates before it answers a later request), and the interfaces on
// the integration bridge must still be the ones this round handled. A plug
// followed by dvr-nbctl --wait=hv sync then cannot be reported before the
// plugged port is served, however the two databases' updates race.
func (c *Chassis) localCaughtUp(ctx context.Context, lc client.Client, handled []LocalIface) bool {
	if lc == nil {
		return false
	}
	ectx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	if err := lc.Echo(ectx); err != nil {
		return false
	}
	lv, err := readLocal(ctx, lc)
	if err != nil {
		return false
	}
	now := LocalIfaces(lv, c.cfg.IntegrationBridge)
	if len(now) != len(handled) {
		return false
	}
	for i := range now {
		if now[i] != handled[i] {
			return false
		}
	}
	return true
}
