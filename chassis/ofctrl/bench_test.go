package ofctrl

import (
	"context"
	"fmt"
	"testing"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// synthetic is n distinct flows of the shapes br-int holds most of
// (TRANSIENT's direct-to-VM and toward-tunnel flows), all ours.
func synthetic(n int) []flows.Entry {
	es := make([]flows.Entry, n)
	for i := range es {
		vlan, host := 1+i%4094, i/4094
		mac := fmt.Sprintf("fa:16:3e:%02x:%02x:%02x", byte(host>>8), byte(host), byte(vlan))
		c := flows.NewCookie(flows.CatRemotePort, flows.PortObject(uint32(vlan), uint16(host)))
		if i%2 == 0 {
			es[i] = flows.Entry{Key: flows.Key{Table: 60, Priority: 20, Match: fmt.Sprintf("dl_vlan=%d,dl_dst=%s", vlan, mac)},
				Cookie: c, Actions: "pop_vlan,output:5"}
		} else {
			es[i] = flows.Entry{Key: flows.Key{Table: 60, Priority: 15, Match: fmt.Sprintf("reg6=%#x,dl_dst=%s", vlan, mac)},
				Cookie: c, Actions: fmt.Sprintf("push_vlan:0x8100,set_field:%d->vlan_vid,output:1", vlan|0x1000)}
		}
	}
	return es
}

// BenchmarkSyncCold: Sync of n flows into an empty bridge (a read-back of
// nothing, then one bundle of n adds).
func BenchmarkSyncCold(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			o := startOVS(b)
			o.addBridge("br-int", map[string]int32{"p1": 1, "p5": 5})
			in := o.installer("br-int")
			desired := synthetic(n)
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				o.ofctl("del-flows", "br-int")
				in.Drop()
				in.waitPoke(b)
				b.StartTimer()
				rep := in.sync(b, desired)
				if rep.Added != n {
					b.Fatalf("report %+v", rep)
				}
			}
		})
	}
}

// BenchmarkSyncOneChange: one flow's actions change on a bridge of 100k
// flows of ours (one bundle of one flow-mod, after a Diff of 100k).
func BenchmarkSyncOneChange(b *testing.B) {
	o := startOVS(b)
	o.addBridge("br-int", map[string]int32{"p1": 1, "p5": 5})
	in := o.installer("br-int")
	desired := synthetic(100000)
	in.sync(b, desired)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			desired[0].Actions = "drop"
		} else {
			desired[0].Actions = "pop_vlan,output:5"
		}
		if rep := in.sync(b, desired); rep.Modified != 1 || rep.FlowMods != 1 {
			b.Fatalf("report %+v", rep)
		}
	}
}

// BenchmarkReadBack: a reconnect's read-back of 100k flows of ours (all
// equal to the desired ones: nothing sent).
func BenchmarkReadBack(b *testing.B) {
	o := startOVS(b)
	o.addBridge("br-int", map[string]int32{"p1": 1, "p5": 5})
	in := o.installer("br-int")
	desired := synthetic(100000)
	in.sync(b, desired)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		in.Drop()
		in.waitPoke(b)
		b.StartTimer()
		if rep := in.sync(b, desired); !rep.ReadBack || rep.FlowMods != 0 {
			b.Fatalf("report %+v", rep)
		}
	}
}

// BenchmarkSyncScopesOneChange: BenchmarkSyncOneChange through SyncScopes:
// one flow's actions change and only its scope (about 25 of the 100k
// flows) is diffed.
func BenchmarkSyncScopesOneChange(b *testing.B) {
	o := startOVS(b)
	o.addBridge("br-int", map[string]int32{"p1": 1, "p5": 5})
	in := o.installer("br-int")
	desired := synthetic(100000)
	in.sync(b, desired)
	s := desired[0].Cookie.Scope()
	scope := scopeOf(desired, s)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			scope[0].Actions = "drop"
		} else {
			scope[0].Actions = "pop_vlan,output:5"
		}
		rep, err := in.SyncScopes(ctx, map[flows.Scope][]flows.Entry{s: scope})
		if err != nil || rep.Modified != 1 || rep.FlowMods != 1 {
			b.Fatalf("report %+v %v", rep, err)
		}
	}
}
