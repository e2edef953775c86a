package northd

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/northd/translate"
)

// indexes northd keeps between rounds to read single rows in O(1).
type indexes struct {
	portSwitch  map[string]string // LSP UUID → switch UUID
	parents     map[string]int    // LSP UUID → how many switches list it
	lspByName   map[string]string // LSP name → UUID
	dpNB        map[string]string // Datapath_Binding row → NB UUID
	nbDP        map[string]string // NB UUID → Datapath_Binding row
	chassisName map[string]string // Chassis row → name
	chassisRow  map[string]string // name → Chassis row
}

// index rebuilds the indexes from full snapshots.
func (n *Northd) index(nb *NBState, sb *SBState) {
	ix := indexes{portSwitch: map[string]string{}, parents: map[string]int{}, lspByName: map[string]string{}, dpNB: map[string]string{}, nbDP: map[string]string{},
		chassisName: map[string]string{}, chassisRow: map[string]string{}}
	for _, c := range sb.Chassis {
		ix.chassisName[c.UUID] = c.Name
		ix.chassisRow[c.Name] = c.UUID
	}
	for _, ls := range nb.Switches {
		for _, u := range ls.Ports {
			ix.portSwitch[u] = ls.UUID
			ix.parents[u]++
		}
	}
	for _, p := range nb.SwitchPorts {
		ix.lspByName[p.Name] = p.UUID
	}
	for i := range sb.Datapaths {
		dp := &sb.Datapaths[i]
		if id := sbkeys.DatapathIdentity(dp); id != "" {
			ix.dpNB[dp.UUID] = id
			// Of duplicates, the one DiffSB keeps: the lowest UUID.
			if cur, ok := ix.nbDP[id]; !ok || dp.UUID < cur {
				ix.nbDP[id] = dp.UUID
			}
		}
	}
	n.ix = ix
}

// modelCache keeps the database models of the current clients.
type modelCache struct {
	mu       sync.Mutex
	nbClient client.Client
	nbModel  model.DatabaseModel
	sbClient client.Client
	sbModel  model.DatabaseModel
}

func (m *modelCache) nb(c client.Client) (model.DatabaseModel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.nbClient != c {
		dbm, err := dbModel(c, nbdb.FullDatabaseModel)
		if err != nil {
			return dbm, err
		}
		m.nbClient, m.nbModel = c, dbm
	}
	return m.nbModel, nil
}

func (m *modelCache) sb(c client.Client) (model.DatabaseModel, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sbClient != c {
		dbm, err := dbModel(c, sbdb.FullDatabaseModel)
		if err != nil {
			return dbm, err
		}
		m.sbClient, m.sbModel = c, dbm
	}
	return m.sbModel, nil
}

// sbView reads single SB rows through the cache's indexes.
type sbView struct {
	ctx context.Context
	c   client.Client
	ix  *indexes
}

func (v sbView) PortBinding(name string) *sbdb.PortBinding {
	pb := &sbdb.PortBinding{LogicalPort: name}
	if v.c.Get(v.ctx, pb) != nil {
		return nil
	}
	return pb
}

func (v sbView) RouterBinding(dpRow, chassis string) *sbdb.DVRRouterBinding {
	rb := &sbdb.DVRRouterBinding{Datapath: dpRow, ChassisName: chassis}
	if v.c.Get(v.ctx, rb) != nil {
		return nil
	}
	return rb
}

func (v sbView) MACBinding(chassis string) *sbdb.DVRMACBinding {
	m := &sbdb.DVRMACBinding{ChassisName: chassis}
	if v.c.Get(v.ctx, m) != nil {
		return nil
	}
	return m
}

func (v sbView) DatapathRow(nbUUID string) string { return v.ix.nbDP[nbUUID] }

// ChassisRow: Chassis rows change only in full rounds (portLevel.other),
// which rebuild the index.
func (v sbView) ChassisRow(name string) string {
	if name == "" {
		return ""
	}
	return v.ix.chassisRow[name]
}

// incrementalRound applies port-level changes: VM ports added, removed,
// re-addressed, claimed or released. Anything it cannot apply exactly
// (portlevel.go says which, and why) falls back to a full round.
func (n *Northd) incrementalRound(ctx context.Context, nbc, sbc client.Client, ch *changes, nbG *nbdb.NBGlobal, sbG *sbdb.SBGlobal) error {
	start := time.Now()
	full := func(why string) error {
		n.log.WithField("reason", why).Debug("full round")
		return n.fullRound(ctx, nbc, sbc, ch.since)
	}
	in := n.state.Input()
	events := map[string]*translate.PortChange{} // by port name
	event := func(name string) *translate.PortChange {
		if e := events[name]; e != nil {
			return e
		}
		e := &translate.PortChange{Name: name, OldUUID: n.ix.lspByName[name]}
		events[name] = e
		return e
	}
	pl := portLevel{in: in, ix: &n.ix, baseMACFlag: n.cfg.BaseMAC != ""}
	for _, ev := range ch.others {
		if why := pl.other(ev); why != "" {
			return full(why)
		}
	}
	// Switch membership: only VM ports may come and go incrementally.
	for ls, rc := range ch.switches {
		if skip, why := pl.switchRow(ls, rc); skip {
			continue
		} else if why != "" {
			return full(why)
		}
		known := in.Switches[ls]
		added := make(map[string]bool, len(rc.cur.Ports))
		for _, u := range rc.cur.Ports {
			added[u] = true
		}
		for _, u := range symmetricDiff(known.Ports, rc.cur.Ports) {
			// A port another switch lists too (before or after) is a bad
			// row whose fate depends on every parent: recompute.
			before := n.ix.parents[u]
			if added[u] {
				n.ix.parents[u]++
			} else {
				n.ix.parents[u]--
			}
			if why := pl.member(before, n.ix.parents[u]); why != "" {
				return full(why)
			}
			if n.ix.parents[u] <= 0 {
				delete(n.ix.parents, u)
			}
			p := in.SwitchPorts[u]
			if p == nil {
				cur := &nbdb.LogicalSwitchPort{UUID: u}
				if nbc.Get(ctx, cur) == nil {
					p = &translate.SwitchPort{Name: cur.Name, Type: cur.Type}
				}
			}
			if p == nil {
				continue // added and gone again: its LSP events say the rest
			}
			if why := pl.joiner(p); why != "" {
				return full(why)
			}
			event(p.Name)
		}
		for _, u := range known.Ports {
			if n.ix.portSwitch[u] == ls {
				delete(n.ix.portSwitch, u)
			}
		}
		for _, u := range rc.cur.Ports {
			n.ix.portSwitch[u] = ls
		}
		known.Ports = slices.Clone(rc.cur.Ports)
	}
	// Switch port rows.
	for u, rc := range ch.lsps {
		if why := pl.switchPort(rc); why != "" {
			return full(why)
		}
		if rc.old != nil {
			event(rc.old.Name)
			if n.ix.lspByName[rc.old.Name] == u {
				delete(n.ix.lspByName, rc.old.Name)
			}
		}
		if rc.cur != nil {
			event(rc.cur.Name)
			n.ix.lspByName[rc.cur.Name] = u
			in.SwitchPorts[u] = &translate.SwitchPort{UUID: u, Name: rc.cur.Name, Type: rc.cur.Type, Addresses: rc.cur.Addresses, Options: rc.cur.Options}
		} else {
			delete(in.SwitchPorts, u)
		}
	}
	// Port_Binding rows: keys SB holds, from the events themselves (deletes first, so that a row replaced under the same
	// name ends with the new one). Most are northd's own writes coming
	// back, which change neither.
	for _, rc := range ch.pbs {
		if rc.cur != nil {
			continue
		}
		name, ok := rc.old.LogicalPort, n.pbKey(rc.old)
		if ok != (translate.PortKey{}) {
			n.state.SetSBKey(name, &ok, nil)
			if in.PortKeys[name] == ok {
				delete(in.PortKeys, name)
			}
		}
	}
	for _, rc := range ch.pbs {
		if rc.cur == nil {
			continue
		}
		name, ok, nk := rc.cur.LogicalPort, n.pbKey(rc.old), n.pbKey(rc.cur)
		if ok != nk {
			n.state.SetSBKey(name, ptrIf(ok), ptrIf(nk))
			if nk.Datapath != "" {
				in.PortKeys[name] = nk
			} else {
				delete(in.PortKeys, name)
			}
		}
	}
	// DVR_Port_Claim rows: the bindings (deletes first, as above).
	for _, rc := range ch.claims {
		if rc.old != nil && (rc.cur == nil || rc.cur.LogicalPort != rc.old.LogicalPort) {
			delete(in.Claims, rc.old.LogicalPort)
			event(rc.old.LogicalPort)
		}
	}
	for _, rc := range ch.claims {
		if rc.cur != nil {
			in.Claims[rc.cur.LogicalPort] = translate.Claim{Chassis: rc.cur.ChassisName, Up: rc.cur.Up}
			event(rc.cur.LogicalPort)
		}
	}
	var pcs []translate.PortChange
	for _, e := range events {
		e.UUID = n.ix.lspByName[e.Name]
		e.Switch = n.ix.portSwitch[e.UUID]
		if why := pl.portChange(*e); why != "" {
			return full(why)
		}
		pcs = append(pcs, *e)
	}
	delta, refused := n.state.ApplyPorts(pcs)
	if why := applied(refused); why != "" {
		return full(why)
	}
	out := n.state.Output()
	n.logProblems(out.Problems)
	n.stats.Rounds.Add(1)
	n.stats.IncrementalRounds.Add(1)
	sbm, err := n.models.sb(sbc)
	if err != nil {
		return err
	}
	ops, counts, err := DiffSBDelta(sbm, out, delta, sbView{ctx, sbc, &n.ix})
	if err != nil {
		return full(err.Error())
	}
	nbm, err := n.models.nb(nbc)
	if err != nil {
		return err
	}
	var lsps []nbdb.LogicalSwitchPort
	for _, u := range delta.LSPs {
		p := nbdb.LogicalSwitchPort{UUID: u}
		if nbc.Get(ctx, &p) == nil {
			lsps = append(lsps, p)
		}
	}
	nops, err := DiffLSPUp(nbm, out.LSPUp, lsps)
	if err != nil {
		return err
	}
	nb := &NBState{Global: nbG}
	sb := &SBState{Global: sbG}
	if err := sbc.List(ctx, &sb.Chassis); err != nil {
		return err
	}
	if err := sbc.List(ctx, &sb.ChassisPrivate); err != nil {
		return err
	}
	t, err := n.commit(ctx, sbm, nbm, nb, sb, ops, counts, nops)
	if err != nil {
		return err
	}
	n.cfg.Metrics.round("incremental", time.Since(start))
	n.log.WithFields(logrus.Fields{"kind": "incremental", "ports": len(delta.Ports), "hosting": len(delta.Hosting),
		"compute_ms": ms(time.Since(start) - t.sb - t.nb), "sb_commit_ms": ms(t.sb), "nb_commit_ms": ms(t.nb),
		"sb_ops": len(ops), "nb_ops": len(nops), "since_change_ms": sinceMS(ch.since, t.sbAcked)}).Debug("round done")
	return nil
}

// pbKey is a Port_Binding's key as the translation sees it.
func (n *Northd) pbKey(pb *sbdb.PortBinding) translate.PortKey {
	if pb == nil {
		return translate.PortKey{}
	}
	return translate.PortKey{Datapath: n.ix.dpNB[pb.Datapath], Key: pb.TunnelKey}
}

func ptrIf(k translate.PortKey) *translate.PortKey {
	if k == (translate.PortKey{}) {
		return nil
	}
	return &k
}

// symmetricDiff lists the UUIDs in exactly one of a and b.
func symmetricDiff(a, b []string) []string {
	sa := make(map[string]bool, len(a))
	for _, x := range a {
		sa[x] = true
	}
	sb := make(map[string]bool, len(b))
	for _, x := range b {
		sb[x] = true
	}
	var out []string
	for _, x := range a {
		if !sb[x] {
			out = append(out, x)
		}
	}
	for _, x := range b {
		if !sa[x] {
			out = append(out, x)
		}
	}
	return out
}
