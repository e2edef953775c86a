package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"

	"github.com/ovn-org/libovsdb/ovsdb"

	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

// topology is the generated NB of n VM ports: 100 per switch, 10 switches
// per router, placed round-robin on nChassis chassis.
func topology(n, nChassis int) fixtures.Topology {
	return fixtures.MustGenerate(n/1000, 10, 100, nChassis)
}

// placement maps every VM port to its chassis.
func placement(t fixtures.Topology) map[string]string {
	m := map[string]string{}
	t.EachPort(func(_ fixtures.Router, _ fixtures.Subnet, p fixtures.Port) { m[p.Name] = p.Chassis })
	return m
}

// hostingRows is how many DVR_Router_Binding rows the placement gives:
// one per router and chassis with a bound port on one of its subnets (the
// generated routers share no network, so no related-router rows).
func hostingRows(t fixtures.Topology) int {
	n := 0
	for _, r := range t.Routers {
		on := map[string]bool{}
		for _, s := range r.Subnets {
			for _, p := range s.Ports {
				if p.Chassis != "" {
					on[p.Chassis] = true
				}
			}
		}
		n += len(on)
	}
	return n
}

// ports hands out new VM ports on random switches of the topology, with
// addresses unused there (.120 and up; the generator uses .10–.249 only up
// to its ports per subnet, 100 here) and MACs under fa:16:3c (the
// generator uses 3d and 3e, DVR MACs 3f).
type ports struct {
	subnets []fixtures.Subnet
	rng     *rand.Rand
	host    map[string]int
	macs    int
}

func newPorts(t fixtures.Topology, seed uint64) *ports {
	p := &ports{rng: rand.New(rand.NewPCG(seed, 17)), host: map[string]int{}}
	for _, r := range t.Routers {
		p.subnets = append(p.subnets, r.Subnets...)
	}
	return p
}

// next returns a random switch and a fresh "MAC IP" on it.
func (p *ports) next() (string, string, error) {
	s := p.subnets[p.rng.IntN(len(p.subnets))]
	a, err := p.addr(s)
	return s.Switch, a, err
}

// addr is a fresh "MAC IP" on s.
func (p *ports) addr(s fixtures.Subnet) (string, error) {
	h := 120 + p.host[s.Switch]
	if h > 254 {
		return "", fmt.Errorf("switch %s: no free address left for the benchmark", s.Switch)
	}
	p.host[s.Switch]++
	p.macs++
	b := s.Network.Masked().Addr().As4()
	b[3] = byte(h)
	return fmt.Sprintf("fa:16:3c:%02x:%02x:%02x %s", byte(p.macs>>16), byte(p.macs>>8), byte(p.macs), netip.AddrFrom4(b)), nil
}

func (p *ports) subnet(sw string) fixtures.Subnet {
	for _, s := range p.subnets {
		if s.Switch == sw {
			return s
		}
	}
	return fixtures.Subnet{}
}

// lspAddOps is `lsp-add SW NAME -- lsp-set-addresses NAME ADDR` as raw
// operations: insert the port, add it to the switch.
func lspAddOps(lsUUID, name, addr string) []ovsdb.Operation {
	return []ovsdb.Operation{
		{Op: ovsdb.OperationInsert, Table: "Logical_Switch_Port", UUIDName: "newport",
			Row: ovsdb.Row{"name": name, "addresses": set(addr)}},
		{Op: ovsdb.OperationMutate, Table: "Logical_Switch", Where: []ovsdb.Condition{benchkit.UUIDIs(lsUUID)},
			Mutations: []ovsdb.Mutation{{Column: "ports", Mutator: ovsdb.MutateOperationInsert, Value: set(ovsdb.UUID{GoUUID: "newport"})}}},
	}
}

func setAddressesOp(lsp, addr string) ovsdb.Operation {
	return ovsdb.Operation{Op: ovsdb.OperationUpdate, Table: "Logical_Switch_Port", Where: []ovsdb.Condition{benchkit.UUIDIs(lsp)},
		Row: ovsdb.Row{"addresses": set(addr)}}
}

// checkRows verifies that each table holds the expected rows.
func checkRows(ctx context.Context, d *db, want map[string]int) error {
	for t, n := range want {
		got, err := d.Count(ctx, t)
		if err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("%s holds %d %s rows, want %d", d.Name(), got, t, n)
		}
	}
	return nil
}
