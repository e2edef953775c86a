package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/proclog"
)

// Targets from the dvr-northd issue.
const (
	targetWriteRatio = 1.25                  // translation + SB write ≤ 1.25 × the floor's write
	targetReadRatio  = 2.0                   // NB read ≤ 2 × the floor's read
	targetChange     = 5 * time.Millisecond  // one port change, northd-internal
	targetE2E        = 25 * time.Millisecond // one port change, end to end
	targetRSSRatio   = 0.25                  // RSS ≤ 1/4 of ovn-northd's
	targetTakeover   = 2 * time.Second
)

var ms, secs = benchkit.MS, benchkit.Secs

func mib(b int64) string {
	if b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**missed**"
}

func lineDurs(ls []proclog.Line, key string) benchkit.Samples {
	var s benchkit.Samples
	for _, l := range ls {
		s = append(s, l.Dur(key))
	}
	return s
}

func report(w io.Writer, cfg config, rs []*sizeResults) {
	fmt.Fprintf(w, "\n### 1. Cold start: empty SB → first full round committed (ms)\n\n")
	fmt.Fprintf(w, "dvr-northd: times from fork+exec, read from its JSON log lines as they arrive (\"connected and monitoring\" "+
		"per database once the monitor's initial dump is in libovsdb's cache; \"now active\"; the first \"round done\", "+
		"whose fields give read (copy of the caches), translate, diff and the two commits). sb_cfg: NB_Global.nb_cfg was "+
		"bumped before the start, and a monitor of NB_Global.sb_cfg in the benchmark sees it reached. `--wait=sb sync` "+
		"was started together with the daemon.\n\n")
	fmt.Fprintf(w, "| VM ports | SB rows written | → NB monitor filled | → SB monitor filled | → active | read | translate | diff | SB commit | NB commit | → round logged | → sb_cfg seen | → `dvr-nbctl --wait=sb sync` returned |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		d, c := r.dvr, r.dvr.cold
		rows := 0
		for _, n := range d.sbRows {
			rows += n
		}
		fmt.Fprintf(w, "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", d.size, rows,
			ms(c.nbMonitored), ms(c.sbMonitored), ms(c.active), ms(c.round.Dur("read_ms")), ms(c.round.Dur("translate_ms")),
			ms(c.round.Dur("diff_ms")), ms(c.round.Dur("sb_commit_ms")), ms(c.round.Dur("nb_commit_ms")), ms(c.roundDone),
			ms(c.watched), ms(c.sync))
	}

	fmt.Fprintf(w, "\n#### Next to the floor and ovn-northd (ms)\n\n")
	fmt.Fprintf(w, "Floor: a process of its own that reads the same NB columns (dial → initial monitor reply decoded; "+
		"once with libovsdb into its cache as dvr-northd does, once raw into generic JSON values) and writes the same "+
		"number of SB rows (Datapath_Binding, Port_Binding, DVR_MAC_Binding) in one transaction (build + commit). "+
		"dvr NB read = → NB monitor filled + the round's read; dvr write = translate + diff + SB commit. "+
		"ovn-northd: same topology on the OVN schemas, start → sb_cfg seen, and → `ovn-nbctl --wait=sb sync` "+
		"(started with it; it downloads the NB first) returned.\n\n")
	fmt.Fprintf(w, "| VM ports | dvr NB read | floor read, libovsdb | floor read, raw | dvr write | floor write (build + commit) | dvr cold start (→ sb_cfg) | ovn-northd (→ sb_cfg) | ovn-northd (→ sync returned) | ovn-northd / dvr |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		d, c, f := r.dvr, r.dvr.cold, r.dvr.floor
		ovnCold, ovnSync, x := "–", "–", "–"
		if r.ovn != nil {
			ovnCold, ovnSync = ms(r.ovn.cold), ms(r.ovn.sync)
			x = fmt.Sprintf("%.1fx", ratio(r.ovn.cold, c.watched))
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s (%s + %s) | %s | %s | %s | %s |\n", d.size, ms(c.nbRead()),
			ms(f.libRead()), ms(f.rawRead()), ms(c.translateWrite()), ms(f.write()), ms(msDur(f.BuildMS)), ms(f.commit()),
			ms(c.watched), ovnCold, ovnSync, x)
	}

	fmt.Fprintf(w, "\n#### The SB write: client, server, and the monitor of its own rows (ms)\n\n")
	fmt.Fprintf(w, "dvr-northd must see its own commit in its SB monitor before its next round (DESIGN §4), so the server "+
		"also sends it every row it wrote. The floor was run a second time with the same SB monitor open (libovsdb, "+
		"dvr-northd's tables and columns) during its write. SB server CPU: the SB ovsdb-server's user+system time "+
		"(10 ms resolution) over the floor process, and over dvr-northd's start → idle after its first round.\n\n")
	fmt.Fprintf(w, "| VM ports | dvr SB commit | floor commit | floor commit with SB monitor | SB server CPU: dvr cold start | floor | floor with SB monitor |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		d := r.dvr
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s |\n", d.size, ms(d.cold.round.Dur("sb_commit_ms")), ms(d.floor.commit()),
			ms(d.floorMon.commit()), ms(d.sbServerCPU), ms(d.floor.SBServerCPU), ms(d.floorMon.SBServerCPU))
	}

	fmt.Fprintf(w, "\n### 2. The chassis claim their ports\n\n")
	fmt.Fprintf(w, "Each of the %d chassis sets Port_Binding.chassis and up on its ports in one transaction, one chassis "+
		"after the other. Settled: first claim sent → every VM port up in NB (and, for dvr-northd, every "+
		"DVR_Router_Binding in SB), checked whenever the daemon is idle (its CPU time still for 200 ms); for "+
		"dvr-northd, the log line of the last round that wrote.\n\n", cfg.chassis)
	fmt.Fprintf(w, "| VM ports | DVR_Router_Binding rows | dvr settled s | rounds (full + incremental) | why full | sum of round times s | longest round ms | ovn-northd settled s |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---|---|---:|---:|---:|\n")
	for _, r := range rs {
		b := r.dvr.bind
		o := "–"
		if r.ovn != nil {
			o = secs(r.ovn.bind.settled)
		}
		why := ""
		for _, k := range slices.Sorted(maps.Keys(b.fullReasons)) {
			if why != "" {
				why += "; "
			}
			why += fmt.Sprintf("%s (%d)", k, b.fullReasons[k])
		}
		fmt.Fprintf(w, "| %d | %d | %s | %d + %d | %s | %s | %s | %s |\n", r.dvr.size, b.hostingRows, secs(b.settled), b.full, b.incr,
			why, secs(b.roundsTotal), ms(b.maxRound), o)
	}

	fmt.Fprintf(w, "\n### 3. One port change, northd-internal (ms)\n\n")
	fmt.Fprintf(w, "One change at a time on an idle dvr-northd, written with a raw transaction: lsp-add (insert + switch "+
		"mutate, with addresses), claim (that port's Port_Binding.chassis and up, as a chassis), lsp-set-addresses "+
		"(a new IP). Internal = the round's since_change_ms (first monitor event → SB commit acknowledged); a claim "+
		"writes nothing to SB (only Logical_Switch_Port.up in NB), so for claims it is the round's compute + commits. "+
		"External = our transaction sent → the round's log line (adds the server's commit and monitor fan-out).\n\n")
	fmt.Fprintf(w, "| VM ports | change | n | internal median | p99 | max | compute median | SB commit median | NB commit median | external median | external p99 | full rounds |\n")
	fmt.Fprintf(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		for _, kind := range []string{"lsp-add", "claim", "lsp-set-addresses", "all"} {
			var in, ex benchkit.Samples
			var ls []proclog.Line
			full := 0
			for _, c := range r.dvr.changes {
				if kind != "all" && c.kind != kind {
					continue
				}
				in = append(in, c.internal)
				ex = append(ex, c.external)
				ls = append(ls, c.round)
				if c.round.Str("kind") == "full" {
					full++
				}
			}
			fmt.Fprintf(w, "| %d | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %d |\n", r.dvr.size, kind, len(in),
				ms(in.Median()), ms(in.P99()), ms(in.Max()), ms(lineDurs(ls, "compute_ms").Median()),
				ms(lineDurs(ls, "sb_commit_ms").Median()), ms(lineDurs(ls, "nb_commit_ms").Median()), ms(ex.Median()), ms(ex.P99()), full)
		}
	}

	fmt.Fprintf(w, "\n### 4. End to end: one command that adds a port, as a whole process (ms)\n\n")
	fmt.Fprintf(w, "Fork+exec to exit, one at a time on an idle daemon: dvr-nbctl on dvr-northd, ovn-nbctl (one-shot: it "+
		"downloads the whole NB first) on ovn-northd, fewer ovn-nbctl samples when the first takes over %v (%d) or "+
		"%v (%d). dvr-northd's share: since_change_ms of the rounds that handled the --wait commands.\n\n",
		cfg.slowThreshold, cfg.slowSamples, cfg.verySlowThreshold, cfg.verySlowSamples)
	fmt.Fprintf(w, "| VM ports | command | n | median | p99 | dvr-northd's share median | p99 | ovn-nbctl / dvr-nbctl (median) |\n")
	fmt.Fprintf(w, "|---:|---|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		var all []*e2eRun
		all = append(all, r.dvr.e2e...)
		if r.ovn != nil {
			all = append(all, r.ovn.e2e...)
		}
		for _, e := range all {
			share := lineDurs(e.rounds, "since_change_ms")
			x := ""
			if e.tool == "ovn-nbctl" {
				if d := r.dvr.e2eShape(e.wait, e.addr); d != nil {
					x = fmt.Sprintf("%.0fx", ratio(e.times.Median(), d.times.Median()))
				}
			}
			fmt.Fprintf(w, "| %d | `%s` | %d | %s | %s | %s | %s | %s |\n", r.size, e.command(), len(e.times),
				ms(e.times.Median()), ms(e.times.P99()), ms(share.Median()), ms(share.P99()), x)
		}
	}

	fmt.Fprintf(w, "\n### 5. Takeover after kill -9 of the active dvr-northd (ms)\n\n")
	fmt.Fprintf(w, "A standby is started and given 1.5 s to connect and queue for the lock; the active is killed with "+
		"SIGKILL and, once it is reaped, `dvr-nbctl --wait=sb lsp-add` is started. The standby's first round is a "+
		"full recompute over the whole (bound) SB.\n\n")
	fmt.Fprintf(w, "| VM ports | kill → standby active | → its full round logged | that round: read | translate | diff | SB commit | SB ops | kill → --wait=sb returned |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		for _, t := range r.dvr.takeovers {
			fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %s | %s | %.0f | %s |\n", r.dvr.size, ms(t.active), ms(t.roundDone),
				ms(t.round.Dur("read_ms")), ms(t.round.Dur("translate_ms")), ms(t.round.Dur("diff_ms")),
				ms(t.round.Dur("sb_commit_ms")), t.round.Num("sb_ops"), ms(t.wait))
		}
	}

	fmt.Fprintf(w, "\n### 6. Memory (MiB, VmRSS / VmHWM from /proc/<pid>/status)\n\n")
	fmt.Fprintf(w, "| VM ports | dvr-northd after cold start | after the changes | standby after takeover | ovn-northd after cold start | after the changes | dvr / ovn (HWM after the changes) | floor process HWM |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		d := r.dvr
		tk := benchkit.Memory{}
		if len(d.takeovers) > 0 {
			tk = d.takeovers[len(d.takeovers)-1].mem
		}
		oc, oa, x := "–", "–", "–"
		if r.ovn != nil {
			oc = mib(r.ovn.memCold.RSS) + " / " + mib(r.ovn.memCold.HWM)
			oa = mib(r.ovn.memChanges.RSS) + " / " + mib(r.ovn.memChanges.HWM)
			x = fmt.Sprintf("%.2f", float64(d.memChanges.HWM)/float64(r.ovn.memChanges.HWM))
		}
		fmt.Fprintf(w, "| %d | %s / %s | %s / %s | %s / %s | %s | %s | %s | %s |\n", d.size, mib(d.memCold.RSS), mib(d.memCold.HWM),
			mib(d.memChanges.RSS), mib(d.memChanges.HWM), mib(tk.RSS), mib(tk.HWM), oc, oa, x, mib(d.floor.HWM))
	}

	fmt.Fprintf(w, "\n### Against the targets\n\n")
	fmt.Fprintf(w, "| VM ports | translate+diff+SB commit ≤ %.2f × floor write (the floor with an SB monitor) | NB read ≤ %.0f × floor read (libovsdb; raw) | cold start < ovn-northd | change ≤ %s internal (median; p99) | `--wait=sb lsp-add` ≤ %s (median; p99) | RSS ≤ %.2f × ovn-northd | takeover < %s (→ active; → --wait returned) |\n",
		targetWriteRatio, targetReadRatio, ms(targetChange), ms(targetE2E), targetRSSRatio, secs(targetTakeover))
	fmt.Fprintf(w, "|---:|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		d, c, f := r.dvr, r.dvr.cold, r.dvr.floor
		wr := ratio(c.translateWrite(), f.write())
		wrMon := ratio(c.translateWrite(), d.floorMon.write())
		rl, rr := ratio(c.nbRead(), f.libRead()), ratio(c.nbRead(), f.rawRead())
		var in benchkit.Samples
		for _, ch := range d.changes {
			in = append(in, ch.internal)
		}
		e2e := d.e2eShape(true, false).times
		cold, rss := "–", "–"
		if r.ovn != nil {
			cold = fmt.Sprintf("%s (%s vs %s s)", verdict(c.watched < r.ovn.cold), secs(c.watched), secs(r.ovn.cold))
			x := float64(d.memChanges.HWM) / float64(r.ovn.memChanges.HWM)
			rss = fmt.Sprintf("%s (%.2f)", verdict(x <= targetRSSRatio), x)
		}
		tk := "–"
		if len(d.takeovers) > 0 {
			var worstA, worstW time.Duration
			for _, t := range d.takeovers {
				worstA, worstW = max(worstA, t.active), max(worstW, t.wait)
			}
			tk = fmt.Sprintf("%s (%s; %s s)", verdict(worstW < targetTakeover), secs(worstA), secs(worstW))
		}
		fmt.Fprintf(w, "| %d | %s (%.2f; %.2f) | %s (%.1f; %.1f) | %s | %s (%s; %s) | %s (%s; %s) | %s | %s |\n", d.size,
			verdict(wr <= targetWriteRatio), wr, wrMon, verdict(rl <= targetReadRatio), rl, rr, cold,
			verdict(in.Median() <= targetChange && in.P99() <= targetChange), ms(in.Median()), ms(in.P99()),
			verdict(e2e.Median() <= targetE2E && e2e.P99() <= targetE2E), ms(e2e.Median()), ms(e2e.P99()),
			rss, tk)
	}
	if len(rs) > 1 {
		a, b := rs[0].dvr, rs[len(rs)-1].dvr
		med := func(r *dvrResult) time.Duration {
			var s benchkit.Samples
			for _, c := range r.changes {
				s = append(s, c.internal)
			}
			return s.Median()
		}
		fmt.Fprintf(w, "\nFlatness from %d to %d ports: internal change median %s → %s ms, end-to-end median %s → %s ms.\n",
			a.size, b.size, ms(med(a)), ms(med(b)), ms(a.e2eShape(true, false).times.Median()), ms(b.e2eShape(true, false).times.Median()))
	}
}

// e2eShape is the dvr-nbctl run of that shape.
func (d *dvrResult) e2eShape(wait, addr bool) *e2eRun {
	for _, e := range d.e2e {
		if e.wait == wait && e.addr == addr {
			return e
		}
	}
	return &e2eRun{}
}
