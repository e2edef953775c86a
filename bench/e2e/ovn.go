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
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

const (
	ovnNBSchema = "/usr/share/ovn/ovn-nb.ovsschema"
	ovnSBSchema = "/usr/share/ovn/ovn-sb.ovsschema"
)

// ovnColumn is the real OVN 23.03: ovn-nbctl (one-shot, OVN's own
// commands), ovn-northd, ovn-controller per hypervisor on the same OVS.
type ovnColumn struct {
	nbctlColumn
	cfg    config
	northd *benchkit.Proc
	ctl    []*hvtest.Proc
}

func (o *ovnColumn) start(ctx context.Context, h *hypervisors) error {
	nbSchema, err := os.ReadFile(ovnNBSchema)
	if err != nil {
		return err
	}
	sbSchema, err := os.ReadFile(ovnSBSchema)
	if err != nil {
		return err
	}
	o.nbctlColumn = nbctlColumn{bin: o.cfg.bin("ovn-nbctl"), batches: fixtures.OVNNbctlBatches}
	if err := o.startServers(ctx, nbSchema, sbSchema); err != nil {
		return err
	}
	dir, err := benchkit.TempDir("ovne")
	if err != nil {
		return err
	}
	cmd := exec.Command(o.cfg.bin("ovn-northd"), "--ovnnb-db="+o.nbs.Endpoint(), "--ovnsb-db="+o.sbs.Endpoint(),
		"--unixctl="+filepath.Join(dir, "northd.ctl"), "--pidfile="+filepath.Join(dir, "northd.pid"),
		"--log-file="+filepath.Join(dir, "northd.log"), "--no-chdir", "-vconsole:off")
	if o.northd, err = benchkit.StartChild("ovn-northd", cmd); err != nil {
		return err
	}
	// ovn-controller reads its settings from the local Open_vSwitch
	// row (system-id is set by hvtest) and makes br-int itself, netdev.
	// It monitors the whole SB (ovn-monitor-all), as dvr-chassis does by
	// default and as OVN's own scale tests run it.
	o.ctl = make([]*hvtest.Proc, len(h.hvs))
	if err := h.each(func(i int, hv *hvtest.HV) error {
		if out, err := hv.Vsctl("set", "Open_vSwitch", ".", "external_ids:ovn-remote="+o.sbs.Endpoint(),
			"external_ids:ovn-encap-type="+o.cfg.encap, "external_ids:ovn-encap-ip="+hv.Uplink.IP(),
			"external_ids:ovn-bridge-datapath-type=netdev", "external_ids:ovn-monitor-all=true"); err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		var err error
		// Its unixctl socket goes to $OVN_RUNDIR (it has no --unixctl);
		// env execs it, so the pid stays the one we started.
		o.ctl[i], err = hv.Launch(nil, "env", "OVN_RUNDIR="+hv.RunDir(), o.cfg.bin("ovn-controller"), hv.Endpoint(),
			"--pidfile="+filepath.Join(hv.RunDir(), "ovn-controller.pid"),
			"--log-file="+filepath.Join(hv.RunDir(), "ovn-controller.log"),
			"--no-chdir", "-vconsole:off")
		return err
	}); err != nil {
		return err
	}
	benchkit.OnExit(func() { o.saveLogs(h) })
	if err := o.registered(ctx, "Chassis_Private", o.ctl); err != nil {
		return err
	}
	if err := h.each(func(i int, hv *hvtest.HV) error {
		return benchkit.WaitFor(hv.Name+": br-int made by ovn-controller", 20*time.Millisecond, time.Minute, func() (bool, error) {
			_, err := hv.Vsctl("br-exists", "br-int")
			return err == nil, nil
		})
	}); err != nil {
		return err
	}
	return o.sync(ctx)
}

func (o *ovnColumn) saveLogs(h *hypervisors) {
	for i, hv := range h.hvs {
		b, err := os.ReadFile(filepath.Join(hv.RunDir(), "ovn-controller.log"))
		if err == nil {
			_ = os.WriteFile(filepath.Join(o.cfg.profileDir, "ovn-controller-"+hvName(i)+".log"), b, 0o644)
		}
	}
}

func (o *ovnColumn) afterBulk(ctx context.Context) error { return nil }

func (o *ovnColumn) attach(ctx context.Context, i int, e extra) error {
	return o.nbctl("--wait=hv", "lrp-add", e.router, e.lrp, e.mac, e.network.String(),
		"--", "lsp-add", e.sw, e.routerLSP, "--", "lsp-set-type", e.routerLSP, "router",
		"--", "lsp-set-addresses", e.routerLSP, "router", "--", "lsp-set-options", e.routerLSP, "router-port="+e.lrp)
}

func (o *ovnColumn) memory() []namedMemory {
	return readMemories(
		pidName{"northd", o.northd.Pid},
		pidName{"nb", o.nbs.P.Pid},
		pidName{"sb", o.sbs.P.Pid},
		pidName{"chassis", o.ctl[0].Pid()},
	)
}

func (o *ovnColumn) daemons() []int {
	pids := []int{o.northd.Pid}
	for _, c := range o.ctl {
		pids = append(pids, c.Pid())
	}
	return pids
}
