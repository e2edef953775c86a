package main

import (
	"context"
	"fmt"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// change is one single change's timings.
type change struct {
	plug     time.Duration // the OVS plug (ovs-vsctl add-port, waiting for ovs-vswitchd) where there is one
	e2e      time.Duration // our commit (or the plug's return) → its acknowledgement seen
	inside   time.Duration // the rounds it caused: the sum of their durations (dvr_chassis_round_duration_seconds)
	rounds   int
	flowMods map[string]int
}

type changeSet struct {
	kind    string
	samples []change
}

func (cs changeSet) pick(f func(change) time.Duration) benchkit.Samples {
	var s benchkit.Samples
	for _, c := range cs.samples {
		s = append(s, f(c))
	}
	return s
}

// measure runs do (which commits the change and returns when it did) and
// waits until done holds, then until dvr-chassis is quiet, and returns
// the rounds' cost from the metric deltas. done gets a scrape of
// dvr-chassis' metrics only when scrape is set: a scrape is not free for
// dvr-chassis (its /metrics runs the Go and process collectors, which read
// /proc), so a wait that can watch the SB does not scrape at all, and one
// that must scrape polls every 2 ms for the first 20 ms (a change that
// fast is timed end to end within 2 ms), then backs off to every 16 ms
// (within 2% of anything slower). "Inside" does not depend on the polling:
// it is the rounds' own duration metric.
func measure(ch *chassisProc, do func() (time.Time, time.Duration, error), scrape bool, done func(benchkit.Metrics) (bool, error)) (change, error) {
	var c change
	before, err := ch.m.Quiet(300*time.Millisecond, time.Minute)
	if err != nil {
		return c, err
	}
	at, plug, err := do()
	if err != nil {
		return c, err
	}
	c.plug = plug
	var seen time.Time
	if err := benchkit.WaitBackoff("acknowledgement", at, 5*time.Minute, func() (bool, error) {
		var m benchkit.Metrics
		if scrape {
			if m, err = ch.m.Get(); err != nil {
				return false, err
			}
		}
		ok, err := done(m)
		if ok {
			seen = time.Now()
		}
		return ok, err
	}); err != nil {
		return c, err
	}
	c.e2e = seen.Sub(at)
	after, err := ch.m.Quiet(300*time.Millisecond, time.Minute)
	if err != nil {
		return c, err
	}
	c.rounds = after.Rounds() - before.Rounds()
	c.inside = after.RoundSum() - before.RoundSum()
	c.flowMods = map[string]int{}
	for _, b := range []string{"br-int", "br-tun"} {
		k := fmt.Sprintf("dvr_chassis_flow_mods_total{bridge=%q}", b)
		c.flowMods[b] = int(after[k] - before[k])
	}
	return c, nil
}

// localBinds plugs each spare local port (a dummy interface with its
// iface-id) and waits for Port_Binding.up.
func localBinds(ctx context.Context, st *stage, hv *hvtest.HV, ch *chassisProc) (changeSet, error) {
	cs := changeSet{kind: "local VM port bound"}
	for i, sp := range st.spareLocal {
		pb := st.pbs[sp.port.Name]
		c, err := measure(ch, func() (time.Time, time.Duration, error) {
			t0 := time.Now()
			n := ifaceName("sp", i)
			out, err := hv.Vsctl("--timeout=300", "add-port", "br-int", n, "--", "set", "Interface", n, "type=dummy",
				"external_ids:iface-id="+sp.port.Name, fmt.Sprintf("external_ids:attached-mac=%q", sp.port.MAC),
				"external_ids:iface-status=active")
			if err != nil {
				return t0, 0, fmt.Errorf("%v: %s", err, out)
			}
			return t0, time.Since(t0), nil
		}, false, func(benchkit.Metrics) (bool, error) {
			rows, err := st.sbc.Select(ctx, "Port_Binding", []string{"up"}, benchkit.UUIDIs(pb))
			return err == nil && len(rows) == 1 && rows[0]["up"] == true, err
		})
		if err != nil {
			return cs, fmt.Errorf("local bind %s: %w", sp.port.Name, err)
		}
		// e2e counts from the plug's start: the interface is seen while
		// ovs-vsctl still waits for ovs-vswitchd.
		cs.samples = append(cs.samples, c)
	}
	return cs, nil
}

// remoteBinds binds each spare remote port to a remote chassis (one raw
// SB write, up included) and waits for its neighbour entry (one more in
// the router's namespace) and its flows.
func remoteBinds(ctx context.Context, st *stage, ch *chassisProc) (changeSet, error) {
	cs := changeSet{kind: "remote VM port added"}
	for i, sp := range st.spareRemote {
		m0, err := ch.m.Get()
		if err != nil {
			return cs, err
		}
		c, err := measure(ch, func() (time.Time, time.Duration, error) {
			t0 := time.Now()
			_, err := st.sbc.Transact(ctx, benchkit.Claim(sp.port.Name, remoteName(i%st.remotes), true))
			return t0, 0, err
		}, true, func(m benchkit.Metrics) (bool, error) {
			return m.Neigh() == m0.Neigh()+1 && m.Flows("br-int")+m.Flows("br-tun") != m0.Flows("br-int")+m0.Flows("br-tun"), nil
		})
		if err != nil {
			return cs, fmt.Errorf("remote bind %s: %w", sp.port.Name, err)
		}
		cs.samples = append(cs.samples, c)
	}
	return cs, nil
}

// routerInterfaces attaches each extra switch to its router (the LRP and
// the router-type LSP, as lr-attach writes them, in one NB transaction)
// and waits for the qr- device and the neighbour entries of its ports.
func routerInterfaces(ctx context.Context, st *stage, ch *chassisProc) (changeSet, error) {
	cs := changeSet{kind: "router interface added"}
	for _, e := range st.extra {
		m0, err := ch.m.Get()
		if err != nil {
			return cs, err
		}
		c, err := measure(ch, func() (time.Time, time.Duration, error) {
			t0 := time.Now()
			_, err := st.nbc.Transact(ctx,
				benchkit.Insert("Logical_Router_Port", "lrp", ovsdb.Row{"name": e.lrp, "mac": e.mac, "networks": benchkit.Set(e.network.String())}),
				benchkit.AddRef("Logical_Router", st.lr[e.router], "ports", benchkit.Named("lrp")),
				benchkit.Insert("Logical_Switch_Port", "rlsp", ovsdb.Row{"name": e.routerLSP, "type": "router",
					"addresses": benchkit.Set("router"), "options": benchkit.OMap("router-port", e.lrp)}),
				benchkit.AddRef("Logical_Switch", st.ls[e.sw], "ports", benchkit.Named("rlsp")))
			return t0, 0, err
		}, true, func(m benchkit.Metrics) (bool, error) {
			return m.QRs() == m0.QRs()+1 && m.Neigh() == m0.Neigh()+len(e.ports), nil
		})
		if err != nil {
			return cs, fmt.Errorf("router interface %s: %w", e.lrp, err)
		}
		cs.samples = append(cs.samples, c)
	}
	return cs, nil
}
