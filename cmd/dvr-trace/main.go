// Command dvr-trace is OVN's ovn-detrace built in: it runs
// `ovs-appctl ofproto/trace` on a hypervisor's ovs-vswitchd and explains
// every flow the packet hits (Neutron's table name, the flow's purpose,
// the SB row its cookie names) and where the packet left. See package
// chassis/trace.
//
//	dvr-trace --sb unix:/run/ovn/ovnsb_db.sock in_port=vm1,ip,dl_src=...,dl_dst=...,nw_src=...,nw_dst=...,nw_ttl=64
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dvr-ovn/dvr/chassis/trace"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

func main() {
	if err := app(os.Stdout).Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "dvr-trace: %v\n", err)
		os.Exit(1)
	}
}

func app(out io.Writer) *cli.App {
	return &cli.App{
		Name:      "dvr-trace",
		Usage:     "trace a packet through br-int/br-tun and name every flow's table, purpose and SB row",
		ArgsUsage: "FLOW (as ofproto/trace takes it, e.g. in_port=vm1,ip,dl_src=..,dl_dst=..,nw_src=..,nw_dst=..,nw_ttl=64)",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "ovs-rundir", Value: "/var/run/openvswitch", Usage: "where ovs-vswitchd keeps its unixctl socket and pid file", EnvVars: []string{"OVS_RUNDIR"}},
			&cli.StringFlag{Name: "ctl", Usage: "ovs-vswitchd's unixctl socket (default: found in --ovs-rundir)"},
			&cli.StringFlag{Name: "bridge", Value: "br-int", Usage: "the bridge the packet enters (br-int or br-tun)"},
			&cli.StringFlag{Name: "integration-bridge", Value: "br-int", Usage: "dvr-chassis' integration bridge"},
			&cli.StringFlag{Name: "tunnel-bridge", Value: "br-tun", Usage: "dvr-chassis' tunnel bridge"},
			&cli.StringFlag{Name: "sb", Usage: "SB database, to name SB rows: unix:PATH, tcp:IP:PORT, ssl:IP:PORT; a comma list for a RAFT cluster (read only)", EnvVars: []string{"DVR_SB_DB"}},
			&cli.StringFlag{Name: "private-key", Usage: "SSL private key file (for ssl: endpoints)"},
			&cli.StringFlag{Name: "certificate", Usage: "SSL certificate file"},
			&cli.StringFlag{Name: "ca-cert", Usage: "SSL CA certificate file"},
			&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "give up after this long"},
			&cli.BoolFlag{Name: "raw", Usage: "also print OVS's own trace text"},
		},
		Action: func(c *cli.Context) error { return run(c, out) },
	}
}

func run(c *cli.Context, out io.Writer) error {
	if c.NArg() == 0 {
		return fmt.Errorf("no packet given: dvr-trace [flags] in_port=PORT,FIELD=VALUE,... (as ofproto/trace takes it)")
	}
	var sb *ovsdbconn.Config
	if ep := c.String("sb"); ep != "" {
		if _, err := ovsdbrpc.ParseEndpoints(ep); err != nil {
			return fmt.Errorf("--sb: %w", err)
		}
		sb = &ovsdbconn.Config{Endpoints: ep, PrivateKey: c.String("private-key"), Certificate: c.String("certificate"), CACert: c.String("ca-cert")}
	}
	ctl, err := findCtl(c.String("ctl"), c.String("ovs-rundir"))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Duration("timeout"))
	defer cancel()
	res, err := Trace(ctx, Request{Ctl: ctl, Bridge: c.String("bridge"), Flow: c.Args().Slice(), SB: sb,
		IntBridge: c.String("integration-bridge"), TunBridge: c.String("tunnel-bridge")})
	if err != nil {
		return err
	}
	if c.Bool("raw") {
		fmt.Fprintf(out, "%s\n", strings.TrimRight(res.Raw, "\n"))
		fmt.Fprintf(out, "%s\n\n", strings.Repeat("=", 72))
	}
	if res.SBNote != "" {
		fmt.Fprintf(out, "(%s)\n", res.SBNote)
	}
	_, err = io.WriteString(out, res.Report.Text())
	return err
}

// Result is one explained trace.
type Result struct {
	Raw    string // ofproto/trace's text
	Report trace.Report
	SBNote string // why the SB names are missing, if they are
}
