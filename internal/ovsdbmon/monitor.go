package ovsdbmon

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/ovn-org/libovsdb/cache"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
)

// Config says what to monitor and whom to tell.
type Config struct {
	// Conn is where the database is. Monitors need no leader: callers
	// usually clear LeaderOnly.
	Conn ovsdbconn.Config
	// Model is the client database model.
	Model model.ClientDBModel
	// Tables names the monitored tables and columns of a fresh client.
	Tables func(c client.Client) []client.MonitorOption
	// Log receives connection events; nil discards them.
	Log *logrus.Entry
	// Poke is called after every cache event and every client change
	// (a fresh client, or none); nil means nobody is told.
	Poke func()
	// Event, when set, sees every row change in the cache, before Poke:
	// old is nil for an insert, cur nil for a delete.
	Event func(table string, old, cur model.Model)
	// Echo is the watchdog period; the reply must come within it
	// (default 5 s).
	Echo time.Duration
}

// Monitor keeps one monitored client alive; Run drives it.
type Monitor struct {
	cfg     Config
	mu      sync.Mutex
	current client.Client
	gen     int // bumped at every fresh client, so readers know to rebuild
	// renew asks Run for a fresh client while the current one stays
	// (Replace).
	renew chan struct{}
}

// New returns a monitor for cfg; Run connects it.
func New(cfg Config) *Monitor {
	if cfg.Log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		cfg.Log = logrus.NewEntry(l)
	}
	if cfg.Poke == nil {
		cfg.Poke = func() {}
	}
	if cfg.Echo == 0 {
		cfg.Echo = 5 * time.Second
	}
	return &Monitor{cfg: cfg, renew: make(chan struct{}, 1)}
}

// Get returns the ready client, if any (nil while none is), and its
// generation.
func (m *Monitor) Get() (client.Client, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.current, m.gen
}

func (m *Monitor) set(c client.Client) {
	m.mu.Lock()
	old := m.current
	m.current = c
	if c != nil {
		m.gen++
	}
	m.mu.Unlock()
	if old != nil && old != c {
		// A reader may still be reading the old cache: close it a little
		// later rather than under that read.
		time.AfterFunc(closeGrace, old.Close)
	}
	m.cfg.Poke()
}

// closeGrace is how long a replaced client lives on before it is closed.
const closeGrace = 10 * time.Second

// Reset drops the current client; Run connects a fresh one.
func (m *Monitor) Reset() {
	m.mu.Lock()
	c := m.current
	m.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// Replace asks for a fresh client for a reason that is no fault (e.g.
// new monitor conditions: Tables is called again for it). Unlike Reset,
// make before break: the current client stays current, and its cache
// readable, until the fresh one's initial dump is in; then it is closed
// after closeGrace. Replacements asked meanwhile coalesce into one.
func (m *Monitor) Replace() {
	m.mu.Lock()
	has := m.current != nil
	m.mu.Unlock()
	if !has {
		return // none yet: the next fresh client calls Tables anyway
	}
	select {
	case m.renew <- struct{}{}:
	default:
	}
}

// Run keeps a client until ctx ends.
func (m *Monitor) Run(ctx context.Context) {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 100 * time.Millisecond
	bo.MaxInterval = 5 * time.Second
	bo.MaxElapsedTime = 0
	replaced := false
	for ctx.Err() == nil {
		c, err := m.connect(ctx)
		if err != nil {
			if replaced { // the old client is unwatched: let it go
				m.set(nil)
				replaced = false
			}
			wait := bo.NextBackOff()
			m.cfg.Log.WithError(err).WithField("retry_in", wait.String()).Warn("cannot connect")
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			continue
		}
		bo.Reset()
		l := m.cfg.Log.WithField("endpoint", c.CurrentEndpoint())
		if replaced {
			l.Debug("connected and monitoring")
		} else {
			l.Info("connected and monitoring")
		}
		m.set(c) // a replaced client is closed after closeGrace
		replaced = m.watch(ctx, c)
		if ctx.Err() != nil { // shutting down: close at once
			m.mu.Lock()
			m.current = nil
			m.mu.Unlock()
			c.Close()
			return
		}
		if !replaced {
			m.set(nil)
		}
	}
}

func (m *Monitor) connect(ctx context.Context) (client.Client, error) {
	c, err := m.cfg.Conn.NewClient(m.cfg.Model)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := c.Connect(cctx); err != nil {
		return nil, err
	}
	c.Cache().AddEventHandler(&cache.EventHandlerFuncs{
		AddFunc:    func(t string, cur model.Model) { m.event(t, nil, cur) },
		UpdateFunc: func(t string, old, cur model.Model) { m.event(t, old, cur) },
		DeleteFunc: func(t string, old model.Model) { m.event(t, old, nil) },
	})
	if _, err := c.Monitor(cctx, c.NewMonitor(m.cfg.Tables(c)...)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (m *Monitor) event(table string, old, cur model.Model) {
	if m.cfg.Event != nil {
		m.cfg.Event(table, old, cur)
	}
	m.cfg.Poke()
}

// echoFailures is how many echoes in a row must fail before a client
// is called stuck: under a large update burst a single echo can come back
// late or (libovsdb) mismatched while the client is healthy, and replacing
// a client means re-reading the whole database.
const echoFailures = 3

// watch returns when the client is lost or stops answering echoes, or
// when Replace asks for a fresh one (replaced: c is still current and
// healthy).
func (m *Monitor) watch(ctx context.Context, c client.Client) (replaced bool) {
	t := time.NewTicker(m.cfg.Echo)
	defer t.Stop()
	lost := c.DisconnectNotify()
	failed := 0
	for {
		select {
		case <-ctx.Done():
			return false
		case <-m.renew:
			m.cfg.Log.Debug("replacing the client (new monitor conditions); the current one serves until the fresh one is ready")
			return true
		case <-lost:
			m.cfg.Log.Warn("connection lost; reconnecting with a fresh client")
			return false
		case <-t.C:
			ectx, cancel := context.WithTimeout(ctx, m.cfg.Echo)
			err := c.Echo(ectx)
			cancel()
			switch {
			case err == nil || ctx.Err() != nil:
				failed = 0
			case failed+1 < echoFailures:
				failed++
				m.cfg.Log.WithError(err).WithField("failures", failed).Info("echo failed")
			default:
				m.cfg.Log.WithError(err).Warnf("%d echoes in a row failed (stuck client?); replacing it", echoFailures)
				return false
			}
		}
	}
}
