package main

import (
	"context"
	"fmt"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// cmdTimeout bounds one nbctl process (a bulk --wait=hv at 20,000 ports
// on ovn-controller takes minutes; a hang must not stall the run).
const cmdTimeout = 30 * time.Minute

// nbctlColumn is what the two control planes share: NB and SB servers,
// and an nbctl (dvr-nbctl or ovn-nbctl) that writes the NB one-shot and
// waits with --wait=hv. Each column adds its daemons and its router
// interface command.
type nbctlColumn struct {
	bin      string
	batches  func(fixtures.Topology) [][]string // one nbctl per router
	nbs, sbs *benchkit.Server
	nbc      *benchkit.DB
}

func (c *nbctlColumn) nbctl(args ...string) error {
	_, err := benchkit.TimeProc(cmdTimeout, c.bin, append([]string{"--db=" + c.nbs.Endpoint(), "--timeout=1800"}, args...)...)
	return err
}

// startServers starts the NB and SB ovsdb-servers on the schemas and
// initializes the NB.
func (c *nbctlColumn) startServers(ctx context.Context, nbSchema, sbSchema []byte) error {
	var err error
	if c.nbs, err = benchkit.StartServer(nbSchema, false); err != nil {
		return err
	}
	if c.sbs, err = benchkit.StartServer(sbSchema, false); err != nil {
		return err
	}
	if err := c.nbctl("init"); err != nil {
		return err
	}
	if c.nbc, err = benchkit.Dial(ctx, c.nbs.Endpoint(), "OVN_Northbound"); err != nil {
		return err
	}
	benchkit.OnExit(c.nbc.Close)
	return nil
}

// registered waits until the SB table holds one row per chassis daemon,
// failing early if one of them exits.
func (c *nbctlColumn) registered(ctx context.Context, table string, daemons []*hvtest.Proc) error {
	sb, err := benchkit.Dial(ctx, c.sbs.Endpoint(), "OVN_Southbound")
	if err != nil {
		return err
	}
	defer sb.Close()
	return benchkit.WaitFor("every chassis registered ("+table+")", 20*time.Millisecond, 2*time.Minute, func() (bool, error) {
		for i, p := range daemons {
			if !p.Running() {
				return false, fmt.Errorf("%s: %s exited: %s", hvName(i), p.Name, benchkit.Tail(p.Output(), 2000))
			}
		}
		n, err := sb.Count(ctx, table)
		return err == nil && n == len(daemons), err
	})
}

func (c *nbctlColumn) build(ctx context.Context, p plan) error {
	for _, args := range c.batches(p.topo) {
		if err := c.nbctl(args...); err != nil {
			return err
		}
	}
	return nil
}

func (c *nbctlColumn) sync(ctx context.Context) error { return c.nbctl("--wait=hv", "sync") }

func (c *nbctlColumn) nb() *benchkit.DB { return c.nbc }
func (c *nbctlColumn) setsUp() bool     { return true }

func (c *nbctlColumn) loadExtras(ctx context.Context, p plan) error {
	return c.nbctl(p.nbctlExtras()...)
}

func (c *nbctlColumn) addPort(ctx context.Context, i int, sp spare) error {
	return c.nbctl("--wait=hv", "lsp-add", sp.sw, sp.port.Name, "--", "lsp-set-addresses", sp.port.Name, sp.port.Addresses())
}
