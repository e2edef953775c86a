package ovsdbmon

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/ovn-org/libovsdb/cache"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
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
	// seen is the highest RAFT index a member we read from had applied,
	// and offset where the next connect starts in the endpoint list; both
	// only for Run's goroutine (see connect).
	seen   int64
	offset int
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
		c, probe, err := m.connect(ctx)
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
		replaced = m.watch(ctx, c, probe)
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

// connect makes a fresh client on the first member that will do,
// starting after the last one refused. A RAFT member will do only when it
// is connected to its cluster and has applied at least every change a
// member this monitor read before had (_Server's connected and index, as
// OVSDB's own client library checks): a member just restarted, or cut
// off from the majority, still serves its old data, and a view older than
// one already seen would make its reader undo what it saw (dvr-northd
// would "correct" the SB from it). Such a member is left for the next
// one in the list.
func (m *Monitor) connect(ctx context.Context) (client.Client, *ovsdbrpc.Conn, error) {
	conf := m.cfg.Conn
	eps, err := ovsdbrpc.ParseEndpoints(conf.Endpoints)
	if err != nil {
		return nil, nil, err
	}
	conf.Endpoints = strings.Join(rotate(eps, m.offset), ",")
	c, err := conf.NewClient(m.cfg.Model)
	if err != nil {
		return nil, nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := c.Connect(cctx); err != nil {
		return nil, nil, err
	}
	ep := c.CurrentEndpoint()
	probe, st, err := m.probe(cctx, eps, ep)
	if err != nil {
		c.Close()
		m.skip(eps, ep)
		return nil, nil, err
	}
	if st.Clustered && (!st.Connected || st.Index < m.seen) {
		probe.Close()
		c.Close()
		m.skip(eps, ep)
		if !st.Connected {
			return nil, nil, fmt.Errorf("%s is not connected to its cluster (stale data): trying another member", ep)
		}
		return nil, nil, fmt.Errorf("%s is behind (RAFT index %d, already seen %d): trying another member", ep, st.Index, m.seen)
	}
	c.Cache().AddEventHandler(&cache.EventHandlerFuncs{
		AddFunc:    func(t string, cur model.Model) { m.event(t, nil, cur) },
		UpdateFunc: func(t string, old, cur model.Model) { m.event(t, old, cur) },
		DeleteFunc: func(t string, old model.Model) { m.event(t, old, nil) },
	})
	if _, err := c.Monitor(cctx, c.NewMonitor(m.cfg.Tables(c)...)); err != nil {
		probe.Close()
		c.Close()
		return nil, nil, err
	}
	m.seen = max(m.seen, st.Index)
	return c, probe, nil
}

// probe opens a session of our own to the client's member and reads its
// _Server state there (a server that has no _Server counts as
// standalone).
func (m *Monitor) probe(ctx context.Context, eps []string, ep string) (*ovsdbrpc.Conn, ovsdbrpc.Member, error) {
	tc, err := ovsdbrpc.TLSFor(eps, m.cfg.Conn.PrivateKey, m.cfg.Conn.Certificate, m.cfg.Conn.CACert)
	if err != nil {
		return nil, ovsdbrpc.Member{}, err
	}
	p, err := ovsdbrpc.Dial(ctx, ep, tc, nil)
	if err != nil {
		return nil, ovsdbrpc.Member{}, err
	}
	st, err := p.MemberState(ctx, m.cfg.Model.Name())
	if err != nil && p.Err() == nil {
		// It answered, but has no _Server row for us (libovsdb's
		// in-memory server): standalone.
		return p, ovsdbrpc.Member{}, nil
	}
	if err != nil {
		p.Close()
		return nil, ovsdbrpc.Member{}, err
	}
	return p, st, nil
}

// skip makes the next connect start after ep.
func (m *Monitor) skip(eps []string, ep string) {
	for i, e := range eps {
		if e == ep {
			m.offset = (i + 1) % len(eps)
			return
		}
	}
}

func rotate(eps []string, by int) []string {
	if len(eps) == 0 {
		return eps
	}
	by %= len(eps)
	return append(append([]string(nil), eps[by:]...), eps[:by]...)
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
//
// With every echo it also reads the member's _Server state: the highest
// index seen is what a next member must have reached, and a member cut
// off from its cluster for as many checks as echoes may fail is left for
// another (its data no longer moves).
func (m *Monitor) watch(ctx context.Context, c client.Client, probe *ovsdbrpc.Conn) (replaced bool) {
	t := time.NewTicker(m.cfg.Echo)
	defer t.Stop()
	defer probe.Close()
	lost := c.DisconnectNotify()
	failed, cut := 0, 0
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
			if st, perr := probe.MemberState(ectx, m.cfg.Model.Name()); perr == nil && st.Clustered {
				m.seen = max(m.seen, st.Index)
				if st.Connected {
					cut = 0
				} else if cut++; cut >= echoFailures {
					cancel()
					ep := c.CurrentEndpoint()
					m.cfg.Log.WithField("member", ep).Warn("the member is cut off from its cluster (its data no longer moves); moving to another")
					if eps, err := ovsdbrpc.ParseEndpoints(m.cfg.Conn.Endpoints); err == nil {
						m.skip(eps, ep)
					}
					return false
				}
			}
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
