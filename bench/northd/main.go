// Command northd-bench measures dvr-northd against real ovsdb-servers that
// it starts and stops itself, next to a floor (a minimal client reading
// the same NB columns and writing the same SB rows) and next to the real
// ovn-northd on the OVN schemas with the same topology, and prints the
// results as Markdown. Per NB size (fixtures.Generate: 100 VM ports per
// switch, 10 switches per router, 100 chassis registered with
// `ovn-sbctl chassis-add`, ports placed round-robin):
//
//  1. cold start on an empty SB: process start → NB and SB monitors
//     filled → lock and epoch → first full round (read, translate, diff,
//     SB commit, NB commit, from its "round done" log line) → sb_cfg seen
//     by a monitor; next to the floor's read and write and to ovn-northd's
//     start → sb_cfg;
//  2. the chassis claim their ports (DVR_Port_Claim rows with up, one
//     transaction per chassis) and northd settles;
//  3. port changes one at a time on an idle northd (lsp-add, a claim,
//     lsp-set-addresses), each timed by northd's since_change_ms;
//  4. end to end: `dvr-nbctl --wait=sb lsp-add SW P -- lsp-set-addresses P
//     ADDR` processes (and without --wait), next to the same ovn-nbctl
//     command on ovn-northd;
//  5. takeover: a standby started, the active killed with SIGKILL, until
//     the standby is active, has committed, and a --wait=sb command started
//     right after the kill returns;
//  6. VmRSS and VmHWM of each daemon after its cold start and after the
//     changes.
//
// Run it with scripts/bench.sh (make bench, or BENCH_ONLY=northd make bench
// for this part alone); environment:
//
//	BENCH_QUICK=1                 smoke run: 1k ports, few samples
//	BENCH_NORTHD_SIZES=1000,...   NB sizes in VM ports (multiples of 1000)
//	BENCH_NORTHD_CHANGES=N        port changes of each kind (default 50)
//	BENCH_NORTHD_E2E=N            end-to-end commands per tool (default 50)
//	BENCH_NORTHD_SLOW_SAMPLES=N   ovn-nbctl samples when one takes over 5 s (default 5;
//	                              20 when it takes over 0.5 s)
//	BENCH_NORTHD_TAKEOVERS=N      takeovers per size (default 1)
//	BENCH_NORTHD_OVN=0            skip ovn-northd
//	BENCH_NORTHD_PROFILE=DIR      also run dvr-northd in this process at the
//	                              largest size and write CPU profiles of its
//	                              cold start, the claims and the port changes,
//	                              and a heap profile, to DIR (see profile.go)
//	BENCH_PIDFILE=FILE            live pids of the processes it started
//	BENCH_KEEP=1                  keep the temp dirs (databases, logs)
//
// "northd-bench floor -nb EP -sb EP" is the floor client (floor.go); the
// benchmark runs it as a process of its own. "northd-bench profile" (with
// BENCH_NORTHD_PROFILE=DIR) runs only the in-process profile, at the
// largest size.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

type config struct {
	dvrNorthd, dvrNbctl, ovnNorthd, ovnNbctl string
	quick                                    bool
	sizes                                    []int
	chassis                                  int
	changes                                  int
	e2e                                      int
	slowThreshold, verySlowThreshold         time.Duration
	slowSamples, verySlowSamples             int
	takeovers                                int
	ovn                                      bool
	profile                                  string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "floor" {
		if err := runFloor(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "northd-bench floor: %v\n", err)
			os.Exit(1)
		}
		return
	}
	profileOnly := len(os.Args) > 1 && os.Args[1] == "profile"
	if profileOnly {
		os.Args = append(os.Args[:1], os.Args[2:]...)
	}
	benchkit.Main("northd-bench", func() error { return run(profileOnly) })
}

func loadConfig() (config, error) {
	var c config
	flag.StringVar(&c.dvrNorthd, "dvr-northd", "bin/dvr-northd", "dvr-northd binary")
	flag.StringVar(&c.dvrNbctl, "dvr-nbctl", "bin/dvr-nbctl", "dvr-nbctl binary")
	flag.StringVar(&c.ovnNorthd, "ovn-northd", "ovn-northd", "ovn-northd binary")
	flag.StringVar(&c.ovnNbctl, "ovn-nbctl", "ovn-nbctl", "ovn-nbctl binary")
	flag.Parse()
	c.quick = benchkit.EnvBool("BENCH_QUICK", false)
	c.sizes = []int{1000, 10000, 100000}
	c.chassis = 100
	c.changes, c.e2e, c.takeovers = 50, 50, 1
	c.slowThreshold, c.slowSamples = 500*time.Millisecond, 20
	c.verySlowThreshold, c.verySlowSamples = 5*time.Second, 5
	if c.quick {
		c.sizes = []int{1000}
		c.changes, c.e2e = 10, 10
		c.slowSamples, c.verySlowSamples = 5, 3
	}
	if v := os.Getenv("BENCH_NORTHD_SIZES"); v != "" {
		c.sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 || n%1000 != 0 {
				return c, fmt.Errorf("BENCH_NORTHD_SIZES=%q: want positive multiples of 1000", v)
			}
			c.sizes = append(c.sizes, n)
		}
	}
	var err error
	for _, e := range []struct {
		name string
		v    *int
	}{{"BENCH_NORTHD_CHANGES", &c.changes}, {"BENCH_NORTHD_E2E", &c.e2e},
		{"BENCH_NORTHD_SLOW_SAMPLES", &c.verySlowSamples}, {"BENCH_NORTHD_TAKEOVERS", &c.takeovers}} {
		if *e.v, err = benchkit.EnvInt(e.name, *e.v); err != nil {
			return c, err
		}
	}
	if c.changes < 1 || c.e2e < 1 || c.verySlowSamples < 1 {
		return c, fmt.Errorf("BENCH_NORTHD_CHANGES, BENCH_NORTHD_E2E and BENCH_NORTHD_SLOW_SAMPLES must be at least 1")
	}
	c.ovn = benchkit.EnvBool("BENCH_NORTHD_OVN", true)
	c.profile = os.Getenv("BENCH_NORTHD_PROFILE")
	bins := []*string{&c.dvrNorthd, &c.dvrNbctl}
	if c.ovn {
		bins = append(bins, &c.ovnNorthd, &c.ovnNbctl)
	}
	for _, b := range bins {
		p, err := exec.LookPath(*b)
		if err != nil {
			return c, fmt.Errorf("%s: %w", *b, err)
		}
		*b = p
	}
	for _, b := range []string{"ovsdb-server", "ovsdb-tool", "ovn-sbctl"} {
		if _, err := exec.LookPath(b); err != nil {
			return c, err
		}
	}
	if c.ovn {
		for _, f := range []string{ovnNBSchema, ovnSBSchema} {
			if !exists(f) {
				return c, fmt.Errorf("%s missing (package ovn-central); BENCH_NORTHD_OVN=0 skips ovn-northd", f)
			}
		}
	}
	return c, nil
}

func run(profileOnly bool) error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	ctx := context.Background()
	if profileOnly {
		if cfg.profile == "" {
			return fmt.Errorf("profile: set BENCH_NORTHD_PROFILE=DIR")
		}
		return runProfile(ctx, cfg, cfg.sizes[len(cfg.sizes)-1], cfg.profile)
	}
	var out bytes.Buffer
	w := io.MultiWriter(os.Stdout, &out)
	fmt.Fprint(w, header(cfg))
	var rs []*sizeResults
	for _, size := range cfg.sizes {
		r := &sizeResults{size: size}
		if r.dvr, err = runDVR(ctx, cfg, size); err != nil {
			return fmt.Errorf("dvr-northd, %d ports: %w", size, err)
		}
		if cfg.ovn {
			if r.ovn, err = runOVN(ctx, cfg, size); err != nil {
				return fmt.Errorf("ovn-northd, %d ports: %w", size, err)
			}
		}
		rs = append(rs, r)
	}
	report(w, cfg, rs)
	if cfg.profile != "" {
		size := cfg.sizes[len(cfg.sizes)-1]
		if err := runProfile(ctx, cfg, size, cfg.profile); err != nil {
			return fmt.Errorf("profile: %w", err)
		}
		fmt.Fprintf(w, "\nCPU and heap profiles of dvr-northd in-process at %d ports: %s (see profile.go).\n", size, cfg.profile)
	}
	fmt.Fprintf(w, "\nLoad average at the end: %s; whole run %.0f s.\n", benchkit.LoadAvg(), benchkit.Elapsed().Seconds())
	return nil
}

type sizeResults struct {
	size int
	dvr  *dvrResult
	ovn  *ovnResult
}

func header(cfg config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## dvr-northd vs ovn-northd, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- machine: %s\n", benchkit.Machine())
	fmt.Fprintf(&b, "- load average at start: %s\n", benchkit.LoadAvg())
	ovn := "ovn-northd skipped"
	if cfg.ovn {
		ovn = benchkit.FirstLine(cfg.ovnNorthd, "--version")
	}
	fmt.Fprintf(&b, "- %s; %s; dvr-northd built from %s with %s\n", benchkit.FirstLine("ovsdb-server", "--version"),
		ovn, benchkit.Revision("northd", "cmd/dvr-northd", "internal", "nbctl"), runtime.Version())
	mode := "full"
	if cfg.quick {
		mode = "quick (BENCH_QUICK)"
	}
	fmt.Fprintf(&b, "- mode: %s; sizes %v VM ports, %d chassis; %d port changes of each kind; %d end-to-end commands per tool "+
		"(ovn-nbctl: %d when one takes over %v, %d over %v); %d takeover(s) per size\n",
		mode, cfg.sizes, cfg.chassis, cfg.changes, cfg.e2e, cfg.slowSamples, cfg.slowThreshold, cfg.verySlowSamples, cfg.verySlowThreshold, cfg.takeovers)
	return b.String()
}
