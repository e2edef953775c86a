package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/proclog"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
	"github.com/dvr-ovn/dvr/schema"
)

// dvrColumn is us: dvr-nbctl, dvr-northd, dvr-chassis per hypervisor.
type dvrColumn struct {
	nbctlColumn
	cfg       config
	northd    *benchkit.Proc
	northdLog *proclog.Book
	chassis   []*hvtest.Proc
	logs      []*proclog.Book
	metrics   []*benchkit.Scraper
	h         *hypervisors

	// what single changes were made of (explainer)
	mark     int
	m0       []benchkit.Metrics
	s0       benchkit.Sched
	explains map[string]*changeParts
	// CPU profiles of hv1's dvr-chassis from the first sample of a kind on
	profileWindow time.Duration
	profs         map[string]chan string
	// flows as installed on every hypervisor after the bulk, for the floor
	installed []hvFlows
}

func (d *dvrColumn) start(ctx context.Context, h *hypervisors) error {
	d.h, d.explains = h, map[string]*changeParts{}
	d.nbctlColumn = nbctlColumn{bin: d.cfg.bin("dvr-nbctl"), batches: fixtures.NbctlBatches}
	if err := d.startServers(ctx, schema.NB, schema.SB); err != nil {
		return err
	}
	var err error
	d.northdLog = proclog.New()
	cmd := exec.Command(d.cfg.bin("dvr-northd"), "--nb="+d.nbs.Endpoint(), "--sb="+d.sbs.Endpoint(),
		"--log-level=debug", "--log-format=json")
	cmd.Stdout, cmd.Stderr = d.northdLog, d.northdLog
	if d.northd, err = benchkit.StartChild("dvr-northd", cmd); err != nil {
		return err
	}
	d.chassis = make([]*hvtest.Proc, len(h.hvs))
	d.logs = make([]*proclog.Book, len(h.hvs))
	d.metrics = make([]*benchkit.Scraper, len(h.hvs))
	for i, hv := range h.hvs {
		port, err := benchkit.FreePort()
		if err != nil {
			return err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		d.logs[i] = proclog.New()
		d.metrics[i] = benchkit.NewScraper("/run/netns/"+hv.NetNS, addr)
		if d.chassis[i], err = hv.Launch(d.logs[i], d.cfg.bin("dvr-chassis"), "--sb="+d.sbs.Endpoint(), "--ovs-db="+hv.Endpoint(),
			"--datapath-type=netdev", "--encap-ip="+hv.Uplink.IP(), "--ovs-rundir="+hv.RunDir(),
			"--pidfile="+filepath.Join(hv.RunDir(), "dvr-chassis.pid"),
			"--log-level=debug", "--log-format=json", "--metrics-address="+addr, "--pprof"); err != nil {
			return err
		}
	}
	benchkit.OnExit(d.saveLogs)
	// Ready: every chassis registered with its DVR MAC, and reporting.
	if err := d.registered(ctx, "DVR_MAC_Binding", d.chassis); err != nil {
		return err
	}
	return d.sync(ctx)
}

// saveLogs keeps the daemons' logs in the profile directory.
func (d *dvrColumn) saveLogs() {
	dir := d.cfg.profileDir
	if d.northdLog != nil {
		_ = os.WriteFile(filepath.Join(dir, "dvr-northd.log"), []byte(d.northdLog.Text()), 0o644)
	}
	for i, l := range d.logs {
		if l != nil {
			_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("dvr-chassis-%s.log", hvName(i))), []byte(l.Text()), 0o644)
		}
	}
}

// afterBulk keeps the flows installed after the bulk: the floor installs
// them.
func (d *dvrColumn) afterBulk(ctx context.Context) error {
	var err error
	d.installed, err = dumpFlows(d.h)
	return err
}

func (d *dvrColumn) attach(ctx context.Context, i int, e extra) error {
	return d.nbctl("--wait=hv", "lr-attach", e.router, e.sw, e.lrp, e.mac, e.network.String())
}

func (d *dvrColumn) memory() []namedMemory {
	return readMemories(
		pidName{"northd", d.northd.Pid},
		pidName{"nb", d.nbs.P.Pid},
		pidName{"sb", d.sbs.P.Pid},
		pidName{"chassis", d.chassis[0].Pid()},
	)
}

// changeParts sums what the samples of one kind were made of.
type changeParts struct {
	n                 int
	northdRounds      int
	northdSinceChange time.Duration    // NB change seen → SB acknowledged, over its rounds
	northdBusy        time.Duration    // compute + commits, over its rounds
	chassisRounds     int              // over every hypervisor
	chassisSlowest    benchkit.Samples // per sample, the hypervisor with the most round time
	nbctlAlone        benchkit.Samples // a read-only one-shot dvr-nbctl (lsp-get-up), after each sample
	sched             benchkit.Sched   // dvr-northd and every dvr-chassis: on a CPU, and waiting for one
}

func (d *dvrColumn) begin(kind string) {
	if d.profs == nil {
		d.profs = map[string]chan string{}
	}
	if _, ok := d.profs[kind]; !ok {
		d.profile(kind)
	}
	d.mark = d.northdLog.Mark()
	d.s0 = schedOf(d.daemons())
	d.m0 = make([]benchkit.Metrics, len(d.metrics))
	for i, s := range d.metrics {
		d.m0[i], _ = s.Get()
	}
}

func (d *dvrColumn) end(kind string) {
	cp := d.explains[kind]
	if cp == nil {
		cp = &changeParts{}
		d.explains[kind] = cp
	}
	cp.n++
	// The chassis' reports make northd run a round for hv_cfg too: wait
	// briefly for it to be logged.
	time.Sleep(20 * time.Millisecond)
	for _, l := range d.northdLog.Since(d.mark) {
		if l.Msg != "round done" {
			continue
		}
		cp.northdRounds++
		cp.northdSinceChange += l.Dur("since_change_ms")
		cp.northdBusy += l.Dur("compute_ms") + l.Dur("read_ms") + l.Dur("translate_ms") + l.Dur("diff_ms") +
			l.Dur("sb_commit_ms") + l.Dur("nb_commit_ms")
	}
	var slowest time.Duration
	for i, s := range d.metrics {
		m, err := s.Get()
		if err != nil || d.m0[i] == nil {
			continue
		}
		cp.chassisRounds += m.Rounds() - d.m0[i].Rounds()
		slowest = max(slowest, m.RoundSum()-d.m0[i].RoundSum())
	}
	cp.chassisSlowest = append(cp.chassisSlowest, slowest)
	cp.sched = cp.sched.Add(schedOf(d.daemons()).Sub(d.s0))
	// What one nbctl process costs with nothing to wait for.
	if t, err := benchkit.TimeProc(cmdTimeout, d.cfg.bin("dvr-nbctl"), "--db="+d.nbs.Endpoint(), "lsp-get-up", "sp-0"); err == nil {
		cp.nbctlAlone = append(cp.nbctlAlone, t)
	}
}

func (d *dvrColumn) daemons() []int {
	pids := []int{d.northd.Pid}
	for _, c := range d.chassis {
		pids = append(pids, c.Pid())
	}
	return pids
}
