package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/proclog"
)

// coldResult is dvr-chassis' cold start on an SB that is all there.
type coldResult struct {
	done        time.Duration // process start → nb_cfg reported, every namespace, qr- and neighbour entry
	firstFlows  time.Duration // → the first "flows: applied the difference" (either bridge)
	flowsTook   map[string]time.Duration
	rounds      int
	roundSum    time.Duration
	flows       map[string]int
	namespaces  int
	qrs, neigh  int
	mem         benchkit.Memory
	plug        time.Duration // the local VM ports plugged before the clock
	plugged     int
	warnings    []string
	wantNeigh   int
	wantRouters int
	timeline    []string // the rounds that applied changes: when they ended, what they wrote
}

// coldStart starts dvr-chassis in hv and waits until it has reported the
// nb_cfg bumped before its start (its barrier: flows, namespaces and
// claims acknowledged) with every namespace, qr- device and neighbour
// entry in place, polling its metrics every 10 ms.
func coldStart(ctx context.Context, cfg config, st *stage, ch *chassisProc) (coldResult, error) {
	r := coldResult{wantNeigh: len(st.chassisOf), wantRouters: st.routers}
	want, err := st.sbNbCfg(ctx)
	if err != nil {
		return r, err
	}
	wantQR := st.routers * st.subnets
	var m benchkit.Metrics
	err = benchkit.WaitFor("dvr-chassis cold start", 10*time.Millisecond, 30*time.Minute, func() (bool, error) {
		if !ch.p.Running() {
			return false, fmt.Errorf("dvr-chassis exited:\n%s", ch.log.Tail(20))
		}
		m, err = ch.m.Get()
		if err != nil {
			return false, nil // not listening yet
		}
		return m.NbCfg() >= want && m.NSs() == st.routers && m.QRs() == wantQR && m.Neigh() == r.wantNeigh, nil
	})
	if err != nil {
		if m != nil {
			err = fmt.Errorf("%w (nb_cfg %d/%d, namespaces %d/%d, qr %d/%d, neighbours %d/%d)", err,
				m.NbCfg(), want, m.NSs(), st.routers, m.QRs(), wantQR, m.Neigh(), r.wantNeigh)
		}
		return r, err
	}
	r.done = time.Since(ch.started)
	if _, l, ok := ch.log.Find(0, func(l proclog.Line) bool { return l.Msg == "flows: applied the difference" }); ok {
		r.firstFlows = l.At.Sub(ch.started)
	}
	if m, err = ch.m.Quiet(500*time.Millisecond, 5*time.Minute); err != nil {
		return r, err
	}
	r.flowsTook = ch.flowsTook(0)
	r.rounds, r.roundSum = m.Rounds(), m.RoundSum()
	r.flows = map[string]int{"br-int": m.Flows("br-int"), "br-tun": m.Flows("br-tun")}
	r.namespaces, r.qrs, r.neigh = m.NSs(), m.QRs(), m.Neigh()
	r.mem = ch.memory()
	r.warnings = ch.errorsSince(0)
	for _, l := range ch.log.Since(0) {
		switch l.Msg {
		case "round applied changes":
			r.timeline = append(r.timeline, fmt.Sprintf("%.2f s round (ovs_ops %d, sb_ops %d)",
				l.At.Sub(ch.started).Seconds(), int(l.Num("ovs_ops")), int(l.Num("sb_ops"))))
		case "flows: applied the difference":
			r.timeline = append(r.timeline, fmt.Sprintf("%.2f s flows %s +%d (took %s)",
				l.At.Sub(ch.started).Seconds(), l.Str("bridge"), int(l.Num("added")), l.Str("took")))
		}
	}
	return r, nil
}
