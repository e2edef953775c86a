package hvtest_test

import (
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// BenchmarkStart is one hypervisor brought up (netns, holder,
// ovsdb-server, ovs-vswitchd ready) and closed; boot-ms is the bring-up.
//
//	go test -run '^$' -bench . -benchtime 10x ./internal/hvtest
func BenchmarkStart(b *testing.B) {
	var boot time.Duration
	for i := 0; i < b.N; i++ {
		hv := hvtest.Start(b, "hv")
		boot += hv.BootTime()
		hv.Close()
	}
	b.ReportMetric(float64(boot.Microseconds())/1000/float64(b.N), "boot-ms/op")
}

// BenchmarkNetwork3 is the underlay and three hypervisors started in
// parallel and attached, then closed.
func BenchmarkNetwork3(b *testing.B) {
	var up time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		sw, hvs := hvtest.Network(b, 3)
		up += time.Since(t0)
		for _, hv := range hvs {
			hv.Close()
		}
		sw.Close()
	}
	b.ReportMetric(float64(up.Microseconds())/1000/float64(b.N), "up-ms/op")
}
