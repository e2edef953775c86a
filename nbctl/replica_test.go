package nbctl

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A replica behind the server (another client wrote meanwhile) reads
// stale rows; the commit's waits fail, the chain re-runs, and once the
// replica has caught up the command sees the other client's write.
func TestReplicaStaleCaughtByGuards(t *testing.T) {
	n := startNB(t)
	n.seed()
	r := n.daemon()
	r.setHold(true)
	txn := `["OVN_Northbound",
	 {"op":"insert","table":"Logical_Switch_Port","row":{"name":"raw1","addresses":"fa:16:3e:00:01:b1 10.0.1.102"},"uuid-name":"p"},
	 {"op":"mutate","table":"Logical_Switch","where":[["name","==","sw1"]],"mutations":[["ports","insert",["set",[["named-uuid","p"]]]]]}]`
	if out, err := exec.Command("ovsdb-client", "transact", "unix:"+n.s.Members[0].Socket, txn).CombinedOutput(); err != nil {
		t.Fatalf("raw transaction: %v: %s", err, out)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		r.setHold(false)
	}()
	f0 := r.forwarded.Load()
	_, err := n.run("lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.102")
	if err == nil || !strings.Contains(err.Error(), "10.0.1.102: IP address already used on switch sw1 by port raw1") {
		t.Fatalf("err = %v, want the raw port's IP in use", err)
	}
	if f := r.forwarded.Load() - f0; f < 1 {
		t.Fatalf("%d commits tried: the stale read was never guarded", f)
	}
	if out := n.must("lsp-list", "sw1"); strings.Contains(out, "vm13") {
		t.Fatalf("vm13 written from a stale read:\n%s", out)
	}
}

// The conditions nbctl sends are answered here, not forwarded.
func TestReplicaAnswersNbctlConditions(t *testing.T) {
	n := startNB(t)
	n.seed()
	r := n.daemon()
	for _, args := range [][]string{{"show"}, {"lsp-list", "sw1"}, {"lsp-get-addresses", "vm11"}, {"lrp-list", "r1"}, {"ls-list"}} {
		f0 := r.forwarded.Load()
		want, err := runWith(t, Options{DB: n.db}, args...)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.must(args...); got != want {
			t.Fatalf("%q: replica %q, server %q", args, got, want)
		}
		if f := r.forwarded.Load() - f0; f != 0 {
			t.Fatalf("%q: %d read transactions went to the server", args, f)
		}
	}
}

// fastUUIDSelect reads rawread.go's selects as encoding/json does, and
// leaves everything else to it.
func TestFastUUIDSelect(t *testing.T) {
	b := []byte(`{"op":"select","table":"Logical_Switch_Port","where":[["_uuid","==",["uuid","0b8a6f4e-1c1e-4a47-9d1b-5c3f7f1e2a10"]]],"columns":["name","type","addresses","options"]}`)
	var s selectOp
	if !fastUUIDSelect(b, &s) || s.Table != "Logical_Switch_Port" || s.uuid != "0b8a6f4e-1c1e-4a47-9d1b-5c3f7f1e2a10" ||
		strings.Join(s.Columns, ",") != "name,type,addresses,options" {
		t.Fatalf("fast parse: %+v", s)
	}
	for _, other := range []string{
		`{"op":"select","table":"Logical_Switch","where":[["name","==","sw1"]],"columns":["name"]}`,
		`{"op":"select","table":"Logical_Switch","where":[["_uuid","==",["uuid","x"]]],"columns":[]}`,
		`{"op":"select","table":"Logical_Switch","where":[["_uuid","==",["uuid","x"]],["name","==","a"]],"columns":["name"]}`,
		`{"op":"wait","table":"Logical_Switch","where":[["_uuid","==",["uuid","x"]]],"columns":["name"]}`,
	} {
		if fastUUIDSelect([]byte(other), &s) {
			t.Fatalf("fast parse took %s", other)
		}
	}
}

// Each command sees the one before it, without re-runs: the replica holds
// a commit's inserted rows by the time the command returns.
func TestReplicaSeesOwnWrites(t *testing.T) {
	n := startNB(t)
	n.seed()
	r := n.daemon()
	start := time.Now()
	for i := range 20 {
		p := "c" + strconv.Itoa(i)
		addr := fmt.Sprintf("fa:16:3e:00:02:%02x 10.0.2.%d", 0x40+i, 100+i)
		n.must("lsp-add", "sw2", p, "--", "lsp-set-addresses", p, addr)
		f0 := r.forwarded.Load()
		if out := n.must("lsp-get-addresses", p); strings.TrimSpace(out) != addr {
			t.Fatalf("%s: lsp-get-addresses = %q, want %q", p, out, addr)
		}
		if f := r.forwarded.Load() - f0; f != 0 {
			t.Fatalf("%s: a read went to the server %d times", p, f)
		}
	}
	t.Logf("20 writes and reads in %v; commits whose reply came before the monitor update: %d", time.Since(start), r.late.Load())
}

// A commit the server refuses after its inserts (a duplicate port name, the
// unique index) returns their UUIDs too; the daemon must not wait for them.
func TestReplicaFailedCommitNoCatchUpWait(t *testing.T) {
	n := startNB(t)
	n.seed()
	n.daemon()
	start := time.Now()
	if _, err := n.run("lsp-add", "sw2", "vm11"); err == nil || !strings.Contains(err.Error(), "vm11: a port with this name already exists") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("a refused commit took %v", d)
	}
}
