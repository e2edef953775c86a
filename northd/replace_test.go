package northd

import (
	"testing"

	"github.com/dvr-ovn/dvr/internal/ovsdbmon"
)

// TestMonitorReplacedMidway: when the watchdog replaces a monitor client
// (as after a failed echo), northd resyncs with a full round and goes on.
func TestMonitorReplacedMidway(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	for i, mon := range []*ovsdbmon.Monitor{a.n.sbMon, a.n.nbMon, a.n.sbMon} {
		_, gen := mon.Get()
		mon.Reset()
		waitFor(t, "a fresh client", func() bool { c, g := mon.Get(); return c != nil && g > gen })
		name := []string{"x1", "x2", "x3"}[i]
		e.nbctl("--wait=sb", "--timeout=20", "lsp-add", "sw1", name, "--", "lsp-set-addresses", name,
			[]string{"fa:16:3e:00:01:71 10.0.1.71", "fa:16:3e:00:01:72 10.0.1.72", "fa:16:3e:00:01:73 10.0.1.73"}[i])
		e.recomputeIsNoop("after replacing a monitor")
	}
}
