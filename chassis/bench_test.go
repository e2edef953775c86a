package chassis_test

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkPlugToClaim: one hypervisor with the seed topology; each
// iteration plugs a VM port (ovs-vsctl), waits until its Port_Binding is
// bound here, unplugs it and waits until it is released. It measures the
// whole path (ovs-vsctl, ovs-vswitchd assigning the ofport, both monitors,
// a round, the SB commit, the test's SB monitor, polled every 10 ms), not
// the chassis alone; ms-of-it-in-ovs-vsctl is the part spent before
// ovs-vsctl returned (it waits for ovs-vswitchd to apply the change).
//
//	go test -run '^$' -bench PlugToClaim -benchtime 20x ./chassis/
func BenchmarkPlugToClaim(b *testing.B) {
	w := newWorld(b, true)
	w.seed()
	c := w.hypervisors("hv1")[0]
	c.start()
	var plug, unplug, vsctl time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("vm11-%d", i)
		t0 := time.Now()
		c.hv.AddVMPort(name, "vm11", "fa:16:3e:00:01:0b")
		vsctl += time.Since(t0)
		w.waitBound("vm11", "hv1")
		t1 := time.Now()
		c.hv.MustVsctl("del-port", "br-int", name)
		w.waitBound("vm11", "")
		plug += t1.Sub(t0)
		unplug += time.Since(t1)
	}
	b.ReportMetric(float64(plug.Microseconds())/float64(b.N)/1000, "ms-plug-to-claim")
	b.ReportMetric(float64(vsctl.Microseconds())/float64(b.N)/1000, "ms-of-it-in-ovs-vsctl")
	b.ReportMetric(float64(unplug.Microseconds())/float64(b.N)/1000, "ms-unplug-to-release")
}
