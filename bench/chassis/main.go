// Command chassis-bench measures dvr-chassis (issue 12's "Benchmark"):
// one simulated hypervisor (internal/hvtest: netns, ovsdb-server,
// ovs-vswitchd --enable-dummy) running dvr-chassis against real NB and SB
// ovsdb-servers and dvr-northd, all started and stopped here, and prints
// a Markdown report.
//
// Shape per size: 100 routers × 10 subnets × P VM ports per subnet (P = 10
// and 20: 10,000 and 20,000 ports), every 10th port bound to the chassis
// under test and the rest round-robin to 50 remote chassis, so every
// router is hosted here. The NB is written by fixtures.LoadNB (batched
// raw transactions), dvr-northd derives the SB; the remote chassis and the
// chassis under test are registered by raw SB writes (Chassis, vxlan
// Encap, Chassis_Private, as chassis/register.go writes them) and every
// port is bound by raw Port_Binding.chassis writes (remote ones up);
// northd then allocates the DVR MACs and router bindings. The local VM
// ports are plugged as dummy interfaces with their iface-id before the
// clock starts (timed on a row of its own). Then:
//
//  1. cold start: dvr-chassis process start → it reported the nb_cfg
//     bumped before (its barrier: claims, flows and namespaces
//     acknowledged) and its metrics show every namespace, qr- device and
//     neighbour entry (polled every 10 ms);
//  2. the floor, on a second fresh hypervisor: a raw read of the same SB
//     tables; the OVS ports dvr-chassis added (qo- veth ends, br-tun,
//     patch, vx-) in one ovs-vsctl transaction; the same namespaces,
//     sysctls, veths, addresses and neighbour entries by a trivial
//     netlink loop; the flows dvr-chassis installed (dumped from its
//     bridges) sent through chassis/ofctrl as one bundle per bridge on a
//     persistent connection;
//  3. single changes, N of each: a local VM port bound (ovs-vsctl add-port
//     with its iface-id → Port_Binding.up), a remote VM port added (a raw
//     SB bind → its neighbour entry and flows in dvr-chassis' benchkit.Metrics), a
//     router interface added (an LRP and its router-type LSP in one NB
//     transaction, on a switch of P remote-bound ports → the qr- device and
//     its P neighbour entries). "Inside" is the sum of the durations of
//     the rounds the change caused (dvr_chassis_round_duration_seconds,
//     from reading the caches to the last acknowledgement), end to end is
//     from our commit to the acknowledgement seen; median and p99
//     (nearest rank) of the samples;
//  4. flows per bridge, VmRSS/VmHWM; and, when a single change misses 5 ms,
//     a CPU profile of dvr-chassis (--pprof) over another round of remote
//     binds, its top entries in the report.
//
// ovn-controller is not measured yet (see the report).
//
// Run it with scripts/bench.sh (BENCH_ONLY=chassis make bench); it needs
// root. Environment:
//
//	BENCH_QUICK=1                  smoke run: 2 routers × 2 subnets × 5 ports, 3 samples
//	BENCH_CHASSIS_SIZES=10000,...  VM ports (multiples of 1000: 100 routers × 10 subnets × size/1000)
//	BENCH_CHASSIS_SAMPLES=N        samples of each single change (default 20)
//	BENCH_CHASSIS_PROFILE=DIR      keep the CPU profiles and dvr-chassis' log there (default: a temp dir, summarised only)
//	BENCH_CHASSIS_LOG_LEVEL=trace  dvr-chassis' --log-level (default debug; trace says why a round was a full one)
//	BENCH_PIDFILE, BENCH_KEEP      as for the other benchmarks (bench/internal/benchkit)
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

type config struct {
	dvrNorthd, dvrChassis string
	quick                 bool
	shapes                []shape
	samples               int
	profileDir            string
	logLevel              string
}

func main() { benchkit.Main("chassis-bench", run) }

func loadConfig() (config, error) {
	c := config{dvrNorthd: "bin/dvr-northd", dvrChassis: "bin/dvr-chassis"}
	for i := 1; i+1 < len(os.Args); i += 2 {
		switch os.Args[i] {
		case "-dvr-northd":
			c.dvrNorthd = os.Args[i+1]
		case "-dvr-chassis":
			c.dvrChassis = os.Args[i+1]
		default:
			return c, fmt.Errorf("unknown flag %s", os.Args[i])
		}
	}
	for _, b := range []*string{&c.dvrNorthd, &c.dvrChassis} {
		p, err := exec.LookPath(*b)
		if err == nil {
			p, err = filepath.Abs(p) // dvr-chassis runs from the hypervisor's run dir
		}
		if err != nil {
			return c, err
		}
		*b = p
	}
	c.quick = benchkit.EnvBool("BENCH_QUICK", false)
	c.samples = 20
	sizes := []int{10000, 20000}
	if c.quick {
		c.samples = 3
		c.shapes = []shape{{routers: 2, subnets: 2, ports: 5, remotes: 50, localEvery: 10}}
	}
	if v := os.Getenv("BENCH_CHASSIS_SIZES"); v != "" {
		sizes, c.shapes = nil, nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 || n%1000 != 0 || n/1000 > 240 {
				return c, fmt.Errorf("BENCH_CHASSIS_SIZES=%q: want multiples of 1000 up to 240000", v)
			}
			sizes = append(sizes, n)
		}
	}
	if len(c.shapes) == 0 {
		for _, n := range sizes {
			c.shapes = append(c.shapes, shape{routers: 100, subnets: 10, ports: n / 1000, remotes: 50, localEvery: 10})
		}
	}
	var err error
	if c.samples, err = benchkit.EnvInt("BENCH_CHASSIS_SAMPLES", c.samples); err != nil || c.samples < 1 {
		return c, fmt.Errorf("BENCH_CHASSIS_SAMPLES: want at least 1 (%v)", err)
	}
	for i := range c.shapes {
		c.shapes[i].samples = c.samples
	}
	c.profileDir = os.Getenv("BENCH_CHASSIS_PROFILE")
	c.logLevel = os.Getenv("BENCH_CHASSIS_LOG_LEVEL")
	if c.logLevel == "" {
		c.logLevel = "debug" // the report reads the debug lines (cold start timeline, flow bundles)
	}
	return c, nil
}

func run() error {
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	if os.Geteuid() != 0 {
		return fmt.Errorf("needs root (network and mount namespaces)")
	}
	ctx := context.Background()
	w := io.Writer(os.Stdout)
	fmt.Fprint(w, header(cfg))
	for _, s := range cfg.shapes {
		r, err := runSize(ctx, cfg, s)
		if err != nil {
			return fmt.Errorf("%d ports: %w", s.total(), err)
		}
		benchkit.Cleanup() // each size on fresh servers and hypervisors
		report(w, r)       // as soon as it is measured: a later size may not finish
	}
	fmt.Fprintln(w, "\novn-controller: not measured by this version of the benchmark (no OVN column yet).")
	fmt.Fprintf(w, "\nLoad average at the end: %s; whole run %.0f s.\n", benchkit.LoadAvg(), benchkit.Elapsed().Seconds())
	return nil
}

func header(cfg config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## dvr-chassis (issue 12), %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- machine: %s\n", benchkit.Machine())
	fmt.Fprintf(&b, "- load average at start: %s\n", benchkit.LoadAvg())
	fmt.Fprintf(&b, "- %s; dvr-chassis and dvr-northd built from %s with %s\n", benchkit.FirstLine("ovs-vswitchd", "--version"),
		benchkit.Revision("chassis", "cmd/dvr-chassis", "northd", "internal", "bench/chassis"), runtime.Version())
	mode := "full"
	if cfg.quick {
		mode = "quick (BENCH_QUICK)"
	}
	var sizes []string
	for _, s := range cfg.shapes {
		sizes = append(sizes, fmt.Sprintf("%d×%d×%d = %d", s.routers, s.subnets, s.ports, s.total()))
	}
	fmt.Fprintf(&b, "- mode: %s; sizes (routers × subnets × ports) %s; 1 port in 10 bound here, the rest on 50 remote chassis; %d samples of each single change\n",
		mode, strings.Join(sizes, ", "), cfg.samples)
	fmt.Fprintf(&b, "- command: `%s`\n", command(cfg))
	return b.String()
}

func command(cfg config) string {
	var env []string
	for _, k := range []string{"BENCH_QUICK", "BENCH_CHASSIS_SIZES", "BENCH_CHASSIS_SAMPLES"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return strings.TrimSpace(strings.Join(env, " ") + " BENCH_ONLY=chassis make bench")
}
