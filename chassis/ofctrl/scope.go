package ofctrl

import (
	"context"
	"errors"
	"time"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// ErrStale is SyncScopes' answer when the installed set is unknown (a
// fresh connection, or a failed Sync): a full Sync must read it back
// first.
var ErrStale = errors.New("installed flows unknown (fresh connection or failed sync): a full Sync is needed")

// SyncScopes is Sync restricted to some scopes (flows.Cookie.Scope): the
// flows of ours installed in those scopes become desired[scope], and
// every other scope is left as it is, so a change on one network costs
// that network's flows, not the table's. Each entry of desired[s] must
// have a cookie of scope s. A desired flow whose identity a flow of
// another scope holds replaces it (OpenFlow holds one flow per identity).
// Bundle, acknowledgement and rejection semantics are Sync's; it returns
// ErrStale, sending nothing, when a full Sync must read back first.
func (b *Bridge) SyncScopes(ctx context.Context, desired map[flows.Scope][]flows.Entry) (Report, error) {
	start := time.Now()
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	rep, err := b.syncScopes(ctx, desired)
	if err != nil && !errors.Is(err, ErrStale) {
		b.st.reset()
	}
	b.installed.Store(int64(len(b.st.installed)))
	rep.Duration = time.Since(start)
	return rep, err
}

func (b *Bridge) syncScopes(ctx context.Context, desired map[flows.Scope][]flows.Entry) (Report, error) {
	var rep Report
	c, gen, err := b.current()
	if err != nil {
		return rep, err
	}
	if b.st.gen != gen {
		return rep, ErrStale
	}
	var want, have []flows.Entry
	for s, es := range desired {
		want = append(want, es...)
		for k := range b.st.scopes[s] {
			have = append(have, b.st.installed[k])
		}
	}
	ch := flows.Diff(want, have)
	add := ch.Add[:0]
	for _, e := range ch.Add {
		switch h, ok := b.st.installed[e.Key]; {
		case !ok:
			add = append(add, e)
		case h != e:
			ch.Modify = append(ch.Modify, e) // another scope's flow: the add replaces it
		}
	}
	ch.Add = add
	rep.Conflicts = ch.Conflicts
	ops, held := b.plan(ch, &rep)
	for k, e := range b.st.rejected {
		if _, ok := desired[e.Cookie.Scope()]; ok {
			delete(b.st.rejected, k)
		}
	}
	for k, e := range held {
		b.st.rejected[k] = e
	}
	return rep, b.send(ctx, c, ops, &rep)
}

// index builds the scope index of the installed set.
func (s *state) index() {
	s.scopes = map[flows.Scope]map[flows.Key]struct{}{}
	for k, e := range s.installed {
		s.scopeSet(e.Cookie.Scope())[k] = struct{}{}
	}
}

func (s *state) scopeSet(sc flows.Scope) map[flows.Key]struct{} {
	m := s.scopes[sc]
	if m == nil {
		m = map[flows.Key]struct{}{}
		s.scopes[sc] = m
	}
	return m
}

// put records e as installed (replacing the flow of its identity).
func (s *state) put(e flows.Entry) {
	if old, ok := s.installed[e.Key]; ok && old.Cookie.Scope() != e.Cookie.Scope() {
		s.unindex(old)
	}
	s.installed[e.Key] = e
	s.scopeSet(e.Cookie.Scope())[e.Key] = struct{}{}
}

// drop records the flow of identity k as gone.
func (s *state) drop(k flows.Key) {
	if old, ok := s.installed[k]; ok {
		s.unindex(old)
		delete(s.installed, k)
	}
}

func (s *state) unindex(e flows.Entry) {
	sc := e.Cookie.Scope()
	if m := s.scopes[sc]; m != nil {
		delete(m, e.Key)
		if len(m) == 0 {
			delete(s.scopes, sc)
		}
	}
}

// InstalledEntries is a copy of the flows of ours believed installed
// (nil while unknown), for a caller's check against a full recompute.
func (b *Bridge) InstalledEntries() []flows.Entry {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	if b.st.gen == 0 {
		return nil
	}
	out := make([]flows.Entry, 0, len(b.st.installed))
	for _, e := range b.st.installed {
		out = append(out, e)
	}
	return out
}

// Stale reports whether the installed set is unknown (no connection, or
// a fresh one not read back yet): SyncScopes would answer ErrStale, and a
// caller should run a full Sync.
func (b *Bridge) Stale() bool {
	_, gen, err := b.current()
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	return err != nil || b.st.gen != gen
}
