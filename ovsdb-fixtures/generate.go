package fixtures

import (
	"fmt"
	"net/netip"
)

// Limits of the generated address plan.
const (
	// MaxSubnets is the number of /24 subnets in 10.0.0.0/8.
	MaxSubnets = 1 << 16
	// MaxPortsPerSubnet is the number of VM addresses from .10 to .249.
	MaxPortsPerSubnet = 240
	// firstVMHost is the last octet of a subnet's first VM address.
	firstVMHost = 10
)

// Generate builds a topology of any size with one naming and addressing
// scheme. For router i (1..routers), subnet j (1..subnetsPerRouter) and VM k
// (1..portsPerSubnet):
//
//	router              r<i>
//	switch              ls<i>-<j>
//	router port (LRP)   lrp<i>-<j>       networks 10.<n/256>.<n%256>.1/24,
//	                                     MAC fa:16:3d:<n as 3 octets>
//	router-type LSP     ls<i>-<j>-r<i>   (lr-attach's <SWITCH>-<ROUTER>)
//	VM port             vm<i>-<j>-<k>    IP 10.<n/256>.<n%256>.<9+k>,
//	                                     MAC fa:16:3e:<g as 3 octets>
//	chassis             hv<c>            (1..chassis)
//
// where n = (i-1)*subnetsPerRouter + (j-1) is the subnet's index and g the
// port's global index (0-based, in router, subnet, port order). Port g runs on
// chassis hv<g mod chassis + 1> (round-robin); with chassis = 0 no port is
// placed. It fails beyond MaxSubnets subnets or MaxPortsPerSubnet ports per
// subnet, or on a negative count.
func Generate(routers, subnetsPerRouter, portsPerSubnet, chassis int) (Topology, error) {
	if routers < 0 || subnetsPerRouter < 0 || portsPerSubnet < 0 || chassis < 0 {
		return Topology{}, fmt.Errorf("negative size: routers=%d subnets/router=%d ports/subnet=%d chassis=%d",
			routers, subnetsPerRouter, portsPerSubnet, chassis)
	}
	if portsPerSubnet > MaxPortsPerSubnet {
		return Topology{}, fmt.Errorf("%d ports per subnet: at most %d fit in a /24 from .%d (.%d..)",
			portsPerSubnet, MaxPortsPerSubnet, firstVMHost, firstVMHost+MaxPortsPerSubnet-1)
	}
	if subnetsPerRouter > 0 && routers > MaxSubnets/subnetsPerRouter {
		return Topology{}, fmt.Errorf("%d routers x %d subnets: more than %d /24 subnets fit in 10.0.0.0/8",
			routers, subnetsPerRouter, MaxSubnets)
	}
	t := Topology{Routers: make([]Router, 0, routers)}
	for c := 1; c <= chassis; c++ {
		t.Chassis = append(t.Chassis, fmt.Sprintf("hv%d", c))
	}
	g := 0
	for i := 1; i <= routers; i++ {
		r := Router{Name: fmt.Sprintf("r%d", i), Subnets: make([]Subnet, 0, subnetsPerRouter)}
		for j := 1; j <= subnetsPerRouter; j++ {
			n := (i-1)*subnetsPerRouter + (j - 1)
			s := Subnet{
				Switch:    fmt.Sprintf("ls%d-%d", i, j),
				LRP:       fmt.Sprintf("lrp%d-%d", i, j),
				RouterLSP: fmt.Sprintf("ls%d-%d-r%d", i, j, i),
				MAC:       mac(0x3d, n),
				Network:   netip.PrefixFrom(subnetAddr(n, 1), 24),
				Ports:     make([]Port, 0, portsPerSubnet),
			}
			for k := 1; k <= portsPerSubnet; k++ {
				p := Port{
					Name: fmt.Sprintf("vm%d-%d-%d", i, j, k),
					MAC:  mac(0x3e, g),
					IP:   subnetAddr(n, firstVMHost-1+k),
				}
				if chassis > 0 {
					p.Chassis = t.Chassis[g%chassis]
				}
				s.Ports = append(s.Ports, p)
				g++
			}
			r.Subnets = append(r.Subnets, s)
		}
		t.Routers = append(t.Routers, r)
	}
	return t, nil
}

// MustGenerate is Generate for sizes known to be valid; it panics otherwise.
func MustGenerate(routers, subnetsPerRouter, portsPerSubnet, chassis int) Topology {
	t, err := Generate(routers, subnetsPerRouter, portsPerSubnet, chassis)
	if err != nil {
		panic(err)
	}
	return t
}

// subnetAddr is host h of subnet n: 10.<n/256>.<n%256>.<h>.
func subnetAddr(n, h int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(n >> 8), byte(n), byte(h)})
}

// mac is fa:16:<third>:<v as 3 octets>.
func mac(third byte, v int) string {
	return fmt.Sprintf("fa:16:%02x:%02x:%02x:%02x", third, byte(v>>16), byte(v>>8), byte(v))
}
