package chassis_test

import (
	"strings"
	"testing"
	"time"
)

// The incremental path against its oracle, on real hypervisors with the
// real dvr-northd: hv1 and hv2 run with --check-incremental (after every
// incremental round the chassis compares its installed flows, as ofctrl
// holds them, and its applied router state with a full recompute of the
// same view, and logs an error on a difference), through port-level
// changes (ports added, bound, re-addressed, unbound, removed, local and
// remote, on several networks) mixed with full-round ones (VMs plugged
// and unplugged, a router interface added and removed, a chassis added).
// After every step: no check failed, and at checkpoints a restarted hv1
// (a full recompute from nothing) finds its dataplane as it was and sends
// no flow-mod.
func TestIncrementalMatchesRecompute(t *testing.T) {
	t.Parallel()
	w := newWorld(t, true)
	w.seed()
	cs := w.hypervisors("hv1", "hv2", "hv3")
	hv1, hv2, hv3 := cs[0], cs[1], cs[2]
	for _, c := range cs[:2] {
		c.extra = []string{"--check-incremental", "--log-level=trace"}
		c.start()
	}
	plug := func(c *chassisRun, port, mac string) { c.hv.AddVMPort(port, port, mac) }
	unplug := func(c *chassisRun, port string) { c.hv.MustVsctl("del-port", "br-int", port) }
	checkpoint := func(step string) {
		t.Helper()
		before := hv1.dataplane()
		mods := hv1.flowMods()
		hv1.stop()
		hv1.start()
		w.nbctl("--wait=hv", "sync")
		time.Sleep(300 * time.Millisecond)
		if g := hv1.dataplane(); g != before {
			t.Fatalf("after %s: a full recompute (restart) changed hv1's dataplane:\n%s", step, diffLines(before, g))
		}
		if n := hv1.flowMods() - mods; n != 0 {
			t.Fatalf("after %s: the restarted hv1 sent flow-mods in %d rounds", step, n)
		}
	}
	// strict steps must run on hv1 with no full round that says why (a
	// Resync tick says nothing): the incremental path's own cases.
	steps := []struct {
		name   string
		do     func()
		strict bool
	}{
		{"vms-plugged", func() {
			plug(hv1, "vm11", "fa:16:3e:00:01:0b")
			plug(hv2, "vm12", "fa:16:3e:00:01:0c")
			plug(hv2, "vm22", "fa:16:3e:00:02:0c")
			for _, p := range []string{"vm11", "vm12", "vm22"} {
				w.waitUp(p)
			}
		}, false},
		{"port-added-unbound", func() {
			w.nbctl("lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.13")
		}, false},
		{"remote-bound", func() { plug(hv2, "vm13", "fa:16:3e:00:01:0d"); w.waitUp("vm13") }, false},
		{"remote-readdressed", func() { w.nbctl("lsp-set-addresses", "vm12", "fa:16:3e:00:01:1c 10.0.1.112") }, true},
		{"local-readdressed", func() { w.nbctl("lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.111") }, true},
		{"local-bound-existing-network", func() {
			w.nbctl("lsp-add", "sw1", "vm14", "--", "lsp-set-addresses", "vm14", "fa:16:3e:00:01:0e 10.0.1.14")
			plug(hv1, "vm14", "fa:16:3e:00:01:0e")
			w.waitUp("vm14")
		}, false},
		{"local-replugged", func() {
			unplug(hv1, "vm14")
			plug(hv1, "vm14", "fa:16:3e:00:01:0e")
			w.waitUp("vm14")
		}, true},
		{"local-unplugged-existing-network", func() { unplug(hv1, "vm14"); w.waitBound("vm14", "") }, true},
		{"local-bound-again", func() { plug(hv1, "vm14", "fa:16:3e:00:01:0e"); w.waitUp("vm14") }, true},
		{"switch-added-remote-port", func() {
			w.nbctl("ls-add", "sw4", "--", "lsp-add", "sw4", "vm41", "--", "lsp-set-addresses", "vm41", "fa:16:3e:00:04:0b 10.0.4.11")
			plug(hv2, "vm41", "fa:16:3e:00:04:0b")
			w.waitUp("vm41")
		}, false},
		{"interface-added-existing-network", func() {
			w.nbctl("lr-attach", "r1", "sw4", "r1-sw4", "fa:16:3e:00:ff:04", "10.0.4.1/24")
		}, true},
		{"interface-removed-existing-network", func() { w.nbctl("lr-detach", "r1-sw4") }, true},
		{"port-added-other-network", func() {
			w.nbctl("lsp-add", "sw2", "vm23", "--", "lsp-set-addresses", "vm23", "fa:16:3e:00:02:0d 10.0.2.13")
			plug(hv2, "vm23", "fa:16:3e:00:02:0d")
			w.waitUp("vm23")
		}, false},
		{"remote-unbound", func() { unplug(hv2, "vm13"); w.waitBound("vm13", "") }, false},
		{"remote-removed", func() { w.nbctl("lsp-del", "vm23") }, false},
		{"interface-added", func() {
			w.nbctl("ls-add", "sw3", "--", "lr-attach", "r1", "sw3", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.3.1/24")
		}, false},
		{"ports-on-new-network", func() {
			w.nbctl("lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.0.3.11",
				"--", "lsp-add", "sw3", "vm32", "--", "lsp-set-addresses", "vm32", "fa:16:3e:00:03:0c 10.0.3.12")
			plug(hv2, "vm31", "fa:16:3e:00:03:0b")
			w.waitUp("vm31")
		}, false},
		{"chassis-added", func() {
			hv3.start()
			plug(hv3, "vm32", "fa:16:3e:00:03:0c")
			w.waitUp("vm32")
		}, false},
		{"remote-readdressed-again", func() { w.nbctl("lsp-set-addresses", "vm32", "fa:16:3e:00:03:1c 10.0.3.112") }, false},
		{"remote-port-removed", func() { w.nbctl("lsp-del", "vm31") }, false},
		{"interface-removed", func() { w.nbctl("lr-detach", "r1-sw3") }, false},
		{"local-unplugged", func() { unplug(hv1, "vm11"); w.waitBound("vm11", "") }, false},
		{"local-port-removed", func() { w.nbctl("lsp-del", "vm11") }, false},
	}
	for i, s := range steps {
		marks := []int{len(hv1.p.Output()), len(hv2.p.Output())}
		s.do()
		w.nbctl("--wait=hv", "sync")
		time.Sleep(100 * time.Millisecond)
		for _, c := range []*chassisRun{hv1, hv2} {
			if out := c.p.Output(); strings.Contains(out, "incremental check") {
				t.Fatalf("after %s: %s's incremental path differs from a full recompute:\n%s", s.name, c.hv.Name, checkLines(out))
			}
		}
		for j, c := range []*chassisRun{hv1, hv2} {
			out := c.p.Output()[marks[j]:]
			why := fullWhys(out)
			t.Logf("%s on %s: %d incremental, full: %s", s.name, c.hv.Name, strings.Count(out, "incremental round"), why)
			if s.strict && c == hv1 && why != "" {
				t.Errorf("after %s: hv1 took full rounds: %s", s.name, why)
			}
		}
		if i == 5 || i == 9 || i == len(steps)-1 {
			checkpoint(s.name)
		}
	}
	n := strings.Count(hv1.p.Output(), "incremental round")
	if n == 0 {
		t.Fatalf("hv1 ran no incremental round:\n%s", hv1.p.Output())
	}
	t.Logf("hv1: %d incremental rounds, %d on hv2", n, strings.Count(hv2.p.Output(), "incremental round"))
}

func checkLines(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "incremental check") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// fullWhys lists why the rounds in out were full ones (trace lines).
func fullWhys(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "full round") {
			if i := strings.Index(l, "why="); i >= 0 {
				b.WriteString(l[i:] + "; ")
			}
		}
	}
	return b.String()
}
