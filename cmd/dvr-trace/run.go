package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ovn-org/libovsdb/client"

	"github.com/dvr-ovn/dvr/chassis/trace"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// Request says what to trace where.
type Request struct {
	Ctl                  string   // ovs-vswitchd's unixctl socket
	Bridge               string   // where the packet enters
	Flow                 []string // ofproto/trace's arguments after the bridge
	SB                   *ovsdbconn.Config
	IntBridge, TunBridge string
}

// Trace runs ofproto/trace and dpif/show on the switch, reads the SB
// names (if asked to) and explains the trace.
func Trace(ctx context.Context, r Request) (Result, error) {
	raw, err := appctl(ctx, r.Ctl, append([]string{"ofproto/trace", r.Bridge}, r.Flow...)...)
	if err != nil {
		return Result{}, err
	}
	t, err := trace.Parse(raw)
	if err != nil {
		return Result{}, err
	}
	dpif, err := appctl(ctx, r.Ctl, "dpif/show")
	if err != nil {
		return Result{}, err
	}
	o := trace.Options{IntBridge: r.IntBridge, TunBridge: r.TunBridge, Ports: trace.ParseDpifShow(dpif)}
	res := Result{Raw: raw}
	if r.SB != nil {
		names, err := readSB(ctx, *r.SB)
		if err != nil {
			return Result{}, fmt.Errorf("SB %s: %w", r.SB.Endpoints, err)
		}
		o.Resolver = names
	} else {
		res.SBNote = "no --sb: SB rows are not named"
	}
	res.Report = trace.Explain(t, o)
	return res, nil
}

// findCtl is the unixctl socket: --ctl, else <rundir>/ovs-vswitchd.ctl,
// else the one the pid file in rundir names (what ovs-appctl -t
// ovs-vswitchd finds).
func findCtl(ctl, rundir string) (string, error) {
	if ctl != "" {
		if _, err := os.Stat(ctl); err != nil {
			return "", fmt.Errorf("no such socket: %s (is ovs-vswitchd running?)", ctl)
		}
		return ctl, nil
	}
	if p := filepath.Join(rundir, "ovs-vswitchd.ctl"); exists(p) {
		return p, nil
	}
	pid, err := os.ReadFile(filepath.Join(rundir, "ovs-vswitchd.pid"))
	if err != nil {
		return "", fmt.Errorf("no ovs-vswitchd in %s (no ovs-vswitchd.pid, no ovs-vswitchd.ctl); give --ovs-rundir or --ctl", rundir)
	}
	p := filepath.Join(rundir, "ovs-vswitchd."+strings.TrimSpace(string(pid))+".ctl")
	if !exists(p) {
		return "", fmt.Errorf("no such socket: %s (is ovs-vswitchd running?)", p)
	}
	return p, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// appctl runs ovs-appctl; on failure the error is what ovs-vswitchd said
// (its first line), e.g. "br-x: unknown bridge".
func appctl(ctx context.Context, ctl string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "ovs-appctl", append([]string{"-t", ctl}, args...)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err == nil {
		return stdout.String(), nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return "", fmt.Errorf("ovs-appctl: %w", err)
	}
	msg := strings.TrimSpace(stdout.String())
	if msg == "" {
		msg = strings.TrimSpace(stderr.String())
	}
	msg, _, _ = strings.Cut(msg, "\n")
	return "", errors.New(msg)
}

// readSB reads the rows the names come from, once.
func readSB(ctx context.Context, cfg ovsdbconn.Config) (*trace.SBNames, error) {
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		return nil, err
	}
	c, err := cfg.Connect(ctx, m)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var r trace.SBRows
	if _, err := c.Monitor(ctx, c.NewMonitor(
		client.WithTable(&sbdb.DatapathBinding{}), client.WithTable(&sbdb.PortBinding{}),
		client.WithTable(&sbdb.DVRMACBinding{}), client.WithTable(&sbdb.Chassis{}), client.WithTable(&sbdb.Encap{}))); err != nil {
		return nil, err
	}
	for _, l := range []error{c.List(ctx, &r.Datapaths), c.List(ctx, &r.Ports), c.List(ctx, &r.MACs),
		c.List(ctx, &r.Chassis), c.List(ctx, &r.Encaps)} {
		if l != nil {
			return nil, l
		}
	}
	return trace.NewSBNames(r), nil
}
