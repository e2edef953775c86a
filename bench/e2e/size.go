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

// sizeResult is one size's columns.
type sizeResult struct {
	shape
	hvs        int
	cols       map[string]*columnResult
	explains   map[string]*changeParts // ours, by change kind
	profiles   map[string]string       // ours: pprof -top of hv1's dvr-chassis over the samples of a kind
	errs       []string                // a column that failed, and why
	loadBefore string
	loadAfter  string
	took       time.Duration
}

func runSize(ctx context.Context, cfg config, s shape) (*sizeResult, error) {
	t0 := time.Now()
	p := newPlan(s, cfg.hvs, cfg.samples)
	r := &sizeResult{shape: s, hvs: cfg.hvs, cols: map[string]*columnResult{}, loadBefore: benchkit.LoadAvg()}
	var dvr *dvrColumn
	for _, name := range cfg.columns {
		var col column
		switch name {
		case colDVR:
			dvr = &dvrColumn{cfg: cfg, profileWindow: profileWindow(cfg)}
			col = dvr
		case colFloor:
			d := r.cols[colDVR]
			if d == nil || dvr == nil || dvr.installed == nil {
				r.errs = append(r.errs, "floor: not run (our column did not get far enough to give it a flow table)")
				continue
			}
			col = &floorColumn{cfg: cfg, installed: dvr.installed,
				portFlows:   flowDelta(d.flows, d.flowsAfterPorts, len(p.spares)),
				attachFlows: flowDelta(d.flowsBeforeAttach, d.flowsEnd, len(p.extras))}
		case colOVN:
			col = &ovnColumn{cfg: cfg}
		}
		res, h, err := runColumn(ctx, cfg, p, col, name, name == colDVR)
		if dvr != nil && name == colDVR {
			r.explains, r.profiles = dvr.explains, dvr.finishProfiles()
		}
		benchkit.Cleanup() // the column's servers, daemons and hypervisors
		_ = h
		if err != nil {
			// What it measured before failing is still reported.
			benchkit.Logf("%s, %s: %v", name, s, err)
			r.errs = append(r.errs, fmt.Sprintf("%s: stopped early: %v", name, err))
			if res != nil && res.bulk > 0 {
				r.cols[name] = res
			}
			continue
		}
		r.cols[name] = res
		benchkit.Logf("%s, %s: done in %v", name, s, res.took.Round(time.Second))
	}
	r.loadAfter = benchkit.LoadAvg()
	r.took = time.Since(t0)
	return r, nil
}

func profileWindow(cfg config) time.Duration {
	if cfg.quick {
		return 2 * time.Second
	}
	return 5 * time.Second
}

// profile fetches a CPU profile of hv1's dvr-chassis over window into
// the profile directory; the channel gives pprof -top of it.
func (d *dvrColumn) profile(kind string) {
	file := filepath.Join(d.cfg.profileDir, fmt.Sprintf("dvr-chassis-hv1-%s-%d.pprof", kind, time.Now().Unix()))
	ch := make(chan string, 1)
	d.profs[kind] = ch
	go func() {
		var b bytes.Buffer
		if err := d.metrics[0].Profile(&b, d.profileWindow); err != nil {
			ch <- "profile failed: " + err.Error()
			return
		}
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			ch <- "profile: " + err.Error()
			return
		}
		ch <- fmt.Sprintf("`go tool pprof -top %s` (%v from the first sample on):\n\n```\n%s\n```", file, d.profileWindow, benchkit.PprofTop(file, 20))
	}()
}

func (d *dvrColumn) finishProfiles() map[string]string {
	out := map[string]string{}
	for k, ch := range d.profs {
		select {
		case s := <-ch:
			out[k] = s
		case <-time.After(d.profileWindow + 30*time.Second):
			out[k] = "profile: no answer"
		}
	}
	return out
}
