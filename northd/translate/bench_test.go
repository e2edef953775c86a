package translate_test

import (
	"testing"

	"github.com/dvr-ovn/dvr/northd/translate"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// benchInput is the benchmark topology at 100k VM ports (100 routers x
// 10 subnets x 100 ports, 100 chassis), every port claimed, with the keys
// of a previous round (as after a takeover).
func benchInput(b *testing.B) translate.Input {
	topo := fixtures.MustGenerate(100, 10, 100, 100)
	in := inputOf(topo.NBRows())
	in.Chassis = topo.Chassis
	for c, ports := range topo.Placement() {
		for _, p := range ports {
			in.Claims[p] = translate.Claim{Chassis: c, Up: true}
		}
	}
	return carry(in, translate.Translate(in))
}

// BenchmarkTranslate100k is the full translation a standby runs when it
// takes over (or northd at a cold start).
func BenchmarkTranslate100k(b *testing.B) {
	in := benchInput(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		translate.NewState(in)
	}
}

// BenchmarkApplyOnePort100k is one port's incremental update at 100k.
func BenchmarkApplyOnePort100k(b *testing.B) {
	in := benchInput(b)
	st := translate.NewState(in)
	var ch translate.PortChange
	for u, p := range in.SwitchPorts {
		if p.Type == "" {
			ch = translate.PortChange{Name: p.Name, UUID: u, OldUUID: u, Switch: switchOf(in, u)}
			break
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, why := st.ApplyPorts([]translate.PortChange{ch}); why != "" {
			b.Fatal("fell back: " + why)
		}
	}
}
