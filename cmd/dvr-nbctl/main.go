// Command dvr-nbctl writes and reads the northbound database: ovn-nbctl's
// commands and argument order, strict validation, one atomic transaction
// per chain of commands joined with "--". See nbctl's package doc.
//
// Daemon mode: "dvr-nbctl --detach" starts a process that keeps a replica
// of the NB and prints the path of its control socket; with
// DVR_NB_DAEMON=PATH (or --daemon=PATH) set, dvr-nbctl sends its
// arguments there instead of connecting to the database (daemon.go).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dvr-ovn/dvr/nbctl"
)

// invocation is what one command line asks for.
type invocation struct {
	opts    nbctl.Options
	chain   []string
	detach  bool
	pidfile string
	logfile string
	daemon  string // control socket to send the chain to
	dbSet   bool   // --db or DVR_NB_DB was given
}

// newApp is the flag parser; act receives the parsed command line.
func newApp(out io.Writer, act func(inv invocation) error) *cli.App {
	return &cli.App{
		Name:      "dvr-nbctl",
		Usage:     "write and read the DVR northbound database (OVN_Northbound)",
		UsageText: "dvr-nbctl [OPTIONS] [CMD-OPTIONS] COMMAND [ARG...] [-- [CMD-OPTIONS] COMMAND [ARG...]]...\n   dvr-nbctl --detach [--db=...] [--pidfile=FILE] [--log-file=FILE]   (daemon mode: prints the DVR_NB_DAEMON value)",
		Description: "Commands (chain several with -- : they commit as one transaction):\n" + nbctl.Usage() +
			"\nNames or UUIDs are accepted wherever a switch, router or port is named.",
		HideHelpCommand: true,
		Writer:          out,
		ErrWriter:       out,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Usage: "database endpoint(s): unix:PATH, tcp:IP:PORT, ssl:IP:PORT; a comma list for a RAFT cluster", EnvVars: []string{"DVR_NB_DB"}},
			&cli.StringFlag{Name: "sb-db", Usage: "SB database endpoint(s), same forms: read only when a --wait times out, to name the chassis behind and whether dvr-northd is active", EnvVars: []string{"DVR_SB_DB"}},
			&cli.IntFlag{Name: "timeout", Aliases: []string{"t"}, Usage: "give up after SECS seconds (0: wait forever; connecting gives up after 10 s)"},
			&cli.StringFlag{Name: "wait", Value: "none", Usage: "after the change, wait for northd (sb) or every chassis (hv): none|sb|hv"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "output format: table|json"},
			&cli.StringFlag{Name: "private-key", Aliases: []string{"p"}, Usage: "SSL private key file", EnvVars: []string{"DVR_PRIVATE_KEY"}},
			&cli.StringFlag{Name: "certificate", Aliases: []string{"c"}, Usage: "SSL certificate file", EnvVars: []string{"DVR_CERTIFICATE"}},
			&cli.StringFlag{Name: "ca-cert", Aliases: []string{"C"}, Usage: "SSL CA certificate file", EnvVars: []string{"DVR_CA_CERT"}},
			&cli.BoolFlag{Name: "detach", Usage: "start a daemon that keeps a replica of the NB and serves commands on a control socket; print the socket's path (export it as DVR_NB_DAEMON)"},
			&cli.StringFlag{Name: "pidfile", Usage: "with --detach: the daemon's pid file (locked while it runs)"},
			&cli.StringFlag{Name: "log-file", Usage: "with --detach: the daemon's log file (default: no log)"},
			&cli.StringFlag{Name: "daemon", Usage: "send the commands to the daemon at this control socket", EnvVars: []string{"DVR_NB_DAEMON"}},
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return err },
		Action: func(c *cli.Context) error {
			if c.Int("timeout") < 0 {
				return fmt.Errorf("--timeout must be 0 or more seconds")
			}
			return act(invocation{
				opts: nbctl.Options{
					DB:          c.String("db"),
					SBDB:        c.String("sb-db"),
					PrivateKey:  c.String("private-key"),
					Certificate: c.String("certificate"),
					CACert:      c.String("ca-cert"),
					Timeout:     time.Duration(c.Int("timeout")) * time.Second,
					Wait:        c.String("wait"),
					Format:      c.String("format"),
				},
				detach:  c.Bool("detach"),
				pidfile: c.String("pidfile"),
				logfile: c.String("log-file"),
				daemon:  c.String("daemon"),
				dbSet:   c.IsSet("db"),
			})
		},
	}
}

// appArgs is argv for the flag parser: the globals, then "--" and the chain.
func appArgs(argv []string) []string {
	globals, chain := nbctl.SplitGlobal(argv)
	args := append([]string{"dvr-nbctl"}, globals...)
	if len(chain) > 0 {
		args = append(append(args, "--"), chain...)
	}
	return args
}

const noDB = "no database given: use --db=unix:PATH (or tcp:, ssl:) or set DVR_NB_DB"

func main() {
	if os.Getenv(childEnv) != "" {
		os.Exit(daemonChild(os.Args[1:]))
	}
	_, chain := nbctl.SplitGlobal(os.Args[1:])
	app := newApp(os.Stdout, func(inv invocation) error {
		inv.chain = chain
		switch {
		case inv.detach:
			return detach(os.Args[1:], inv)
		case inv.daemon != "":
			os.Exit(client(inv.daemon, os.Args[1:]))
		}
		if inv.opts.DB == "" {
			return fmt.Errorf(noDB)
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		inv.opts.Stdout = os.Stdout
		return nbctl.Run(ctx, inv.opts, inv.chain)
	})
	app.ErrWriter = os.Stderr
	if err := app.Run(appArgs(os.Args[1:])); err != nil {
		fmt.Fprintf(os.Stderr, "dvr-nbctl: %v\n", err)
		os.Exit(1)
	}
}
