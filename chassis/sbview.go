package chassis

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// The SB view is kept from the monitor's events, not re-listed every round
// (a List of every table costs ~110 ms at 20k Port_Bindings): the event
// handler queues copies of the changed rows (changeQueue, under its own
// lock, never held across a round), and the round applies them to the
// view it owns (viewKeeper.refresh), so the round's own settle, which
// waits for its commit to show, cannot deadlock against the handler. The
// view is listed afresh when the monitor's client changes (a new
// generation: the initial dump), at every full round of the Resync tick
// (libovsdb drops events when its buffer of 65,536 is full: the tick
// repairs what a burst lost), and when a table's row count disagrees with
// the cache's.

// rowChange is one monitor event: copies of the old and the new row (nil
// for an insert, a delete).
type rowChange struct {
	table    string
	old, cur model.Model
}

// maxQueued is how many events are kept between rounds; past it the queue
// is dropped and the next round lists the view afresh.
const maxQueued = 200000

// changeQueue collects monitor events between rounds.
type changeQueue struct {
	mu       sync.Mutex
	rows     []rowChange
	overflow bool
	// keep: a view was listed, so events are worth queueing. Until then
	// (the initial dump: one event per SB row) the next round lists the
	// view anyway and would drop them.
	keep   bool
	pushed chan struct{} // a size-one signal: a change was queued
}

// signal is the channel that receives after a push (a settle waits on it
// instead of sleeping).
func (q *changeQueue) signal() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pushed == nil {
		q.pushed = make(chan struct{}, 1)
	}
	return q.pushed
}

// push queues one event. The models are libovsdb's own and are kept
// without a copy: old is the row its cache held (replaced, never edited),
// cur the fresh row of the update (the cache stores a copy of it).
func (q *changeQueue) push(table string, old, cur model.Model) {
	q.mu.Lock()
	switch {
	case !q.keep || q.overflow:
	case len(q.rows) >= maxQueued:
		q.rows, q.overflow = nil, true
	default:
		q.rows = append(q.rows, rowChange{table: table, old: old, cur: cur})
	}
	if q.pushed == nil {
		q.pushed = make(chan struct{}, 1)
	}
	select {
	case q.pushed <- struct{}{}:
	default:
	}
	q.mu.Unlock()
}

// take returns the queued changes and empties the queue; overflow says
// some were dropped.
func (q *changeQueue) take() ([]rowChange, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	rows, over := q.rows, q.overflow
	q.rows, q.overflow = nil, false
	return rows, over
}

// keepFromNow: a view is being listed; the events from here on are its
// changes. Called before the listing reads the cache, so no change falls
// between the two.
func (q *changeQueue) keepFromNow() {
	q.mu.Lock()
	q.rows, q.overflow, q.keep = nil, false, true
	q.mu.Unlock()
}

// pending is what changed in the view since the last round that
// completed: the input of the incremental path's classification
// (portlevel.go).
type pending struct {
	// full names why the next round must recompute everything ("" if it
	// need not).
	full string
	// ports are the VM and router interface Port_Bindings that changed
	// (UUID → the versions before and after; nil for none).
	ports map[string]portChange
	// rbs are the DVR_Router_Bindings that changed.
	rbs []rbChange
}

type rbChange struct{ old, cur *sbdb.DVRRouterBinding }

type portChange struct{ old, cur *sbdb.PortBinding }

func (p *pending) needFull(why string) {
	if p.full == "" {
		p.full = why
	}
}

// viewKeeper owns the round's SB view.
type viewKeeper struct {
	q    changeQueue
	gen  int // the monitor generation the view was listed from (0: none)
	view *SBView
	pend pending
	// self is the chassis name, once known (the claims' overlay needs it).
	self string
}

// refresh brings the view up to date: listed afresh when relist is set,
// the generation changed or events were lost, else with the queued
// changes applied.
func (k *viewKeeper) refresh(ctx context.Context, c client.Client, gen int, relist bool) (*SBView, error) {
	rows, over := k.q.take()
	if relist || over || gen != k.gen || k.view == nil {
		k.q.keepFromNow()
		k.view = nil // not kept alive beside the fresh one
		v, err := readSBAs(ctx, c, k.self)
		if err != nil {
			k.gen = 0
			return nil, err
		}
		k.view, k.gen = v, gen
		k.pend = pending{}
		k.pend.needFull("the SB view was listed afresh")
		return v, nil
	}
	if k.view.self != k.self {
		return k.refresh(ctx, c, gen, true)
	}
	for _, r := range rows {
		k.view.apply(r, &k.pend)
	}
	if k.view.chassisChanged {
		k.view.overlayAll(&k.pend)
	}
	if len(rows) > 0 && !k.view.countsMatch(c) {
		// libovsdb updates its cache before it calls the handler that
		// queues the event: a row just inserted or deleted may be in the
		// cache with its event still on the way. Wait for it briefly
		// before listing everything afresh (~110 ms at 20k ports).
		deadline := time.NewTimer(countsGrace)
		defer deadline.Stop()
		for !k.view.countsMatch(c) {
			select {
			case <-k.q.signal():
				more, over := k.q.take()
				if over {
					return k.refresh(ctx, c, gen, true)
				}
				for _, r := range more {
					k.view.apply(r, &k.pend)
				}
				if k.view.chassisChanged {
					k.view.overlayAll(&k.pend)
				}
			case <-deadline.C:
				return k.refresh(ctx, c, gen, true)
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	return k.view, nil
}

// countsGrace is how long a round waits for the events of rows its
// monitor's cache already holds.
const countsGrace = 50 * time.Millisecond

// done says a round used every pending change.
func (k *viewKeeper) done() { k.pend = pending{} }

// countsMatch compares the view's row counts with the cache's.
func (v *SBView) countsMatch(c client.Client) bool {
	cache := c.Cache()
	if cache == nil {
		return true
	}
	for table, n := range map[string]int{sbdb.PortBindingTable: len(v.Ports), sbdb.ChassisTable: len(v.Chassis),
		sbdb.DatapathBindingTable: len(v.Datapaths), sbdb.EncapTable: len(v.Encaps), sbdb.DVRPortClaimTable: len(v.Claims)} {
		if t := cache.Table(table); t != nil && t.Len() != n {
			return false
		}
	}
	return true
}

// index builds the view's indexes from its rows.
func (v *SBView) index() {
	v.indexPorts()
	v.macRows = map[string]sbdb.DVRMACBinding{}
	v.rbRows = map[string]sbdb.DVRRouterBinding{}
	v.rbByChassis = map[string]map[string]bool{}
	v.rbByDP = map[string]map[string]bool{}
}

func (v *SBView) indexPorts() {
	v.portByName = map[string]string{}
	v.portsByDP = map[string]map[string]bool{}
	v.portsByChassis = map[string]map[string]bool{}
	v.riByRouter = map[string]map[string]bool{}
	for u, pb := range v.Ports {
		v.indexPort(u, &pb)
	}
}

// ensureIndex indexes a view built by hand (tests).
func (v *SBView) ensureIndex() {
	if v.portByName == nil {
		v.indexPorts()
	}
	if v.rbByChassis == nil {
		v.rbByChassis = map[string]map[string]bool{}
		v.rbByDP = map[string]map[string]bool{}
		if v.rbRows == nil {
			v.rbRows = map[string]sbdb.DVRRouterBinding{}
			for _, rb := range v.RouterBindings {
				v.rbRows[rb.UUID] = rb
			}
		}
		for u, rb := range v.rbRows {
			addTo(v.rbByChassis, rb.ChassisName, u)
			addTo(v.rbByDP, rb.Datapath, u)
		}
	}
	if v.routerDP == nil {
		v.routerDP = map[string]string{}
		for _, dp := range v.Datapaths {
			if r := dp.ExternalIDs[sbkeys.KeyLogicalRouter]; r != "" {
				v.routerDP[r] = dp.UUID
			}
		}
	}
}

func (v *SBView) indexPort(u string, pb *sbdb.PortBinding) {
	v.portByName[pb.LogicalPort] = u
	addTo(v.portsByDP, pb.Datapath, u)
	if pb.Chassis != nil {
		addTo(v.portsByChassis, *pb.Chassis, u)
	}
	if pb.Type == sbkeys.TypeRouterInterface {
		addTo(v.riByRouter, pb.ExternalIDs[sbkeys.KeyLogicalRouter], u)
	}
}

func (v *SBView) unindexPort(u string, pb *sbdb.PortBinding) {
	if v.portByName[pb.LogicalPort] == u {
		delete(v.portByName, pb.LogicalPort)
	}
	delFrom(v.portsByDP, pb.Datapath, u)
	if pb.Chassis != nil {
		delFrom(v.portsByChassis, *pb.Chassis, u)
	}
	if pb.Type == sbkeys.TypeRouterInterface {
		delFrom(v.riByRouter, pb.ExternalIDs[sbkeys.KeyLogicalRouter], u)
	}
}

func addTo(m map[string]map[string]bool, k, u string) {
	if m[k] == nil {
		m[k] = map[string]bool{}
	}
	m[k][u] = true
}

func delFrom(m map[string]map[string]bool, k, u string) {
	if s := m[k]; s != nil {
		delete(s, u)
		if len(s) == 0 {
			delete(m, k)
		}
	}
}

// PortsOn are the Port_Binding UUIDs on a datapath, sorted.
func (v *SBView) PortsOn(datapath string) []string {
	v.ensureIndex()
	return sortedKeys(v.portsByDP[datapath])
}

// PortNamed is the Port_Binding with that logical_port.
func (v *SBView) PortNamed(name string) (sbdb.PortBinding, bool) {
	v.ensureIndex()
	u, ok := v.portByName[name]
	if !ok {
		return sbdb.PortBinding{}, false
	}
	pb, ok := v.Ports[u]
	return pb, ok
}

// PortsBoundTo are the Port_Binding UUIDs whose chassis is that Chassis
// row, sorted.
func (v *SBView) PortsBoundTo(chassis string) []string {
	v.ensureIndex()
	return sortedKeys(v.portsByChassis[chassis])
}

// apply applies one row change, noting in p what it means for the next
// round.
func (v *SBView) apply(r rowChange, p *pending) {
	switch r.table {
	case sbdb.SBGlobalTable:
		o, n := as[sbdb.SBGlobal](r.old), as[sbdb.SBGlobal](r.cur)
		if o == nil || n == nil {
			p.needFull("SB_Global added or deleted")
		}
		v.Global = n
	case sbdb.ChassisTable:
		p.needFull("a Chassis row changed")
		applyRow(v.Chassis, r, func(x *sbdb.Chassis) string { return x.UUID })
		v.chassisRows, v.chassisChanged = nil, true
	case sbdb.ChassisPrivateTable:
		// Read by the registration and the report only, which every round
		// decides afresh.
		applyRow(v.ChassisPrivate, r, func(x *sbdb.ChassisPrivate) string { return x.UUID })
	case sbdb.EncapTable:
		p.needFull("an Encap changed")
		applyRow(v.Encaps, r, func(x *sbdb.Encap) string { return x.UUID })
	case sbdb.DatapathBindingTable:
		p.needFull("a Datapath_Binding changed")
		applyRow(v.Datapaths, r, func(x *sbdb.DatapathBinding) string { return x.UUID })
		v.routerDP = nil // rebuilt by ensureIndex
	case sbdb.DVRMACBindingTable:
		p.needFull("a DVR_MAC_Binding changed")
		applyRow(v.macRows, r, func(x *sbdb.DVRMACBinding) string { return x.UUID })
		v.MACs = map[string]string{}
		for _, u := range sortedKeys(v.macRows) {
			m := v.macRows[u]
			v.MACs[m.ChassisName] = m.MAC
		}
	case sbdb.DVRRouterBindingTable:
		// The incremental path takes another chassis' (its tunnels may
		// change: portlevel.go checks); one of ours changes what is hosted.
		v.ensureIndex()
		o, n := as[sbdb.DVRRouterBinding](r.old), as[sbdb.DVRRouterBinding](r.cur)
		if n != nil {
			if prev, ok := v.rbRows[n.UUID]; ok {
				o = &prev
			}
		} else if o != nil {
			if prev, ok := v.rbRows[o.UUID]; ok {
				o = &prev
			}
		}
		if o != nil {
			delFrom(v.rbByChassis, o.ChassisName, o.UUID)
			delFrom(v.rbByDP, o.Datapath, o.UUID)
		}
		if n != nil {
			addTo(v.rbByChassis, n.ChassisName, n.UUID)
			addTo(v.rbByDP, n.Datapath, n.UUID)
		}
		p.rbs = append(p.rbs, rbChange{o, n})
		applyRow(v.rbRows, r, func(x *sbdb.DVRRouterBinding) string { return x.UUID })
		v.rbStale = true // RouterBindings: rebuilt by the next round that reads it (syncRouterBindings)
	case sbdb.PortBindingTable:
		o, n := as[sbdb.PortBinding](r.old), as[sbdb.PortBinding](r.cur)
		u := ""
		for _, x := range []*sbdb.PortBinding{o, n} {
			if x != nil {
				u = x.UUID
				if x.Type != "" && x.Type != sbkeys.TypeRouterInterface {
					p.needFull("a Port_Binding that is neither a VM port nor a router interface changed")
				}
			}
		}
		if old, ok := v.Ports[u]; ok {
			v.unindexPort(u, &old)
			delete(v.Ports, u)
			o = &old // what the view had
		}
		delete(v.raw, u)
		if n != nil {
			if v.raw == nil {
				v.raw = map[string]binding{}
			}
			if n.Chassis != nil || n.Up != nil {
				v.raw[u] = rawBinding(n)
			}
			eff := *n
			v.effective(&eff, rawBinding(n))
			n = &eff
			v.Ports[u] = *n
			v.indexPort(u, n)
		}
		p.port(u, o, n)
	case sbdb.DVRPortClaimTable:
		v.applyClaim(r, p)
	}
}

// syncRouterBindings rebuilds RouterBindings from the rows when router
// binding changes were applied since (the incremental path reads the
// indexes; a full round, this sorted list).
func (v *SBView) syncRouterBindings() {
	if !v.rbStale {
		return
	}
	v.rbStale = false
	v.RouterBindings = v.RouterBindings[:0]
	for _, u := range sortedKeys(v.rbRows) {
		v.RouterBindings = append(v.RouterBindings, v.rbRows[u])
	}
}

func as[T any](m model.Model) *T {
	if m == nil {
		return nil
	}
	x, _ := m.(*T)
	return x
}

// applyRow puts r.cur into m (or deletes r.old from it).
func applyRow[T any](m map[string]T, r rowChange, uuid func(*T) string) {
	if n := as[T](r.cur); n != nil {
		m[uuid(n)] = *n
	} else if o := as[T](r.old); o != nil {
		delete(m, uuid(o))
	}
}

// routerInterfacesOn are, by switch datapath, the hosted routers'
// interfaces on it (indexes into hosted).
func routerInterfacesOn(hosted []Hosted) map[string][]int {
	out := map[string][]int{}
	for i, h := range hosted {
		for _, pb := range h.Interfaces {
			out[pb.Datapath] = append(out[pb.Datapath], i)
		}
	}
	for dp, is := range out {
		sort.Ints(is)
		out[dp] = uniqInts(is)
	}
	return out
}

func uniqInts(xs []int) []int {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
