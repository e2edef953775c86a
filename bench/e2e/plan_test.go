package main

import (
	"testing"

	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

func TestParseShape(t *testing.T) {
	for in, want := range map[string]int{"10x5x10": 500, "50×10×10": 5000, " 100 X 10 x 20": 20000} {
		s, err := parseShape(in)
		if err != nil || s.total() != want {
			t.Errorf("parseShape(%q) = %v, %v; want %d ports", in, s, err, want)
		}
	}
	for _, in := range []string{"10x5", "0x1x1", "1x1x201", "axbxc"} {
		if _, err := parseShape(in); err == nil {
			t.Errorf("parseShape(%q) took it", in)
		}
	}
}

// The spares and extras never clash with the topology's names and
// addresses, and everything is placed round-robin on the hypervisors.
func TestPlanIsDisjointAndRoundRobin(t *testing.T) {
	p := newPlan(shape{routers: 10, subnets: 5, ports: 10}, 4, 20)
	names, addrs := map[string]bool{}, map[string]bool{}
	perHV := make([]int, 4)
	claim := func(port fixtures.Port) {
		if names[port.Name] || addrs[port.IP.String()] || addrs[port.MAC] {
			t.Fatalf("%s (%s, %s) used twice", port.Name, port.IP, port.MAC)
		}
		names[port.Name], addrs[port.IP.String()], addrs[port.MAC] = true, true, true
	}
	p.topo.EachPort(func(_ fixtures.Router, _ fixtures.Subnet, port fixtures.Port) { claim(port) })
	for i := range perHV {
		perHV[i] = len(p.vmsOn(i))
	}
	for _, sp := range p.spares {
		claim(sp.port)
		if sp.port.Chassis != hvName(sp.hv) {
			t.Errorf("spare %s on %s, placed on %s", sp.port.Name, hvName(sp.hv), sp.port.Chassis)
		}
	}
	for _, e := range p.extras {
		for _, port := range e.ports {
			claim(port)
		}
	}
	for i, n := range perHV {
		if n != 125 {
			t.Errorf("%s holds %d of the 500 VM ports, want 125", hvName(i), n)
		}
	}
	extras := 0
	for i := range perHV {
		extras += len(p.extraVMsOn(i))
	}
	if extras != 20*10 {
		t.Errorf("%d extra VM interfaces, want 200", extras)
	}
}
