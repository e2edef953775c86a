// Command dvr-chassis is the per-hypervisor DVR daemon: it registers the
// hypervisor in the SB, builds br-int/br-tun through the local OVSDB,
// claims the VM ports plugged here and reports the nb_cfg it applied. See
// the chassis package doc.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/internal/daemon"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

func main() {
	if err := app().Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "dvr-chassis: %v\n", err)
		os.Exit(1)
	}
}

// Flags both the daemon and unregister take.
// (Not Required: urfave/cli checks the app's required flags before it runs
// a subcommand, so sbConfig checks --sb.)
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "sb", Usage: "SB database (required): unix:PATH, tcp:IP:PORT, ssl:IP:PORT; a comma list for a RAFT cluster (any member: not leader-only)", EnvVars: []string{"DVR_SB_DB"}},
		&cli.StringFlag{Name: "ovs-db", Value: "unix:/var/run/openvswitch/db.sock", Usage: "the local Open_vSwitch database"},
		&cli.StringFlag{Name: "system-id", Usage: "the chassis name (default: the local Open_vSwitch external_ids:system-id)"},
		&cli.StringFlag{Name: "private-key", Usage: "SSL private key file (for ssl: endpoints)", EnvVars: []string{"DVR_PRIVATE_KEY"}},
		&cli.StringFlag{Name: "certificate", Usage: "SSL certificate file", EnvVars: []string{"DVR_CERTIFICATE"}},
		&cli.StringFlag{Name: "ca-cert", Usage: "SSL CA certificate file", EnvVars: []string{"DVR_CA_CERT"}},
		&cli.StringFlag{Name: "pidfile", Usage: "write the process id to this file and hold a lock on it: a second instance with the same file refuses to start (removed on exit); unregister refuses while a live daemon holds it"},
	}
}

func app() *cli.App {
	return &cli.App{
		Name:  "dvr-chassis",
		Usage: "register this hypervisor, build br-int/br-tun and claim its VM ports for DVR",
		Flags: append(commonFlags(),
			&cli.StringFlag{Name: "encap-ip", Usage: "the VXLAN endpoint IPv4 address (default: external_ids:ovn-encap-ip)"},
			&cli.StringFlag{Name: "encap-type", Value: "vxlan", Usage: "tunnel type: vxlan (the only one)"},
			&cli.StringFlag{Name: "integration-bridge", Value: "br-int", Usage: "the bridge VM ports are plugged into"},
			&cli.StringFlag{Name: "tunnel-bridge", Value: "br-tun", Usage: "the bridge holding the VXLAN ports"},
			&cli.StringFlag{Name: "datapath-type", Value: "system", Usage: "system|netdev (netdev: userspace, without the kernel module)"},
			&cli.StringFlag{Name: "interface-driver", Value: "veth", Usage: "how qr- devices are made: veth (a pair, the outer end on br-int; survives an ovs-vswitchd restart)"},
			&cli.IntFlag{Name: "underlay-mtu", Value: 1500, Usage: "MTU of the tunnel underlay; qr- devices get 50 less"},
			&cli.StringFlag{Name: "ovs-rundir", Usage: "the OVS run directory holding <bridge>.mgmt (default: $OVS_RUNDIR, then /var/run/openvswitch)"},
			&cli.StringFlag{Name: "monitor", Value: chassis.MonitorAll, Usage: "SB monitor mode: all (every row of every table it reads) or conditional (Port_Binding and DVR_Router_Binding only as far as this chassis needs them, as ovn-controller's conditional monitoring)"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "panic|fatal|error|warn|info|debug|trace"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text|json"},
			&cli.StringFlag{Name: "log-file", Usage: "append the log to this file instead of stderr; reopened on SIGHUP (for logrotate)"},
			&cli.BoolFlag{Name: "incremental", Value: true, Hidden: true, Usage: "false: every round recomputes everything"},
			&cli.BoolFlag{Name: "check-incremental", Hidden: true, Usage: "compare every incremental round with a full recompute; log an error on a difference"},
			&cli.StringFlag{Name: "metrics-address", Usage: "serve Prometheus metrics on this address (e.g. 127.0.0.1:9477)"},
			&cli.IntFlag{Name: "gc-percent", Value: 25, Usage: "Go GC target percentage: lower keeps RSS closer to the live heap for some CPU (the GOGC environment variable wins when set)"},
			&cli.BoolFlag{Name: "pprof", Usage: "also serve Go's profiler on the metrics address, under /debug/pprof/ (debugging)"},
		),
		Action: run,
		Commands: []*cli.Command{{
			Name:  "unregister",
			Usage: "retire this host: delete its Chassis, Encap and Chassis_Private rows (stop the daemon first)",
			Flags: commonFlags(),
			Action: func(c *cli.Context) error {
				return unregister(c, os.Stdout)
			},
		}},
	}
}

func sbConfig(c *cli.Context) (ovsdbconn.Config, ovsdbconn.Config, error) {
	sb := ovsdbconn.Config{Endpoints: c.String("sb"), PrivateKey: c.String("private-key"), Certificate: c.String("certificate"), CACert: c.String("ca-cert")}
	ovs := ovsdbconn.Config{Endpoints: c.String("ovs-db")}
	if sb.Endpoints == "" {
		return sb, ovs, errors.New("--sb (or $DVR_SB_DB) is required")
	}
	for _, flag := range []string{"sb", "ovs-db"} {
		if _, err := ovsdbrpc.ParseEndpoints(c.String(flag)); err != nil {
			return sb, ovs, fmt.Errorf("--%s: %w", flag, err)
		}
	}
	return sb, ovs, nil
}

func run(c *cli.Context) (err error) {
	// Caught first, so that no SIGHUP or SIGTERM during start-up ends the
	// process without cleanup.
	hup := daemon.CatchHangup()
	defer hup.Stop()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if c.Args().Len() > 0 {
		return fmt.Errorf("unknown command %q", c.Args().First())
	}
	log, err := daemon.Logger(c.String("log-level"), c.String("log-format"))
	if err != nil {
		return err
	}
	daemon.GCPercent(c.Int("gc-percent"))
	if t := c.String("encap-type"); t != "vxlan" {
		return fmt.Errorf("--encap-type must be vxlan (the only type dvr-chassis tunnels over), not %q", t)
	}
	if m := c.String("monitor"); m != chassis.MonitorAll && m != chassis.MonitorConditional {
		return fmt.Errorf("--monitor must be all or conditional, not %q", m)
	}
	sb, ovs, err := sbConfig(c)
	if err != nil {
		return err
	}
	logFile, err := daemon.UseLogFile(log, c.String("log-file"))
	if err != nil {
		return err
	}
	if logFile != nil {
		defer logFile.Close()
		defer func() { // main prints it on stderr; the log file gets it too
			if err != nil {
				log.Error("dvr-chassis: " + err.Error())
			}
		}()
	}
	hup.Serve(log, logFile)
	if p := c.String("pidfile"); p != "" {
		pf, err := daemon.LockPidFileLogged(p, log)
		if err != nil {
			return err
		}
		defer pf.Release()
	}
	var metrics *chassis.Metrics
	if a := c.String("metrics-address"); a != "" {
		reg := prometheus.NewRegistry()
		metrics = chassis.NewMetrics(reg)
		if c.Bool("pprof") {
			defer daemon.ServeMetricsPprof(a, reg, log)()
		} else {
			defer daemon.ServeMetrics(a, reg, log)()
		}
	} else if c.Bool("pprof") {
		return errors.New("--pprof needs --metrics-address (the profiler is served on that listener)")
	}
	ch, err := chassis.New(chassis.Config{
		SB: sb, OVS: ovs, SystemID: c.String("system-id"), EncapIP: c.String("encap-ip"),
		IntegrationBridge: c.String("integration-bridge"), TunnelBridge: c.String("tunnel-bridge"),
		DatapathType: c.String("datapath-type"), Log: log, Metrics: metrics,
		InterfaceDriver: c.String("interface-driver"), UnderlayMTU: c.Int("underlay-mtu"), RunDir: c.String("ovs-rundir"),
		Monitor:  c.String("monitor"),
		FullOnly: !c.Bool("incremental"), CheckIncremental: c.Bool("check-incremental"),
	})
	if err != nil {
		return err
	}
	log.Info("dvr-chassis starting")
	err = ch.Run(ctx)
	log.Info("dvr-chassis stopped")
	return err
}

// unregister deletes this host's rows, refusing while a daemon holds the
// pid file.
func unregister(c *cli.Context, out *os.File) error {
	sb, ovs, err := sbConfig(c)
	if err != nil {
		return err
	}
	if p := c.String("pidfile"); p != "" {
		pf, err := daemon.LockPidFile(p)
		var held *daemon.HeldError
		if errors.As(err, &held) {
			return fmt.Errorf("refusing to unregister: dvr-chassis runs (%v) and would register again; stop it first", err)
		}
		if err != nil {
			return fmt.Errorf("--pidfile %w", err)
		}
		// Held for the unregistration, so no daemon starts meanwhile.
		defer pf.Release()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := c.String("system-id")
	if name == "" {
		if name, err = chassis.ReadSystemID(ctx, ovs); err != nil {
			return err
		}
	}
	nc, np, err := chassis.Unregister(ctx, sb, name)
	if err != nil {
		return err
	}
	if nc == 0 && np == 0 {
		fmt.Fprintf(out, "chassis %s was not registered: nothing to remove\n", name)
		return nil
	}
	fmt.Fprintf(out, "unregistered chassis %s (Chassis: %d row, Chassis_Private: %d row; its Encap went with it)\n", name, nc, np)
	return nil
}
