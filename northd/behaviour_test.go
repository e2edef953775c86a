package northd

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// seedAndBind loads the seed topology, registers hv1..hv3 and binds the
// VMs as the seed placement says.
func (e *env) seedAndBind() {
	e.t.Helper()
	e.nbctl("--wait=sb", "lr-add", "r1", "--", "ls-add", "sw1", "--", "ls-add", "sw2",
		"--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
		"--", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24",
		"--", "lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11",
		"--", "lsp-add", "sw1", "vm12", "--", "lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12",
		"--", "lsp-add", "sw2", "vm21", "--", "lsp-set-addresses", "vm21", "fa:16:3e:00:02:0b 10.0.2.11",
		"--", "lsp-add", "sw2", "vm22", "--", "lsp-set-addresses", "vm22", "fa:16:3e:00:02:0c 10.0.2.12")
	for i, hv := range []string{"hv1", "hv2", "hv3"} {
		e.sbctl("chassis-add", hv, "vxlan", fmt.Sprintf("192.168.0.%d", i+1))
	}
	for vm, hv := range map[string]string{"vm11": "hv1", "vm21": "hv1", "vm12": "hv2", "vm22": "hv3"} {
		e.sbctl("lsp-bind", vm, hv)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRestartWritesNothing: a new instance on an unchanged NB and SB
// re-adopts every key and MAC and writes no derived row.
func TestRestartWritesNothing(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	before := e.settle()
	a.stop()
	b := e.start("b")
	waitFor(t, "b active and one round done", func() bool { return b.n.Active() && b.n.Stats().Rounds.Load() > 0 })
	time.Sleep(300 * time.Millisecond)
	if n := b.n.Stats().SBTxns.Load(); n != 0 {
		t.Fatalf("restart on an unchanged NB wrote %d SB transactions", n)
	}
	if n := b.n.Stats().NBTxns.Load(); n != 0 {
		t.Fatalf("restart on an unchanged NB wrote %d NB transactions", n)
	}
	if after := e.canonical(); after != before {
		t.Fatalf("SB changed across a restart:\n--- before\n%s--- after\n%s", before, after)
	}
}

// TestIdleRoundsSendNothing: once converged, monitor traffic that changes
// nothing northd derives sends no transaction.
func TestIdleRoundsSendNothing(t *testing.T) {
	e := newEnv(t)
	a := e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	e.settle()
	sb, nb := a.n.Stats().SBTxns.Load(), a.n.Stats().NBTxns.Load()
	rounds := a.n.Stats().Rounds.Load()
	// A change northd does not derive anything from: a switch's
	// external_ids (not monitored) and a chassis' hostname.
	e.sbctl("set", "Chassis", "hv1", "hostname=hv1.example")
	e.nbctl("ls-list")
	time.Sleep(500 * time.Millisecond)
	if a.n.Stats().SBTxns.Load() != sb || a.n.Stats().NBTxns.Load() != nb {
		t.Fatalf("converged northd wrote again (rounds %d → %d)", rounds, a.n.Stats().Rounds.Load())
	}
}

// TestWaitSBAndHV: dvr-nbctl --wait=sb returns once northd committed the
// change to SB; --wait=hv once every chassis reported it.
func TestWaitSBAndHV(t *testing.T) {
	e := newEnv(t)
	e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.13")
	// Read the SB leader directly, not through a monitor.
	c, err := ovsdbrpc.Dial(context.Background(), e.sb.Endpoint(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Transact(context.Background(), sbDatabase, ovsdb.Operation{Op: "select", Table: "Port_Binding",
		Where: []ovsdb.Condition{ovsdb.NewCondition("logical_port", ovsdb.ConditionEqual, "vm13")}, Columns: []string{"tunnel_key"}})
	if err != nil || len(res) != 1 || len(res[0].Rows) != 1 {
		t.Fatalf("vm13 not in SB when --wait=sb returned: %v %v", res, err)
	}
	// No Chassis_Private rows yet: hv_cfg follows nb_cfg.
	e.nbctl("--wait=hv", "sync")
	// With a chassis that has not caught up, --wait=hv waits for it.
	e.sbctl("create", "Chassis_Private", "name=hv1", "nb_cfg=0")
	done := make(chan error, 1)
	go func() { _, err := e.nbctlErr("--wait=hv", "sync"); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("--wait=hv returned (%v) while hv1 reports nb_cfg=0", err)
	case <-time.After(700 * time.Millisecond):
	}
	out := e.nbctl("--format=json", "show") // any read; take nb_cfg from NB_Global below
	_ = out
	cfg, err := exec.Command("ovn-nbctl", "--db="+e.nb.Endpoint(), "get", "NB_Global", ".", "nb_cfg").Output()
	if err != nil {
		t.Fatal(err)
	}
	e.sbctl("set", "Chassis_Private", "hv1", "nb_cfg="+strings.TrimSpace(string(cfg)))
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("--wait=hv did not return after hv1 caught up")
	}
}

// TestOvnSbctlShow: operators' ovn-sbctl show works on the SB northd wrote.
func TestOvnSbctlShow(t *testing.T) {
	e := newEnv(t)
	e.start("a")
	e.seedAndBind()
	e.nbctl("--wait=sb", "sync")
	out := e.sbctl("show")
	for _, want := range []string{"Chassis hv1", "Encap vxlan", "192.168.0.1", "Port_Binding vm11", "Port_Binding vm21", "Chassis hv3", "Port_Binding vm22"} {
		if !strings.Contains(out, want) {
			t.Fatalf("ovn-sbctl show lacks %q:\n%s", want, out)
		}
	}
	if l := e.sbctl("list", "Datapath_Binding"); !strings.Contains(l, "logical-switch") {
		t.Fatalf("ovn-sbctl list Datapath_Binding:\n%s", l)
	}
}
