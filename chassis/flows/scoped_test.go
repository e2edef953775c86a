package flows

import (
	"reflect"
	"testing"
)

// Compute is the oracle: the global flows and every present network's
// flows, computed apart (the network's with only its own ports in the
// input), are Compute's, scope by scope, and so are the skips.
func TestComputeNetworksIsCompute(t *testing.T) {
	type named struct {
		name string
		in   Input
	}
	var cases []named
	s := seed()
	for _, ch := range chassisNames(s) {
		cases = append(cases, named{"seed/" + ch, s.input(ch)})
	}
	cases = append(cases, named{"bench/hv0", benchTopo(3, 4).input("hv0")}, named{"small", small()})
	for _, c := range cases {
		full := Compute(c.in)
		var keys []uint32
		for _, n := range c.in.Networks {
			keys = append(keys, n.Key)
		}
		gi, gt := ComputeGlobal(c.in)
		sc := ComputeNetworks(c.in, keys)
		for _, br := range []struct {
			want []Flow
			glob []Entry
			nets map[Scope][]Entry
		}{{full.Int, gi, sc.Int}, {full.Tun, gt, sc.Tun}} {
			want := ByScope(Entries(br.want))
			got := map[Scope][]Entry{}
			if len(br.glob) > 0 {
				got[ScopeGlobal] = br.glob
			}
			for s, es := range br.nets {
				if len(es) > 0 {
					got[s] = es
				}
			}
			if !reflect.DeepEqual(want, got) {
				t.Fatalf("%s: scoped flows differ from Compute's", c.name)
			}
		}
		if len(sc.Skipped) != len(full.Skipped) {
			t.Fatalf("%s: skips %v, Compute's %v", c.name, sc.Skipped, full.Skipped)
		}
		// One network alone, its ports only in the input.
		for _, k := range keys {
			in := c.in
			in.Interfaces, in.LocalPorts, in.RemotePorts = nil, nil, nil
			for _, i := range c.in.Interfaces {
				if i.Network == k {
					in.Interfaces = append(in.Interfaces, i)
				}
			}
			for _, p := range c.in.LocalPorts {
				if p.Network == k {
					in.LocalPorts = append(in.LocalPorts, p)
				}
			}
			for _, p := range c.in.RemotePorts {
				if p.Network == k {
					in.RemotePorts = append(in.RemotePorts, p)
				}
			}
			one := ComputeNetworks(in, []uint32{k})
			if !reflect.DeepEqual(one.Int[Scope(k)], sc.Int[Scope(k)]) || !reflect.DeepEqual(one.Tun[Scope(k)], sc.Tun[Scope(k)]) {
				t.Fatalf("%s: network %d computed alone differs", c.name, k)
			}
		}
	}
	// A network that is not present gets an empty scope.
	if sc := ComputeNetworks(small(), []uint32{999}); len(sc.Int) != 1 || len(sc.Int[999]) != 0 {
		t.Fatalf("absent network: %+v", sc.Int)
	}
}
