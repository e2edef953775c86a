package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

type sizeResult struct {
	shape
	setup              time.Duration
	cold               coldResult
	floor              floorResult
	changes            []changeSet
	memEnd             benchkit.Memory
	heapCold, heapEnd  heapStat
	profile            string // pprof -top of the single changes
	profileFile        string
	flowsEnd           map[string]int
	loadBefore, loadAt string
}

func runSize(ctx context.Context, cfg config, s shape) (*sizeResult, error) {
	r := &sizeResult{shape: s, loadBefore: benchkit.LoadAvg()}
	p := newPlan(s)
	benchkit.Logf("%d ports: NB, SB, dvr-northd, %d remote chassis, bindings", s.total(), s.remotes)
	st, err := newStage(ctx, cfg, p, localIP)
	benchkit.OnExit(st.stop)
	if err != nil {
		return nil, err
	}
	r.setup = st.setup
	benchkit.Logf("%d ports: hypervisor; plugging %d local VM ports", s.total(), len(p.local))
	hv, err := bootHV("local", localName)
	if err != nil {
		return nil, err
	}
	if r.cold.plug, err = plugVMs(hv, p.local, "vm"); err != nil {
		return nil, err
	}
	r.cold.plugged = len(p.local)

	benchkit.Logf("%d ports: dvr-chassis cold start", s.total())
	ch, err := startChassis(cfg, hv, st.sb.Endpoint())
	if err != nil {
		return nil, err
	}
	benchkit.OnExit(ch.stop)
	if r.cold, err = coldStartInto(ctx, cfg, st, ch, r.cold); err != nil {
		return nil, err
	}
	dir := cfg.profileDir
	if dir == "" {
		if dir, err = benchkit.TempDir("chprof"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	r.heapCold = heapOf(ch.m, filepath.Join(dir, fmt.Sprintf("dvr-chassis-heap-cold-%d.pprof", s.total())))
	benchkit.Logf("%d ports: after the cold start RSS %s (peak %s), Go heap live %s, in use %s (load %s)", s.total(),
		mib(r.cold.mem.RSS), mib(r.cold.mem.HWM), mib(r.heapCold.alloc), mib(r.heapCold.inuse), benchkit.LoadAvg())
	benchkit.Logf("%d ports: cold start %v; the floor on a fresh hypervisor", s.total(), r.cold.done.Round(time.Millisecond))
	fhv, err := bootHV("floor", "floor")
	if err != nil {
		return nil, err
	}
	if _, err := plugVMs(fhv, p.local, "vm"); err != nil {
		return nil, err
	}
	if r.floor, err = runFloor(ctx, st, hv, fhv); err != nil {
		return nil, fmt.Errorf("floor: %w", err)
	}
	fhv.Close()

	// A CPU profile over the single changes (the pprof handler answers
	// when its window ends).
	r.profileFile = filepath.Join(dir, fmt.Sprintf("dvr-chassis-changes-%d.pprof", s.total()))
	window := 30 * time.Second
	if cfg.quick {
		window = 3 * time.Second
	}
	prof := make(chan error, 1)
	go func() {
		var b bytes.Buffer
		err := ch.m.Profile(&b, window)
		if err == nil {
			err = os.WriteFile(r.profileFile, b.Bytes(), 0o644)
		}
		prof <- err
	}()
	for _, step := range []struct {
		name string
		f    func() (changeSet, error)
	}{
		{"remote VM ports added", func() (changeSet, error) { return remoteBinds(ctx, st, ch) }},
		{"local VM ports bound", func() (changeSet, error) { return localBinds(ctx, st, hv, ch) }},
		{"router interfaces added", func() (changeSet, error) { return routerInterfaces(ctx, st, ch) }},
	} {
		benchkit.Logf("%d ports: %d %s", s.total(), s.samples, step.name)
		cs, err := step.f()
		if err != nil {
			return nil, err
		}
		r.changes = append(r.changes, cs)
	}
	if err := <-prof; err != nil {
		r.profile = "profile failed: " + err.Error()
	} else {
		r.profile = benchkit.PprofTop(r.profileFile, 25)
	}
	m, err := ch.m.Quiet(300*time.Millisecond, time.Minute)
	if err != nil {
		return nil, err
	}
	r.flowsEnd = map[string]int{"br-int": m.Flows("br-int"), "br-tun": m.Flows("br-tun")}
	r.memEnd = ch.memory()
	r.heapEnd = heapOf(ch.m, filepath.Join(dir, fmt.Sprintf("dvr-chassis-heap-end-%d.pprof", s.total())))
	_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("dvr-chassis-%d.log", s.total())), []byte(ch.log.Text()), 0o644)
	r.loadAt = benchkit.LoadAvg()
	return r, nil
}

func coldStartInto(ctx context.Context, cfg config, st *stage, ch *chassisProc, pre coldResult) (coldResult, error) {
	r, err := coldStart(ctx, cfg, st, ch)
	r.plug, r.plugged = pre.plug, pre.plugged
	return r, err
}
