// Command nbctl-bench compares dvr-nbctl with ovn-nbctl against real
// ovsdb-servers that it starts and stops itself (standalone, and a
// single-node RAFT cluster), and prints the results as Markdown:
//
//   - (a) building a generated topology (fixtures.Generate) in batched form,
//     one process = one transaction per router, with each tool;
//   - (b) one-shot lsp-add / lsp-del processes against NBs pre-built with
//     fixtures.LoadNB at several sizes: dvr-nbctl, ovn-nbctl one-shot and
//     ovn-nbctl in daemon mode, next to the server's own cost of the
//     selects those commands need (an LSP by name is a table scan), and
//     dvr-nbctl's fixed costs measured in-process (startup floor, connect,
//     schema, model).
//
// Every one-shot command is timed as a whole process, fork+exec to exit,
// one at a time. Run it with scripts/bench.sh (make bench); environment:
//
//	BENCH_QUICK=1          smoke run: small sizes, few samples, no cluster
//	BENCH_SIZES=1000,...   NB sizes for (b), in VM ports (multiples of 100)
//	BENCH_SAMPLES=N        one-shot samples per command (default 200)
//	BENCH_SLOW_SAMPLES=N   samples when one call takes over 250 ms (default 20)
//	BENCH_CLUSTERED=0|1    also run on a 1-node RAFT cluster (default 1, quick 0)
//	BENCH_OUT=FILE         also write the Markdown there
//	BENCH_PIDFILE=FILE     live pids of the servers and daemons it started
//	BENCH_KEEP=1           keep the temp dirs (logs, databases)
//	BENCH_BIG*             section (c), commands on a big switch/router: see bigrun.go
//	BENCH_PROBE=N          only profile one command on a big switch: see probe.go
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/nbctl"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

type config struct {
	dvr, ovn      string
	quick         bool
	builds        [][3]int // (a) shapes: routers, subnets per router, ports per subnet
	sizes         []int
	samples       int
	slowSamples   int
	slowThreshold time.Duration
	floorSamples  int
	clustered     bool
	clusterSize   int
	out           string
}

func main() {
	code := 0
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-sigs
		logf("%v: stopping the servers and daemons started here", s)
		stopAll()
		os.Exit(130)
	}()
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "nbctl-bench: %v\n", err)
		code = 1
	}
	stopAll()
	os.Exit(code)
}

func envInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a non-negative integer", name, v)
	}
	return n, nil
}

func loadConfig() (config, error) {
	var c config
	flag.StringVar(&c.dvr, "dvr-nbctl", "bin/dvr-nbctl", "dvr-nbctl binary")
	flag.StringVar(&c.ovn, "ovn-nbctl", "ovn-nbctl", "ovn-nbctl binary")
	flag.Parse()
	c.quick = os.Getenv("BENCH_QUICK") != "" && os.Getenv("BENCH_QUICK") != "0"
	// The second shape puts 10,000 ports in one transaction: how each
	// tool scales with the size of one transaction.
	c.builds = [][3]int{{10, 10, 100}, {1, 100, 100}}
	c.sizes = []int{1000, 10000, 100000}
	c.samples, c.slowSamples, c.floorSamples = 200, 20, 50
	c.slowThreshold = 250 * time.Millisecond
	c.clustered, c.clusterSize = true, 10000
	if c.quick {
		c.builds = [][3]int{{2, 5, 100}}
		c.sizes = []int{1000}
		c.samples, c.slowSamples, c.floorSamples = 20, 5, 10
		c.clustered = false
	}
	if v := os.Getenv("BENCH_SIZES"); v != "" {
		c.sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 || n%100 != 0 {
				return c, fmt.Errorf("BENCH_SIZES=%q: want positive multiples of 100", v)
			}
			c.sizes = append(c.sizes, n)
		}
	}
	var err error
	if c.samples, err = envInt("BENCH_SAMPLES", c.samples); err != nil {
		return c, err
	}
	if c.slowSamples, err = envInt("BENCH_SLOW_SAMPLES", c.slowSamples); err != nil {
		return c, err
	}
	if c.samples < 1 || c.slowSamples < 1 {
		return c, fmt.Errorf("BENCH_SAMPLES and BENCH_SLOW_SAMPLES must be at least 1")
	}
	if v := os.Getenv("BENCH_CLUSTERED"); v != "" {
		c.clustered = v != "0"
	}
	c.out = os.Getenv("BENCH_OUT")
	for _, b := range []*string{&c.dvr, &c.ovn} {
		p, err := exec.LookPath(*b)
		if err != nil {
			return c, fmt.Errorf("%s: %w", *b, err)
		}
		*b = p
	}
	for _, b := range []string{"ovsdb-server", "ovsdb-tool"} {
		if _, err := exec.LookPath(b); err != nil {
			return c, err
		}
	}
	return c, nil
}

var start = time.Now()

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[bench %6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// cmdTimeout bounds one process (ovn-nbctl one-shot at 100k ports takes
// seconds; a hang must not stall the run).
const cmdTimeout = 5 * time.Minute

// timeProc runs one process to its exit and returns its wall time, fork+exec
// to reaped exit. Its stdout goes to /dev/null; stderr is kept for errors.
func timeProc(env []string, bin string, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	err := cmd.Run()
	d := time.Since(t0)
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[:2000] + "..."
		}
		short := strings.Join(args, " ")
		if len(short) > 200 {
			short = short[:200] + "..."
		}
		return d, fmt.Errorf("%s %s: %v: %s", bin, short, err, msg)
	}
	return d, nil
}

func run() error {
	if v := os.Getenv("BENCH_PROBE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return err
		}
		return probe(n, os.Getenv("BENCH_PROBE_DIR"))
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	var out bytes.Buffer
	w := io.MultiWriter(os.Stdout, &out)
	m := machine(cfg)
	fmt.Fprint(w, m)
	big := os.Getenv("BENCH_BIG") != "0"
	if os.Getenv("BENCH_BIG_ONLY") != "" && os.Getenv("BENCH_BIG_ONLY") != "0" {
		if err := runBig(cfg, w); err != nil {
			return err
		}
		fmt.Fprintf(w, "\nLoad average at the end: %s; whole run %.0f s.\n", benchkit.LoadAvg(), time.Since(start).Seconds())
		return writeOut(cfg, out.Bytes())
	}

	logf("process floors")
	floors, err := measureFloors(cfg)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "\n### (a) Building the topology: one process = one transaction per router\n\n")
	fmt.Fprintf(w, "fixtures.Generate(routers, subnets, ports, 0) rendered by fixtures.NbctlBatches (dvr-nbctl: lr-add, "+
		"ls-add, lr-attach, lsp-add, lsp-set-addresses) and OVNNbctlBatches (ovn-nbctl: lrp-add, lsp-add, lsp-set-type, "+
		"lsp-set-addresses, lsp-set-options instead of lr-attach); one process per router, run one after the other "+
		"on a fresh NB after `init`; time = sum of the processes' wall times.\n\n")
	fmt.Fprintf(w, "| server | routers x subnets x ports | tool | processes | total s | VM ports/s | median s per process | max s per process | ovn-nbctl time / dvr-nbctl time |\n")
	fmt.Fprintf(w, "|---|---|---|---:|---:|---:|---:|---:|---:|\n")
	type buildRun struct {
		clustered bool
		shape     [3]int
	}
	var bruns []buildRun
	for _, sh := range cfg.builds {
		bruns = append(bruns, buildRun{false, sh})
	}
	if cfg.clustered {
		bruns = append(bruns, buildRun{true, cfg.builds[0]})
	}
	for _, b := range bruns {
		var res []buildResult
		for _, tool := range []string{"dvr-nbctl", "ovn-nbctl"} {
			br, err := build(cfg, b.clustered, b.shape, tool)
			if err != nil {
				return err
			}
			res = append(res, br)
		}
		ratio := res[1].times.total().Seconds() / res[0].times.total().Seconds()
		for i, br := range res {
			sp := ""
			if i == 0 {
				sp = fmt.Sprintf("**%.2f**", ratio)
			}
			fmt.Fprintf(w, "| %s | %d x %d x %d | %s | %d | %s | %.0f | %s | %s | %s |\n", br.server,
				b.shape[0], b.shape[1], b.shape[2], br.tool, len(br.times),
				secs(br.times.total()), float64(br.ports)/br.times.total().Seconds(),
				secs(br.times.median()), secs(br.times.pct(100)), sp)
		}
	}

	fmt.Fprintf(w, "\n### (b) One-shot processes against a pre-built NB\n\n")
	fmt.Fprintf(w, "Each NB is written straight into a fresh server by fixtures.LoadNB: 100 VM ports per switch, "+
		"10 switches per router. Every sample is one process, fork+exec to exit, run one at a time: `lsp-add "+
		"<random existing switch> <new port>` N times, then `lsp-del <that port>` for each. "+
		"Percentiles are nearest-rank (with 20 samples p99 is the maximum). ovn-nbctl one-shot takes "+
		"%d samples where its first call takes over %v.\n", cfg.slowSamples, cfg.slowThreshold)
	type sizeRun struct {
		clustered bool
		size      int
	}
	var runs []sizeRun
	for _, s := range cfg.sizes {
		runs = append(runs, sizeRun{false, s})
	}
	if cfg.clustered {
		runs = append(runs, sizeRun{true, cfg.clusterSize})
	}
	var results []*sizeResult
	for _, sr := range runs {
		res, err := oneShot(cfg, sr.clustered, sr.size)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	writeOneShot(w, cfg, results, floors)
	if big {
		if err := runBig(cfg, w); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nLoad average at the end: %s; whole run %.0f s.\n", benchkit.LoadAvg(), time.Since(start).Seconds())
	return writeOut(cfg, out.Bytes())
}

func writeOut(cfg config, b []byte) error {
	if cfg.out == "" {
		return nil
	}
	return os.WriteFile(cfg.out, b, 0o644)
}

// machine describes where and with what the run happens.
func machine(cfg config) string {
	var b strings.Builder
	first := benchkit.FirstLine
	rev := first("git", "rev-parse", "--short", "HEAD")
	if first("git", "status", "--porcelain", "--", "nbctl", "cmd/dvr-nbctl", "internal") != "" {
		rev += " (uncommitted changes under nbctl/, cmd/dvr-nbctl or internal/)"
	}
	mode := "full"
	if cfg.quick {
		mode = "quick (BENCH_QUICK)"
	}
	fmt.Fprintf(&b, "## dvr-nbctl vs ovn-nbctl, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "- machine: %s\n", benchkit.Machine())
	fmt.Fprintf(&b, "- load average at start: %s\n", benchkit.LoadAvg())
	fmt.Fprintf(&b, "- %s; %s; dvr-nbctl built from %s with %s\n", first("ovsdb-server", "--version"),
		first(cfg.ovn, "--version"), rev, runtime.Version())
	fmt.Fprintf(&b, "- mode: %s; one-shot samples: %d (slow: %d)\n", mode, cfg.samples, cfg.slowSamples)
	return b.String()
}

// floors are the cost of starting each program and exiting without any
// database work.
type floors struct {
	dvrHelp, ovnVersion samples
}

func measureFloors(cfg config) (floors, error) {
	var f floors
	for i := 0; i < cfg.floorSamples; i++ {
		d, err := timeProc(nil, cfg.dvr, "--help")
		if err != nil {
			return f, err
		}
		f.dvrHelp = append(f.dvrHelp, d)
		d, err = timeProc(nil, cfg.ovn, "--version")
		if err != nil {
			return f, err
		}
		f.ovnVersion = append(f.ovnVersion, d)
	}
	return f, nil
}

type buildResult struct {
	server, tool string
	ports        int
	times        samples
}

func build(cfg config, clustered bool, shape [3]int, tool string) (buildResult, error) {
	topo := fixtures.MustGenerate(shape[0], shape[1], shape[2], 0)
	nr, ns, np := topo.Counts()
	s, err := startServer(clustered)
	if err != nil {
		return buildResult{}, err
	}
	defer s.stop()
	br := buildResult{server: s.kind(), tool: tool, ports: np}
	bin, batches := cfg.dvr, fixtures.NbctlBatches(topo)
	if tool == "ovn-nbctl" {
		bin, batches = cfg.ovn, fixtures.OVNNbctlBatches(topo)
	}
	logf("(a) %s, %v, %s: init + %d batches, load %s", s.kind(), shape, tool, len(batches), benchkit.LoadAvg())
	db := "--db=" + s.endpoint()
	if _, err := timeProc(nil, bin, db, "init"); err != nil {
		return br, err
	}
	for _, b := range batches {
		d, err := timeProc(nil, bin, append([]string{db}, b...)...)
		if err != nil {
			return br, err
		}
		br.times = append(br.times, d)
	}
	logf("(a) %s, %s: %.2f s", s.kind(), tool, br.times.total().Seconds())
	return br, checkCounts(s, nr, ns, np+ns)
}

// checkCounts verifies the NB holds exactly the expected rows.
func checkCounts(s *server, routers, switches, lsps int) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := fixtures.Connect(ctx, s.endpoint())
	if err != nil {
		return err
	}
	defer c.Close()
	n, err := fixtures.CountRows(ctx, c)
	if err != nil {
		return err
	}
	want := map[string]int{nbdb.LogicalRouterTable: routers, nbdb.LogicalRouterPortTable: switches,
		nbdb.LogicalSwitchTable: switches, nbdb.LogicalSwitchPortTable: lsps}
	for t, v := range want {
		if n[t] != v {
			return fmt.Errorf("%s holds %d %s rows, want %d", s.endpoint(), n[t], t, v)
		}
	}
	return nil
}

// sizeTopology is the pre-built NB of n VM ports: 100 per switch, 10
// switches per router.
func sizeTopology(n int) fixtures.Topology {
	if n%1000 == 0 {
		return fixtures.MustGenerate(n/1000, 10, 100, 0)
	}
	return fixtures.MustGenerate(1, n/100, 100, 0)
}

// tool is one way of running lsp-add / lsp-del.
type toolRun struct {
	name     string
	note     string
	add, del samples
}

type sizeResult struct {
	server   string
	ports    int
	switches int
	load     time.Duration
	// server-side round trips, in-process (no process start)
	lspByName, lspByUUID, lsByName, lsByPort samples
	// dvr-nbctl's fixed costs, in-process
	dial, schema, model samples
	tools               []*toolRun
	loadBefore          string
}

func oneShot(cfg config, clustered bool, size int) (*sizeResult, error) {
	topo := sizeTopology(size)
	nr, ns, np := topo.Counts()
	s, err := startServer(clustered)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	res := &sizeResult{server: s.kind(), ports: np, switches: ns, loadBefore: benchkit.LoadAvg()}
	logf("(b) %s, %d ports: loading, load %s", s.kind(), np, res.loadBefore)
	t0 := time.Now()
	if err := fixtures.LoadNB(context.Background(), s.endpoint(), topo, 0); err != nil {
		return nil, err
	}
	res.load = time.Since(t0)
	if err := checkCounts(s, nr, ns, np+ns); err != nil {
		return nil, err
	}
	var switches, vms []string
	topo.EachPort(func(_ fixtures.Router, _ fixtures.Subnet, p fixtures.Port) { vms = append(vms, p.Name) })
	for _, r := range topo.Routers {
		for _, sub := range r.Subnets {
			switches = append(switches, sub.Switch)
		}
	}

	logf("(b) %s, %d ports: server-side selects and dvr-nbctl fixed costs (in-process)", s.kind(), np)
	if err := serverSide(cfg, s, res, switches, vms); err != nil {
		return nil, err
	}

	// The same random switches for every tool.
	pick := func() func() string {
		rng := rand.New(rand.NewPCG(uint64(size), 7))
		return func() string { return switches[rng.IntN(len(switches))] }
	}
	db := "--db=" + s.endpoint()

	logf("(b) %s, %d ports: dvr-nbctl in-process (nbctl.Run)", s.kind(), np)
	inproc := &toolRun{name: "dvr-nbctl in-process", note: "nbctl.Run in this process: no fork/exec, no Go runtime start"}
	{
		next := pick()
		o := nbctl.Options{DB: s.endpoint(), Stdout: io.Discard}
		for i := 0; i < cfg.samples; i++ {
			t0 := time.Now()
			if err := nbctl.Run(context.Background(), o, []string{"lsp-add", next(), fmt.Sprintf("bench-inproc-%d", i)}); err != nil {
				return nil, fmt.Errorf("in-process lsp-add: %w", err)
			}
			inproc.add = append(inproc.add, time.Since(t0))
		}
		for i := 0; i < cfg.samples; i++ {
			t0 := time.Now()
			if err := nbctl.Run(context.Background(), o, []string{"lsp-del", fmt.Sprintf("bench-inproc-%d", i)}); err != nil {
				return nil, fmt.Errorf("in-process lsp-del: %w", err)
			}
			inproc.del = append(inproc.del, time.Since(t0))
		}
	}

	oneshot := func(name, note string, n int, env []string, bin string, pre []string, prefix string) (*toolRun, error) {
		logf("(b) %s, %d ports: %s, load %s", s.kind(), np, name, benchkit.LoadAvg())
		tr := &toolRun{name: name, note: note}
		next := pick()
		for i := 0; i < n; i++ {
			d, err := timeProc(env, bin, append(pre, "lsp-add", next(), fmt.Sprintf("%s-%d", prefix, i))...)
			if err != nil {
				return nil, err
			}
			tr.add = append(tr.add, d)
			if i == 0 && d > cfg.slowThreshold && n > cfg.slowSamples {
				n = cfg.slowSamples
				logf("(b) %s: first call took %v: %d samples", name, d.Round(time.Millisecond), n)
			}
		}
		for i := 0; i < n; i++ {
			d, err := timeProc(env, bin, append(pre, "lsp-del", fmt.Sprintf("%s-%d", prefix, i))...)
			if err != nil {
				return nil, err
			}
			tr.del = append(tr.del, d)
		}
		return tr, nil
	}

	dvr, err := oneshot("dvr-nbctl one-shot", "", cfg.samples, nil, cfg.dvr, []string{db}, "bench-dvr")
	if err != nil {
		return nil, err
	}
	ovn, err := oneshot("ovn-nbctl one-shot", "", cfg.samples, nil, cfg.ovn, []string{db}, "bench-ovn")
	if err != nil {
		return nil, err
	}

	logf("(b) %s, %d ports: starting the ovn-nbctl daemon", s.kind(), np)
	d, err := startDaemon(cfg.ovn, s)
	if err != nil {
		return nil, err
	}
	// The first command waits for the daemon's initial download of the NB.
	first, err := timeProc(nil, cfg.ovn, "-u", d.sock, "lsp-add", switches[0], "bench-ovnd-first")
	if err == nil {
		_, err = timeProc(nil, cfg.ovn, "-u", d.sock, "lsp-del", "bench-ovnd-first")
	}
	if err != nil {
		d.stop()
		return nil, err
	}
	daemonRun, err := oneshot("ovn-nbctl daemon", fmt.Sprintf("daemon start (--detach) %s ms, first command %s ms (initial download)",
		ms(d.startup), ms(first)), cfg.samples, nil, cfg.ovn, []string{"-u", d.sock}, "bench-ovnd")
	d.stop()
	if err != nil {
		return nil, err
	}
	res.tools = []*toolRun{dvr, inproc, ovn, daemonRun}
	return res, checkCounts(s, nr, ns, np+ns)
}

// serverSide measures, in-process over one session, the server's cost of
// the selects the commands need, and dvr-nbctl's per-run fixed costs.
func serverSide(cfg config, s *server, res *sizeResult, switches, vms []string) error {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(len(vms)), 11))
	n := max(cfg.samples/2, 10)
	c, err := ovsdbrpc.Dial(ctx, s.endpoint(), nil, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	sel := func(table string, cond ovsdb.Condition) (time.Duration, []ovsdb.Row, error) {
		t0 := time.Now()
		r, err := c.Transact(ctx, "OVN_Northbound", ovsdb.Operation{Op: ovsdb.OperationSelect, Table: table,
			Where: []ovsdb.Condition{cond}, Columns: []string{"_uuid", "name"}})
		d := time.Since(t0)
		if err == nil && (len(r) != 1 || r[0].Error != "") {
			err = fmt.Errorf("select on %s: %v", table, r)
		}
		if err != nil {
			return d, nil, err
		}
		return d, r[0].Rows, nil
	}
	for i := 0; i < n; i++ {
		vm := vms[rng.IntN(len(vms))]
		d, rows, err := sel(nbdb.LogicalSwitchPortTable, ovsdb.NewCondition("name", ovsdb.ConditionEqual, vm))
		if err != nil {
			return err
		}
		if len(rows) != 1 {
			return fmt.Errorf("select LSP %s: %d rows", vm, len(rows))
		}
		res.lspByName = append(res.lspByName, d)
		u := rows[0]["_uuid"].(ovsdb.UUID)
		if d, _, err = sel(nbdb.LogicalSwitchPortTable, ovsdb.NewCondition("_uuid", ovsdb.ConditionEqual, u)); err != nil {
			return err
		}
		res.lspByUUID = append(res.lspByUUID, d)
		set, _ := ovsdb.NewOvsSet([]ovsdb.UUID{u})
		if d, rows, err = sel(nbdb.LogicalSwitchTable, ovsdb.NewCondition("ports", ovsdb.ConditionIncludes, set)); err != nil {
			return err
		}
		if len(rows) != 1 {
			return fmt.Errorf("select LS with port %s: %d rows", vm, len(rows))
		}
		res.lsByPort = append(res.lsByPort, d)
		if d, _, err = sel(nbdb.LogicalSwitchTable, ovsdb.NewCondition("name", ovsdb.ConditionEqual, switches[rng.IntN(len(switches))])); err != nil {
			return err
		}
		res.lsByName = append(res.lsByName, d)
	}
	// What every dvr-nbctl run pays before its first select: a session to
	// the leader (dial + _Server check), get_schema, and the model built
	// from it (nbctl.connect).
	for i := 0; i < n; i++ {
		t0 := time.Now()
		c2, err := ovsdbrpc.DialLeader(ctx, []string{s.endpoint()}, "OVN_Northbound", nil, nil)
		if err != nil {
			return err
		}
		res.dial = append(res.dial, time.Since(t0))
		t0 = time.Now()
		sch, err := c2.GetSchema(ctx, "OVN_Northbound")
		c2.Close()
		if err != nil {
			return err
		}
		res.schema = append(res.schema, time.Since(t0))
		t0 = time.Now()
		cm, err := nbdb.FullDatabaseModel()
		if err != nil {
			return err
		}
		if _, errs := model.NewDatabaseModel(*sch, cm); len(errs) > 0 {
			return errors.Join(errs...)
		}
		res.model = append(res.model, time.Since(t0))
	}
	return nil
}

func writeOneShot(w io.Writer, cfg config, rs []*sizeResult, f floors) {
	const target = 15 * time.Millisecond
	fmt.Fprintf(w, "\n#### Per-command wall time (ms)\n\n")
	fmt.Fprintf(w, "| server | VM ports | tool | n | lsp-add median | lsp-add p99 | lsp-del median | lsp-del p99 |\n")
	fmt.Fprintf(w, "|---|---:|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		for _, t := range r.tools {
			n := fmt.Sprint(len(t.add))
			fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", r.server, r.ports, t.name, n,
				ms(t.add.median()), ms(t.add.p99()), ms(t.del.median()), ms(t.del.p99()))
		}
	}
	for _, r := range rs {
		for _, t := range r.tools {
			if t.note != "" && t.name != "dvr-nbctl in-process" {
				fmt.Fprintf(w, "\n- %s, %d ports, %s: %s", r.server, r.ports, t.name, t.note)
			}
		}
	}
	fmt.Fprintf(w, "\n- dvr-nbctl in-process: %s.\n", rs[0].tools[1].note)
	fmt.Fprintf(w, "- process floor (start and exit, no database): `dvr-nbctl --help` median %s ms (p99 %s), "+
		"`ovn-nbctl --version` median %s ms (p99 %s), %d samples each.\n",
		ms(f.dvrHelp.median()), ms(f.dvrHelp.p99()), ms(f.ovnVersion.median()), ms(f.ovnVersion.p99()), len(f.dvrHelp))

	fmt.Fprintf(w, "\n#### The server's own cost (ms, round trip of one select on an open session, in-process)\n\n")
	fmt.Fprintf(w, "lsp-add reads its switch by name; lsp-del reads the port by name (a scan: ovsdb-server "+
		"uses its indexes only to enforce uniqueness) and then its switch by `ports includes`.\n\n")
	fmt.Fprintf(w, "| server | VM ports | switches | NB load s | LSP by name | p99 | LSP by _uuid | LS by name | LS where ports includes | p99 |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |\n", r.server, r.ports, r.switches,
			secs(r.load), ms(r.lspByName.median()), ms(r.lspByName.p99()), ms(r.lspByUUID.median()),
			ms(r.lsByName.median()), ms(r.lsByPort.median()), ms(r.lsByPort.p99()))
	}

	fmt.Fprintf(w, "\n#### dvr-nbctl's fixed cost per run (ms, median, in-process)\n\n")
	fmt.Fprintf(w, "| server | VM ports | dial + _Server leader check | get_schema | FullDatabaseModel + NewDatabaseModel |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s |\n", r.server, r.ports, ms(r.dial.median()), ms(r.schema.median()), ms(r.model.median()))
	}

	fmt.Fprintf(w, "\n#### Against the targets (dvr-nbctl one-shot, medians)\n\n")
	fmt.Fprintf(w, "| server | VM ports | lsp-add | target < %s | lsp-del | target < %s + LSP-by-name scan | ovn-nbctl one-shot / dvr-nbctl (add, del) | daemon / dvr-nbctl (add, del) |\n",
		ms(target), ms(target))
	fmt.Fprintf(w, "|---|---:|---:|---|---:|---|---:|---:|\n")
	for _, r := range rs {
		dvr, ovn, dmn := r.tools[0], r.tools[2], r.tools[3]
		delTarget := target + r.lspByName.median()
		verdict := func(v, t time.Duration) string {
			if v < t {
				return "met"
			}
			return "**missed**"
		}
		ratio := func(a, b samples) string {
			return fmt.Sprintf("%.1fx", float64(a.median())/float64(b.median()))
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s (< %s) | %s, %s | %s, %s |\n", r.server, r.ports,
			ms(dvr.add.median()), verdict(dvr.add.median(), target), ms(dvr.del.median()),
			verdict(dvr.del.median(), delTarget), ms(delTarget),
			ratio(ovn.add, dvr.add), ratio(ovn.del, dvr.del), ratio(dmn.add, dvr.add), ratio(dmn.del, dvr.del))
	}
	var std []*sizeResult
	for _, r := range rs {
		if r.server == "standalone" {
			std = append(std, r)
		}
	}
	if len(std) > 1 {
		a, b := std[0], std[len(std)-1]
		fmt.Fprintf(w, "\nGrowth of dvr-nbctl one-shot medians from %d to %d ports (standalone): lsp-add %+.1f ms, lsp-del %+.1f ms "+
			"(LSP-by-name scan %+.1f ms).\n", a.ports, b.ports,
			float64(b.tools[0].add.median()-a.tools[0].add.median())/1e6,
			float64(b.tools[0].del.median()-a.tools[0].del.median())/1e6,
			float64(b.lspByName.median()-a.lspByName.median())/1e6)
	}
}
