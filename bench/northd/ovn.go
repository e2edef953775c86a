package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

// The real ovn-northd on the OVN schemas, with the same topology loaded by
// the same loader, the same chassis and the same claims.

const (
	ovnNBSchema = "/usr/share/ovn/ovn-nb.ovsschema"
	ovnSBSchema = "/usr/share/ovn/ovn-sb.ovsschema"
)

type ovnResult struct {
	size                int
	cold                time.Duration // start → NB_Global.sb_cfg reached the nb_cfg bumped before the start
	sync                time.Duration // start → `ovn-nbctl --wait=sb sync` (started with it) returned
	memCold, memChanges benchkit.Memory
	bind                bindPhase
	e2e                 []*e2eRun
	loadBefore          string
}

func runOVN(ctx context.Context, cfg config, size int) (*ovnResult, error) {
	nbSchema, err := os.ReadFile(ovnNBSchema)
	if err != nil {
		return nil, err
	}
	sbSchema, err := os.ReadFile(ovnSBSchema)
	if err != nil {
		return nil, err
	}
	benchkit.Logf("ovn-northd, %d ports: servers (OVN schemas), NB load, %d chassis; load %s", size, cfg.chassis, benchkit.LoadAvg())
	st, err := newStage(ctx, size, cfg.chassis, nbSchema, sbSchema)
	defer st.stop()
	if err != nil {
		return nil, err
	}
	_, _, p := st.topo.Counts()
	res := &ovnResult{size: p, loadBefore: benchkit.LoadAvg()}
	dir, err := benchkit.TempDir("ovnn")
	if err != nil {
		return nil, err
	}

	benchkit.Logf("ovn-northd, %d ports: cold start", size)
	want, err := benchkit.BumpNbCfg(ctx, st.nbc)
	if err != nil {
		return nil, err
	}
	w, err := watchSbCfg(ctx, st.nb.Endpoint())
	if err != nil {
		return nil, err
	}
	defer w.close()
	cmd := exec.Command(cfg.ovnNorthd, "--ovnnb-db="+st.nb.Endpoint(), "--ovnsb-db="+st.sb.Endpoint(),
		"--unixctl="+filepath.Join(dir, "northd.ctl"), "--pidfile="+filepath.Join(dir, "northd.pid"),
		"--log-file="+filepath.Join(dir, "northd.log"), "--no-chdir", "-vconsole:off")
	t0 := time.Now()
	np, err := benchkit.StartChild("ovn-northd", cmd)
	if err != nil {
		return nil, err
	}
	defer np.Stop()
	sync := timeProcAsync(cfg.ovnNbctl, "--db="+st.nb.Endpoint(), "--wait=sb", "--timeout=600", "sync")
	at, err := w.wait(want, 30*time.Minute)
	if err != nil {
		return nil, err
	}
	res.cold = at.Sub(t0)
	sr := <-sync
	if sr.err != nil {
		return nil, sr.err
	}
	res.sync = sr.end().Sub(t0)
	if err := benchkit.WaitIdle(np.Pid, 30*time.Minute); err != nil {
		return nil, err
	}
	if res.memCold, err = benchkit.ReadMemory(np.Pid); err != nil {
		return nil, err
	}

	benchkit.Logf("ovn-northd, %d ports: %d chassis claim their ports", size, cfg.chassis)
	if res.bind, err = bind(ctx, st, nil, np.Pid, false); err != nil {
		return nil, err
	}

	benchkit.Logf("ovn-northd, %d ports: ovn-nbctl --wait=sb lsp-add, with and without addresses (up to %d each)", size, cfg.e2e)
	res.e2e = e2eShapes("ovn-nbctl")
	adapt := func(first time.Duration, n int) int {
		switch {
		case first > cfg.verySlowThreshold:
			n = min(n, cfg.verySlowSamples)
		case first > cfg.slowThreshold:
			n = min(n, cfg.slowSamples)
		}
		if n < cfg.e2e {
			benchkit.Logf("ovn-northd: the first command took %v: %d samples", first.Round(time.Millisecond), n)
		}
		return n
	}
	if err := runE2E(cfg.ovnNbctl, st, nil, res.e2e, cfg.e2e, adapt); err != nil {
		return nil, err
	}
	if err := benchkit.WaitIdle(np.Pid, 30*time.Minute); err != nil {
		return nil, err
	}
	if res.memChanges, err = benchkit.ReadMemory(np.Pid); err != nil {
		return nil, err
	}
	return res, nil
}
