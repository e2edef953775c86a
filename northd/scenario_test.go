package northd

import (
	"strings"
	"testing"
	"time"
)

// TestSeedScenarioGolden walks the seed scenario step by step and compares
// the SB northd wrote with the golden files in ovsdb-fixtures/northd.
func TestSeedScenarioGolden(t *testing.T) {
	e := newEnv(t)
	e.start("a")
	steps := []struct {
		name string
		do   func()
	}{
		{"01-router-created", func() { e.nbctl("lr-add", "r1") }},
		{"02-interfaces-added", func() {
			e.nbctl("ls-add", "sw1", "--", "ls-add", "sw2",
				"--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
				"--", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24")
		}},
		{"03-vms-added", func() {
			e.nbctl("lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11",
				"--", "lsp-add", "sw1", "vm12", "--", "lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12",
				"--", "lsp-add", "sw2", "vm21", "--", "lsp-set-addresses", "vm21", "fa:16:3e:00:02:0b 10.0.2.11",
				"--", "lsp-add", "sw2", "vm22", "--", "lsp-set-addresses", "vm22", "fa:16:3e:00:02:0c 10.0.2.12")
		}},
		{"04-chassis-added", func() {
			e.sbctl("chassis-add", "hv1", "vxlan", "192.168.0.1")
			e.sbctl("chassis-add", "hv2", "vxlan", "192.168.0.2")
			e.sbctl("chassis-add", "hv3", "vxlan", "192.168.0.3")
		}},
		{"05-vms-bound", func() {
			e.sbctl("lsp-bind", "vm11", "hv1")
			e.sbctl("lsp-bind", "vm21", "hv1")
			e.sbctl("lsp-bind", "vm12", "hv2")
			e.sbctl("lsp-bind", "vm22", "hv3")
		}},
		{"06-vm-removed", func() { e.nbctl("lsp-del", "vm22") }},
		{"07-interface-removed", func() { e.nbctl("lr-detach", "r1-sw2") }},
		{"08-chassis-removed", func() { e.sbctl("chassis-del", "hv2") }},
	}
	for _, s := range steps {
		s.do()
		e.golden(s.name)
		e.recomputeIsNoop(s.name)
	}
}

// TestNothingHostedWithoutBoundPorts: creating a router, interfaces and
// ports makes no chassis act until a port is bound.
func TestNothingHostedWithoutBoundPorts(t *testing.T) {
	e := newEnv(t)
	e.start("a")
	e.sbctl("chassis-add", "hv1", "vxlan", "192.168.0.1")
	e.nbctl("lr-add", "r1", "--", "ls-add", "sw1", "--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
		"--", "lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11")
	e.nbctl("--wait=sb", "sync")
	if got := e.settle(); strings.Contains(got, "DVR_Router_Binding") {
		t.Fatalf("a router is hosted with no bound port:\n%s", got)
	}
	e.sbctl("lsp-bind", "vm11", "hv1")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.canonical(), "DVR_Router_Binding r1 chassis=hv1") {
		if time.Now().After(deadline) {
			t.Fatalf("binding vm11 on hv1 did not host r1 there:\n%s", e.canonical())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out := e.nbctl("lsp-get-up", "vm11"); out != "up\n" {
		t.Fatalf("lsp-get-up vm11 = %q after ovn-sbctl lsp-bind (chassis and up=true)", out)
	}
}
