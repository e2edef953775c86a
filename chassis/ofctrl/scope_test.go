package ofctrl

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// scopeOf is the desired flows of one scope.
func scopeOf(es []flows.Entry, s flows.Scope) []flows.Entry {
	var out []flows.Entry
	for _, e := range es {
		if e.Cookie.Scope() == s {
			out = append(out, e)
		}
	}
	return out
}

// A scoped change on a 100k table sends only that scope's flow-mods
// (a modify, a delete and an add in one network, a new network, a flow
// moving its identity from an untouched scope), leaves every other scope
// alone, and ends where a full Sync of the same desired flows would: the
// dump equals them, and a full Sync then sends nothing.
func TestSyncScopesOn100k(t *testing.T) {
	o := startOVS(t)
	o.addBridge("br-int", map[string]int32{"p1": 1, "p5": 5})
	b := o.installer("br-int")
	desired := synthetic(100000)
	mustNoRejection(t, b.sync(t, desired))

	s7 := flows.Scope(7)
	before := scopeOf(desired, s7)
	if len(before) < 3 {
		t.Fatalf("scope 7 has %d flows", len(before))
	}
	var next []flows.Entry
	for _, e := range desired {
		if e.Cookie.Scope() != s7 {
			next = append(next, e)
		}
	}
	after := append([]flows.Entry(nil), before[1:]...) // delete before[0]
	after[0].Actions = "drop"                          // modify
	added := flows.Entry{Key: flows.Key{Table: 60, Priority: 20, Match: "dl_vlan=7,dl_dst=fa:16:3e:ff:ff:07"},
		Cookie: flows.NewCookie(flows.CatLocalPort, flows.PortObject(7, 999)), Actions: "pop_vlan,output:1"}
	after = append(after, added)
	fresh := flows.Entry{Key: flows.Key{Table: 60, Priority: 20, Match: "dl_vlan=4095,dl_dst=fa:16:3e:ff:ff:ff"},
		Cookie: flows.NewCookie(flows.CatNetwork, 5000), Actions: "drop"}
	next = append(append(next, after...), fresh)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := b.SyncScopes(ctx, map[flows.Scope][]flows.Entry{s7: after, 5000: {fresh}})
	if err != nil {
		t.Fatal(err)
	}
	mustNoRejection(t, rep)
	if rep.Added != 2 || rep.Modified != 1 || rep.Deleted != 1 || rep.FlowMods != 4 || rep.ReadBack {
		t.Fatalf("report %+v, want 2 adds, 1 modify, 1 delete and nothing else", rep)
	}
	if b.Installed() != len(next) {
		t.Fatalf("Installed() = %d, want %d", b.Installed(), len(next))
	}
	o.mustMatch("br-int", next)
	if rep := b.sync(t, next); rep.FlowMods != 0 {
		t.Fatalf("full Sync after the scoped one: %+v, want nothing sent", rep)
	}

	// A flow of scope 9 takes the identity a flow of scope 8 holds, with
	// only scope 9 synced: the add replaces it.
	s8 := scopeOf(next, 8)
	moved := s8[0]
	moved.Cookie = flows.NewCookie(flows.CatRemotePort, flows.PortObject(9, 1))
	rep, err = b.SyncScopes(ctx, map[flows.Scope][]flows.Entry{9: append(scopeOf(next, 9), moved)})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Modified != 1 || rep.FlowMods != 1 {
		t.Fatalf("report %+v, want one modify", rep)
	}
	for i := range next {
		if next[i].Key == moved.Key {
			next[i] = moved
		}
	}
	if rep := b.sync(t, next); rep.FlowMods != 0 {
		t.Fatalf("full Sync after the move: %+v, want nothing sent", rep)
	}

	// After a reconnect the installed set is unknown: SyncScopes sends
	// nothing and asks for a full Sync.
	b.Drop()
	b.waitPoke(t)
	for !b.Connected() {
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := b.SyncScopes(ctx, map[flows.Scope][]flows.Entry{s7: after}); !errors.Is(err, ErrStale) {
		t.Fatalf("SyncScopes after a reconnect: %v, want ErrStale", err)
	}
	if rep := b.sync(t, next); !rep.ReadBack || rep.FlowMods != 0 {
		t.Fatalf("full Sync after the reconnect: %+v", rep)
	}
}

// Rejections are per scope: a refused flow of one scope is held (not
// sent again) by a scoped sync of that scope, and kept by a scoped sync
// of another.
func TestSyncScopesRejected(t *testing.T) {
	o := startOVS(t)
	o.addBridge("br-int", map[string]int32{"p1": 1})
	b := o.installer("br-int")
	bad := flows.Entry{Key: flows.Key{Table: 60, Priority: 20, Match: "dl_vlan=3,dl_dst=fa:16:3e:00:00:03"},
		Cookie: flows.NewCookie(flows.CatLocalPort, flows.PortObject(3, 1)), Actions: "output:70000"}
	good := flows.Entry{Key: flows.Key{Table: 60, Priority: 20, Match: "dl_vlan=4,dl_dst=fa:16:3e:00:00:04"},
		Cookie: flows.NewCookie(flows.CatLocalPort, flows.PortObject(4, 1)), Actions: "output:1"}
	b.sync(t, nil)
	ctx := context.Background()
	rep, err := b.SyncScopes(ctx, map[flows.Scope][]flows.Entry{3: {bad}})
	if err != nil || len(rep.Rejected) != 1 {
		t.Fatalf("first: %+v %v, want one rejection", rep, err)
	}
	if rep, err = b.SyncScopes(ctx, map[flows.Scope][]flows.Entry{4: {good}}); err != nil || rep.Added != 1 {
		t.Fatalf("other scope: %+v %v", rep, err)
	}
	if rep, err = b.SyncScopes(ctx, map[flows.Scope][]flows.Entry{3: {bad}}); err != nil || rep.StillRejected != 1 || rep.FlowMods != 0 {
		t.Fatalf("again: %+v %v, want it held", rep, err)
	}
	o.mustMatch("br-int", []flows.Entry{good})
}
