package chassis

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/ovn-org/libovsdb/model"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/ofctrl"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/ovsdbmon"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

// Chassis is one dvr-chassis daemon.
type Chassis struct {
	cfg    Config
	log    *logrus.Entry
	wake   chan struct{}
	sbMon  *ovsdbmon.Monitor
	ovsMon *ovsdbmon.Monitor
	name   string // the system-id, fixed once read
	// ownName is name for the monitors' goroutines.
	ownName atomic.Pointer[string]
	// cond is the conditional monitor mode's state (nil in all mode).
	cond *condMonitor
	// registered: our Chassis row existed in a round of this run, so its
	// absence later means someone deleted it.
	registered bool
	notes      *notes
	// installers keep the flows of each bridge (chassis/ofctrl).
	installers map[flows.Bridge]*ofctrl.Bridge
	// routersApplied is the router state last applied without error.
	routersApplied *router.State
	routersAt      time.Time
	// sb is the round's SB view, kept from the monitor's events.
	sb *viewKeeper
	// local is the round's local OVSDB view, kept from the monitor's events.
	local *localKeeper
	// last is what the last successful round decided (nil: the next round
	// is a full one); resync asks the next round to be full.
	last   *lastRound
	resync bool
}

// New checks cfg and builds the daemon; Run runs it.
func New(cfg Config) (*Chassis, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	sbModel, err := sbdb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	ovsModel, err := vswitchd.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	c := &Chassis{cfg: cfg, log: logrus.NewEntry(cfg.Log), wake: make(chan struct{}, 1), notes: newNotes(), sb: &viewKeeper{},
		local: &localKeeper{bridge: cfg.IntegrationBridge}}
	discard := logr.Discard()
	sbConn, ovsConn := cfg.SB, cfg.OVS
	sbConn.LeaderOnly, ovsConn.LeaderOnly = false, false
	sbConn.Logger, ovsConn.Logger = &discard, &discard
	sbFilter := &eventFilter{relevant: c.relevantSB}
	c.sbMon = ovsdbmon.New(ovsdbmon.Config{Conn: sbConn, Model: sbModel, Tables: c.sbMonitorTables(cfg.Monitor),
		Log: c.log.WithField("db", "SB"), Event: func(table string, old, cur model.Model) {
			c.sb.q.push(table, old, cur)
			sbFilter.event(table, old, cur)
		}, Poke: sbFilter.poke(c.poke), Echo: cfg.Echo})
	c.ovsMon = ovsdbmon.New(ovsdbmon.Config{Conn: ovsConn, Model: ovsModel, Tables: localTables,
		Log: c.log.WithField("db", "Open_vSwitch"), Poke: c.poke, Echo: cfg.Echo,
		Event: c.local.q.push})
	c.installers = map[flows.Bridge]*ofctrl.Bridge{}
	for b, name := range map[flows.Bridge]string{flows.BrInt: cfg.IntegrationBridge, flows.BrTun: cfg.TunnelBridge} {
		c.installers[b] = ofctrl.New(ofctrl.Config{RunDir: cfg.RunDir, Bridge: name,
			Log: c.log.WithField("bridge", name), Poke: c.poke})
	}
	return c, nil
}

func (c *Chassis) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Run keeps both monitors and runs rounds until ctx ends: on every event
// (coalesced), every Resync, and after a failed round with a backoff.
func (c *Chassis) Run(ctx context.Context) error {
	done := make(chan struct{}, 2+len(c.installers))
	go func() { c.sbMon.Run(ctx); done <- struct{}{} }()
	go func() { c.ovsMon.Run(ctx); done <- struct{}{} }()
	for _, b := range c.installers {
		go func() { b.Run(ctx); done <- struct{}{} }()
	}
	defer func() {
		for range 2 + len(c.installers) {
			<-done
		}
	}()
	resync := time.NewTicker(c.cfg.Resync)
	defer resync.Stop()
	retry := time.Duration(0)
	var retryC <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-c.wake:
		case <-resync.C:
			c.resync = true
		case <-retryC:
		}
		t0 := time.Now()
		err := c.round(ctx)
		c.cfg.Metrics.round(time.Since(t0), err)
		if ctx.Err() != nil {
			return nil
		}
		retryC = nil
		if err != nil {
			retry = min(max(2*retry, 100*time.Millisecond), 5*time.Second)
			c.log.WithError(err).WithField("retry_in", retry.String()).Warn("round failed; retrying")
			retryC = time.After(retry)
			continue
		}
		retry = 0
	}
}

// identity reads what the chassis registers; why says what is missing.
func (c *Chassis) identity(lv *LocalView) (id Identity, why string) {
	var ext map[string]string
	if lv.Root != nil {
		ext = lv.Root.ExternalIDs
	}
	if c.name == "" {
		c.name = c.cfg.SystemID
		if c.name == "" {
			c.name = ext["system-id"]
		}
		if c.name == "" {
			return id, "no system-id: neither --system-id nor Open_vSwitch external_ids:system-id is set"
		}
		c.log = c.log.WithField("chassis", c.name)
		c.ownName.Store(&c.name)
		c.sb.self = c.name
	} else if c.cfg.SystemID == "" && ext["system-id"] != "" && ext["system-id"] != c.name && c.notes.set("system-id", ext["system-id"]) {
		c.log.WithField("system-id", ext["system-id"]).Warn("Open_vSwitch external_ids:system-id changed; keeping the name this run started with (restart to use the new one)")
	}
	id.Name = c.name
	id.EncapIP = c.cfg.EncapIP
	if id.EncapIP == "" {
		id.EncapIP = ext["ovn-encap-ip"]
	}
	if id.EncapIP == "" {
		return id, "no encap IP: neither --encap-ip nor Open_vSwitch external_ids:ovn-encap-ip is set"
	}
	if a, err := netip.ParseAddr(id.EncapIP); err != nil || !a.Is4() {
		return id, fmt.Sprintf("encap IP %q is not an IPv4 address", id.EncapIP)
	}
	id.Hostname = c.cfg.Hostname
	if id.Hostname == "" {
		id.Hostname = ext["hostname"]
	}
	if id.Hostname == "" {
		id.Hostname, _ = os.Hostname()
	}
	id.DatapathType = c.cfg.DatapathType
	return id, ""
}
