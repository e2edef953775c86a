package northd

import (
	"testing"
	"time"
)

// TestSurvivesDatabaseRestarts: losing the SB and then the NB server
// makes northd reconnect and resync, never exit, and keep the SB exact.
func TestSurvivesDatabaseRestarts(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("seed")
	for _, srv := range []struct {
		name string
		stop func()
	}{
		{"sb", func() {
			m := e.sb.Members[0]
			e.sb.StopMember(m)
			time.Sleep(700 * time.Millisecond)
			if err := e.sb.RestartMember(m); err != nil {
				t.Fatal(err)
			}
		}},
		{"nb", func() {
			m := e.nb.Members[0]
			e.nb.StopMember(m)
			time.Sleep(700 * time.Millisecond)
			if err := e.nb.RestartMember(m); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		srv.stop()
		// The test's own readers reconnect too.
		e.nbc = nil
		e.sbc = nil
		e.reconnectReaders()
		e.nbctl("--wait=sb", "--timeout=30", "lsp-add", "sw1", "after-"+srv.name, "--", "lsp-set-addresses", "after-"+srv.name,
			map[string]string{"sb": "fa:16:3e:00:01:51 10.0.1.51", "nb": "fa:16:3e:00:01:52 10.0.1.52"}[srv.name])
		e.recomputeIsNoop("after restarting " + srv.name)
	}
	select {
	case <-a.done:
		t.Fatal("northd exited")
	default:
	}
	if !a.n.Active() {
		t.Fatal("northd is not active after the restarts")
	}
}
