package northd

import (
	"context"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/ovn-org/libovsdb/cache"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
)

// monitored keeps one libovsdb client with one monitor alive. It does not
// use libovsdb's own reconnect: after a reconnect that cache is purged and
// refilled while readers may look, and with WithLeaderOnly it can
// deadlock. Instead a lost or stuck client (an Echo watchdog) is replaced
// by a fresh one, and readers see only clients whose initial dump is done.
type monitored struct {
	cfg     ovsdbconn.Config
	model   model.ClientDBModel
	tables  func(c client.Client) []client.MonitorOption
	log     *logrus.Entry
	poke    func()
	event   func(table string, old, cur model.Model)
	echo    time.Duration // watchdog period; the reply must come within it
	mu      sync.Mutex
	current client.Client
	gen     int // bumped at every fresh client, so rounds know to recompute
}

// get returns the ready client, if any, and its generation.
func (m *monitored) get() (client.Client, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.current, m.gen
}

func (m *monitored) set(c client.Client) {
	m.mu.Lock()
	old := m.current
	m.current = c
	if c != nil {
		m.gen++
	}
	m.mu.Unlock()
	if old != nil && old != c {
		// A round may still be reading the old cache: close it a little
		// later rather than under that read.
		time.AfterFunc(closeGrace, old.Close)
	}
	m.poke()
}

// closeGrace is how long a replaced client lives on before it is closed.
const closeGrace = 10 * time.Second

// reset drops the current client; run connects a fresh one.
func (m *monitored) reset() {
	m.mu.Lock()
	c := m.current
	m.mu.Unlock()
	if c != nil {
		c.Close()
	}
}

// run keeps a client until ctx ends.
func (m *monitored) run(ctx context.Context) {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 100 * time.Millisecond
	bo.MaxInterval = 5 * time.Second
	bo.MaxElapsedTime = 0
	for ctx.Err() == nil {
		c, err := m.connect(ctx)
		if err != nil {
			wait := bo.NextBackOff()
			m.log.WithError(err).WithField("retry_in", wait.String()).Warn("cannot connect")
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			continue
		}
		bo.Reset()
		m.log.WithField("endpoint", c.CurrentEndpoint()).Info("connected and monitoring")
		m.set(c)
		m.watch(ctx, c)
		if ctx.Err() != nil { // shutting down: close at once
			m.mu.Lock()
			m.current = nil
			m.mu.Unlock()
			c.Close()
			return
		}
		m.set(nil)
	}
}

func (m *monitored) connect(ctx context.Context) (client.Client, error) {
	c, err := m.cfg.NewClient(m.model)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := c.Connect(cctx); err != nil {
		return nil, err
	}
	c.Cache().AddEventHandler(&cache.EventHandlerFuncs{
		AddFunc:    func(t string, cur model.Model) { m.event(t, nil, cur); m.poke() },
		UpdateFunc: func(t string, old, cur model.Model) { m.event(t, old, cur); m.poke() },
		DeleteFunc: func(t string, old model.Model) { m.event(t, old, nil); m.poke() },
	})
	if _, err := c.Monitor(cctx, c.NewMonitor(m.tables(c)...)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// echoFailures is how many echoes in a row must fail before a client
// is called stuck: under a large update burst a single echo can come back
// late or (libovsdb) mismatched while the client is healthy, and replacing
// a client means re-reading the whole database.
const echoFailures = 3

// watch returns when the client is lost or stops answering echoes.
func (m *monitored) watch(ctx context.Context, c client.Client) {
	t := time.NewTicker(m.echo)
	defer t.Stop()
	lost := c.DisconnectNotify()
	failed := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-lost:
			m.log.Warn("connection lost; reconnecting with a fresh client")
			return
		case <-t.C:
			ectx, cancel := context.WithTimeout(ctx, m.echo)
			err := c.Echo(ectx)
			cancel()
			switch {
			case err == nil || ctx.Err() != nil:
				failed = 0
			case failed+1 < echoFailures:
				failed++
				m.log.WithError(err).WithField("failures", failed).Info("echo failed")
			default:
				m.log.WithError(err).Warnf("%d echoes in a row failed (stuck client?); replacing it", echoFailures)
				return
			}
		}
	}
}
