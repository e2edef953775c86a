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
	var want []flows.Entry
	for _, es := range desired {
		want = append(want, es...)
	}
	// A desired flow whose identity another scope's flow holds is a
	// modify (the add replaces it) unless equal; only the desired scopes'
	// flows are deleted.
	ch := b.st.diff(b.hash, want, func(s flows.Scope) bool { _, ok := desired[s]; return ok })
	rep.Conflicts = ch.conflicts
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

// Diff is what a Sync of desired would change, sent nowhere: for a
// caller's check against a full recompute (while the installed set is
// unknown, every desired flow is an add). A deletion's entry shows the
// installed flow's match in wire form (its text is not kept).
func (b *Bridge) Diff(desired []flows.Entry) flows.Changes {
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	st := b.st
	if st.gen == 0 {
		st = state{}
	}
	ch := st.diff(b.hash, desired, nil)
	out := flows.Changes{Conflicts: ch.conflicts}
	for _, x := range ch.add {
		out.Add = append(out.Add, x.e)
	}
	for _, x := range ch.modify {
		out.Modify = append(out.Modify, x.e)
	}
	for _, d := range ch.del {
		out.Delete = append(out.Delete, d.f.entry())
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
