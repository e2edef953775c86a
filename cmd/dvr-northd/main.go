// Command dvr-northd translates the northbound database into per-chassis
// DVR state in the southbound database. Any number of instances may run;
// the one holding the SB lock writes. See the northd package doc.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/dvr-ovn/dvr/internal/addr"
	"github.com/dvr-ovn/dvr/internal/daemon"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/northd"
)

func main() {
	app := &cli.App{
		Name:  "dvr-northd",
		Usage: "derive DVR bindings, DVR MACs, datapaths and port bindings from NB into SB",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "nb", Usage: "NB database: unix:PATH, tcp:IP:PORT, ssl:IP:PORT; a comma list for a RAFT cluster", EnvVars: []string{"DVR_NB_DB"}, Required: true},
			&cli.StringFlag{Name: "sb", Usage: "SB database, same forms", EnvVars: []string{"DVR_SB_DB"}, Required: true},
			&cli.StringFlag{Name: "private-key", Usage: "SSL private key file", EnvVars: []string{"DVR_PRIVATE_KEY"}},
			&cli.StringFlag{Name: "certificate", Usage: "SSL certificate file", EnvVars: []string{"DVR_CERTIFICATE"}},
			&cli.StringFlag{Name: "ca-cert", Usage: "SSL CA certificate file", EnvVars: []string{"DVR_CA_CERT"}},
			&cli.StringFlag{Name: "dvr-base-mac", Usage: "DVR base MAC, overriding NB_Global options:dvr_base_mac (default fa:16:3f:00:00:00)"},
			&cli.StringFlag{Name: "log-level", Value: "info", Usage: "panic|fatal|error|warn|info|debug|trace"},
			&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text|json"},
			&cli.StringFlag{Name: "log-file", Usage: "append the log to this file instead of stderr; reopened on SIGHUP (for logrotate)"},
			&cli.StringFlag{Name: "metrics-address", Usage: "serve Prometheus metrics on this address (e.g. 127.0.0.1:9476)"},
			&cli.StringFlag{Name: "instance-id", Usage: "name of this instance in logs and in the epoch (default: host.pid.random)"},
			&cli.StringFlag{Name: "pidfile", Usage: "write the process id to this file and hold a lock on it: a second instance with the same file refuses to start (removed on exit)"},
			&cli.IntFlag{Name: "gc-percent", Value: 25, Usage: "Go GC target percentage: lower keeps RSS closer to the live heap for some CPU (the GOGC environment variable wins when set)"},
		},
		Action: run,
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintf(os.Stderr, "dvr-northd: %v\n", err)
		os.Exit(1)
	}
}

func run(c *cli.Context) (err error) {
	// Caught before anything else, so that no SIGHUP (default action:
	// exit) or SIGTERM during start-up ends the process without cleanup.
	hup := daemon.CatchHangup()
	defer hup.Stop()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log, err := daemon.Logger(c.String("log-level"), c.String("log-format"))
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
				log.Error("dvr-northd: " + err.Error())
			}
		}()
	}
	hup.Serve(log, logFile)
	daemon.GCPercent(c.Int("gc-percent"))
	if m := c.String("dvr-base-mac"); m != "" {
		if _, err := addr.ParseMAC(m); err != nil {
			return fmt.Errorf("--dvr-base-mac: %w", err)
		}
	}
	tlsFiles := func(eps string) ovsdbconn.Config {
		return ovsdbconn.Config{Endpoints: eps, PrivateKey: c.String("private-key"), Certificate: c.String("certificate"), CACert: c.String("ca-cert")}
	}
	for _, eps := range []string{c.String("nb"), c.String("sb")} {
		if _, err := ovsdbrpc.ParseEndpoints(eps); err != nil {
			return err
		}
	}
	// The pid file before anything that binds or connects: a second
	// instance leaves at once, touching neither the file nor a database.
	if p := c.String("pidfile"); p != "" {
		pf, err := daemon.LockPidFileLogged(p, log)
		if err != nil {
			return err
		}
		defer pf.Release()
	}
	var metrics *northd.Metrics
	if a := c.String("metrics-address"); a != "" {
		reg := prometheus.NewRegistry()
		metrics = northd.NewMetrics(reg)
		defer daemon.ServeMetrics(a, reg, log)()
	}
	n, err := northd.New(northd.Config{
		NB: tlsFiles(c.String("nb")), SB: tlsFiles(c.String("sb")),
		BaseMAC: c.String("dvr-base-mac"), InstanceID: c.String("instance-id"),
		Log: log, Metrics: metrics,
	})
	if err != nil {
		return err
	}
	err = n.Run(ctx)
	log.Info("dvr-northd stopped")
	return err
}
