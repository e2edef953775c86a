package northd

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/northd/translate"
)

// recomputeIsNoop asserts that a full recompute from what the databases
// hold now would write nothing: the SB the running (incremental) northd
// produced is exactly the full translation's.
func (e *env) recomputeIsNoop(step string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		msg := e.recomputeDiff()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: %s", step, msg)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// recomputeDiff describes what a full recompute would still write.
func (e *env) recomputeDiff() string {
	e.t.Helper()
	nb, sb := e.snapshot()
	out := translate.Translate(Input(nb, sb, ""))
	sbm, err := dbModel(e.sbc, sbModelFunc)
	if err != nil {
		e.t.Fatal(err)
	}
	ops, _, err := DiffSB(sbm, &out, sb)
	if err != nil {
		e.t.Fatal(err)
	}
	nbm, err := dbModel(e.nbc, nbModelFunc)
	if err != nil {
		e.t.Fatal(err)
	}
	nops, err := DiffLSPUp(nbm, out.LSPUp, nb.SwitchPorts)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(ops) > 0 || len(nops) > 0 {
		return fmt.Sprintf("a full recompute would still write %d SB and %d NB operations: %v %v\n%s", len(ops), len(nops), ops, nops, Canonical(nb, sb))
	}
	return ""
}

// TestIncrementalMatchesRecompute drives port-level changes through the
// running northd (which applies them incrementally) and after each one
// checks that the full recompute agrees with what it wrote.
func TestIncrementalMatchesRecompute(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	e.settle()
	e.recomputeIsNoop("seed")
	fullBefore := a.n.Stats().FullRounds.Load()
	rng := rand.New(rand.NewPCG(1, 2))
	ports := []string{}
	for i := 0; i < 40; i++ {
		switch op := rng.IntN(4); {
		case op == 0 || len(ports) == 0:
			sw := []string{"sw1", "sw2"}[rng.IntN(2)]
			name := fmt.Sprintf("p%02d", i)
			e.nbctl("--wait=sb", "lsp-add", sw, name, "--", "lsp-set-addresses", name,
				fmt.Sprintf("fa:16:3e:55:00:%02x 10.0.%s.%d", i, sw[2:], 100+i))
			ports = append(ports, name)
		case op == 1:
			k := rng.IntN(len(ports))
			e.nbctl("--wait=sb", "lsp-del", ports[k])
			ports = append(ports[:k], ports[k+1:]...)
		case op == 2:
			p := ports[rng.IntN(len(ports))]
			e.sbctl("--if-exists", "lsp-unbind", p)
			e.sbctl("lsp-bind", p, []string{"hv1", "hv2", "hv3"}[rng.IntN(3)])
			e.nbctl("--wait=sb", "sync")
		default:
			p := ports[rng.IntN(len(ports))]
			e.sbctl("--if-exists", "lsp-unbind", p)
			e.nbctl("--wait=sb", "sync")
		}
		e.recomputeIsNoop(fmt.Sprintf("step %d", i))
	}
	if inc := a.n.Stats().IncrementalRounds.Load(); inc < 20 {
		t.Fatalf("only %d incremental rounds for 40 port-level changes", inc)
	}
	if full := a.n.Stats().FullRounds.Load() - fullBefore; full > 2 {
		t.Fatalf("%d full rounds for port-level changes", full)
	}
	if d := a.n.Stats().Drift.Load(); d != 0 {
		t.Fatalf("northd's own writes taken for drift %d times:\n%s", d, a.logText())
	}
}
