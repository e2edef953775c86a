package fixtures

import (
	"embed"
	"net/netip"
)

// SeedFiles holds the committed seed scenario: seed.sh (dvr-nbctl),
// seed-ovn.sh (ovn-nbctl), nb.json (the NB rows, MarshalNBJSON of
// Seed().NBRows()) and placement.json (Seed().Placement()).
//
//go:embed seed/seed.sh seed/seed-ovn.sh seed/nb.json seed/placement.json
var SeedFiles embed.FS

// Seed is the seed scenario: one distributed router r1 with two subnets,
// sw1 10.0.1.0/24 and sw2 10.0.2.0/24, four VMs, and three chassis. hv1
// holds a VM of each subnet, hv2 and hv3 one each, so routed traffic
// crosses hosts in both directions (vm12 on hv2 ↔ vm21 on hv1, vm11 on hv1 ↔
// vm22 on hv3) and also stays on one host (vm11 ↔ vm21 on hv1).
func Seed() Topology {
	return Topology{
		Chassis: []string{"hv1", "hv2", "hv3"},
		Routers: []Router{{
			Name: "r1",
			Subnets: []Subnet{
				{
					Switch:    "sw1",
					LRP:       "r1-sw1",
					RouterLSP: "sw1-r1",
					MAC:       "fa:16:3e:00:ff:01",
					Network:   netip.MustParsePrefix("10.0.1.1/24"),
					Ports: []Port{
						{Name: "vm11", MAC: "fa:16:3e:00:01:0b", IP: netip.MustParseAddr("10.0.1.11"), Chassis: "hv1"},
						{Name: "vm12", MAC: "fa:16:3e:00:01:0c", IP: netip.MustParseAddr("10.0.1.12"), Chassis: "hv2"},
					},
				},
				{
					Switch:    "sw2",
					LRP:       "r1-sw2",
					RouterLSP: "sw2-r1",
					MAC:       "fa:16:3e:00:ff:02",
					Network:   netip.MustParsePrefix("10.0.2.1/24"),
					Ports: []Port{
						{Name: "vm21", MAC: "fa:16:3e:00:02:0b", IP: netip.MustParseAddr("10.0.2.11"), Chassis: "hv1"},
						{Name: "vm22", MAC: "fa:16:3e:00:02:0c", IP: netip.MustParseAddr("10.0.2.12"), Chassis: "hv3"},
					},
				},
			},
		}},
	}
}

// SeedNB is the seed scenario's NB rows as Go models (Seed().NBRows()).
func SeedNB() NBRows { return Seed().NBRows() }

// SeedPlacement is the seed scenario's placement: hv1 runs vm11 and vm21,
// hv2 vm12, hv3 vm22.
func SeedPlacement() Placement { return Seed().Placement() }
