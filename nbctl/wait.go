package nbctl

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// cfgs is what --wait watches in NB_Global.
type cfgs struct {
	NbCfg int `json:"nb_cfg"`
	SbCfg int `json:"sb_cfg"`
	HvCfg int `json:"hv_cfg"`
}

// reached reports whether the barrier for cfg is passed: northd committed
// it to SB (sb), and every chassis applied it (hv).
func reached(g cfgs, mode string, cfg int) bool {
	if g.SbCfg < cfg {
		return false
	}
	return mode != "hv" || g.HvCfg >= cfg
}

// watcher follows NB_Global through a monitor on the command's session.
type watcher struct {
	mu    sync.Mutex
	start cfgs // when the wait began
	last  cfgs
	wake  chan struct{}
}

func newWatcher() *watcher { return &watcher{wake: make(chan struct{}, 1)} }

// tableUpdate is the NB_Global part of a monitor reply or "update".
type tableUpdate map[string]map[string]struct {
	New *cfgs `json:"new"`
}

func (w *watcher) apply(u tableUpdate) {
	w.mu.Lock()
	// The monitor's reply and the first updates after it race (updates
	// are applied on the reader goroutine, the reply by the caller), so
	// keep the highest of each counter: they only grow.
	for _, r := range u[nbdb.NBGlobalTable] {
		if r.New != nil {
			w.last.NbCfg = max(w.last.NbCfg, r.New.NbCfg)
			w.last.SbCfg = max(w.last.SbCfg, r.New.SbCfg)
			w.last.HvCfg = max(w.last.HvCfg, r.New.HvCfg)
		}
	}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// notify receives the session's notifications.
func (w *watcher) notify(method string, params json.RawMessage) {
	if method != "update" {
		return
	}
	var p []json.RawMessage
	if json.Unmarshal(params, &p) != nil || len(p) != 2 {
		return
	}
	var u tableUpdate
	if json.Unmarshal(p[1], &u) == nil {
		w.apply(u)
	}
}

// wait watches NB_Global alone until the barrier for cfg is passed (o.Wait
// says which). When ctx expires first, the error says who is behind.
// When the session is lost (the member it is on was killed or left the
// cluster), redial (nil: none) gives another, and the watch goes on
// there: counters only grow, so the fresh monitor's first look carries
// on from where the last left off. Only when no session can be had is
// the loss an error.
func (w *watcher) wait(ctx context.Context, c *ovsdbrpc.Conn, o Options, cfg int, redial func(context.Context) (*ovsdbrpc.Conn, error)) error {
	mode := o.Wait
	if err := w.watch(ctx, c); err != nil {
		if ctx.Err() != nil { // timed out before the first look: no "during the wait"
			f := gatherFacts(c, o, cfg, cfgs{}, cfgs{})
			f.start = f.last
			return &waitError{msg: explainWait(f), err: ctx.Err()}
		}
		return fmt.Errorf("cannot watch NB_Global: %w", err)
	}
	w.mu.Lock()
	w.start = w.last
	w.mu.Unlock()
	orig := c
	defer func() {
		if c != orig {
			c.Close()
		}
	}()
	for {
		w.mu.Lock()
		last := w.last
		w.mu.Unlock()
		if reached(last, mode, cfg) {
			return nil
		}
		select {
		case <-w.wake:
		case <-c.Done():
			lost := c.Err()
			if redial == nil {
				return fmt.Errorf("lost the database while waiting: %v", lost)
			}
			nc, err := redial(ctx)
			if err == nil {
				if err = w.watch(ctx, nc); err != nil {
					nc.Close()
				}
			}
			if err != nil {
				if ctx.Err() != nil {
					return &waitError{msg: fmt.Sprintf("lost the database while waiting (%v) and found no other member in time", lost), err: ctx.Err()}
				}
				return fmt.Errorf("lost the database while waiting: %v; no other member: %w", lost, err)
			}
			if c != orig {
				c.Close()
			}
			c = nc
		case <-ctx.Done():
			w.mu.Lock()
			start := w.start
			w.mu.Unlock()
			return &waitError{msg: explainWait(gatherFacts(c, o, cfg, start, last)), err: ctx.Err()}
		}
	}
}

// watch starts the NB_Global monitor on c and applies its first look.
func (w *watcher) watch(ctx context.Context, c *ovsdbrpc.Conn) error {
	req := map[string]any{nbdb.NBGlobalTable: map[string]any{"columns": []string{"nb_cfg", "sb_cfg", "hv_cfg"}}}
	var initial tableUpdate
	if err := c.Call(ctx, "monitor", []any{nbDatabase, "nbcfg", req}, &initial); err != nil {
		return err
	}
	w.apply(initial)
	return nil
}

// waitError is a timed-out wait: its message says who is behind, and it
// unwraps to the context's error (which the message does not repeat).
type waitError struct {
	msg string
	err error
}

func (e *waitError) Error() string { return e.msg }
func (e *waitError) Unwrap() error { return e.err }
