package main

import (
	"fmt"
	"net/netip"

	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// localName is the system-id of the chassis under test.
const localName = "hv-local"

// shape is one size: routers × subnets × ports per subnet, 1 in localEvery
// VM ports bound here, the rest round-robin on remotes remote chassis.
type shape struct {
	routers, subnets, ports, remotes, localEvery, samples int
}

func (s shape) total() int { return s.routers * s.subnets * s.ports }

// plan is the NB of one size plus what the single changes use, all
// loaded before the clock starts:
//   - spareLocal: VM ports with no interface yet (one local bind each);
//   - spareRemote: unbound VM ports (one remote bind each);
//   - extra: switches with ports bound to remote chassis but no router
//     interface yet (one lrp each: a router interface added).
type plan struct {
	shape
	topo        fixtures.Topology
	chassisOf   map[string]string // VM port → chassis, for the topology's ports
	local       []fixtures.Port   // the topology's ports bound here
	spareLocal  []spare
	spareRemote []spare
	extra       []extraSubnet
}

type spare struct {
	port   fixtures.Port
	sw     string
	router string
}

type extraSubnet struct {
	sw, lrp, routerLSP, router, mac string
	network                         netip.Prefix
	ports                           []fixtures.Port
}

func remoteName(i int) string { return fmt.Sprintf("hv%d", i+1) }

func newPlan(s shape) plan {
	p := plan{shape: s, topo: fixtures.MustGenerate(s.routers, s.subnets, s.ports, 0), chassisOf: map[string]string{}}
	g := 0
	p.topo.EachPort(func(_ fixtures.Router, _ fixtures.Subnet, port fixtures.Port) {
		if g%s.localEvery == 0 {
			p.chassisOf[port.Name] = localName
			p.local = append(p.local, port)
		} else {
			p.chassisOf[port.Name] = remoteName(g % s.remotes)
		}
		g++
	})
	// Spares: on switches spread over the routers, host .200 and up
	// (the generator uses .10 to .9+ports), MACs under fa:16:3c.
	var subnets []struct {
		s fixtures.Subnet
		r string
	}
	for _, r := range p.topo.Routers {
		for _, sn := range r.Subnets {
			subnets = append(subnets, struct {
				s fixtures.Subnet
				r string
			}{sn, r.Name})
		}
	}
	mk := func(kind string, i int) spare {
		sn := subnets[(i*7+len(kind))%len(subnets)]
		b := sn.s.CIDR().Addr().As4()
		b[3] = byte(200 + i/len(subnets)*2 + len(kind)%2)
		mac := fmt.Sprintf("fa:16:3c:%02x:%02x:%02x", len(kind), byte(i>>8), byte(i))
		return spare{port: fixtures.Port{Name: fmt.Sprintf("sp-%s-%d", kind, i), MAC: mac, IP: netip.AddrFrom4(b)}, sw: sn.s.Switch, router: sn.r}
	}
	for i := 0; i < s.samples; i++ {
		p.spareLocal = append(p.spareLocal, mk("l", i))
		p.spareRemote = append(p.spareRemote, mk("rm", i))
	}
	// Extra subnets 10.200.i.0/24 (the generator stays under 10.0.0.0/14
	// up to 1024 subnets), gateway MACs fa:16:3c:ff:00:i.
	for i := 0; i < s.samples; i++ {
		e := extraSubnet{sw: fmt.Sprintf("lsx-%d", i), lrp: fmt.Sprintf("lrpx-%d", i),
			router:  p.topo.Routers[i%len(p.topo.Routers)].Name,
			mac:     fmt.Sprintf("fa:16:3c:ff:%02x:%02x", byte(i>>8), byte(i)),
			network: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 200, byte(i), 1}), 24)}
		e.routerLSP = e.sw + "-" + e.router
		for k := 0; k < s.ports; k++ {
			e.ports = append(e.ports, fixtures.Port{Name: fmt.Sprintf("vmx-%d-%d", i, k),
				MAC: fmt.Sprintf("fa:16:3c:fe:%02x:%02x", byte(i), byte(k)),
				IP:  netip.AddrFrom4([4]byte{10, 200, byte(i), byte(10 + k)}), Chassis: remoteName((i + k) % s.remotes)})
		}
		p.extra = append(p.extra, e)
	}
	return p
}
