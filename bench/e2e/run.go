package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/hvtest"
)

const (
	colDVR   = "dvr"
	colFloor = "floor"
	colOVN   = "ovn"
)

// column is one way of doing the work. The driver (runColumn) does the
// same steps, in the same order and with the same clocks, for each.
type column interface {
	// start brings up the databases and daemons on the booted
	// hypervisors and returns once every chassis is registered and the
	// empty NB is applied everywhere: before any clock.
	start(ctx context.Context, h *hypervisors) error
	// build writes the topology into the NB (bulk's first phase).
	build(ctx context.Context, p plan) error
	// sync returns once every hypervisor applied the NB (--wait=hv sync;
	// the floor: its flow bundles).
	sync(ctx context.Context) error
	// nb is a session to the NB (the driver reads LSP.up there).
	nb() *benchkit.DB
	// setsUp says whether a control plane sets Logical_Switch_Port.up.
	setsUp() bool
	// afterBulk runs once the bulk row is measured (untimed).
	afterBulk(ctx context.Context) error
	// loadExtras writes the extra switches and their ports (untimed).
	loadExtras(ctx context.Context, p plan) error
	// addPort adds one VM port with its addresses and waits for every
	// hypervisor (timed).
	addPort(ctx context.Context, i int, sp spare) error
	// attach adds one router interface and waits for every hypervisor
	// (timed).
	attach(ctx context.Context, i int, e extra) error
	// daemons are the pids of the column's northd and chassis daemons:
	// before each single change the driver waits until they are idle.
	daemons() []int
	// memory is the RSS of the column's processes, named as the report
	// names them.
	memory() []namedMemory
}

// explainer is a column that can say what a single change was made of:
// begin and end bracket one sample of a kind ("port", "attach").
type explainer interface {
	begin(kind string)
	end(kind string)
}

type namedMemory struct {
	role string // northd, nb, sb, chassis
	mem  benchkit.Memory
}

type pidName struct {
	role string
	pid  int
}

// readMemories reads VmRSS and VmHWM of each process (those gone are left out).
func readMemories(ps ...pidName) []namedMemory {
	var out []namedMemory
	for _, p := range ps {
		if m, err := benchkit.ReadMemory(p.pid); err == nil {
			out = append(out, namedMemory{p.role, m})
		}
	}
	return out
}

// columnResult is what the driver measured for one column.
type columnResult struct {
	name                        string
	bulk, build, plug, wait, up time.Duration
	flows                       []map[string]int // per hypervisor, after the bulk
	flowsAfterPorts             []map[string]int // after the port samples
	flowsBeforeAttach, flowsEnd []map[string]int // around the router-interface samples
	portPlug, port, portUp      benchkit.Samples // the OVS plug before the clock; the command; → up seen
	attach, qrPlug              benchkit.Samples
	qrPlugs                     int            // qr- interfaces seen over the attach samples
	bulkDaemons, bulkVswitchd   benchkit.Sched // over the bulk: northd and the chassis daemons; every ovs-vswitchd
	memory                      []namedMemory
	notes                       []string
	load                        string // load average at the start of the column
	took                        time.Duration
}

// runColumn boots fresh hypervisors, starts the column and measures it.
func runColumn(ctx context.Context, cfg config, p plan, col column, name string, watchQR bool) (*columnResult, *hypervisors, error) {
	r := &columnResult{name: name, load: benchkit.LoadAvg()}
	t0 := time.Now()
	benchkit.Logf("%s, %s: booting %d hypervisors; load %s", name, p.shape, p.hvs, r.load)
	h, err := bootHypervisors(p.hvs)
	if err != nil {
		return r, h, err
	}
	if err := col.start(ctx, h); err != nil {
		return r, h, fmt.Errorf("%s: start: %w", name, err)
	}

	benchkit.Logf("%s, %s: bulk", name, p.shape)
	d0, v0 := schedOf(col.daemons()), schedOf(h.vswitchds())
	start := time.Now()
	if err := col.build(ctx, p); err != nil {
		return r, h, fmt.Errorf("%s: build: %w", name, err)
	}
	r.build = time.Since(start)
	t := time.Now()
	if err := h.plug(p.vmsOn); err != nil {
		return r, h, fmt.Errorf("%s: plug: %w", name, err)
	}
	r.plug = time.Since(t)
	t = time.Now()
	if err := col.sync(ctx); err != nil {
		return r, h, fmt.Errorf("%s: sync: %w", name, err)
	}
	r.wait = time.Since(t)
	t = time.Now()
	if col.setsUp() {
		if err := waitAllUp(ctx, col.nb()); err != nil {
			return r, h, fmt.Errorf("%s: %w", name, err)
		}
	}
	r.up = time.Since(t)
	r.bulk = time.Since(start)
	r.bulkDaemons, r.bulkVswitchd = schedOf(col.daemons()).Sub(d0), schedOf(h.vswitchds()).Sub(v0)
	benchkit.Logf("%s, %s: bulk %v (build %v, plug %v, wait=hv %v, up %v)", name, p.shape, r.bulk.Round(time.Millisecond),
		r.build.Round(time.Millisecond), r.plug.Round(time.Millisecond), r.wait.Round(time.Millisecond), r.up.Round(time.Millisecond))
	if r.flows, err = h.allFlows(); err != nil {
		return r, h, err
	}
	if err := col.afterBulk(ctx); err != nil {
		return r, h, fmt.Errorf("%s: %w", name, err)
	}

	benchkit.Logf("%s, %s: %d VM ports added, one at a time", name, p.shape, len(p.spares))
	for i, sp := range p.spares {
		hv := h.hvs[sp.hv]
		t := time.Now()
		if err := hv.PlugVMs([]hvtest.VMSpec{{Name: fmt.Sprintf("spv%d", i), IfaceID: sp.port.Name, MAC: sp.port.MAC}}, 1); err != nil {
			return r, h, err
		}
		r.portPlug = append(r.portPlug, time.Since(t))
		r.idle(col)
		ex, explains := col.(explainer)
		if explains {
			ex.begin("port")
		}
		t = time.Now()
		if err := col.addPort(ctx, i, sp); err != nil {
			return r, h, fmt.Errorf("%s: port %s: %w", name, sp.port.Name, err)
		}
		r.port = append(r.port, time.Since(t))
		if col.setsUp() {
			if err := waitUp(ctx, col.nb(), sp.port.Name); err != nil {
				return r, h, fmt.Errorf("%s: %w", name, err)
			}
		}
		r.portUp = append(r.portUp, time.Since(t))
		if explains {
			ex.end("port")
		}
	}
	if r.flowsAfterPorts, err = h.allFlows(); err != nil {
		return r, h, err
	}

	benchkit.Logf("%s, %s: %d extra switches of %d ports (untimed), then one router interface at a time", name, p.shape, len(p.extras), p.ports)
	if err := col.loadExtras(ctx, p); err != nil {
		return r, h, fmt.Errorf("%s: extras: %w", name, err)
	}
	if err := h.plug(p.extraVMsOn); err != nil {
		return r, h, err
	}
	if err := col.sync(ctx); err != nil {
		return r, h, err
	}
	if col.setsUp() {
		if err := waitAllUp(ctx, col.nb()); err != nil {
			return r, h, fmt.Errorf("%s: extras: %w", name, err)
		}
	}
	var watches []*ifaceWatch
	if watchQR {
		for _, hv := range h.hvs {
			w, err := watchIfaces(ctx, hv, router.DevPrefix, router.OuterPrefix)
			if err != nil {
				return r, h, err
			}
			watches = append(watches, w)
		}
	}
	before, err := h.allFlows()
	if err != nil {
		return r, h, err
	}
	for i, e := range p.extras {
		r.idle(col)
		ex, explains := col.(explainer)
		if explains {
			ex.begin("attach")
		}
		t := time.Now()
		if err := col.attach(ctx, i, e); err != nil {
			return r, h, fmt.Errorf("%s: attach %s: %w", name, e.lrp, err)
		}
		r.attach = append(r.attach, time.Since(t))
		if explains {
			ex.end("attach")
		}
		if watchQR {
			var slowest time.Duration
			for k, w := range watches {
				d, n, done := w.plugsSince(t)
				if !done {
					r.notes = append(r.notes, fmt.Sprintf("%s: a qr- for %s had no ofport yet when --wait=hv returned", h.hvs[k].Name, e.lrp))
				}
				r.qrPlugs += n
				slowest = max(slowest, d)
			}
			r.qrPlug = append(r.qrPlug, slowest)
		}
	}
	after, err := h.allFlows()
	if err != nil {
		return r, h, err
	}
	r.flowsBeforeAttach, r.flowsEnd = before, after
	r.memory = col.memory()
	r.took = time.Since(t0)
	return r, h, nil
}

// idle waits until every daemon of the column has digested what came
// before (under 10 ms of CPU in 200 ms, at most 30 s each): a single
// change is timed on its own, not on the tail of the plug before it.
func (r *columnResult) idle(col column) {
	pids := col.daemons()
	errs := make([]error, len(pids))
	var wg sync.WaitGroup
	for i, pid := range pids {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = benchkit.WaitIdle(pid, 30*time.Second) }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			r.notes = append(r.notes, "a sample started on a busy daemon: "+err.Error())
		}
	}
}

// schedOf sums the scheduler's times of the processes.
func schedOf(pids []int) benchkit.Sched {
	var s benchkit.Sched
	for _, pid := range pids {
		if v, err := benchkit.SchedOf(pid); err == nil {
			s = s.Add(v)
		}
	}
	return s
}

// vmNotUp is the condition "a VM port (type "") that is not up".
var vmNotUp = []ovsdb.Condition{
	ovsdb.NewCondition("type", ovsdb.ConditionEqual, ""),
	ovsdb.NewCondition("up", ovsdb.ConditionNotEqual, ovsdb.OvsSet{GoSet: []any{true}}),
}

// waitAllUp waits until every VM Logical_Switch_Port is up.
func waitAllUp(ctx context.Context, nb *benchkit.DB) error {
	return benchkit.WaitFor("every VM port up", 20*time.Millisecond, 30*time.Minute, func() (bool, error) {
		n, err := nb.Count(ctx, "Logical_Switch_Port", vmNotUp...)
		return err == nil && n == 0, err
	})
}

// waitUp waits until the Logical_Switch_Port named port is up.
func waitUp(ctx context.Context, nb *benchkit.DB, port string) error {
	return benchkit.WaitFor(port+" up", time.Millisecond, 5*time.Minute, func() (bool, error) {
		rows, err := nb.Select(ctx, "Logical_Switch_Port", []string{"up"}, ovsdb.NewCondition("name", ovsdb.ConditionEqual, port))
		if err != nil || len(rows) != 1 {
			return false, err
		}
		return isTrue(rows[0]["up"]), nil
	})
}

// isTrue reads an optional boolean as the raw decoder leaves it.
func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case ovsdb.OvsSet:
		return len(x.GoSet) == 1 && x.GoSet[0] == true
	}
	return false
}

// flowDelta is, per hypervisor, how many flows changed between two counts
// divided by n (at least 1): what one change cost there, for the floor.
func flowDelta(before, after []map[string]int, n int) []int {
	out := make([]int, len(after))
	for i := range after {
		d := total(after[i]) - total(before[i])
		if d < 0 {
			d = -d
		}
		out[i] = max(1, (d+n/2)/n)
	}
	return out
}
