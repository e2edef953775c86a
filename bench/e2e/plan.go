package main

import (
	"fmt"
	"net/netip"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// shape is one size: routers × subnets × VM ports per subnet.
type shape struct{ routers, subnets, ports int }

func (s shape) total() int { return s.routers * s.subnets * s.ports }

func (s shape) String() string {
	return fmt.Sprintf("%d×%d×%d = %d VM ports", s.routers, s.subnets, s.ports, s.total())
}

// plan is one size's workload, the same for every column:
//   - topo: the topology of the bulk row, ports placed round-robin on hv1..hvK;
//   - spares: one VM port per sample, on existing switches spread over the
//     routers (hosts .200 and up; the generator uses .10 to .9+P), placed
//     round-robin;
//   - extras: one switch per sample with P VM ports placed round-robin and
//     no router interface, loaded before the router-interface samples.
type plan struct {
	shape
	hvs    int
	topo   fixtures.Topology
	spares []spare
	extras []extra
}

type spare struct {
	port fixtures.Port // Chassis is its hypervisor's name
	sw   string
	hv   int // index into the hypervisors
}

type extra struct {
	sw, lrp, routerLSP, router, mac string
	network                         netip.Prefix
	ports                           []fixtures.Port
}

func hvName(i int) string { return fmt.Sprintf("hv%d", i+1) }

func newPlan(s shape, hvs, samples int) plan {
	p := plan{shape: s, hvs: hvs, topo: fixtures.MustGenerate(s.routers, s.subnets, s.ports, hvs)}
	var subnets []fixtures.Subnet
	for _, r := range p.topo.Routers {
		subnets = append(subnets, r.Subnets...)
	}
	for i := 0; i < samples; i++ {
		sn := subnets[(i*7)%len(subnets)]
		b := sn.CIDR().Addr().As4()
		b[3] = byte(200 + (i*7)/len(subnets))
		p.spares = append(p.spares, spare{sw: sn.Switch, hv: i % hvs, port: fixtures.Port{
			Name: fmt.Sprintf("sp-%d", i), MAC: fmt.Sprintf("fa:16:3c:01:%02x:%02x", byte(i>>8), byte(i)),
			IP: netip.AddrFrom4(b), Chassis: hvName(i % hvs)}})
	}
	// Extra subnets 10.200.i.0/24 (the generator's subnet n is
	// 10.<n/256>.<n%256>.0/24: it reaches 10.200 only beyond 51,200
	// subnets), gateway MACs fa:16:3c:ff:..
	for i := 0; i < samples; i++ {
		e := extra{sw: fmt.Sprintf("lsx-%d", i), lrp: fmt.Sprintf("lrpx-%d", i),
			router:  p.topo.Routers[i%len(p.topo.Routers)].Name,
			mac:     fmt.Sprintf("fa:16:3c:ff:%02x:%02x", byte(i>>8), byte(i)),
			network: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 200, byte(i), 1}), 24)}
		e.routerLSP = e.sw + "-" + e.router
		for k := 0; k < s.ports; k++ {
			e.ports = append(e.ports, fixtures.Port{Name: fmt.Sprintf("vmx-%d-%d", i, k),
				MAC: fmt.Sprintf("fa:16:3c:fe:%02x:%02x", byte(i), byte(k)),
				IP:  netip.AddrFrom4([4]byte{10, 200, byte(i), byte(10 + k)}), Chassis: hvName((i + k) % hvs)})
		}
		p.extras = append(p.extras, e)
	}
	return p
}

// vmsOn are the VM interfaces of the topology's ports on hypervisor i.
func (p plan) vmsOn(i int) []hvtest.VMSpec {
	var out []hvtest.VMSpec
	name := hvName(i)
	g := 0
	p.topo.EachPort(func(_ fixtures.Router, _ fixtures.Subnet, port fixtures.Port) {
		if port.Chassis == name {
			out = append(out, hvtest.VMSpec{Name: fmt.Sprintf("vm%d", g), IfaceID: port.Name, MAC: port.MAC})
		}
		g++
	})
	return out
}

// extraVMsOn are the extra switches' VM interfaces on hypervisor i.
func (p plan) extraVMsOn(i int) []hvtest.VMSpec {
	var out []hvtest.VMSpec
	for k, e := range p.extras {
		for j, port := range e.ports {
			if port.Chassis == hvName(i) {
				out = append(out, hvtest.VMSpec{Name: fmt.Sprintf("vx%d-%d", k, j), IfaceID: port.Name, MAC: port.MAC})
			}
		}
	}
	return out
}

// nbctlExtras renders the extra switches with their VM ports as one
// nbctl transaction (the same commands in dvr-nbctl and ovn-nbctl).
func (p plan) nbctlExtras() []string {
	var args []string
	cmd := func(a ...string) {
		if len(args) > 0 {
			args = append(args, "--")
		}
		args = append(args, a...)
	}
	for _, e := range p.extras {
		cmd("ls-add", e.sw)
		for _, port := range e.ports {
			cmd("lsp-add", e.sw, port.Name)
			cmd("lsp-set-addresses", port.Name, port.Addresses())
		}
	}
	return args
}
