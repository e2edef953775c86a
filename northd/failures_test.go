package northd

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// addPorts adds n VM ports to sw1 in one dvr-nbctl transaction (no wait),
// with IPs from 10.0.1.<base>.
func (e *env) addPorts(prefix string, base, n int) {
	e.t.Helper()
	var chain []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%02d", prefix, i)
		if len(chain) > 0 {
			chain = append(chain, "--")
		}
		chain = append(chain, "lsp-add", "sw1", name, "--", "lsp-set-addresses", name,
			fmt.Sprintf("fa:16:3e:66:%02x:%02x 10.0.1.%d", base, i, base+i))
	}
	e.nbctl(chain...)
}

// barrier reads NB_Global's nb_cfg and sb_cfg through the test's reader.
func (e *env) barrier() (nbCfg, sbCfg int) {
	nb, _ := e.snapshot()
	if nb.Global == nil {
		return 0, 0
	}
	return nb.Global.NbCfg, nb.Global.SbCfg
}

// convergesUnprompted waits, with no further NB change, until sb_cfg
// catches up with nb_cfg and a full recompute would write nothing.
func (e *env) convergesUnprompted(step string) {
	e.t.Helper()
	deadline := time.Now().Add(25 * time.Second)
	for {
		nbCfg, sbCfg := e.barrier()
		msg := e.recomputeDiff()
		if msg == "" && sbCfg == nbCfg {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not repaired without a new change (nb_cfg %d, sb_cfg %d): %s", step, nbCfg, sbCfg, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// portCount counts Port_Binding rows named with prefix.
func (e *env) portCount(prefix string) int {
	_, sb := e.snapshot()
	n := 0
	for _, pb := range sb.Ports {
		if strings.HasPrefix(pb.LogicalPort, prefix) {
			n++
		}
	}
	return n
}

// TestFailedSBCommitIsRecomputed: with the SB server's disk full, the
// round that carries 20 new ports fails at the server (a real I/O error);
// the barrier must not say the change is in SB, and once space is back the
// rows must land with no further NB change.
func TestFailedSBCommitIsRecomputed(t *testing.T) {
	e := newEnv(t, ovsdbtest.OnTmpfs(64<<20))
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("seed")
	m := e.sb.Members[0]
	if err := m.FillDisk(); err != nil {
		t.Fatal(err)
	}
	e.nbctl("--wait=none", "sync") // a barrier request northd cannot carry to SB
	e.addPorts("full", 100, 20)
	waitFor(t, "a failed round", func() bool { return a.n.Stats().FailedRounds.Load() >= 1 })
	if _, err := e.nbctlErr("--wait=sb", "--timeout=2", "sync"); err == nil {
		t.Fatal("--wait=sb returned while the SB could not be written")
	}
	if nbCfg, sbCfg := e.barrier(); sbCfg >= nbCfg {
		t.Fatalf("sb_cfg %d reached nb_cfg %d with the SB disk full", sbCfg, nbCfg)
	}
	// Not all of them: a first small commit may still fit in the free tail
	// of the database file's last tmpfs page (FillDisk takes every free
	// page, not the bytes inside the file's own), and a round may start on
	// part of the NB transaction's rows; every later one fails.
	if n := e.portCount("full"); n >= 20 {
		t.Fatalf("%d ports in SB with its disk full", n)
	}
	if !strings.Contains(a.logText(), "SB may not be what northd computed") {
		t.Fatalf("no log line says SB is behind:\n%s", a.logText())
	}
	if err := m.FreeDisk(); err != nil {
		t.Fatal(err)
	}
	e.convergesUnprompted("after the disk was freed")
	if n := e.portCount("full"); n != 20 {
		t.Fatalf("%d of 20 ports in SB after the disk was freed", n)
	}
	waitFor(t, "the recovery log line", func() bool { return strings.Contains(a.logText(), "SB is again what northd computed") })
	e.nbctl("--wait=sb", "--timeout=10", "sync")
}

// TestSBLostWhileChanging: the SB server stopped while NB changes, and a
// server killed while northd's transaction is in flight (stopped with
// SIGSTOP, then SIGKILL); each ends with SB equal to a clean run's.
func TestSBLostWhileChanging(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	e.recomputeIsNoop("seed")
	m := e.sb.Members[0]

	e.sb.StopMember(m)
	e.addPorts("down", 100, 10)
	e.nbctl("--wait=none", "sync")
	time.Sleep(500 * time.Millisecond)
	if err := e.sb.RestartMember(m); err != nil {
		t.Fatal(err)
	}
	e.reconnectReaders()
	e.convergesUnprompted("after the SB came back")

	commits := strings.Count(a.logText(), "msg=commit")
	if err := syscall.Kill(m.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	e.addPorts("mid", 120, 10)
	e.nbctl("--wait=none", "sync")
	waitFor(t, "northd to send its transaction", func() bool { return strings.Count(a.logText(), "msg=commit") > commits })
	time.Sleep(200 * time.Millisecond)
	if err := syscall.Kill(m.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.sb.StopMember(m)
	if err := e.sb.RestartMember(m); err != nil {
		t.Fatal(err)
	}
	e.reconnectReaders()
	e.convergesUnprompted("after the SB was killed mid-transaction")
	if n := e.portCount("mid"); n != 10 {
		t.Fatalf("%d of 10 ports in SB", n)
	}
}
