package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/proclog"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

const localIP = "192.0.1.1"

// bootHV starts one hypervisor (hvtest.Boot: netns, holder, ovsdb-server,
// ovs-vswitchd --enable-dummy) and registers its Close with the
// benchmark's cleanup.
func bootHV(name, systemID string) (*hvtest.HV, error) {
	hv, err := hvtest.Boot("chbench", name, hvtest.SystemID(systemID), hvtest.EncapIP(localIP))
	if err != nil {
		return nil, err
	}
	benchkit.OnExit(hv.Close)
	return hv, nil
}

// plugVMs plugs one dummy interface per port with its iface-id
// (hvtest's PlugVMs: br-int made if needed, 500 ports a transaction, each
// waited for until ovs-vswitchd has applied it).
func plugVMs(hv *hvtest.HV, ports []fixtures.Port, prefix string) (time.Duration, error) {
	t0 := time.Now()
	vms := make([]hvtest.VMSpec, len(ports))
	for i, p := range ports {
		vms[i] = hvtest.VMSpec{Name: ifaceName(prefix, i), IfaceID: p.Name, MAC: p.MAC}
	}
	if err := hv.PlugVMs(vms, 500); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

func ifaceName(prefix string, i int) string { return fmt.Sprintf("%s%d", prefix, i) }

// chassisProc is dvr-chassis running inside a hypervisor.
type chassisProc struct {
	p       *hvtest.Proc
	log     *proclog.Book
	m       *benchkit.Scraper
	started time.Time
}

func startChassis(cfg config, hv *hvtest.HV, sbEndpoint string) (*chassisProc, error) {
	port, err := benchkit.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := &chassisProc{log: proclog.New(), m: benchkit.NewScraper("/run/netns/"+hv.NetNS, addr)}
	c.started = time.Now()
	c.p, err = hv.Launch(c.log, cfg.dvrChassis, "--sb="+sbEndpoint, "--ovs-db="+hv.Endpoint(), "--datapath-type=netdev",
		"--encap-ip="+localIP, "--pidfile="+filepath.Join(hv.RunDir(), "dvr-chassis.pid"), "--ovs-rundir="+hv.RunDir(),
		"--log-level="+cfg.logLevel, "--log-format=json", "--metrics-address="+addr, "--pprof")
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (c *chassisProc) stop() { c.p.Stop(10 * time.Second) }

// memory is dvr-chassis' VmRSS and VmHWM (nsenter execs it: same pid).
func (c *chassisProc) memory() benchkit.Memory {
	m, _ := benchkit.ReadMemory(c.p.Pid())
	return m
}

// flowsTook sums the "took" of the "flows: applied the difference" lines
// from mark on, per bridge.
func (c *chassisProc) flowsTook(mark int) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, l := range c.log.Since(mark) {
		if l.Msg == "flows: applied the difference" {
			d, _ := time.ParseDuration(l.Str("took"))
			out[l.Str("bridge")] += d
		}
	}
	return out
}

// errorsSince is the warnings and errors logged since mark, for the
// report's notes.
func (c *chassisProc) errorsSince(mark int) []string {
	var out []string
	for _, l := range c.log.Since(mark) {
		if lv := l.Str("level"); lv == "error" || lv == "warning" {
			out = append(out, strings.TrimSpace(l.Msg))
		}
	}
	return out
}
