package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

const singleTarget = 15 * time.Millisecond

func header(cfg config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## End to end on %d hypervisors: dvr vs OVN 23.03 vs the floor, %s\n\n", cfg.hvs, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- machine: %s\n", benchkit.Machine())
	fmt.Fprintf(&b, "- load average at start: %s\n", benchkit.LoadAvg())
	fmt.Fprintf(&b, "- %s; %s; dvr built from %s with %s\n", benchkit.FirstLine("ovs-vswitchd", "--version"),
		benchkit.FirstLine(cfg.bin("ovn-controller"), "--version"), benchkit.Revision("."), strings.TrimSpace(benchkit.FirstLine("go", "env", "GOVERSION")))
	var sizes []string
	for _, s := range cfg.shapes {
		sizes = append(sizes, s.String())
	}
	fmt.Fprintf(&b, "- sizes (routers × subnets × ports): %s; ports round-robin on hv1..hv%d; %d samples of each single change; columns %s; OVN encap %s\n",
		strings.Join(sizes, ", "), cfg.hvs, cfg.samples, strings.Join(cfg.columns, ", "), cfg.encap)
	fmt.Fprintf(&b, "- command: `%s`\n", command())
	return b.String()
}

// command is how this run was started, as scripts/bench.sh would be.
func command() string {
	var env []string
	for _, k := range []string{"BENCH_QUICK", "BENCH_E2E_SIZES", "BENCH_E2E_SAMPLES", "BENCH_E2E_HVS", "BENCH_E2E_COLUMNS", "BENCH_E2E_ENCAP"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return strings.TrimSpace(strings.Join(env, " ") + " BENCH_ONLY=e2e make bench")
}

func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

func medP99(s benchkit.Samples) string {
	if len(s) == 0 {
		return ""
	}
	return fmt.Sprintf("%s (%s)", benchkit.MS(s.Median()), benchkit.MS(s.P99()))
}

func mib(b int64) string { return fmt.Sprintf("%.0f", float64(b)/(1<<20)) }

// flowsText is "min–max per hypervisor (bridge counts of hv1)".
func flowsText(fs []map[string]int) string {
	if len(fs) == 0 {
		return ""
	}
	lo, hi := -1, 0
	for _, f := range fs {
		t := total(f)
		if lo < 0 || t < lo {
			lo = t
		}
		hi = max(hi, t)
	}
	var brs []string
	for br := range fs[0] {
		brs = append(brs, br)
	}
	sort.Strings(brs)
	var parts []string
	for _, br := range brs {
		parts = append(parts, fmt.Sprintf("%s %d", br, fs[0][br]))
	}
	span := fmt.Sprint(lo)
	if hi != lo {
		span = fmt.Sprintf("%d–%d", lo, hi)
	}
	return fmt.Sprintf("%s (hv1: %s)", span, strings.Join(parts, ", "))
}

// verdict says met, or by how much a value missed its bound.
func verdict(v, bound time.Duration) string {
	if v == 0 || bound == 0 {
		return ""
	}
	if v <= bound {
		return "met"
	}
	return fmt.Sprintf("**missed** by %s ms (%.1f×)", benchkit.MS(v-bound), float64(v)/float64(bound))
}

// onTop is the median of a − b, sample by sample (a change's time less
// the OVS plugs it needed).
func onTop(a, b benchkit.Samples) benchkit.Samples {
	var out benchkit.Samples
	for i := range a {
		d := a[i]
		if i < len(b) {
			d -= b[i]
		}
		out = append(out, max(d, 0))
	}
	return out
}

func table(w io.Writer, head []string, rows [][]string) {
	fmt.Fprintf(w, "| %s |\n|", strings.Join(head, " | "))
	for i := range head {
		if i == 0 {
			fmt.Fprint(w, "---|")
		} else {
			fmt.Fprint(w, "---:|")
		}
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		for len(r) < len(head) {
			r = append(r, "")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
}

func reportSize(w io.Writer, cfg config, r *sizeResult) {
	us, ovn, fl := r.cols[colDVR], r.cols[colOVN], r.cols[colFloor]
	get := func(c *columnResult, f func(*columnResult) string) string {
		if c == nil {
			return "–"
		}
		return f(c)
	}
	dur := func(f func(*columnResult) time.Duration) func(*columnResult) string {
		return func(c *columnResult) string { return benchkit.Secs(f(c)) + " s" }
	}
	ms := func(f func(*columnResult) benchkit.Samples) func(*columnResult) string {
		return func(c *columnResult) string { return medP99(f(c)) }
	}
	ratioOf := func(a, b *columnResult, f func(*columnResult) time.Duration) string {
		if a == nil || b == nil {
			return ""
		}
		return ratio(f(a), f(b))
	}
	fmt.Fprintf(w, "\n### %s on %d hypervisors\n\n", r.shape, r.hvs)
	fmt.Fprintf(w, "Load average %s before, %s after; this size took %.0f s (", r.loadBefore, r.loadAfter, r.took.Seconds())
	var took []string
	for _, n := range cfg.columns {
		if c := r.cols[n]; c != nil {
			took = append(took, fmt.Sprintf("%s %.0f s from load %s", n, c.took.Seconds(), c.load))
		}
	}
	fmt.Fprintf(w, "%s).\n\n", strings.Join(took, "; "))
	bulk := func(c *columnResult) time.Duration { return c.bulk }
	portMed := func(c *columnResult) time.Duration { return c.portUp.Median() }
	attMed := func(c *columnResult) time.Duration { return c.attach.Median() }
	var rows [][]string
	add := func(label string, f func(*columnResult) string, extra ...string) {
		rows = append(rows, append([]string{label, get(us, f), get(ovn, f), get(fl, f)}, extra...))
	}
	bulkVerdict := ""
	if us != nil && fl != nil {
		bulkVerdict = verdict(us.bulk, fl.bulk*5/4)
	}
	add("bulk: empty NB → built, plugged, `--wait=hv`, every VM port up", dur(bulk),
		ratioOf(us, fl, bulk), ratioOf(us, ovn, bulk), "≤ 1.25 × floor", bulkVerdict)
	add("… writing the NB (nbctl per router; floor: one raw transaction)", dur(func(c *columnResult) time.Duration { return c.build }))
	add("… plugging the VM ports (every hypervisor in parallel)", dur(func(c *columnResult) time.Duration { return c.plug }))
	add("… `--wait=hv sync` (floor: the flow bundles)", dur(func(c *columnResult) time.Duration { return c.wait }))
	add("… then every VM port up", dur(func(c *columnResult) time.Duration { return c.up }))
	add("… over the bulk, northd + chassis daemons on a CPU / waiting for one", func(c *columnResult) string {
		return fmt.Sprintf("%s / %s s", benchkit.Secs(c.bulkDaemons.OnCPU), benchkit.Secs(c.bulkDaemons.Waiting))
	})
	add("… over the bulk, every ovs-vswitchd on a CPU / waiting for one", func(c *columnResult) string {
		return fmt.Sprintf("%s / %s s", benchkit.Secs(c.bulkVswitchd.OnCPU), benchkit.Secs(c.bulkVswitchd.Waiting))
	})
	add("one VM port: its OVS plug before the clock, median (p99) ms", ms(func(c *columnResult) benchkit.Samples { return c.portPlug }))
	portVerdict := ""
	if us != nil {
		portVerdict = verdict(us.portUp.Median(), singleTarget)
	}
	add("one VM port added and bound → `--wait=hv` returned and up, median (p99) ms", ms(func(c *columnResult) benchkit.Samples { return c.portUp }),
		"", ratioOf(us, ovn, portMed), "≤ 15 ms, flat", portVerdict)
	add("… the command alone (→ `--wait=hv` returned)", ms(func(c *columnResult) benchkit.Samples { return c.port }))
	add("one router interface added → `--wait=hv`, median (p99) ms", ms(func(c *columnResult) benchkit.Samples { return c.attach }),
		"", ratioOf(us, ovn, attMed))
	if us != nil {
		top := onTop(us.attach, us.qrPlug)
		rows = append(rows, []string{fmt.Sprintf("… its qr- plugs (%d over the samples; the slowest hypervisor's, row inserted → ofport)", us.qrPlugs),
			medP99(us.qrPlug), "none needed", "", "", "", "own row"})
		rows = append(rows, []string{"… on top of its qr- plugs", medP99(top), "", "", "", "", "≤ 15 ms, flat", verdict(top.Median(), singleTarget)})
	}
	for _, role := range roles {
		add("RSS at the end (peak), MiB: "+role.label, func(c *columnResult) string {
			for _, m := range c.memory {
				if m.role == role.role {
					return fmt.Sprintf("%s (%s)", mib(m.mem.RSS), mib(m.mem.HWM))
				}
			}
			return "–"
		})
	}
	add("OpenFlow flows per hypervisor after the bulk", func(c *columnResult) string { return flowsText(c.flows) })
	table(w, []string{"", "us", "OVN 23.03", "floor", "us ÷ floor", "us ÷ OVN", "target", ""}, rows)
	for _, e := range r.errs {
		fmt.Fprintf(w, "\n- not measured: %s\n", e)
	}
	for _, n := range cfg.columns {
		if c := r.cols[n]; c != nil {
			for _, note := range c.notes {
				fmt.Fprintf(w, "\n- %s: %s\n", n, note)
			}
		}
	}
	reportExplain(w, r)
}

// roles are the processes whose memory the report gives.
var roles = []struct{ role, label string }{
	{"northd", "northd"}, {"nb", "NB ovsdb-server"}, {"sb", "SB ovsdb-server"}, {"chassis", "hv1's dvr-chassis / ovn-controller"},
}

func reportExplain(w io.Writer, r *sizeResult) {
	us := r.cols[colDVR]
	if us == nil || len(r.explains) == 0 {
		return
	}
	fmt.Fprintf(w, "\nWhat our single changes were made of (medians over the samples; sums over every round a change caused):\n\n")
	var rows [][]string
	for _, k := range []string{"port", "attach"} {
		cp := r.explains[k]
		if cp == nil || cp.n == 0 {
			continue
		}
		total := us.portUp
		label := "VM port added"
		if k == "attach" {
			total, label = us.attach, "router interface added"
		}
		n := time.Duration(cp.n)
		rows = append(rows, []string{label, benchkit.MS(total.Median()),
			fmt.Sprintf("%.1f", float64(cp.northdRounds)/float64(cp.n)), benchkit.MS(cp.northdSinceChange / n), benchkit.MS(cp.northdBusy / n),
			fmt.Sprintf("%.1f", float64(cp.chassisRounds)/float64(cp.n)), benchkit.MS(cp.chassisSlowest.Median()), benchkit.MS(cp.nbctlAlone.Median()),
			benchkit.MS(cp.sched.OnCPU / n), benchkit.MS(cp.sched.Waiting / n)})
	}
	table(w, []string{"change", "total, median ms", "dvr-northd rounds per change", "… NB change seen → SB acked, mean ms", "… compute + commits, mean ms",
		"dvr-chassis rounds per change (all hypervisors)", "round time of the busiest chassis, median ms",
		"a read-only one-shot dvr-nbctl (lsp-get-up), median ms",
		"dvr-northd + every dvr-chassis on a CPU, mean ms", "… runnable but waiting for a CPU, mean ms"}, rows)
	fmt.Fprintln(w, "\nThe rest of a change is the nbctl process (start, connect, commit, its `--wait` monitor), the SB and NB notifications, and the chassis' barrier report reaching `NB_Global.hv_cfg` through dvr-northd.")
	for _, k := range []string{"port", "attach"} {
		if p := r.profiles[k]; p != "" {
			fmt.Fprintf(w, "\nCPU profile of hv1's dvr-chassis over the %s samples: %s\n", k, p)
		}
	}
}

func reportSummary(w io.Writer, cfg config, all []*sizeResult) {
	if len(all) == 0 {
		return
	}
	fmt.Fprintf(w, "\n### Summary against the targets\n\n")
	var rows [][]string
	for _, r := range all {
		us, ovn, fl := r.cols[colDVR], r.cols[colOVN], r.cols[colFloor]
		if us == nil {
			continue
		}
		size := fmt.Sprint(r.total())
		bulk := []string{"bulk", size, benchkit.Secs(us.bulk) + " s", "", "", "", "≤ 1.25 × floor", ""}
		if fl != nil {
			bulk[3], bulk[4], bulk[7] = benchkit.Secs(fl.bulk)+" s", ratio(us.bulk, fl.bulk), verdict(us.bulk, fl.bulk*5/4)
		}
		if ovn != nil {
			bulk[5] = fmt.Sprintf("%s s (%s)", benchkit.Secs(ovn.bulk), ratio(us.bulk, ovn.bulk))
		}
		rows = append(rows, bulk)
		port := []string{"VM port added → `--wait=hv`, up (ms)", size, benchkit.MS(us.portUp.Median()), "", "", "", "≤ 15 ms", verdict(us.portUp.Median(), singleTarget)}
		if fl != nil {
			port[3] = benchkit.MS(fl.portUp.Median())
		}
		if ovn != nil {
			port[5] = fmt.Sprintf("%s (%s)", benchkit.MS(ovn.portUp.Median()), ratio(us.portUp.Median(), ovn.portUp.Median()))
		}
		rows = append(rows, port)
		top := onTop(us.attach, us.qrPlug)
		att := []string{"router interface added → `--wait=hv` (ms; on top of its qr- plugs)", size,
			fmt.Sprintf("%s (%s + %s plugs)", benchkit.MS(us.attach.Median()), benchkit.MS(top.Median()), benchkit.MS(us.qrPlug.Median())),
			"", "", "", "≤ 15 ms + plugs", verdict(top.Median(), singleTarget)}
		if fl != nil {
			att[3] = benchkit.MS(fl.attach.Median())
		}
		if ovn != nil {
			att[5] = fmt.Sprintf("%s (%s)", benchkit.MS(ovn.attach.Median()), ratio(us.attach.Median(), ovn.attach.Median()))
		}
		rows = append(rows, att)
	}
	table(w, []string{"row", "VM ports", "us", "floor", "us ÷ floor", "OVN 23.03 (us ÷ OVN)", "target", ""}, rows)
}
