package northd

import (
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// changes accumulates what the monitors reported since the last round,
// by the class portlevel.go gives each event. Events are only hints of what to look at (libovsdb may re-add every row
// after a reconnect, which our fresh-client monitors turn into a full
// round): rounds read the rows themselves from the caches.
type changes struct {
	mu       sync.Mutex
	since    time.Time // when the first change of this set was reported
	full     string    // non-empty: why the next round must recompute fully
	barrier  bool      // NB_Global.nb_cfg or a chassis' nb_cfg moved
	lsps     map[string]rowChange[nbdb.LogicalSwitchPort]
	switches map[string]rowChange[nbdb.LogicalSwitch]
	pbs      map[string]rowChange[sbdb.PortBinding]
	claims   map[string]rowChange[sbdb.DVRPortClaim]
	// Rows of northd-owned tables and columns, checked for drift (a
	// change northd did not make) against what the last round wrote.
	dpRows map[string]rowChange[sbdb.DatapathBinding]
	macs   map[string]rowChange[sbdb.DVRMACBinding]
	rbs    map[string]rowChange[sbdb.DVRRouterBinding]
	ups    map[string]*nbdb.LogicalSwitchPort // LSPs whose up alone changed: the last version
	// others are the evOther events: a round checks each against what
	// its State was built from (portLevel.other), and recomputes fully on
	// any real difference.
	others []otherEvent
}

type otherEvent struct {
	table    string
	old, cur model.Model
}

// rowChange is the first old and the last new version of a row.
type rowChange[T any] struct {
	old, cur *T
}

func newChanges() *changes {
	c := &changes{}
	c.reset("start")
	return c
}

func (c *changes) reset(full string) {
	c.since = time.Time{}
	c.full = full
	c.barrier = false
	c.lsps = map[string]rowChange[nbdb.LogicalSwitchPort]{}
	c.switches = map[string]rowChange[nbdb.LogicalSwitch]{}
	c.pbs = map[string]rowChange[sbdb.PortBinding]{}
	c.claims = map[string]rowChange[sbdb.DVRPortClaim]{}
	c.dpRows = map[string]rowChange[sbdb.DatapathBinding]{}
	c.macs = map[string]rowChange[sbdb.DVRMACBinding]{}
	c.rbs = map[string]rowChange[sbdb.DVRRouterBinding]{}
	c.ups = map[string]*nbdb.LogicalSwitchPort{}
	c.others = nil
}

// take returns the accumulated changes and starts a new set.
func (c *changes) take() *changes {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := &changes{since: c.since, full: c.full, barrier: c.barrier, lsps: c.lsps, switches: c.switches, pbs: c.pbs, claims: c.claims,
		dpRows: c.dpRows, macs: c.macs, rbs: c.rbs, ups: c.ups, others: c.others}
	c.reset("")
	return out
}

// needFull marks that the next round must recompute everything.
func (c *changes) needFull(why string) {
	c.mu.Lock()
	if c.full == "" {
		c.full = why
	}
	c.mu.Unlock()
}

func (c *changes) empty() bool {
	return c.full == "" && !c.barrier && len(c.lsps) == 0 && len(c.switches) == 0 && len(c.pbs) == 0 && len(c.claims) == 0 && len(c.others) == 0 &&
		len(c.dpRows) == 0 && len(c.macs) == 0 && len(c.rbs) == 0 && len(c.ups) == 0
}

func record[T any](m map[string]rowChange[T], uuid string, old, cur *T) {
	rc, seen := m[uuid]
	if !seen {
		rc.old = old
	}
	rc.cur = cur
	m[uuid] = rc
}

// nbEvent records an NB monitor event as classifyNB classifies it. old
// or cur is nil for an insert or a delete.
func (c *changes) nbEvent(table string, old, cur model.Model) {
	c.add(classifyNB(table, old, cur), table, old, cur)
}

// sbEvent records an SB monitor event as classifySB classifies it.
func (c *changes) sbEvent(table string, old, cur model.Model) {
	c.add(classifySB(table, old, cur), table, old, cur)
}

// add stores one classified event.
func (c *changes) add(cl eventClass, table string, old, cur model.Model) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mark()
	if cl.barrier {
		c.barrier = true
	}
	switch cl.kind {
	case evUp:
		n := asNB[nbdb.LogicalSwitchPort](cur)
		c.ups[n.UUID] = n
	case evSwitchPort:
		o, n := asNB[nbdb.LogicalSwitchPort](old), asNB[nbdb.LogicalSwitchPort](cur)
		record(c.lsps, uuidOf(o, n, func(p *nbdb.LogicalSwitchPort) string { return p.UUID }), o, n)
	case evSwitch:
		o, n := asNB[nbdb.LogicalSwitch](old), asNB[nbdb.LogicalSwitch](cur)
		record(c.switches, uuidOf(o, n, func(s *nbdb.LogicalSwitch) string { return s.UUID }), o, n)
	case evBinding:
		o, n := asNB[sbdb.PortBinding](old), asNB[sbdb.PortBinding](cur)
		record(c.pbs, uuidOf(o, n, func(p *sbdb.PortBinding) string { return p.UUID }), o, n)
	case evClaim:
		o, n := asNB[sbdb.DVRPortClaim](old), asNB[sbdb.DVRPortClaim](cur)
		record(c.claims, uuidOf(o, n, func(p *sbdb.DVRPortClaim) string { return p.UUID }), o, n)
	case evOwned:
		switch table {
		case sbdb.DatapathBindingTable:
			o, n := asNB[sbdb.DatapathBinding](old), asNB[sbdb.DatapathBinding](cur)
			record(c.dpRows, uuidOf(o, n, func(d *sbdb.DatapathBinding) string { return d.UUID }), o, n)
		case sbdb.DVRMACBindingTable:
			o, n := asNB[sbdb.DVRMACBinding](old), asNB[sbdb.DVRMACBinding](cur)
			record(c.macs, uuidOf(o, n, func(m *sbdb.DVRMACBinding) string { return m.UUID }), o, n)
		case sbdb.DVRRouterBindingTable:
			o, n := asNB[sbdb.DVRRouterBinding](old), asNB[sbdb.DVRRouterBinding](cur)
			record(c.rbs, uuidOf(o, n, func(b *sbdb.DVRRouterBinding) string { return b.UUID }), o, n)
		}
	case evOther:
		c.others = append(c.others, otherEvent{table, old, cur})
	}
}

func (c *changes) mark() {
	if c.since.IsZero() {
		c.since = time.Now()
	}
}

func asNB[T any](m model.Model) *T {
	if m == nil {
		return nil
	}
	t, _ := m.(*T)
	return t
}

func uuidOf[T any](o, n *T, f func(*T) string) string {
	if n != nil {
		return f(n)
	}
	return f(o)
}
