package chassis

import (
	"sync/atomic"

	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// eventFilter drops the pokes of cache events a round would find nothing
// to do about. ovsdbmon calls Event and then Poke for each row change (and
// Poke alone when its client changes), from one goroutine per monitor, so
// a flag set by event and read by the next poke is enough.
type eventFilter struct {
	relevant func(table string, old, cur model.Model) bool
	skip     atomic.Bool
}

func (f *eventFilter) event(table string, old, cur model.Model) {
	f.skip.Store(!f.relevant(table, old, cur))
}

func (f *eventFilter) poke(next func()) func() {
	return func() {
		if f.skip.Swap(false) {
			return
		}
		next()
	}
}

// relevantSB: every SB change matters except another chassis' progress
// report (Chassis_Private rows of other names change at every barrier
// bump, once per chassis: without this each would cost every chassis a
// round).
func (c *Chassis) relevantSB(table string, old, cur model.Model) bool {
	if table != sbdb.ChassisPrivateTable {
		return true
	}
	own := c.ownName.Load()
	if own == nil {
		return true
	}
	for _, m := range []model.Model{old, cur} {
		if cp, ok := m.(*sbdb.ChassisPrivate); ok && cp.Name == *own {
			return true
		}
	}
	return false
}
