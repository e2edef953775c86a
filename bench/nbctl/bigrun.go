package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// Section (c): the commands that read a whole parent, on a switch (bs)
// and a router (br) of n ports each (bigswitch.go), one-shot processes
// of dvr-nbctl, ovn-nbctl and the ovn-nbctl daemon on the same NB.
//
//	BENCH_BIG_SIZES=100,1000,...  ports on bs and interfaces on br (default 100,1000,5000,20000)
//	BENCH_BIG_SAMPLES=N           samples per command and tool (default 20)
//	BENCH_BIG_ONLY=1              run only this section
//	BENCH_BIG=0                   skip it
//	BENCH_BIG_BASELINE=BIN        also time another dvr-nbctl binary (e.g. one built before a change)

// bigCmd is one command of section (c), rendered for one tool and sample.
type bigCmd struct {
	name string
	note string
	// args for sample i of tool k (0 dvr-nbctl, 1 ovn-nbctl one-shot,
	// 2 ovn-nbctl daemon, 3 the baseline dvr-nbctl, 4 the dvr-nbctl daemon).
	args func(k, i int) []string
}

func bigCmds(size, n int) []bigCmd {
	// Every sample writes names and addresses of its own: tool k, sample i.
	port := func(k, i int) string { return fmt.Sprintf("bench%d-%d", k, i) }
	mac := func(third byte, k, i int) string {
		return fmt.Sprintf("fa:16:%02x:%02x:%02x:%02x", third, 0xe0+k, byte(i>>8), byte(i))
	}
	ip := func(base, k, i int) string { return bigIP(base + 256*k + i).String() } // hosts past the VMs of 20,000
	return []bigCmd{
		{name: "lsp-add + lsp-set-addresses", note: "`lsp-add bs P -- lsp-set-addresses P \"MAC IP\"`",
			args: func(k, i int) []string {
				return []string{"lsp-add", bigSwitch, port(k, i), "--", "lsp-set-addresses", port(k, i),
					mac(0x3f, k, i) + " " + ip(40000, k, i)}
			}},
		{name: "lsp-set-addresses", note: "`lsp-set-addresses bvm<j> \"MAC IP\"` (a new address for an existing VM port)",
			args: func(k, i int) []string {
				name, _, _ := bigVM((k*n + i) % size)
				return []string{"lsp-set-addresses", name, mac(0x3b, k, i) + " " + ip(45000, k, i)}
			}},
		{name: "lrp-add (router of n interfaces)", note: "`lrp-add br P MAC 172.30.x.y/30`",
			args: func(k, i int) []string {
				return []string{"lrp-add", bigRouter, "lrpx" + port(k, i), mac(0x3a, k, i),
					fmt.Sprintf("172.30.%d.%d/30", k, 4*i+1)}
			}},
		{name: "lr-attach (switch of n ports)", note: "dvr-nbctl `lr-add R -- lr-attach R bs P MAC 10.128.x.y/16`; " +
			"ovn-nbctl `lr-add R -- lrp-add R P MAC NET -- lsp-add bs bs-R -- lsp-set-type bs-R router -- " +
			"lsp-set-addresses bs-R router -- lsp-set-options bs-R router-port=P`",
			args: func(k, i int) []string {
				r := "ra" + port(k, i)
				lrp, m, network := r+"-bs", mac(0x39, k, i), ip(50000, k, i)+"/16"
				if k == 0 || k == 3 || k == 4 { // dvr-nbctl
					return []string{"lr-add", r, "--", "lr-attach", r, bigSwitch, lrp, m, network}
				}
				lsp := bigSwitch + "-" + r
				return []string{"lr-add", r, "--", "lrp-add", r, lrp, m, network, "--", "lsp-add", bigSwitch, lsp,
					"--", "lsp-set-type", lsp, "router", "--", "lsp-set-addresses", lsp, "router",
					"--", "lsp-set-options", lsp, "router-port=" + lrp}
			}},
		{name: "show bs", note: "`show bs` (output to /dev/null)",
			args: func(k, i int) []string { return []string{"show", bigSwitch} }},
	}
}

type bigResult struct {
	ports int
	load  time.Duration
	floor *bigFloor
	// times[c][k]: command c, tool k (dvr-nbctl, ovn-nbctl one-shot,
	// ovn-nbctl daemon, the baseline dvr-nbctl if any, dvr-nbctl daemon)
	times      [][5]samples
	daemonNote string
}

func bigSizes() ([]int, int, error) {
	sizes := []int{100, 1000, 5000, 20000}
	n := 20
	if os.Getenv("BENCH_QUICK") != "" && os.Getenv("BENCH_QUICK") != "0" {
		sizes, n = []int{100, 1000}, 5
	}
	if v := os.Getenv("BENCH_BIG_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			s, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || s < 1 || s > 60000 {
				return nil, 0, fmt.Errorf("BENCH_BIG_SIZES=%q: want sizes from 1 to 60000", v)
			}
			sizes = append(sizes, s)
		}
	}
	n, err := envInt("BENCH_BIG_SAMPLES", n)
	if err == nil && n < 1 {
		err = fmt.Errorf("BENCH_BIG_SAMPLES must be at least 1")
	}
	return sizes, n, err
}

func runBig(cfg config, w io.Writer) error {
	sizes, n, err := bigSizes()
	if err != nil {
		return err
	}
	// What starting a process costs here, without any database work.
	var help, version samples
	for i := 0; i < 20; i++ {
		d, err := timeProc(nil, cfg.dvr, "--help")
		if err != nil {
			return err
		}
		help = append(help, d)
		if d, err = timeProc(nil, cfg.ovn, "--version"); err != nil {
			return err
		}
		version = append(version, d)
	}
	var results []*bigResult
	var cmds []bigCmd
	for _, size := range sizes {
		cmds = bigCmds(size, n)
		r, err := bigOne(cfg, size, n, cmds)
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	writeBig(w, results, cmds, n)
	fmt.Fprintf(w, "\nProcess floor in this section (start and exit, no database, 20 samples): `dvr-nbctl --help` "+
		"median %s ms (p99 %s), `ovn-nbctl --version` median %s ms (p99 %s).\n",
		ms(help.median()), ms(help.p99()), ms(version.median()), ms(version.p99()))
	return nil
}

func bigOne(cfg config, size, n int, cmds []bigCmd) (*bigResult, error) {
	ctx := context.Background()
	s, err := startServer(false)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	res := &bigResult{ports: size}
	logf("(c) %d ports: loading, load %s", size, benchkit.LoadAvg())
	t0 := time.Now()
	if err := fixtures.LoadNB(ctx, s.endpoint(), fixtures.MustGenerate(1, 10, 100, 0), 0); err != nil {
		return nil, err
	}
	if err := loadBig(ctx, s.endpoint(), size); err != nil {
		return nil, err
	}
	res.load = time.Since(t0)
	if res.floor, err = measureBigFloor(ctx, s.endpoint(), 10); err != nil {
		return nil, err
	}
	res.times = make([][5]samples, len(cmds))
	logf("(c) %d ports: starting the ovn-nbctl daemon", size)
	d, err := startDaemon(cfg.ovn, s)
	if err != nil {
		return nil, err
	}
	defer d.stop()
	first, err := timeProc(nil, cfg.ovn, "-u", d.sock, "show", bigSwitch)
	if err != nil {
		return nil, err
	}
	logf("(c) %d ports: starting the dvr-nbctl daemon", size)
	dd, err := startDvrDaemon(cfg.dvr, s)
	if err != nil {
		return nil, err
	}
	defer dd.stop()
	dvrEnv := []string{"DVR_NB_DAEMON=" + dd.sock}
	dfirst, err := timeProc(dvrEnv, cfg.dvr, "show", bigSwitch)
	if err != nil {
		return nil, err
	}
	res.daemonNote = fmt.Sprintf("daemon start %s ms, first command %s ms; dvr-nbctl daemon start %s ms, first command %s ms",
		ms(d.startup), ms(first), ms(dd.startup), ms(dfirst))
	db := "--db=" + s.endpoint()
	type tool struct {
		k   int
		bin string
		env []string
		pre []string
	}
	tools := []tool{{0, cfg.dvr, nil, []string{db}}, {1, cfg.ovn, nil, []string{db}}, {2, cfg.ovn, nil, []string{"-u", d.sock}},
		{4, cfg.dvr, dvrEnv, nil}}
	if b := os.Getenv("BENCH_BIG_BASELINE"); b != "" {
		tools = append(tools, tool{3, b, nil, []string{db}})
	}
	// The tools take turns sample by sample, so that the load of a shared
	// machine falls on all of them alike.
	for c, cmd := range cmds {
		logf("(c) %d ports: %s, load %s", size, cmd.name, benchkit.LoadAvg())
		for i := 0; i < n; i++ {
			for _, tl := range tools {
				dt, err := timeProc(tl.env, tl.bin, append(slices.Clone(tl.pre), cmd.args(tl.k, i)...)...)
				if err != nil {
					return nil, err
				}
				res.times[c][tl.k] = append(res.times[c][tl.k], dt)
			}
		}
	}
	return res, nil
}

func writeBig(w io.Writer, rs []*bigResult, cmds []bigCmd, n int) {
	fmt.Fprintf(w, "\n### (c) Commands that read a whole parent: a switch of n ports, a router of n interfaces\n\n")
	fmt.Fprintf(w, "Standalone server. Switch `bs` holds n VM ports (MAC and IP each, 10.128.0.0/16) and the "+
		"router-type port of router `br`; `br` has n interfaces (the one to bs and n-1 /30s); next to them 1,000 VM "+
		"ports on 10 switches of another router (fixtures.Generate(1, 10, 100, 0)), so the LSP table holds "+
		"n + 1,011 rows. Each sample is one process, fork+exec to exit, one at a time; %d samples per command "+
		"and tool, the tools taking turns sample by sample, each sample writing a name and address of "+
		"its own. Commands:\n\n", n)
	for _, c := range cmds {
		fmt.Fprintf(w, "- %s: %s\n", c.name, c.note)
	}
	base := os.Getenv("BENCH_BIG_BASELINE")
	fmt.Fprintf(w, "\n#### Wall time per command (ms, median / p99)\n\n")
	hdr, sep := "", ""
	if base != "" {
		hdr, sep = " | baseline dvr-nbctl | baseline / dvr", "|---:|---:"
		fmt.Fprintf(w, "Baseline: `%s` (BENCH_BIG_BASELINE), the same commands.\n\n", base)
	}
	fmt.Fprintf(w, "| n | command | dvr-nbctl one-shot | dvr-nbctl daemon | ovn-nbctl one-shot | ovn-nbctl daemon | ovn one-shot / dvr%s |\n", hdr)
	fmt.Fprintf(w, "|---:|---|---:|---:|---:|---:|---:%s|\n", sep)
	for _, r := range rs {
		for c, cmd := range cmds {
			t := r.times[c]
			extra := ""
			if len(t[3]) > 0 {
				extra = fmt.Sprintf(" | %s / %s | %.1fx", ms(t[3].median()), ms(t[3].p99()), float64(t[3].median())/float64(t[0].median()))
			}
			fmt.Fprintf(w, "| %d | %s | %s / %s | %s / %s | %s / %s | %s / %s | %.1fx%s |\n", r.ports, cmd.name,
				ms(t[0].median()), ms(t[0].p99()), ms(t[4].median()), ms(t[4].p99()), ms(t[1].median()), ms(t[1].p99()), ms(t[2].median()), ms(t[2].p99()),
				float64(t[1].median())/float64(t[0].median()), extra)
		}
	}
	fmt.Fprintf(w, "\n")
	for _, r := range rs {
		fmt.Fprintf(w, "- n = %d: NB loaded in %s s; ovn-nbctl %s.\n", r.ports, secs(r.load), r.daemonNote)
	}
	fmt.Fprintf(w, "\n#### The server's own cost of the reads and guards on bs (ms, median of 10, raw JSON on an open session)\n\n")
	fmt.Fprintf(w, "What `lsp-set-addresses` on bs needs from the server whatever the client: its n ports' "+
		"name, type, addresses and options (n selects by _uuid in one transaction, or one select of the whole "+
		"LSP table), and at commit one wait per port re-asserting them.\n\n")
	fmt.Fprintf(w, "| n | one select of bs by name | n selects by _uuid | reply kB | whole LSP table | reply kB | n waits | request kB | n selects + n waits |\n")
	fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		f := r.floor
		fmt.Fprintf(w, "| %d | %s | %s | %d | %s | %d | %s | %d | %s |\n", r.ports, ms(f.minimal.median()),
			ms(f.perRow.median()), f.perRowB/1000, ms(f.wholeTbl.median()), f.wholeTblB/1000,
			ms(f.guards.median()), f.guardsB/1000, ms(f.perRow.median()+f.guards.median()))
	}
	if len(rs) == 0 {
		return
	}
	fmt.Fprintf(w, "\n#### Against the targets (`lsp-add + lsp-set-addresses`, medians)\n\n")
	first := rs[0]
	fmt.Fprintf(w, "| n | dvr-nbctl one-shot | ÷ its cost at n = %d | target ≤ 2 | below ovn-nbctl one-shot |\n", first.ports)
	fmt.Fprintf(w, "|---:|---:|---:|---|---|\n")
	for _, r := range rs {
		d, o := r.times[0][0].median(), r.times[0][1].median()
		ratio := float64(d) / float64(first.times[0][0].median())
		v := "met"
		if ratio > 2 {
			v = "**missed**"
		}
		below := fmt.Sprintf("yes (%s ms)", ms(o))
		if d >= o {
			below = fmt.Sprintf("**no** (%s ms)", ms(o))
		}
		fmt.Fprintf(w, "| %d | %s | %.1f | %s | %s |\n", r.ports, ms(d), ratio, v, below)
	}
}
