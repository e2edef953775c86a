package chassis

import (
	"strconv"
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/sirupsen/logrus"
)

// Monitor modes (Config.Monitor).
const (
	MonitorAll         = "all"
	MonitorConditional = "conditional"
)

// ReplaceEvery is the conditional mode's coalescing window: at most one
// SB client replacement (a fresh client and its initial dump) per window,
// however fast the interest changes. The first one after a quiet window
// goes at once; later ones wait for the window to pass, and by then carry
// every change of the interest made meanwhile. 300 ms bounds the startup
// (about three growth steps: iface-ids, their networks, the routers on
// them) to about a second, and a flapping interest to ~3 dumps a second.
const ReplaceEvery = 300 * time.Millisecond

// condMonitor is the conditional mode's state: the interest the next SB
// client is to monitor, the one the latest client does monitor, and the
// pending replacement. ovsdbmon calls tables from its goroutine (once per
// fresh client), rounds call observe, and the timer calls fire: all under
// mu.
type condMonitor struct {
	mu      sync.Mutex
	want    Interest      // what a fresh client monitors
	client  client.Client // the latest client tables served
	has     Interest      // what that client monitors
	last    time.Time     // the latest replacement
	timer   *time.Timer   // a replacement pending
	primed  bool          // a round of this run found its interest covered
	replace func()        // asks for a fresh SB client (ovsdbmon Replace: the old one serves meanwhile)
	log     *logrus.Entry
	metrics *Metrics
}

// tables is ovsdbmon's Tables in conditional mode.
func (m *condMonitor) tables(c client.Client) []client.MonitorOption {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.client, m.has = c, m.want
	return sbTables(&m.has)
}

// observe takes the interest of a round that read sbc. covered says the
// rows of in are all in sbc's cache (so the round may report nb_cfg);
// when sbc monitors anything else, a replacement is scheduled. skip says
// the round must apply nothing: no view of this run was complete yet (a
// round on the first, partial views would tear down what a previous run
// built, and build it again a moment later).
func (m *condMonitor) observe(sbc client.Client, in Interest, log *logrus.Entry) (covered, skip bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.log = log
	if sbc != m.client {
		// tables already serves a fresher client: its first round decides.
		return false, !m.primed
	}
	m.want = in
	covered = m.has.Covers(in)
	m.primed = m.primed || covered
	switch {
	case m.has.Equal(in):
		if m.timer != nil && m.timer.Stop() {
			m.timer = nil
		}
	case m.timer == nil:
		m.timer = time.AfterFunc(max(0, time.Until(m.last.Add(ReplaceEvery))), m.fire)
	}
	return covered, !m.primed
}

// fire replaces the SB client, unless the interest came back meanwhile.
func (m *condMonitor) fire() {
	m.mu.Lock()
	m.timer = nil
	if m.has.Equal(m.want) {
		m.mu.Unlock()
		return
	}
	m.last = time.Now()
	m.log.WithFields(logrus.Fields{"logical_ports": len(m.want.LogicalPorts), "datapaths": len(m.want.Datapaths),
		"routers": len(m.want.Routers), "router_datapaths": len(m.want.RouterDatapaths),
		"was_logical_ports": len(m.has.LogicalPorts), "was_datapaths": len(m.has.Datapaths),
		"was_routers": len(m.has.Routers), "was_router_datapaths": len(m.has.RouterDatapaths)}).
		Debug("SB interest changed: replacing the SB monitor with a fresh client")
	m.metrics.monitorChange()
	m.mu.Unlock()
	m.replace()
}

// WaitingForMonitor is why an interface is not served while the
// conditional SB monitor is being extended to its Port_Binding (its
// absence from the view then means nothing yet).
const WaitingForMonitor = "the SB monitor does not show its Port_Binding yet (conditional mode: extending it)"

// watchInterest is the round's part of the monitor mode: in all mode the
// view is always complete; in conditional mode it computes the round's
// interest and hands it to observe (see there for covered and skip).
// While the view does not cover the interest, an interface whose
// Port_Binding the view lacks is WaitingForMonitor in claims, not
// NoPortBinding.
func (c *Chassis) watchInterest(sbc client.Client, sv *SBView, self, selfUUID string, ifaces []LocalIface, claims *ClaimPlan) (covered, skip bool) {
	c.cfg.Metrics.sbCache(len(sv.Ports))
	if n := len(sv.Ports); c.notes.set("sb-cache", strconv.Itoa(n)) {
		c.log.WithField("port_bindings", n).Debug("SB cache size changed")
	}
	if c.cond == nil {
		return true, false
	}
	ids := make([]string, len(ifaces))
	for i, li := range ifaces {
		ids[i] = li.IfaceID
	}
	covered, skip = c.cond.observe(sbc, ComputeInterest(sv, self, selfUUID, ids, *claims), c.log)
	if !covered {
		for name, why := range claims.Unserved {
			if why == NoPortBinding {
				claims.Unserved[name] = WaitingForMonitor
			}
		}
	}
	return covered, skip
}

// sbMonitorTables is the SB monitor of the configured mode.
func (c *Chassis) sbMonitorTables(mode string) func(client.Client) []client.MonitorOption {
	if mode != MonitorConditional {
		return func(client.Client) []client.MonitorOption { return sbTables(nil) }
	}
	c.cond = &condMonitor{replace: func() { c.sbMon.Replace() }, log: c.log, metrics: c.cfg.Metrics}
	return c.cond.tables
}
