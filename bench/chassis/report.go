package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

const changeTarget = 5 * time.Millisecond

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func medP99(s benchkit.Samples) string {
	return fmt.Sprintf("%s (%s)", benchkit.MS(s.Median()), benchkit.MS(s.P99()))
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func met(ok bool, miss string) string {
	if ok {
		return "met"
	}
	return "**missed**: " + miss
}

func report(w io.Writer, r *sizeResult) {
	fmt.Fprintf(w, "\n### %d VM ports (%d routers × %d subnets × %d), %d bound here\n\n", r.total(), r.routers, r.subnets, r.ports, r.cold.plugged)
	fmt.Fprintf(w, "Setup (NB load, dvr-northd, %d remote chassis, bindings; not timed as a result): %s s; load %s before, %s after.\n\n",
		r.remotes, benchkit.Secs(r.setup), r.loadBefore, r.loadAt)
	fmt.Fprintln(w, "| | dvr-chassis | floor | ratio | target | |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---|---|")
	c, f := r.cold, r.floor
	fmt.Fprintf(w, "| plug %d local VM ports before the clock (ovs-vsctl, 500 a transaction) | %s s | | | on its own row | |\n", c.plugged, benchkit.Secs(c.plug))
	lim := time.Duration(1.25 * float64(f.total()))
	fmt.Fprintf(w, "| cold start (process start → nb_cfg reported, %d namespaces, %d qr-, %d neighbour entries) | %s s | %s s | %s | ≤ 1.25 × floor | %s |\n",
		c.namespaces, c.qrs, c.neigh, benchkit.Secs(c.done), benchkit.Secs(f.total()), ratio(c.done, f.total()),
		met(c.done <= lim, fmt.Sprintf("%.2fx the floor (%s s over 1.25x)", float64(c.done)/float64(f.total()), benchkit.Secs(c.done-lim))))
	fmt.Fprintf(w, "| floor without the OVS ports (the issue's floor: SB read + flows + netlink) | | %s s | %s | | |\n",
		benchkit.Secs(f.noOVS()), ratio(c.done, f.noOVS()))
	fmt.Fprintf(w, "| floor: SB read (%d rows, %d tables) | | %s ms | | | |\n", f.sbRows, len(sbTables), benchkit.MS(f.sbRead))
	fmt.Fprintf(w, "| floor: %d OVS ports (qo-, br-tun, patch, vx-) in one transaction | | %s ms | | | |\n", f.nports, benchkit.MS(f.ovsPorts))
	fmt.Fprintf(w, "| floor: netlink (%d namespaces, %d veths, %d neighbour entries) | | %s ms | | | |\n", r.routers, r.routers*r.subnets, f.neigh, benchkit.MS(f.netlink))
	fmt.Fprintf(w, "| floor: flows, one bundle per bridge (%d + %d) | | %s ms | | | |\n", f.nflows["br-int"], f.nflows["br-tun"], benchkit.MS(f.flows))
	var took []string
	for _, b := range []string{"br-int", "br-tun"} {
		took = append(took, fmt.Sprintf("%s %s ms", b, benchkit.MS(c.flowsTook[b])))
	}
	fmt.Fprintf(w, "| dvr-chassis: first flows applied at; flow bundles took | %s s; %s | | | | |\n", benchkit.Secs(c.firstFlows), strings.Join(took, ", "))
	fmt.Fprintf(w, "| dvr-chassis: rounds to the cold start's end, their total | %d, %s s | | | | |\n", c.rounds, benchkit.Secs(c.roundSum))
	for _, cs := range r.changes {
		in := cs.pick(func(c change) time.Duration { return c.inside })
		e2e := cs.pick(func(c change) time.Duration { return c.e2e })
		rounds := 0
		for _, s := range cs.samples {
			rounds += s.rounds
		}
		fmt.Fprintf(w, "| %s, inside (rounds it caused), median (p99) ms | %s | | | ≤ 5 ms | %s |\n", cs.kind, medP99(in),
			met(in.P99() <= changeTarget, fmt.Sprintf("%.1fx on the median, %.1fx on p99", float64(in.Median())/float64(changeTarget), float64(in.P99())/float64(changeTarget))))
		fmt.Fprintf(w, "| %s, end to end (commit → acknowledgement seen), median (p99) ms; rounds per change | %s; %.1f | | | | |\n",
			cs.kind, medP99(e2e), float64(rounds)/float64(len(cs.samples)))
		if cs.kind == "local VM port bound" {
			plug := cs.pick(func(c change) time.Duration { return c.plug })
			fmt.Fprintf(w, "| its OVS plug (ovs-vsctl add-port → ovs-vswitchd applied), median (p99) ms | %s | | | on its own row | |\n", medP99(plug))
		}
	}
	fmt.Fprintf(w, "| flows after the cold start: br-int, br-tun | %d, %d | | | | |\n", c.flows["br-int"], c.flows["br-tun"])
	fmt.Fprintf(w, "| flows at the end: br-int, br-tun | %d, %d | | | | |\n", r.flowsEnd["br-int"], r.flowsEnd["br-tun"])
	fmt.Fprintf(w, "| RSS after the cold start (peak) | %s (%s) | | | ≤ 100 MiB at 20,000 | %s |\n", mib(c.mem.RSS), mib(c.mem.HWM),
		met(c.mem.HWM <= 100<<20 || r.total() < 20000, mib(c.mem.HWM-100<<20)+" over"))
	fmt.Fprintf(w, "| RSS at the end (peak) | %s (%s) | | | | |\n", mib(r.memEnd.RSS), mib(r.memEnd.HWM))
	r.heapCold.row(w, "after the cold start")
	r.heapEnd.row(w, "at the end")
	if len(c.timeline) > 0 {
		tl := c.timeline
		if len(tl) > 12 {
			tl = append(tl[:12:12], fmt.Sprintf("... %d more", len(c.timeline)-12))
		}
		fmt.Fprintf(w, "\nCold start timeline (from dvr-chassis' debug log, seconds since its start): %s.\n", strings.Join(tl, "; "))
	}
	if len(c.warnings) > 0 {
		fmt.Fprintf(w, "\nWarnings logged by dvr-chassis during the cold start (%d), first: %q\n", len(c.warnings), c.warnings[0])
	}
	r.heapCold.profileText(w, "after the cold start")
	r.heapEnd.profileText(w, "at the end")
	fmt.Fprintf(w, "\nCPU profile of dvr-chassis over the single changes (`go tool pprof -top %s`):\n\n```\n%s\n```\n", r.profileFile, r.profile)
}
