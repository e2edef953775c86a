package translate_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/dvr-ovn/dvr/northd/translate"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// commitSB plays SB after a commit: PortKeys become the desired keys, and
// the State hears of every key SB gained, moved or lost.
func commitSB(st *translate.State, in translate.Input, out *translate.Output) {
	for name, pk := range in.PortKeys {
		if p, ok := out.Ports[name]; !ok || p.Datapath != pk.Datapath || p.Key != pk.Key {
			old := pk
			st.SetSBKey(name, &old, nil)
			delete(in.PortKeys, name)
		}
	}
	for name, p := range out.Ports {
		if _, ok := in.PortKeys[name]; !ok {
			cur := translate.PortKey{Datapath: p.Datapath, Key: p.Key}
			in.PortKeys[name] = cur
			st.SetSBKey(name, nil, &cur)
		}
	}
}

func sameOutput(t *testing.T, step string, full, inc *translate.Output) {
	t.Helper()
	if !maps.EqualFunc(full.Ports, inc.Ports, func(a, b translate.Port) bool { return reflect.DeepEqual(a, b) }) {
		for n, p := range full.Ports {
			if q, ok := inc.Ports[n]; !ok || !reflect.DeepEqual(p, q) {
				t.Fatalf("%s: port %s: full %+v, incremental %+v", step, n, p, inc.Ports[n])
			}
		}
		for n := range inc.Ports {
			if _, ok := full.Ports[n]; !ok {
				t.Fatalf("%s: port %s only in the incremental output", step, n)
			}
		}
	}
	if !maps.Equal(full.Hosting, inc.Hosting) {
		t.Fatalf("%s: hosting full %v incremental %v", step, full.Hosting, inc.Hosting)
	}
	if !maps.Equal(full.LSPUp, inc.LSPUp) {
		t.Fatalf("%s: LSP.up full %v incremental %v", step, full.LSPUp, inc.LSPUp)
	}
	if !slices.Equal(full.Problems, inc.Problems) {
		t.Fatalf("%s: problems full %v incremental %v", step, full.Problems, inc.Problems)
	}
	if !maps.Equal(full.DVRMACs, inc.DVRMACs) || !maps.Equal(full.Datapaths, inc.Datapaths) {
		t.Fatalf("%s: MACs or datapaths differ", step)
	}
}

// TestIncrementalEqualsRecompute applies random port-level changes both
// ways (incrementally on a kept State, and by a full translation of the
// same input) and requires identical outputs after every step.
func TestIncrementalEqualsRecompute(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			topo := fixtures.MustGenerate(2, 3, 6, 4)
			in := inputOf(topo.NBRows())
			in.Chassis = topo.Chassis
			st := translate.NewState(in)
			commitSB(st, in, st.Output())
			var switches []string
			for u := range in.Switches {
				switches = append(switches, u)
			}
			slices.Sort(switches)
			fallbacks, applied := 0, 0
			for step := 0; step < 300; step++ {
				var vms []string
				for u, p := range in.SwitchPorts {
					if p.Type == "" {
						vms = append(vms, u)
					}
				}
				slices.Sort(vms)
				var ch translate.PortChange
				switch op := rng.IntN(6); {
				case op == 0 || len(vms) == 0: // add a port (sometimes with a bad or duplicate address)
					sw := switches[rng.IntN(len(switches))]
					u := fmt.Sprintf("new%d", step)
					name := fmt.Sprintf("p%03d", step)
					addr := fmt.Sprintf("fa:16:3e:77:%02x:%02x 10.%d.%d.%d", step/256, step%256, rng.IntN(1), rng.IntN(6), 100+rng.IntN(100))
					switch rng.IntN(8) {
					case 0:
						addr = "fa:16:3e:zz:00:01 10.0.0.1"
					case 1: // the network or broadcast address of a subnet (nbvalid.VMOnSubnets)
						addr = fmt.Sprintf("fa:16:3e:77:%02x:%02x 10.0.%d.%d", step/256, step%256, rng.IntN(6), 255*rng.IntN(2))
					}
					in.SwitchPorts[u] = &translate.SwitchPort{UUID: u, Name: name, Addresses: []string{addr}}
					in.Switches[sw].Ports = append(slices.Clone(in.Switches[sw].Ports), u)
					ch = translate.PortChange{Name: name, UUID: u, Switch: sw}
				case op == 1: // remove a port
					u := vms[rng.IntN(len(vms))]
					name := in.SwitchPorts[u].Name
					for _, sw := range switches {
						in.Switches[sw].Ports = slices.DeleteFunc(slices.Clone(in.Switches[sw].Ports), func(x string) bool { return x == u })
					}
					delete(in.SwitchPorts, u)
					delete(in.Claims, name)
					ch = translate.PortChange{Name: name, OldUUID: u}
				case op == 2: // change addresses
					u := vms[rng.IntN(len(vms))]
					p := *in.SwitchPorts[u]
					p.Addresses = []string{fmt.Sprintf("fa:16:3e:88:%02x:%02x 10.0.%d.%d", step/256, step%256, rng.IntN(6), 50+rng.IntN(40))}
					in.SwitchPorts[u] = &p
					ch = translate.PortChange{Name: p.Name, UUID: u, Switch: switchOf(in, u), OldUUID: u}
				default: // claim, move or release
					u := vms[rng.IntN(len(vms))]
					name := in.SwitchPorts[u].Name
					if rng.IntN(3) == 0 {
						delete(in.Claims, name)
					} else {
						in.Claims[name] = translate.Claim{Chassis: topo.Chassis[rng.IntN(len(topo.Chassis))], Up: rng.IntN(2) == 0}
					}
					ch = translate.PortChange{Name: name, UUID: u, Switch: switchOf(in, u), OldUUID: u}
				}
				if _, why := st.ApplyPorts([]translate.PortChange{ch}); why != "" {
					fallbacks++
					st = translate.NewState(in)
				} else {
					applied++
				}
				full := translate.NewState(in)
				sameOutput(t, fmt.Sprintf("step %d (%+v)", step, ch), full.Output(), st.Output())
				commitSB(st, in, st.Output())
			}
			if applied < 150 {
				t.Fatalf("only %d of 300 steps went the incremental way (%d fell back)", applied, fallbacks)
			}
		})
	}
}

func switchOf(in translate.Input, lsp string) string {
	for u, s := range in.Switches {
		if slices.Contains(s.Ports, lsp) {
			return u
		}
	}
	return ""
}
