package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/ofctrl"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
	"github.com/dvr-ovn/dvr/schema"
)

var bridges = []string{"br-int", "br-tun"}

// hvFlows are one hypervisor's flows of ours by bridge.
type hvFlows map[string][]flows.Entry

// dumpFlows reads the flows of ours (learned ones aside) that dvr-chassis
// installed on every hypervisor.
func dumpFlows(h *hypervisors) ([]hvFlows, error) {
	out := make([]hvFlows, len(h.hvs))
	err := h.each(func(i int, hv *hvtest.HV) error {
		out[i] = hvFlows{}
		for _, br := range bridges {
			o, err := hv.Ofctl("--no-names", "--no-stats", "dump-flows", br)
			if err != nil {
				return fmt.Errorf("%v: %s", err, o)
			}
			es, err := flows.ParseDump(benchkit.DropOVSLog(o))
			if err != nil {
				return err
			}
			for _, e := range es {
				if e.Cookie.Ours() && !e.Cookie.Learned() {
					out[i][br] = append(out[i][br], e)
				}
			}
		}
		return nil
	})
	return out, err
}

// floorColumn is the work with no control plane: the NB rows written by a
// raw client, the same VM ports plugged, our flow table sent in one
// bundle per bridge per hypervisor on connections opened before the
// clock. Its single changes write the same NB rows raw and send, on every
// hypervisor in parallel, a bundle of as many flows as ours changed there
// per change.
type floorColumn struct {
	cfg         config
	nbs         *benchkit.Server
	nbc         *benchkit.DB
	h           *hypervisors
	of          [][]*ofctrl.Bridge // per hypervisor, per bridge (bridges order)
	installed   []hvFlows          // dvr's flow table, per hypervisor
	portFlows   []int              // flows ours changed per VM port added, per hypervisor
	attachFlows []int              // ... per router interface added
	ls, lr      map[string]string  // NB UUIDs by name
}

func (f *floorColumn) start(ctx context.Context, h *hypervisors) error {
	f.h = h
	var err error
	if f.nbs, err = benchkit.StartServer(schema.NB, false); err != nil {
		return err
	}
	if f.nbc, err = benchkit.Dial(ctx, f.nbs.Endpoint(), "OVN_Northbound"); err != nil {
		return err
	}
	benchkit.OnExit(f.nbc.Close)
	if _, err := f.nbc.Transact(ctx, benchkit.Insert("NB_Global", "", ovsdb.Row{"nb_cfg": 0})); err != nil {
		return err
	}
	// The bridges dvr-chassis makes, and one OpenFlow connection each.
	octx, cancel := context.WithCancel(context.Background())
	benchkit.OnExit(cancel)
	f.of = make([][]*ofctrl.Bridge, len(h.hvs))
	return h.each(func(i int, hv *hvtest.HV) error {
		if out, err := hv.Vsctl("--", "--may-exist", "add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev", "fail_mode=secure",
			"--", "add-br", "br-tun", "--", "set", "Bridge", "br-tun", "datapath_type=netdev", "fail_mode=secure",
			"--", "add-port", "br-int", "patch-tun", "--", "set", "Interface", "patch-tun", "type=patch", "options:peer=patch-int",
			"--", "add-port", "br-tun", "patch-int", "--", "set", "Interface", "patch-int", "type=patch", "options:peer=patch-tun"); err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		for _, br := range bridges {
			b := ofctrl.New(ofctrl.Config{RunDir: hv.RunDir(), Bridge: br})
			go b.Run(octx)
			f.of[i] = append(f.of[i], b)
		}
		return benchkit.WaitFor("floor OpenFlow connections", 5*time.Millisecond, time.Minute, func() (bool, error) {
			return f.of[i][0].Connected() && f.of[i][1].Connected(), nil
		})
	})
}

func (f *floorColumn) build(ctx context.Context, p plan) error {
	if err := fixtures.LoadNB(ctx, f.nbs.Endpoint(), p.topo, 1<<30); err != nil { // one transaction
		return err
	}
	return nil
}

// sync installs our flow table: on every hypervisor, one bundle per
// bridge.
func (f *floorColumn) sync(ctx context.Context) error {
	return f.h.each(func(i int, hv *hvtest.HV) error {
		for k, br := range bridges {
			rep, err := f.of[i][k].Sync(ctx, f.installed[i][br])
			if err != nil {
				return fmt.Errorf("%s: %w", br, err)
			}
			if len(rep.Rejected) > 0 {
				return fmt.Errorf("%s: %d flows rejected, e.g. %v", br, len(rep.Rejected), rep.Rejected[0])
			}
		}
		return nil
	})
}

func (f *floorColumn) nb() *benchkit.DB { return f.nbc }
func (f *floorColumn) setsUp() bool     { return false }

// afterBulk reads the UUIDs its single changes refer to.
func (f *floorColumn) afterBulk(ctx context.Context) error {
	var err error
	if f.ls, err = f.nbc.ByName(ctx, "Logical_Switch", "name"); err != nil {
		return err
	}
	f.lr, err = f.nbc.ByName(ctx, "Logical_Router", "name")
	return err
}

func (f *floorColumn) loadExtras(ctx context.Context, p plan) error {
	var ops []ovsdb.Operation
	for i, e := range p.extras {
		var refs []any
		for k, port := range e.ports {
			n := fmt.Sprintf("x%d_%d", i, k)
			ops = append(ops, benchkit.Insert("Logical_Switch_Port", n, ovsdb.Row{"name": port.Name, "addresses": benchkit.Set(port.Addresses())}))
			refs = append(refs, benchkit.Named(n))
		}
		ops = append(ops, benchkit.Insert("Logical_Switch", "", ovsdb.Row{"name": e.sw, "ports": benchkit.Set(refs...)}))
	}
	if _, err := f.nbc.Transact(ctx, ops...); err != nil {
		return err
	}
	var err error
	if f.ls, err = f.nbc.ByName(ctx, "Logical_Switch", "name"); err != nil {
		return err
	}
	f.lr, err = f.nbc.ByName(ctx, "Logical_Router", "name")
	return err
}

// synthetic are n drop flows in a scope of their own (a network key no
// switch has), one scope per change: what a bundle of n flow-mods costs.
func synthetic(change, n int) map[flows.Scope][]flows.Entry {
	obj := uint64(0xf00000 + change)
	c := flows.NewCookie(flows.CatNetwork, obj)
	es := make([]flows.Entry, n)
	for i := range es {
		es[i] = flows.Entry{Key: flows.Key{Table: 0, Priority: 1,
			Match: fmt.Sprintf("dl_dst=fa:16:3b:%02x:%02x:%02x", byte(change), byte(i>>8), byte(i))}, Cookie: c, Actions: "drop"}
	}
	return map[flows.Scope][]flows.Entry{c.Scope(): es}
}

// bundles sends, on every hypervisor in parallel, one bundle of counts[i]
// flows to br-int.
func (f *floorColumn) bundles(ctx context.Context, change int, counts []int) error {
	return f.h.each(func(i int, hv *hvtest.HV) error {
		_, err := f.of[i][0].SyncScopes(ctx, synthetic(change, counts[i]))
		return err
	})
}

func (f *floorColumn) addPort(ctx context.Context, i int, sp spare) error {
	if _, err := f.nbc.Transact(ctx,
		benchkit.Insert("Logical_Switch_Port", "p", ovsdb.Row{"name": sp.port.Name, "addresses": benchkit.Set(sp.port.Addresses())}),
		benchkit.AddRef("Logical_Switch", f.ls[sp.sw], "ports", benchkit.Named("p"))); err != nil {
		return err
	}
	return f.bundles(ctx, i, f.portFlows)
}

func (f *floorColumn) attach(ctx context.Context, i int, e extra) error {
	if _, err := f.nbc.Transact(ctx,
		benchkit.Insert("Logical_Router_Port", "rp", ovsdb.Row{"name": e.lrp, "mac": e.mac, "networks": benchkit.Set(e.network.String())}),
		benchkit.AddRef("Logical_Router", f.lr[e.router], "ports", benchkit.Named("rp")),
		benchkit.Insert("Logical_Switch_Port", "sp", ovsdb.Row{"name": e.routerLSP, "type": "router",
			"addresses": benchkit.Set("router"), "options": benchkit.OMap("router-port", e.lrp)}),
		benchkit.AddRef("Logical_Switch", f.ls[e.sw], "ports", benchkit.Named("sp"))); err != nil {
		return err
	}
	return f.bundles(ctx, 100+i, f.attachFlows)
}

func (f *floorColumn) memory() []namedMemory { return readMemories(pidName{"nb", f.nbs.P.Pid}) }

func (f *floorColumn) daemons() []int { return nil }
