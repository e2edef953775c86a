package chassis

import (
	"context"
	"strings"

	"github.com/ovn-org/libovsdb/client"

	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

// The local OVSDB view is kept from the local monitor's events as the SB
// view is (sbview.go): listing every Port and Interface costs O(local
// ports) per round, and a VM plugged is a change of a few rows. The round
// applies the queued row changes to the view it owns and notes what they
// touched; localPending says whether the incremental path can take them
// (VM interfaces and the qr- ports of our routers on the integration
// bridge) or a full round must (anything else: the tunnel bridge, the
// patch ports, the root row, another bridge).

// localPending is what changed in the local view since the last round
// that completed.
type localPending struct {
	full string // why the next round must be a full one ("" if not)
	// ports and ifaces are the Port and Interface rows that changed
	// (UUID), any kind; ofports are the interfaces whose ofport moved
	// (name).
	ports, ifaces map[string]bool
	names         map[string]bool
	any           bool
	// bridge: the integration bridge's row changed (its ports).
	bridge bool
}

func (p *localPending) needFull(why string) {
	if p.full == "" {
		p.full = why
	}
}

// localKeeper owns the round's local view.
type localKeeper struct {
	q      changeQueue
	gen    int
	view   *LocalView
	pend   localPending
	bridge string // the integration bridge
}

// refresh brings the view up to date: listed afresh when relist is set,
// the generation changed or events were lost, else with the queued
// changes applied.
func (k *localKeeper) refresh(ctx context.Context, c client.Client, gen int, relist bool) (*LocalView, error) {
	rows, over := k.q.take()
	if relist || over || gen != k.gen || k.view == nil {
		// The queue keeps events only once a view is listed (changeQueue's
		// keep): from here on they are this view's changes.
		k.q.keepFromNow()
		v, err := readLocal(ctx, c)
		if err != nil {
			k.gen = 0
			return nil, err
		}
		k.view, k.gen = v, gen
		k.pend = localPending{}
		k.pend.needFull("the local view was listed afresh")
		return v, nil
	}
	for _, r := range rows {
		k.apply(r)
	}
	return k.view, nil
}

// done says a round used every pending change.
func (k *localKeeper) done() { k.pend = localPending{} }

func (k *localKeeper) note(p *localPending, set *map[string]bool, u string) {
	if *set == nil {
		*set = map[string]bool{}
	}
	(*set)[u] = true
	p.any = true
}

// apply applies one row change to the view and classifies it.
func (k *localKeeper) apply(r rowChange) {
	v, p := k.view, &k.pend
	switch r.table {
	case vswitchd.OpenvSwitchTable:
		o, n := as[vswitchd.OpenvSwitch](r.old), as[vswitchd.OpenvSwitch](r.cur)
		if n != nil {
			v.Root = n
		} else {
			v.Root = nil
		}
		if o == nil || n == nil || !sameMap(o.ExternalIDs, n.ExternalIDs) || !sameStrings(o.Bridges, n.Bridges) {
			p.needFull("the Open_vSwitch row changed")
		}
		p.any = true
	case vswitchd.BridgeTable:
		o, n := as[vswitchd.Bridge](r.old), as[vswitchd.Bridge](r.cur)
		applyRow(v.Bridges, r, func(x *vswitchd.Bridge) string { return x.UUID })
		switch {
		case o == nil || n == nil:
			p.needFull("a bridge was added or deleted")
		case n.Name != k.bridge:
			p.needFull("a bridge other than the integration bridge changed")
		case o.Name != n.Name || !sameStrPtr(o.FailMode, n.FailMode) || o.DatapathType != n.DatapathType || !sameMap(o.ExternalIDs, n.ExternalIDs):
			p.needFull("the integration bridge's settings changed")
		}
		p.any, p.bridge = true, true // its ports: the rows of those ports say what they are
	case vswitchd.PortTable:
		o, n := as[vswitchd.Port](r.old), as[vswitchd.Port](r.cur)
		applyRow(v.Ports, r, func(x *vswitchd.Port) string { return x.UUID })
		for _, x := range []*vswitchd.Port{o, n} {
			if x != nil {
				k.note(p, &p.ports, x.UUID)
			}
		}
	case vswitchd.InterfaceTable:
		o, n := as[vswitchd.Interface](r.old), as[vswitchd.Interface](r.cur)
		applyRow(v.Interfaces, r, func(x *vswitchd.Interface) string { return x.UUID })
		for _, x := range []*vswitchd.Interface{o, n} {
			if x == nil {
				continue
			}
			k.note(p, &p.ifaces, x.UUID)
			k.note(p, &p.names, x.Name)
			if !vmOrQR(x) {
				p.needFull("an interface that is neither a VM's nor a qr- port changed: " + x.Name)
			}
		}
	}
}

// vmOrQR: an interface the incremental path understands: a VM interface
// (an iface-id) or the outer end of one of our qr- devices.
func vmOrQR(i *vswitchd.Interface) bool {
	return i.ExternalIDs["iface-id"] != "" || strings.HasPrefix(i.Name, router.OuterPrefix) && i.ExternalIDs[OwnerKey] != ""
}

// ifacesMoved: since done, an interface or the integration bridge's
// ports changed (LocalIfaces may differ).
func (p *localPending) ifacesMoved() bool { return p.bridge || len(p.ifaces) > 0 || p.full != "" }

// portKinds checks the changed Port rows once the round's changes are all
// applied (a Port's interfaces may arrive after it): each must hold only
// VM or qr- interfaces, on the integration bridge or on none.
func (k *localKeeper) portKinds() {
	p := &k.pend
	for u := range p.ports {
		port, ok := k.view.Ports[u]
		if !ok {
			continue // deleted: its interfaces' rows said what it was
		}
		for _, iu := range port.Interfaces {
			if i, ok := k.view.Interfaces[iu]; ok && !vmOrQR(&i) {
				p.needFull("a port that is neither a VM's nor a qr- port changed: " + port.Name)
			}
		}
		if len(port.Interfaces) == 0 {
			p.needFull("a port with no interface changed: " + port.Name)
		}
	}
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := make(map[string]bool, len(a))
	for _, s := range a {
		seen[s] = true
	}
	for _, s := range b {
		if !seen[s] {
			return false
		}
	}
	return true
}

func sameStrPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
