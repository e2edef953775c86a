package ofctrl

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// Config is one bridge's installer.
type Config struct {
	// RunDir is OVS's run directory; the bridge's mgmt socket is
	// RunDir/<Bridge>.mgmt.
	RunDir string
	Bridge string
	Log    logrus.FieldLogger
	// Poke is called after every (re)connect: the caller should Sync
	// soon (the switch may have restarted and lost its flows).
	Poke func()
	// EchoInterval is how long the line may be idle before an echo
	// request; the connection is dropped after 3 idle intervals.
	// Default 5s.
	EchoInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait between connection
	// attempts (doubling from Min). Defaults 100ms and 2s.
	MinBackoff, MaxBackoff time.Duration
}

// Bridge installs one bridge's flows over a persistent OpenFlow 1.3
// connection. Run keeps the connection; Sync makes the bridge's flows of
// ours equal to the desired ones. Safe for concurrent use; Syncs run one
// at a time.
type Bridge struct {
	cfg Config

	mu      sync.Mutex
	cur     *conn
	gen     uint64 // counts connections; the installed set belongs to one
	lastErr error

	syncMu sync.Mutex
	st     state  // under syncMu
	hash   hasher // the installed set's hash seeds

	installed atomic.Int64
	flowMods  atomic.Uint64
}

// New returns the installer of cfg.Bridge; it connects once Run runs.
func New(cfg Config) *Bridge {
	if cfg.Log == nil {
		l := logrus.New()
		l.SetLevel(logrus.WarnLevel)
		cfg.Log = l
	}
	if cfg.Poke == nil {
		cfg.Poke = func() {}
	}
	if cfg.EchoInterval <= 0 {
		cfg.EchoInterval = 5 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(2*time.Second, cfg.MinBackoff)
	}
	cfg.Log = cfg.Log.WithField("bridge", cfg.Bridge)
	return &Bridge{cfg: cfg, lastErr: errors.New("not connected yet"), hash: newHasher()}
}

// Socket is the mgmt socket Run dials.
func (b *Bridge) Socket() string { return filepath.Join(b.cfg.RunDir, b.cfg.Bridge+".mgmt") }

// Run keeps a connection to the bridge until ctx ends: it dials, calls
// Poke once connected, and redials with backoff whenever the connection
// fails or cannot be made.
func (b *Bridge) Run(ctx context.Context) {
	backoff := b.cfg.MinBackoff
	for ctx.Err() == nil {
		c, err := dial(ctx, b.Socket(), b.cfg.Bridge, b.cfg.EchoInterval, b.cfg.Log)
		if err != nil {
			b.setErr(err)
			b.cfg.Log.WithError(err).Debug("OpenFlow connection failed")
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, b.cfg.MaxBackoff)
			continue
		}
		backoff = b.cfg.MinBackoff
		b.mu.Lock()
		b.cur, b.gen = c, b.gen+1
		b.mu.Unlock()
		b.cfg.Log.Info("OpenFlow 1.3 connection up")
		b.cfg.Poke()
		select {
		case <-ctx.Done():
			c.close()
		case <-c.done:
		}
		<-c.done
		b.mu.Lock()
		b.cur, b.lastErr = nil, c.err
		b.mu.Unlock()
		if ctx.Err() == nil {
			b.cfg.Log.WithError(c.err).Warn("OpenFlow connection lost; reconnecting")
		}
	}
}

func (b *Bridge) setErr(err error) {
	b.mu.Lock()
	b.lastErr = err
	b.mu.Unlock()
}

// Connected reports whether the connection is up.
func (b *Bridge) Connected() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cur != nil
}

// Installed is the number of our flows believed installed (learned flows
// not counted).
func (b *Bridge) Installed() int { return int(b.installed.Load()) }

// FlowMods is the number of flow-mods sent since New.
func (b *Bridge) FlowMods() uint64 { return b.flowMods.Load() }

// Drop closes the current connection (Run reconnects): for tests and an
// operator's "resync" command.
func (b *Bridge) Drop() {
	b.mu.Lock()
	c := b.cur
	b.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// current is the connection and its generation, or an error saying why
// there is none.
func (b *Bridge) current() (*conn, uint64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cur == nil {
		return nil, 0, fmt.Errorf("bridge %s: not connected: %w", b.cfg.Bridge, b.lastErr)
	}
	return b.cur, b.gen, nil
}

// state is what Sync believes is installed, for one connection.
type state struct {
	gen uint64 // 0: unknown, read back before the next Sync
	// installed are the flows of ours on the bridge, one compact record
	// each (installed.go), by identity.
	installed map[flowID]instFlow
	// scopes indexes installed by its cookies' scope (scope.go).
	scopes map[flows.Scope]map[flowID]struct{}
	// rejected are desired flows OVS refused, not sent again while they
	// stay desired unchanged.
	rejected map[flows.Key]flows.Entry
}

func (s *state) reset() { *s = state{} }
