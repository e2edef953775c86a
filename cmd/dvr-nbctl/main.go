// Command dvr-nbctl writes and reads the northbound database: ovn-nbctl's
// commands and argument order, strict validation, one atomic transaction
// per chain of commands joined with "--". See nbctl's package doc.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dvr-ovn/dvr/nbctl"
)

func main() {
	globals, chain := nbctl.SplitGlobal(os.Args[1:])
	app := &cli.App{
		Name:      "dvr-nbctl",
		Usage:     "write and read the DVR northbound database (OVN_Northbound)",
		UsageText: "dvr-nbctl [OPTIONS] [CMD-OPTIONS] COMMAND [ARG...] [-- [CMD-OPTIONS] COMMAND [ARG...]]...",
		Description: "Commands (chain several with -- : they commit as one transaction):\n" + nbctl.Usage() +
			"\nNames or UUIDs are accepted wherever a switch, router or port is named.",
		HideHelpCommand: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "db", Usage: "database endpoint(s): unix:PATH, tcp:IP:PORT, ssl:IP:PORT; a comma list for a RAFT cluster", EnvVars: []string{"DVR_NB_DB"}},
			&cli.IntFlag{Name: "timeout", Aliases: []string{"t"}, Usage: "give up after SECS seconds (0: wait forever; connecting gives up after 10 s)"},
			&cli.StringFlag{Name: "wait", Value: "none", Usage: "after the change, wait for northd (sb) or every chassis (hv): none|sb|hv"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "table", Usage: "output format: table|json"},
			&cli.StringFlag{Name: "private-key", Aliases: []string{"p"}, Usage: "SSL private key file"},
			&cli.StringFlag{Name: "certificate", Aliases: []string{"c"}, Usage: "SSL certificate file"},
			&cli.StringFlag{Name: "ca-cert", Aliases: []string{"C"}, Usage: "SSL CA certificate file"},
		},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error { return err },
		Action: func(c *cli.Context) error {
			if c.Int("timeout") < 0 {
				return fmt.Errorf("--timeout must be 0 or more seconds")
			}
			if c.String("db") == "" {
				return fmt.Errorf("no database given: use --db=unix:PATH (or tcp:, ssl:) or set DVR_NB_DB")
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return nbctl.Run(ctx, nbctl.Options{
				DB:          c.String("db"),
				PrivateKey:  c.String("private-key"),
				Certificate: c.String("certificate"),
				CACert:      c.String("ca-cert"),
				Timeout:     time.Duration(c.Int("timeout")) * time.Second,
				Wait:        c.String("wait"),
				Format:      c.String("format"),
				Stdout:      os.Stdout,
			}, chain)
		},
	}
	args := append([]string{os.Args[0]}, globals...)
	if len(chain) > 0 {
		args = append(append(args, "--"), chain...)
	}
	if err := app.Run(args); err != nil {
		fmt.Fprintf(os.Stderr, "dvr-nbctl: %v\n", err)
		os.Exit(1)
	}
}
