// Command e2e-bench is issue 14's headline benchmark: the whole pipeline
// on K simulated hypervisors, three columns measured in one run.
//
//   - us: dvr-nbctl → NB → dvr-northd → SB → dvr-chassis on every
//     hypervisor;
//   - OVN 23.03: ovn-nbctl (OVN's own commands for the same rows:
//     fixtures.OVNNbctlBatches) → NB → ovn-northd → SB → ovn-controller on
//     every hypervisor (external_ids ovn-remote, ovn-encap-type,
//     ovn-encap-ip, ovn-bridge-datapath-type=netdev; it makes br-int
//     itself);
//   - the floor: no control plane. A raw client writes the NB rows (the
//     fixtures loader, one transaction), the same VM ports are plugged, and
//     a flow table of our size (the one dvr-chassis installed on that
//     hypervisor, dumped at the end of our column) is sent through
//     chassis/ofctrl as one bundle per bridge per hypervisor, on
//     connections opened before the clock.
//
// Hypervisors: internal/hvtest's recipe (BootNetwork: an underlay switch
// and hv1..hvK, each its own netns with ovsdb-server and ovs-vswitchd
// --disable-system --enable-dummy, underlay IP 192.168.0.K). Each column
// gets a freshly booted set of the same K hypervisors (same names,
// system-ids, IPs and OVS build), so no column inherits another's ports,
// flows or namespaces; its databases are fresh too (our schemas for us and
// the floor, /usr/share/ovn's for OVN).
//
// Workload per size: R routers × S subnets × P VM ports per subnet
// (fixtures.Generate), port g bound to hv(g mod K + 1). Rows:
//
//  1. bulk: empty NB (init only; daemons up and every chassis registered)
//     → the topology written (one nbctl process per router, one atomic
//     transaction each), every VM port plugged (dummy interfaces with
//     their iface-id, on every hypervisor in parallel, 500 per ovs-vsctl
//     transaction), `nbctl --wait=hv sync` returned and every VM
//     Logical_Switch_Port up. Each phase is timed too.
//  2. one VM port added and bound: its OVS interface (iface-id naming a
//     port that does not exist yet) is plugged before the clock, timed on
//     a row of its own; then `nbctl --wait=hv lsp-add SW P --
//     lsp-set-addresses P "MAC IP"` until it returned and the port is up.
//     On existing switches, spread over the routers, hypervisors
//     round-robin.
//  3. one router interface added: before the clock, extra switches (one
//     per sample) with P VM ports bound round-robin and plugged, attached
//     to no router; then `dvr-nbctl --wait=hv lr-attach R SW LRP MAC NET`
//     (OVN: lrp-add, lsp-add, lsp-set-type router, lsp-set-addresses
//     router, lsp-set-options router-port=LRP in one ovn-nbctl) until it
//     returned. Our qr- plugs are timed on a row of their own from a
//     monitor of each hypervisor's Interface table: the qr- row inserted by
//     dvr-chassis → ovs-vswitchd gave it an ofport; the row is the slowest
//     hypervisor's, per sample.
//  4. RSS (VmRSS, VmHWM) of northd, the NB and SB ovsdb-servers and hv1's
//     chassis (dvr-chassis or ovn-controller), at the end;
//  5. OpenFlow flows per hypervisor after the bulk (ovs-ofctl
//     dump-aggregate of every bridge).
//
// The floor's single changes: the same NB rows in one raw transaction,
// then on every hypervisor in parallel one bundle of as many flows as
// dvr-chassis changed there per change (counted around our samples);
// synthetic flows in a scope of their own (SyncScopes), so no full-table
// diff.
//
// Before each single change the driver waits until northd and every
// chassis daemon are idle (under 10 ms of CPU in 200 ms), so a change is
// not timed on the tail of the plug before it. What a change of ours is
// made of: dvr-northd's "round done" lines and dvr-chassis' round
// durations (its metrics, every hypervisor) are read around each sample,
// with the scheduler's on-CPU and run-queue times of the daemons
// (/proc/<pid>/task/*/schedstat; also over the bulk, for every column's
// daemons and the ovs-vswitchds) and a read-only one-shot dvr-nbctl; a
// CPU profile of hv1's dvr-chassis (--pprof) covers the first samples of
// each kind. The report gives them all.
//
// Run it with scripts/bench.sh (BENCH_ONLY=e2e make bench); it needs root.
// Environment:
//
//	BENCH_QUICK=1                     smoke run: 2×2×5 ports, 2 samples
//	BENCH_E2E_SIZES=10x5x10,...       sizes as R x S x P (default 10x5x10,50x10x10,100x10x20)
//	BENCH_E2E_SAMPLES=N               samples of each single change (default 10)
//	BENCH_E2E_HVS=K                   simulated hypervisors (default 4)
//	BENCH_E2E_COLUMNS=dvr,floor,ovn   columns to run, in this order (the floor needs dvr's flows)
//	BENCH_E2E_ENCAP=geneve            ovn-encap-type for ovn-controller (geneve or vxlan)
//	BENCH_E2E_PROFILE=DIR             keep the CPU profiles and daemons' logs there
//	BENCH_PIDFILE, BENCH_KEEP         as for the other benchmarks (bench/internal/benchkit)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

type config struct {
	bins       map[string]string // program name → absolute path
	quick      bool
	shapes     []shape
	samples    int
	hvs        int
	columns    []string
	encap      string
	profileDir string
}

func (c config) bin(name string) string { return c.bins[name] }

func main() { benchkit.Main("e2e-bench", run) }

var programs = []string{"dvr-nbctl", "dvr-northd", "dvr-chassis", "ovn-nbctl", "ovn-northd", "ovn-controller"}

func loadConfig() (config, error) {
	c := config{bins: map[string]string{"dvr-nbctl": "bin/dvr-nbctl", "dvr-northd": "bin/dvr-northd",
		"dvr-chassis": "bin/dvr-chassis", "ovn-nbctl": "ovn-nbctl", "ovn-northd": "ovn-northd", "ovn-controller": "ovn-controller"}}
	for i := 1; i < len(os.Args); i += 2 {
		name := strings.TrimPrefix(os.Args[i], "-")
		if _, ok := c.bins[name]; !ok || i+1 >= len(os.Args) {
			return c, fmt.Errorf("unknown flag %s (want -PROGRAM PATH for one of %s)", os.Args[i], strings.Join(programs, ", "))
		}
		c.bins[name] = os.Args[i+1]
	}
	for name, b := range c.bins {
		p, err := exec.LookPath(b)
		if err == nil {
			p, err = filepath.Abs(p) // the chassis run from the hypervisors' run dirs
		}
		if err != nil {
			return c, fmt.Errorf("%s: %w", name, err)
		}
		c.bins[name] = p
	}
	c.quick = benchkit.EnvBool("BENCH_QUICK", false)
	c.samples = 10
	sizes := "10x5x10,50x10x10,100x10x20"
	if c.quick {
		c.samples, sizes = 2, "2x2x5"
	}
	if v := os.Getenv("BENCH_E2E_SIZES"); v != "" {
		sizes = v
	}
	for _, f := range strings.Split(sizes, ",") {
		s, err := parseShape(f)
		if err != nil {
			return c, fmt.Errorf("BENCH_E2E_SIZES: %w", err)
		}
		c.shapes = append(c.shapes, s)
	}
	var err error
	if c.samples, err = benchkit.EnvInt("BENCH_E2E_SAMPLES", c.samples); err != nil || c.samples < 1 || c.samples > 200 {
		return c, fmt.Errorf("BENCH_E2E_SAMPLES: want 1 to 200 (%v)", err)
	}
	if c.hvs, err = benchkit.EnvInt("BENCH_E2E_HVS", 4); err != nil || c.hvs < 1 || c.hvs > 200 {
		return c, fmt.Errorf("BENCH_E2E_HVS: want 1 to 200 (%v)", err)
	}
	c.columns = []string{colDVR, colFloor, colOVN}
	if v := os.Getenv("BENCH_E2E_COLUMNS"); v != "" {
		c.columns = nil
		for _, f := range strings.Split(v, ",") {
			switch f = strings.TrimSpace(f); f {
			case colDVR, colFloor, colOVN:
				c.columns = append(c.columns, f)
			default:
				return c, fmt.Errorf("BENCH_E2E_COLUMNS: %q is not dvr, floor or ovn", f)
			}
		}
	}
	if has(c.columns, colFloor) && (!has(c.columns, colDVR) || index(c.columns, colFloor) < index(c.columns, colDVR)) {
		return c, fmt.Errorf("BENCH_E2E_COLUMNS: the floor installs dvr's flow table, so dvr must run before it")
	}
	c.encap = os.Getenv("BENCH_E2E_ENCAP")
	if c.encap == "" {
		c.encap = "geneve"
	}
	if c.encap != "geneve" && c.encap != "vxlan" {
		return c, fmt.Errorf("BENCH_E2E_ENCAP=%q: want geneve or vxlan", c.encap)
	}
	c.profileDir = os.Getenv("BENCH_E2E_PROFILE")
	return c, nil
}

func has(ss []string, s string) bool { return index(ss, s) >= 0 }

func index(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// parseShape reads "R x S x P" (x, X or ×).
func parseShape(f string) (shape, error) {
	f = strings.NewReplacer("×", "x", "X", "x", " ", "").Replace(f)
	parts := strings.Split(f, "x")
	if len(parts) != 3 {
		return shape{}, fmt.Errorf("%q: want routers x subnets x ports, e.g. 10x5x10", f)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 {
			return shape{}, fmt.Errorf("%q: %q is not a positive number", f, p)
		}
		n[i] = v
	}
	if n[2] > 200 || n[0]*n[1] > 60000 {
		return shape{}, fmt.Errorf("%q: at most 200 ports per subnet and 60,000 subnets", f)
	}
	return shape{routers: n[0], subnets: n[1], ports: n[2]}, nil
}

func run() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root (network and mount namespaces)")
	}
	if cfg.profileDir == "" {
		if cfg.profileDir, err = benchkit.TempDir("e2eprof"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
		return err
	}
	ctx := context.Background()
	w := io.Writer(os.Stdout)
	fmt.Fprint(w, header(cfg))
	var all []*sizeResult
	for _, s := range cfg.shapes {
		r, err := runSize(ctx, cfg, s)
		benchkit.Cleanup() // each size on fresh servers and hypervisors
		if r != nil {
			all = append(all, r)
			reportSize(w, cfg, r) // as soon as it is measured: a later size may not finish
		}
		if err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	reportSummary(w, cfg, all)
	fmt.Fprintf(w, "\nLoad average at the end: %s; whole run %.0f s.\n", benchkit.LoadAvg(), benchkit.Elapsed().Seconds())
	return nil
}
